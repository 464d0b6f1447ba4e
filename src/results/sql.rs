//! The results' SQL: the roll-up's steps, the monthly close, the report views, review and the
//! feedback inbox. The fragments several features build on (counts, local days, scope, review
//! rules) and the statements others also run stay in `store::sql` (`shared` in `db.rs`).

use crate::store::sql::{
    add_counts, counts_of_votes, local_day, may_review, new_offset, new_votes, rejected_in_review,
    set_offsets,
};

macro_rules! local_month {
    ($v:literal) => {
        concat!(
            "strftime('%Y-%m', ",
            $v,
            "created_at + ",
            $v,
            "local_offset * 60, 'unixepoch')"
        )
    };
}

/// The moments a local day `?1` can hold, from its UTC bounds `?2`/`?3` widened by the
/// furthest offsets (+14:00, -12:00): the `votes_time` index reads them, the day filters.
macro_rules! in_local_day {
    ($v:literal) => {
        concat!(
            $v,
            "created_at >= ?2 - 50400 AND ",
            $v,
            "created_at < ?3 + 43200 AND ",
            local_day!($v),
            " = ?1"
        )
    };
}

/// An upsert's addition of the six counts, from a select of daily rows times `?2`.
macro_rules! signed_daily_counts {
    () => {
        "?2 * SUM(d.counted), ?2 * SUM(d.with_contact), ?2 * SUM(d.with_comment), ?2 * SUM(d.flagged), ?2 * SUM(d.duplicates), ?2 * SUM(d.verified) "
    };
}

/// Per employee: counted votes and those below the top level (`?4`) in the last 7 days
/// (`?2`..`?3`) and the 28 before (`?1`..`?2`).
macro_rules! drop_window_sums {
    () => {
        " SUM(CASE WHEN d.day >= ?2 THEN d.counted ELSE 0 END) AS recent, \
          SUM(CASE WHEN d.day >= ?2 AND d.score < ?4 THEN d.counted ELSE 0 END) AS recent_below, \
          SUM(CASE WHEN d.day < ?2 THEN d.counted ELSE 0 END) AS base, \
          SUM(CASE WHEN d.day < ?2 AND d.score < ?4 THEN d.counted ELSE 0 END) AS base_below "
    };
}

macro_rules! undoable {
    () => {
        concat!(
            "v.id IN (SELECT value FROM json_each(?2)) AND ",
            rejected_in_review!(),
            " AND ",
            may_review!()
        )
    };
}

// Results: the cron roll-up (results::roll_up) and the reports (`results::report`). The tables are
// described in migrations/0007_results.sql.
/// `?1` now, `?2` the lease's end: takes the lease if it is free, with the watermark.
pub const TAKE_ROLLUP_LEASE: &str = "\
UPDATE rollup_state SET lease_until = ?2 WHERE name = 'votes' AND lease_until <= ?1 RETURNING watermark";

pub const RELEASE_ROLLUP_LEASE: &str =
    "UPDATE rollup_state SET lease_until = 0 WHERE name = 'votes'";

pub const LAST_VOTE_ID: &str = "SELECT coalesce(max(id), 0) AS id FROM votes";

pub const DIRTY_DAYS: &str = "SELECT day FROM rollup_dirty_days ORDER BY day LIMIT ?1";

pub const DIRTY_MONTHS: &str = "SELECT month FROM rollup_dirty_months ORDER BY month LIMIT ?1";

pub const COUNT_DIRTY: &str = "\
SELECT (SELECT COUNT(*) FROM rollup_dirty_days) AS days, (SELECT COUNT(*) FROM rollup_dirty_months) AS months";

/// `?1` first day, `?2` last day (inclusive), both `YYYY-MM-DD`; at most a few hundred days.
pub const MARK_DIRTY_RANGE: &str = "\
WITH RECURSIVE d(day) AS (SELECT ?1 UNION ALL SELECT date(day, '+1 day') FROM d WHERE day < ?2) \
INSERT OR IGNORE INTO rollup_dirty_days (day) SELECT day FROM d";

pub const MARK_MONTH_DIRTY: &str = "INSERT OR IGNORE INTO rollup_dirty_months (month) VALUES (?1)";

pub const ADD_DAILY_UNIT: &str = concat!(
    "INSERT INTO daily_unit_stats (day, unit_id, score, counted, with_contact, with_comment, flagged, duplicates, verified) ",
    "SELECT ", local_day!(""), ", unit_id, score, ",
    counts_of_votes!(),
    new_votes!(),
    "GROUP BY 1, 2, 3 ON CONFLICT (unit_id, day, score)",
    add_counts!()
);

pub const ADD_MONTHLY_UNIT: &str = concat!(
    "INSERT INTO monthly_unit_stats (month, unit_id, score, counted, with_contact, with_comment, flagged, duplicates, verified) ",
    "SELECT ", local_month!(""), ", unit_id, score, ",
    counts_of_votes!(),
    new_votes!(),
    "GROUP BY 1, 2, 3 ON CONFLICT (unit_id, month, score)",
    add_counts!()
);

pub const ADD_MONTHLY_EMPLOYEE: &str = concat!(
    "INSERT INTO monthly_employee_stats (month, employee_id, unit_id, score, counted, with_contact, with_comment, flagged, duplicates, verified) ",
    "SELECT ", local_month!(""), ", employee_id, unit_id, score, ",
    counts_of_votes!(),
    new_votes!(),
    "GROUP BY 1, 2, 3, 4 ON CONFLICT (employee_id, month, unit_id, score)",
    add_counts!()
);

pub const ADD_MONTHLY_DIRECTION: &str = concat!(
    "INSERT INTO monthly_direction_stats (month, direction_id, unit_id, score, counted, with_contact, with_comment, flagged, duplicates, verified) ",
    "SELECT ", local_month!(""), ", direction_id, unit_id, score, ",
    counts_of_votes!(),
    new_votes!(),
    "AND direction_id IS NOT NULL GROUP BY 1, 2, 3, 4 ON CONFLICT (direction_id, month, unit_id, score)",
    add_counts!()
);

// Screening (`integrity::screen`) of an incremental step, `?1`/`?2` as in `ADD_DAILY_EMPLOYEE`.
/// The step's votes and, as context, the same employees' votes of the hour before the step's
/// first one; repeats left out (one phone is the duplicate rule's business, not a surge).
/// Votes arrive in time order, so the context is also bounded to the 20,000 ids before the
/// step: a read that stays small even when ids and times disagree (imported or seeded votes).
pub const SCREEN_VOTES: &str = "\
SELECT v.id AS id, v.employee_id AS employee, v.unit_id AS unit, v.created_at AS at, v.channel AS channel, \
       (v.status = 'counted' AND v.flag_reason IS NULL) AS may_flag \
FROM votes v \
WHERE v.id > ?1 - 20000 AND v.id <= ?2 \
  AND v.created_at >= (SELECT min(created_at) FROM votes WHERE id > ?1 AND id <= ?2) - 3600 \
  AND v.status <> 'duplicate' \
  AND v.employee_id IN (SELECT employee_id FROM votes WHERE id > ?1 AND id <= ?2)";

/// Counted votes per employee of the step, or of a vote that shares a network with the step
/// (`SCREEN_ADDRESS_VOTES`), over `[?3, ?4)` (days): their usual rate.
pub const SCREEN_BASELINES: &str = "\
SELECT employee_id AS employee, SUM(counted) AS votes FROM daily_employee_stats \
WHERE day >= ?3 AND day < ?4 AND employee_id IN ( \
  SELECT employee_id FROM votes WHERE id > ?1 AND id <= ?2 \
  UNION SELECT v.employee_id FROM votes v WHERE v.id <= ?2 AND v.network_hash IN ( \
    SELECT network_hash FROM votes WHERE id > ?1 AND id <= ?2 AND network_hash IS NOT NULL)) \
GROUP BY employee_id";

/// Units that declare opening hours.
pub const SCREEN_HOURS: &str =
    "SELECT id AS unit, timezone AS zone, opening_hours AS hours FROM units WHERE opening_hours <> '{}'";

/// First in a step's batch when screening flagged votes (`?3`: a JSON array of
/// `[vote_id, reason]`): the days of flagged context votes, already rolled up, are recomputed.
pub const SCREEN_DIRTY_DAYS: &str = concat!(
    "INSERT OR IGNORE INTO rollup_dirty_days (day) SELECT DISTINCT ",
    local_day!("v."),
    " FROM votes v JOIN json_each(?3) j ON v.id = json_extract(j.value, '$[0]') ",
    "WHERE v.id <= ?1 AND v.status = 'counted' AND v.flag_reason IS NULL ",
    "AND (SELECT watermark FROM rollup_state WHERE name = 'votes') = ?1"
);

/// Then the flags themselves, before the step's votes are counted.
pub const SCREEN_FLAG: &str = "\
UPDATE votes SET status = 'flagged', flag_reason = f.reason \
FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS reason FROM json_each(?3)) AS f \
WHERE votes.id = f.id AND votes.id <= ?2 AND votes.status = 'counted' AND votes.flag_reason IS NULL \
  AND (SELECT watermark FROM rollup_state WHERE name = 'votes') = ?1";

/// Last in an incremental step's batch.
pub const ADVANCE_WATERMARK: &str = "\
UPDATE rollup_state SET watermark = ?2 WHERE name = 'votes' AND watermark = ?1";

// One dirty day's recompute, one batch, in this order: take the day's old contribution out of
// the monthly tables (`?2` = -1), rebuild the day from its votes up to the watermark (later
// ones belong to the next incremental step), put its new contribution in (`?2` = 1). The
// monthly tables always equal the sum of their days.
/// `?1` day, `?2` sign.
pub const MONTHLY_UNIT_DELTA: &str = concat!(
    "INSERT INTO monthly_unit_stats (month, unit_id, score, counted, with_contact, with_comment, flagged, duplicates, verified) ",
    "SELECT substr(?1, 1, 7), d.unit_id, d.score, ",
    signed_daily_counts!(),
    "FROM daily_unit_stats d WHERE d.day = ?1 GROUP BY d.unit_id, d.score ON CONFLICT (unit_id, month, score)",
    add_counts!()
);

pub const MONTHLY_EMPLOYEE_DELTA: &str = concat!(
    "INSERT INTO monthly_employee_stats (month, employee_id, unit_id, score, counted, with_contact, with_comment, flagged, duplicates, verified) ",
    "SELECT substr(?1, 1, 7), d.employee_id, d.unit_id, d.score, ",
    signed_daily_counts!(),
    "FROM daily_employee_stats d WHERE d.day = ?1 GROUP BY d.employee_id, d.unit_id, d.score ",
    "ON CONFLICT (employee_id, month, unit_id, score)",
    add_counts!()
);

pub const MONTHLY_DIRECTION_DELTA: &str = concat!(
    "INSERT INTO monthly_direction_stats (month, direction_id, unit_id, score, counted, with_contact, with_comment, flagged, duplicates, verified) ",
    "SELECT substr(?1, 1, 7), d.direction_id, d.unit_id, d.score, ",
    signed_daily_counts!(),
    "FROM daily_employee_stats d WHERE d.day = ?1 AND d.direction_id <> 0 GROUP BY d.direction_id, d.unit_id, d.score ",
    "ON CONFLICT (direction_id, month, unit_id, score)",
    add_counts!()
);

pub const CLEAR_DAILY_EMPLOYEE: &str = "DELETE FROM daily_employee_stats WHERE day = ?1";

/// `?1` local day, `?2`/`?3` its UTC bounds in unix seconds (`in_local_day`).
pub const BUILD_DAILY_EMPLOYEE: &str = concat!(
    "INSERT INTO daily_employee_stats (day, employee_id, unit_id, direction_id, score, counted, with_contact, with_comment, flagged, duplicates, verified) ",
    "SELECT ?1, employee_id, unit_id, coalesce(direction_id, 0), score, ",
    counts_of_votes!(),
    " FROM votes WHERE ",
    in_local_day!(""),
    " AND id <= (SELECT watermark FROM rollup_state WHERE name = 'votes') ",
    "GROUP BY employee_id, unit_id, coalesce(direction_id, 0), score"
);

pub const CLEAR_DAILY_UNIT: &str = "DELETE FROM daily_unit_stats WHERE day = ?1";

pub const BUILD_DAILY_UNIT: &str = "\
INSERT INTO daily_unit_stats (day, unit_id, score, counted, with_contact, with_comment, flagged, duplicates, verified) \
SELECT ?1, unit_id, score, SUM(counted), SUM(with_contact), SUM(with_comment), SUM(flagged), SUM(duplicates), SUM(verified) \
FROM daily_employee_stats WHERE day = ?1 GROUP BY unit_id, score";

pub const CLEAN_DAY: &str = "DELETE FROM rollup_dirty_days WHERE day = ?1";

// A month rebuilt whole from its days (`?1` 'YYYY-MM', `?2` its first day, `?3` the next
// month's first day): at the monthly close, so that any drift is gone by the report.
pub const CLEAR_MONTHLY_UNIT: &str = "DELETE FROM monthly_unit_stats WHERE month = ?1";

pub const BUILD_MONTHLY_UNIT: &str = "\
INSERT INTO monthly_unit_stats (month, unit_id, score, counted, with_contact, with_comment, flagged, duplicates, verified) \
SELECT ?1, unit_id, score, SUM(counted), SUM(with_contact), SUM(with_comment), SUM(flagged), SUM(duplicates), SUM(verified) \
FROM daily_unit_stats WHERE day >= ?2 AND day < ?3 GROUP BY unit_id, score";

pub const CLEAR_MONTHLY_EMPLOYEE: &str = "DELETE FROM monthly_employee_stats WHERE month = ?1";

pub const BUILD_MONTHLY_EMPLOYEE: &str = "\
INSERT INTO monthly_employee_stats (month, employee_id, unit_id, score, counted, with_contact, with_comment, flagged, duplicates, verified) \
SELECT ?1, employee_id, unit_id, score, SUM(counted), SUM(with_contact), SUM(with_comment), SUM(flagged), SUM(duplicates), SUM(verified) \
FROM daily_employee_stats WHERE day >= ?2 AND day < ?3 GROUP BY employee_id, unit_id, score";

pub const CLEAR_MONTHLY_DIRECTION: &str = "DELETE FROM monthly_direction_stats WHERE month = ?1";

pub const BUILD_MONTHLY_DIRECTION: &str = "\
INSERT INTO monthly_direction_stats (month, direction_id, unit_id, score, counted, with_contact, with_comment, flagged, duplicates, verified) \
SELECT ?1, direction_id, unit_id, score, SUM(counted), SUM(with_contact), SUM(with_comment), SUM(flagged), SUM(duplicates), SUM(verified) \
FROM daily_employee_stats WHERE day >= ?2 AND day < ?3 AND direction_id <> 0 GROUP BY direction_id, unit_id, score";

pub const CLEAN_MONTH: &str = "DELETE FROM rollup_dirty_months WHERE month = ?1";

// Reports. Counts come as rows of (key, score, counted, with_contact, with_comment, flagged,
// duplicates, verified); `key` is what the report groups by (a day, a month, a unit, an employee).
// Whole months come from the monthly tables, the days at a range's ragged ends from the daily.
/// A unit's subtree per month: `?1` unit, `?2`/`?3` first and last month. Subtrees are summed
/// when read, through the closure table: a moved unit takes its past votes along at once.
pub const UNIT_MONTHS: &str = "\
SELECT m.month AS key, m.score, SUM(m.counted) AS counted, SUM(m.with_contact) AS with_contact, \
       SUM(m.with_comment) AS with_comment, SUM(m.flagged) AS flagged, SUM(m.duplicates) AS duplicates, SUM(m.verified) AS verified \
FROM monthly_unit_stats m WHERE m.unit_id IN (SELECT descendant_id FROM unit_closure WHERE ancestor_id = ?1) \
  AND m.month >= ?2 AND m.month <= ?3 GROUP BY m.month, m.score";

/// A unit's subtree per day: `?1` unit, `?2`/`?3` first and last day.
pub const UNIT_DAYS: &str = "\
SELECT d.day AS key, d.score, SUM(d.counted) AS counted, SUM(d.with_contact) AS with_contact, \
       SUM(d.with_comment) AS with_comment, SUM(d.flagged) AS flagged, SUM(d.duplicates) AS duplicates, SUM(d.verified) AS verified \
FROM daily_unit_stats d WHERE d.unit_id IN (SELECT descendant_id FROM unit_closure WHERE ancestor_id = ?1) \
  AND d.day >= ?2 AND d.day <= ?3 GROUP BY d.day, d.score";

/// The subtrees of a unit's children: months.
pub const CHILD_UNIT_MONTHS: &str = "\
SELECT c.ancestor_id AS key, m.score, SUM(m.counted) AS counted, SUM(m.with_contact) AS with_contact, \
       SUM(m.with_comment) AS with_comment, SUM(m.flagged) AS flagged, SUM(m.duplicates) AS duplicates, SUM(m.verified) AS verified \
FROM units u JOIN unit_closure c ON c.ancestor_id = u.id JOIN monthly_unit_stats m ON m.unit_id = c.descendant_id \
WHERE u.parent_id = ?1 AND m.month >= ?2 AND m.month <= ?3 GROUP BY c.ancestor_id, m.score";

/// The subtrees of a unit's children: days.
pub const CHILD_UNIT_DAYS: &str = "\
SELECT c.ancestor_id AS key, d.score, SUM(d.counted) AS counted, SUM(d.with_contact) AS with_contact, \
       SUM(d.with_comment) AS with_comment, SUM(d.flagged) AS flagged, SUM(d.duplicates) AS duplicates, SUM(d.verified) AS verified \
FROM units u JOIN unit_closure c ON c.ancestor_id = u.id JOIN daily_unit_stats d ON d.unit_id = c.descendant_id \
WHERE u.parent_id = ?1 AND d.day >= ?2 AND d.day <= ?3 GROUP BY c.ancestor_id, d.score";

/// A long period's whole months for a unit's view, read once (`results::long_unit_rows`): each
/// child's subtree per month, keyed `child:month`, and the unit's own votes, keyed `:month`.
/// The unit's monthly trend and its children's totals are both sums of these rows; two
/// statements (the subtree by month, the children by child) read the same rows twice.
pub const CHILD_AND_OWN_MONTHS: &str = "\
SELECT c.ancestor_id || ':' || m.month AS key, m.score, SUM(m.counted) AS counted, SUM(m.with_contact) AS with_contact, \
       SUM(m.with_comment) AS with_comment, SUM(m.flagged) AS flagged, SUM(m.duplicates) AS duplicates, SUM(m.verified) AS verified \
FROM units u JOIN unit_closure c ON c.ancestor_id = u.id JOIN monthly_unit_stats m ON m.unit_id = c.descendant_id \
WHERE u.parent_id = ?1 AND m.month >= ?2 AND m.month <= ?3 GROUP BY c.ancestor_id, m.month, m.score \
UNION ALL \
SELECT ':' || month AS key, score, counted, with_contact, with_comment, flagged, duplicates, verified \
FROM monthly_unit_stats WHERE unit_id = ?1 AND month >= ?2 AND month <= ?3";

/// The same over a span of days, without the day: each child's subtree keyed by the child, the
/// unit's own votes keyed by `''` (a ragged end of a long period, or a part of its month).
pub const CHILD_AND_OWN_DAYS: &str = "\
SELECT CAST(c.ancestor_id AS TEXT) AS key, d.score, SUM(d.counted) AS counted, SUM(d.with_contact) AS with_contact, \
       SUM(d.with_comment) AS with_comment, SUM(d.flagged) AS flagged, SUM(d.duplicates) AS duplicates, SUM(d.verified) AS verified \
FROM units u JOIN unit_closure c ON c.ancestor_id = u.id JOIN daily_unit_stats d ON d.unit_id = c.descendant_id \
WHERE u.parent_id = ?1 AND d.day >= ?2 AND d.day <= ?3 GROUP BY c.ancestor_id, d.score \
UNION ALL \
SELECT '' AS key, score, SUM(counted) AS counted, SUM(with_contact) AS with_contact, SUM(with_comment) AS with_comment, \
       SUM(flagged) AS flagged, SUM(duplicates) AS duplicates, SUM(verified) AS verified \
FROM daily_unit_stats WHERE unit_id = ?1 AND day >= ?2 AND day <= ?3 GROUP BY score";

/// Votes cast in one unit (not below it), per employee: months.
pub const UNIT_EMPLOYEE_MONTHS: &str = "\
SELECT employee_id AS key, score, SUM(counted) AS counted, SUM(with_contact) AS with_contact, \
       SUM(with_comment) AS with_comment, SUM(flagged) AS flagged, SUM(duplicates) AS duplicates, SUM(verified) AS verified \
FROM monthly_employee_stats WHERE unit_id = ?1 AND month >= ?2 AND month <= ?3 GROUP BY employee_id, score";

pub const UNIT_EMPLOYEE_DAYS: &str = "\
SELECT employee_id AS key, score, SUM(counted) AS counted, SUM(with_contact) AS with_contact, \
       SUM(with_comment) AS with_comment, SUM(flagged) AS flagged, SUM(duplicates) AS duplicates, SUM(verified) AS verified \
FROM daily_employee_stats WHERE unit_id = ?1 AND day >= ?2 AND day <= ?3 GROUP BY employee_id, score";

/// One employee, wherever the votes were cast: months, then days.
pub const EMPLOYEE_MONTHS: &str = "\
SELECT month AS key, score, SUM(counted) AS counted, SUM(with_contact) AS with_contact, \
       SUM(with_comment) AS with_comment, SUM(flagged) AS flagged, SUM(duplicates) AS duplicates, SUM(verified) AS verified \
FROM monthly_employee_stats WHERE employee_id = ?1 AND month >= ?2 AND month <= ?3 GROUP BY month, score";

/// Per service direction within a scope (`?1`: NULL for all, else a JSON array of roots).
pub const DIRECTION_MONTHS: &str = "\
SELECT m.direction_id AS key, m.score, SUM(m.counted) AS counted, SUM(m.with_contact) AS with_contact, \
       SUM(m.with_comment) AS with_comment, SUM(m.flagged) AS flagged, SUM(m.duplicates) AS duplicates, SUM(m.verified) AS verified \
FROM monthly_direction_stats m WHERE m.month >= ?2 AND m.month <= ?3 \
  AND (?1 IS NULL OR m.unit_id IN (SELECT sc.descendant_id FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value)) \
GROUP BY m.direction_id, m.score";

pub const MONTH_UNITS: &str = "SELECT id, parent_id, name FROM units";

pub const MONTH_CLOSURE: &str = "SELECT ancestor_id, descendant_id FROM unit_closure";

pub const MONTH_EMPLOYEES: &str = "SELECT id, name FROM employees";

pub const CLEAR_MONTHLY_REPORTS: &str = "DELETE FROM monthly_reports WHERE month = ?1";

/// `?2`: a JSON array of `[unit_id, body]`.
pub const INSERT_MONTHLY_REPORTS: &str = "\
INSERT OR REPLACE INTO monthly_reports (unit_id, month, created_at, body) \
SELECT json_extract(value, '$[0]'), ?1, ?3, json_extract(value, '$[1]') FROM json_each(?2)";

pub const MONTHLY_REPORT: &str =
    "SELECT body FROM monthly_reports WHERE unit_id = ?1 AND month = ?2";

/// Comments, newest first, within a scope (`?1`) and filters; contacts only while kept.
pub const COMMENTS: &str = "\
SELECT v.id AS vote_id, v.created_at AS at, v.employee_id AS employee_id, e.name AS employee, v.unit_id AS unit_id, \
       u.name AS unit, u.timezone AS zone, v.score AS score, v.comment AS comment, c.contact AS contact, v.status AS status, \
       m.decision AS moderation, m.published_text AS published_text \
FROM votes v JOIN employees e ON e.id = v.employee_id JOIN units u ON u.id = v.unit_id \
LEFT JOIN vote_contacts c ON c.vote_id = v.id LEFT JOIN comment_moderation m ON m.vote_id = v.id \
WHERE v.created_at >= ?2 - 50400 AND v.created_at < ?3 + 43200 AND coalesce(v.comment, '') <> '' \
  AND date(v.created_at + v.local_offset * 60, 'unixepoch') >= date(?2, 'unixepoch') \
  AND date(v.created_at + v.local_offset * 60, 'unixepoch') < date(?3, 'unixepoch') \
  AND (?1 IS NULL OR v.unit_id IN (SELECT sc.descendant_id FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value)) \
  AND (?4 IS NULL OR v.unit_id IN (SELECT descendant_id FROM unit_closure WHERE ancestor_id = ?4)) \
  AND (?5 IS NULL OR v.employee_id = ?5) AND (?6 IS NULL OR v.score = ?6) \
  AND (?7 IS NULL OR v.has_contact = ?7) AND (?8 IS NULL OR v.id < ?8) \
ORDER BY v.id DESC LIMIT 50";

pub const ANY_MONTHLY_REPORT: &str =
    "SELECT '' AS body FROM monthly_reports WHERE month = ?1 LIMIT 1";

// Alerts (alert.rs). Queued in the roll-up's incremental step: the step's new counted votes at
// the lowest level with a comment (`?1`/`?2` as in `ADD_DAILY_EMPLOYEE`; `?3` now). The text
// of the comment is not copied: alerts link to the admin page. `at` is the start of the vote's
// local day (in its unit's zone), not its moment (docs/privacy.md).
pub const QUEUE_LOW_SCORE_ALERTS: &str = concat!(
    "INSERT OR IGNORE INTO alert_outbox (dedupe, body, unit_id, created_at, next_at) ",
    "SELECT 'vote:' || v.id, json_object('kind', 'low_score_comment', 'unit_id', v.unit_id, 'unit', u.name, ",
    "'employee_id', v.employee_id, 'employee', e.name, 'score', v.score, 'at', v.created_at - (v.created_at + v.local_offset * 60) % 86400), v.unit_id, ?3, ?3 ",
    "FROM votes v JOIN units u ON u.id = v.unit_id JOIN employees e ON e.id = v.employee_id ",
    "WHERE v.id > ?1 AND v.id <= ?2 AND (SELECT watermark FROM rollup_state WHERE name = 'votes') = ?1 ",
    "AND v.status = 'counted' AND coalesce(v.comment, '') <> '' AND v.score = (SELECT MIN(value) FROM scale_levels)"
);

pub const EMPLOYEE_DROP_WINDOWS: &str = concat!(
    "SELECT d.employee_id AS id, e.name AS name, e.unit_id AS unit_id, u.name AS unit,",
    drop_window_sums!(),
    "FROM daily_employee_stats d JOIN employees e ON e.id = d.employee_id JOIN units u ON u.id = e.unit_id ",
    "WHERE d.day >= ?1 AND d.day < ?3 GROUP BY d.employee_id HAVING recent >= 10"
);

/// The same per unit (its own votes).
pub const UNIT_DROP_WINDOWS: &str = concat!(
    "SELECT d.unit_id AS id, u.name AS name, d.unit_id AS unit_id, u.name AS unit,",
    drop_window_sums!(),
    "FROM daily_unit_stats d JOIN units u ON u.id = d.unit_id ",
    "WHERE d.day >= ?1 AND d.day < ?3 GROUP BY d.unit_id HAVING recent >= 10"
);

/// `?1`: a JSON array of `[dedupe, body, unit_id]`; `?2` now.
pub const QUEUE_ALERTS: &str = "\
INSERT OR IGNORE INTO alert_outbox (dedupe, body, unit_id, created_at, next_at) \
SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), ?2, ?2 FROM json_each(?1)";

pub const PENDING_ALERTS: &str = "\
SELECT id, body, unit_id, attempts FROM alert_outbox WHERE sent_at IS NULL AND next_at <= ?1 AND attempts < ?2 \
ORDER BY next_at LIMIT ?3";

/// E-mails of active accounts with a role on the unit or above it.
pub const UNIT_MANAGERS: &str = "\
SELECT DISTINCT a.email AS email FROM grants g JOIN accounts a ON a.id = g.account_id \
JOIN unit_closure c ON c.ancestor_id = g.unit_id WHERE c.descendant_id = ?1 AND a.active = 1 ORDER BY a.email LIMIT 20";

pub const ALERT_SENT: &str = "UPDATE alert_outbox SET sent_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1";

pub const ALERT_FAILED: &str = "\
UPDATE alert_outbox SET attempts = attempts + 1, next_at = ?2, last_error = ?3 WHERE id = ?1";

// Review of flagged votes (`results::flagged`, `results::decide`). Scope `?1` as everywhere.
pub const FLAGGED_VOTES: &str = "\
SELECT v.id AS vote_id, v.created_at AS at, v.employee_id AS employee_id, e.name AS employee, v.unit_id AS unit_id, \
       u.name AS unit, u.timezone AS zone, v.score AS score, coalesce(v.flag_reason, '') AS reason, coalesce(v.comment, '') AS comment, \
       ((?1 IS NULL OR v.unit_id IN (SELECT sc.descendant_id FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value WHERE sc.depth > 0)) \
        AND v.employee_id IS NOT (SELECT employee_id FROM accounts WHERE id = ?3)) AS decidable \
FROM votes v JOIN employees e ON e.id = v.employee_id JOIN units u ON u.id = v.unit_id \
WHERE v.status = 'flagged' \
  AND (?1 IS NULL OR v.unit_id IN (SELECT sc.descendant_id FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value)) \
  AND (?2 IS NULL OR v.id < ?2) \
ORDER BY v.id DESC LIMIT 100";

// The feedback inbox. Cases are opened in the roll-up's incremental step (`?1`/`?2` as in
// `ADD_DAILY_EMPLOYEE`, `?3` the deadline in seconds), for votes that are not repeats and need
// an answer: any that left a contact (the citizen expects one), and a comment with a score below
// the scale's top level. Praise (a comment at the top level, no contact) opens no case: it stays
// in the comments, where it can be published, and would otherwise fill the inbox with 30-day
// deadlines nobody has to meet (docs/results.md, "the feedback inbox").
pub const OPEN_CASES: &str = concat!(
    "INSERT OR IGNORE INTO cases (vote_id, unit_id, employee_id, score, created_at, due_at, updated_at) ",
    "SELECT id, unit_id, employee_id, score, created_at, created_at + ?3, created_at",
    new_votes!(),
    "AND status <> 'duplicate' AND (has_contact = 1 OR (coalesce(comment, '') <> '' ",
    "AND score < (SELECT MAX(value) FROM scale_levels)))"
);

/// Cases within a scope (`?1`) and filters, newest first, 50 a page; `?7` now (overdue).
pub const CASES: &str = "\
SELECT c.vote_id AS vote_id, c.unit_id AS unit_id, u.name AS unit, u.timezone AS zone, c.employee_id AS employee_id, e.name AS employee, \
       c.score AS score, c.status AS status, a.email AS assignee, c.created_at AS created_at, c.due_at AS due_at, \
       coalesce(v.comment, '') AS comment, vc.contact AS contact, \
       (SELECT json_group_array(json_object('at', n.at, 'by', coalesce(na.email, ''), 'note', n.note)) \
          FROM case_notes n LEFT JOIN accounts na ON na.id = n.account_id WHERE n.vote_id = c.vote_id) AS notes \
FROM cases c JOIN votes v ON v.id = c.vote_id JOIN units u ON u.id = c.unit_id JOIN employees e ON e.id = c.employee_id \
LEFT JOIN accounts a ON a.id = c.assignee_id LEFT JOIN vote_contacts vc ON vc.vote_id = c.vote_id \
WHERE (?1 IS NULL OR c.unit_id IN (SELECT sc.descendant_id FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value)) \
  AND (?2 IS NULL OR c.unit_id IN (SELECT descendant_id FROM unit_closure WHERE ancestor_id = ?2)) \
  AND (?3 IS NULL OR c.status = ?3) \
  AND (?4 = 0 OR (c.status IN ('new', 'in_progress') AND c.due_at < ?7)) \
  AND (?5 IS NULL OR c.vote_id < ?5) AND (?6 IS NULL OR c.score = ?6) \
ORDER BY c.vote_id DESC LIMIT 50";

/// Open cases past their due date, per unit (its own), within a scope.
pub const OVERDUE_BY_UNIT: &str = "\
SELECT c.unit_id AS unit_id, u.name AS unit, COUNT(*) AS overdue FROM cases c JOIN units u ON u.id = c.unit_id \
WHERE c.status IN ('new', 'in_progress') AND c.due_at < ?2 \
  AND (?1 IS NULL OR c.unit_id IN (SELECT sc.descendant_id FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value)) \
GROUP BY c.unit_id ORDER BY overdue DESC LIMIT 500";

/// After `UPDATE_CASE`, only if it changed the case.
pub const INSERT_CASE_NOTE: &str = "\
INSERT INTO case_notes (vote_id, account_id, at, note) SELECT ?1, ?2, ?3, ?4 WHERE changes() > 0 AND ?4 IS NOT NULL";

// Receipts (`receipt`).
/// The stored receipt hashes of the counted votes in `[?1, ?2)` (unix seconds), sorted: the
/// leaves of the month's tree.
pub const COUNTED_RECEIPTS: &str = "\
SELECT receipt_hash AS hash FROM votes \
WHERE created_at >= ?1 AND created_at < ?2 AND status = 'counted' AND receipt_hash IS NOT NULL \
ORDER BY receipt_hash";

pub const DIGEST: &str =
    "SELECT month, root, counted, made_at FROM monthly_digests WHERE month = ?1";

/// The moment of the vote a receipt hash belongs to.
pub const RECEIPT_VOTE: &str = "SELECT created_at AS at FROM votes WHERE receipt_hash = ?1";

// Results of the extra criteria (migration 0021, docs/results.md): each counted vote's
// criterion ratings, rolled up beside the employee score in the same batches, so that the two
// always cover the same votes. Only `status = 'counted'` counts, as for the score.
/// An incremental step, `?1`/`?2` as in `ADD_DAILY_EMPLOYEE` (and only while the watermark is
/// still `?1`).
pub const ADD_DAILY_CRITERIA: &str = "\
INSERT INTO daily_criteria_stats (day, employee_id, unit_id, direction_id, criterion_id, score, counted) \
SELECT date(v.created_at + v.local_offset * 60, 'unixepoch'), v.employee_id, v.unit_id, coalesce(v.direction_id, 0), c.criterion_id, c.score, COUNT(*) \
FROM votes v JOIN vote_criteria c ON c.vote_id = v.id \
WHERE v.id > ?1 AND v.id <= ?2 AND v.status = 'counted' AND (SELECT watermark FROM rollup_state WHERE name = 'votes') = ?1 \
GROUP BY 1, 2, 3, 4, 5, 6 \
ON CONFLICT (employee_id, day, unit_id, direction_id, criterion_id, score) DO UPDATE SET counted = counted + excluded.counted";

pub const ADD_MONTHLY_CRITERIA: &str = "\
INSERT INTO monthly_criteria_stats (month, employee_id, unit_id, direction_id, criterion_id, score, counted) \
SELECT strftime('%Y-%m', v.created_at + v.local_offset * 60, 'unixepoch'), v.employee_id, v.unit_id, coalesce(v.direction_id, 0), c.criterion_id, c.score, COUNT(*) \
FROM votes v JOIN vote_criteria c ON c.vote_id = v.id \
WHERE v.id > ?1 AND v.id <= ?2 AND v.status = 'counted' AND (SELECT watermark FROM rollup_state WHERE name = 'votes') = ?1 \
GROUP BY 1, 2, 3, 4, 5, 6 \
ON CONFLICT (employee_id, month, unit_id, direction_id, criterion_id, score) DO UPDATE SET counted = counted + excluded.counted";

/// A dirty day's recompute, in `recompute_day`'s batch: `?1` day, `?2` sign (-1 takes the day
/// out of its month, 1 puts it back).
pub const MONTHLY_CRITERIA_DELTA: &str = "\
INSERT INTO monthly_criteria_stats (month, employee_id, unit_id, direction_id, criterion_id, score, counted) \
SELECT substr(?1, 1, 7), employee_id, unit_id, direction_id, criterion_id, score, ?2 * SUM(counted) \
FROM daily_criteria_stats WHERE day = ?1 GROUP BY employee_id, unit_id, direction_id, criterion_id, score \
ON CONFLICT (employee_id, month, unit_id, direction_id, criterion_id, score) DO UPDATE SET counted = counted + excluded.counted";

pub const CLEAR_DAILY_CRITERIA: &str = "DELETE FROM daily_criteria_stats WHERE day = ?1";

/// `?1` local day, `?2`/`?3` its UTC bounds in unix seconds; votes up to the watermark only.
pub const BUILD_DAILY_CRITERIA: &str = concat!(
    "INSERT INTO daily_criteria_stats (day, employee_id, unit_id, direction_id, criterion_id, score, counted) ",
    "SELECT ?1, v.employee_id, v.unit_id, coalesce(v.direction_id, 0), c.criterion_id, c.score, COUNT(*) ",
    "FROM votes v JOIN vote_criteria c ON c.vote_id = v.id WHERE ",
    in_local_day!("v."),
    " AND v.status = 'counted' AND v.id <= (SELECT watermark FROM rollup_state WHERE name = 'votes') ",
    "GROUP BY v.employee_id, v.unit_id, coalesce(v.direction_id, 0), c.criterion_id, c.score"
);

/// The monthly close's rebuild, `?1` month, `?2`/`?3` its first day and the next month's.
pub const CLEAR_MONTHLY_CRITERIA: &str = "DELETE FROM monthly_criteria_stats WHERE month = ?1";

pub const BUILD_MONTHLY_CRITERIA: &str = "\
INSERT INTO monthly_criteria_stats (month, employee_id, unit_id, direction_id, criterion_id, score, counted) \
SELECT ?1, employee_id, unit_id, direction_id, criterion_id, score, SUM(counted) \
FROM daily_criteria_stats WHERE day >= ?2 AND day < ?3 GROUP BY employee_id, unit_id, direction_id, criterion_id, score";

// Views: rows of (key, criterion_id, score, counted), `?2`/`?3` the first and last month or
// day, `?1` the subject (a unit, an employee) or, for directions, the scope (NULL for all, else
// a JSON array of roots).
pub const UNIT_CRITERIA_MONTHS: &str = "\
SELECT '' AS key, criterion_id, score, SUM(counted) AS counted FROM monthly_criteria_stats \
WHERE unit_id IN (SELECT descendant_id FROM unit_closure WHERE ancestor_id = ?1) AND month >= ?2 AND month <= ?3 \
GROUP BY criterion_id, score";

pub const UNIT_CRITERIA_DAYS: &str = "\
SELECT '' AS key, criterion_id, score, SUM(counted) AS counted FROM daily_criteria_stats \
WHERE unit_id IN (SELECT descendant_id FROM unit_closure WHERE ancestor_id = ?1) AND day >= ?2 AND day <= ?3 \
GROUP BY criterion_id, score";

pub const EMPLOYEE_CRITERIA_MONTHS: &str = "\
SELECT '' AS key, criterion_id, score, SUM(counted) AS counted FROM monthly_criteria_stats \
WHERE employee_id = ?1 AND month >= ?2 AND month <= ?3 GROUP BY criterion_id, score";

pub const EMPLOYEE_CRITERIA_DAYS: &str = "\
SELECT '' AS key, criterion_id, score, SUM(counted) AS counted FROM daily_criteria_stats \
WHERE employee_id = ?1 AND day >= ?2 AND day <= ?3 GROUP BY criterion_id, score";

pub const DIRECTION_CRITERIA_MONTHS: &str = "\
SELECT m.direction_id AS key, m.criterion_id, m.score, SUM(m.counted) AS counted FROM monthly_criteria_stats m \
WHERE m.month >= ?2 AND m.month <= ?3 AND m.direction_id <> 0 \
  AND (?1 IS NULL OR m.unit_id IN (SELECT sc.descendant_id FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value)) \
GROUP BY m.direction_id, m.criterion_id, m.score";

pub const DIRECTION_CRITERIA_DAYS: &str = "\
SELECT d.direction_id AS key, d.criterion_id, d.score, SUM(d.counted) AS counted FROM daily_criteria_stats d \
WHERE d.day >= ?2 AND d.day <= ?3 AND d.direction_id <> 0 \
  AND (?1 IS NULL OR d.unit_id IN (SELECT sc.descendant_id FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value)) \
GROUP BY d.direction_id, d.criterion_id, d.score";

/// The monthly close: every unit's own ratings of one month (`?1`), keyed by unit; the report
/// sums each subtree through the closure table it already reads.
pub const MONTH_CRITERIA_ROWS: &str = "\
SELECT unit_id AS key, criterion_id, score, SUM(counted) AS counted FROM monthly_criteria_stats \
WHERE month = ?1 GROUP BY unit_id, criterion_id, score";

// Local days (migration 0022, `local_day`): each vote's offset from UTC in its unit's zone.
/// A recompute's re-localisation of the votes cast in `[?1, ?2)` (unix seconds), in one batch:
/// first the local days that votes whose offset changes leave and join are marked for the
/// roll-up, then the offsets are set.
pub const MARK_MOVED_DAYS: &str = concat!(
    "WITH x AS (SELECT v.created_at AS at, v.local_offset AS old, ",
    new_offset!(),
    " AS o FROM votes v WHERE v.created_at >= ?1 AND v.created_at < ?2) ",
    "INSERT OR IGNORE INTO rollup_dirty_days (day) ",
    "SELECT date(at + old * 60, 'unixepoch') FROM x WHERE old <> o ",
    "UNION SELECT date(at + o * 60, 'unixepoch') FROM x WHERE old <> o"
);

pub const SET_OFFSETS_BETWEEN: &str = set_offsets!("v.created_at >= ?1 AND v.created_at < ?2");

/// The zones of the units the step's votes were cast in, with the step's first and last
/// moments in each.
pub const STEP_ZONES: &str = "\
SELECT u.timezone AS zone, min(v.created_at) AS first, max(v.created_at) AS last \
FROM votes v JOIN units u ON u.id = v.unit_id WHERE v.id > ?1 AND v.id <= ?2 GROUP BY u.timezone";

/// Every zone a unit has.
pub const UNIT_ZONES: &str = "SELECT DISTINCT timezone AS zone, 0 AS first, 0 AS last FROM units";

// Undoing a review's rejection (`results::rejected`, `results::undo_rejection`). Scope `?1` as in
// review. A vote rejected in review was flagged before (it keeps its flag reason) and has no
// upheld appeal: a vote rejected on appeal stays rejected here.
/// Votes rejected in review within the scope, newest first, 100 a page (`?2` before).
pub const REJECTED_VOTES: &str = concat!(
    "SELECT v.id AS vote_id, v.created_at AS at, v.employee_id AS employee_id, e.name AS employee, v.unit_id AS unit_id, ",
    "u.name AS unit, u.timezone AS zone, v.score AS score, coalesce(v.flag_reason, '') AS reason, coalesce(v.comment, '') AS comment, (",
    may_review!(),
    ") AS decidable FROM votes v JOIN employees e ON e.id = v.employee_id JOIN units u ON u.id = v.unit_id WHERE ",
    rejected_in_review!(),
    " AND (?1 IS NULL OR v.unit_id IN (SELECT sc.descendant_id FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value)) ",
    "AND (?2 IS NULL OR v.id < ?2) ORDER BY v.id DESC LIMIT 100"
);

/// Vote `?2` within the scope: its status, whether review rejected it, whether the caller may
/// undo that; no row when it is not there.
pub const REVIEWED_VOTE: &str = concat!(
    "SELECT v.status AS status, (",
    rejected_in_review!(),
    ") AS rejected_in_review, (",
    may_review!(),
    ") AS decidable FROM votes v WHERE v.id = ?2 ",
    "AND (?1 IS NULL OR v.unit_id IN (SELECT sc.descendant_id FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value))"
);

/// First in an undo's batch, while the vote is still rejected: its day is recomputed by the
/// next roll-up, as after a decision (`MARK_FLAGGED_DAYS`): its local day, as the roll-up keeps
/// days (a vote after local midnight east of Greenwich is on the next day).
pub const MARK_UNDONE_DAY: &str = concat!(
    "INSERT OR IGNORE INTO rollup_dirty_days (day) SELECT ",
    local_day!("v."),
    " FROM votes v WHERE v.id = ?2 AND ",
    rejected_in_review!(),
    " AND ",
    may_review!()
);

/// The vote goes back to review (flagged, its reason kept). The audit line follows
/// (`INSERT_AUDIT_IF_CHANGED`).
pub const UNDO_REJECTION: &str = concat!(
    "UPDATE votes SET status = 'flagged' WHERE id IN (SELECT v.id FROM votes v WHERE v.id = ?2 AND ",
    rejected_in_review!(),
    " AND ",
    may_review!(),
    ")"
);

// Live figures (`results::Freshness`, docs/results.md "Fresh figures"): when the roll-up last
// ran, and how many votes of a view wait for it. The row 'votes_run' of `rollup_state` keeps
// in `watermark` the moment (unix seconds) the last complete run started: every vote that had
// arrived by then is screened and counted.
/// `?1` the run's start; never moves back (a slow run finishing after a later one).
pub const NOTE_ROLLUP_RUN: &str = "\
INSERT INTO rollup_state (name, watermark, lease_until) VALUES ('votes_run', ?1, 0) \
ON CONFLICT (name) DO UPDATE SET watermark = max(watermark, excluded.watermark)";

/// A unit's time zone (the employee view reads its period in the employee's unit's).
pub const UNIT_ZONE: &str = "SELECT timezone AS zone FROM units WHERE id = ?1";

// Bulk undo of review decisions (issue 18): several rejected votes back to review in one batch,
// by the rule of the single undo (`rejected_in_review!`, `may_review!`). `?1` the caller's write
// scope, `?2` a JSON array of vote ids, `?3` the caller's account. Votes outside the rule, or no
// longer rejected, are left as they are, as in a bulk decision.
/// First, while the votes are still rejected: one audit line per vote, as the single undo writes
/// (`?4` now, `?5` the actor).
pub const AUDIT_UNDONE_REJECTIONS: &str = concat!(
    "INSERT INTO audit_log (at, account_id, actor, action, object, detail) ",
    "SELECT ?4, ?3, ?5, 'vote_rejection_undone', 'vote:' || v.id, '{\"from\":\"rejected\",\"to\":\"flagged\"}' ",
    "FROM votes v WHERE ",
    undoable!(),
    " ORDER BY v.id"
);

/// Then their local days, for the next roll-up to recount.
pub const MARK_UNDONE_DAYS: &str = concat!(
    "INSERT OR IGNORE INTO rollup_dirty_days (day) SELECT DISTINCT ",
    local_day!("v."),
    " FROM votes v WHERE ",
    undoable!()
);

/// Then the votes themselves go back to review, their reasons kept.
pub const UNDO_REJECTIONS: &str = concat!(
    "UPDATE votes SET status = 'flagged' WHERE id IN (SELECT v.id FROM votes v WHERE ",
    undoable!(),
    ")"
);

// Month-to-date reports (`results::monthly_report`, docs/results.md "Month to date"): one
// unit's report of its open month, built by the close's builder from its subtree's rows only.
// `?1` the unit, `?2` the month. Each reads through `unit_closure`'s primary key from the unit
// (its subtree's units) and then each descendant's rows by the tables' (unit_id, month) keys,
// never the whole month of every unit as the close's `MONTH_*` do. `CROSS JOIN` keeps that
// order: left to itself SQLite reads the month's index of every unit and filters by the
// closure afterwards (40,049 rows for one office at 2,000 units; `month_to_date`).
pub const UNIT_MONTH_UNIT: &str = "SELECT id, parent_id, name FROM units WHERE id = ?1";

pub const UNIT_MONTH_CLOSURE: &str =
    "SELECT ancestor_id, descendant_id FROM unit_closure WHERE ancestor_id = ?1";

/// The subtree's totals, keyed by the unit (as `MONTH_UNIT_ROWS` keys each ancestor).
pub const UNIT_MONTH_UNIT_ROWS: &str = "\
SELECT c.ancestor_id AS key, m.score, SUM(m.counted) AS counted, SUM(m.with_contact) AS with_contact, \
       SUM(m.with_comment) AS with_comment, SUM(m.flagged) AS flagged, SUM(m.duplicates) AS duplicates, SUM(m.verified) AS verified \
FROM unit_closure c CROSS JOIN monthly_unit_stats m ON m.unit_id = c.descendant_id AND m.month = ?2 \
WHERE c.ancestor_id = ?1 GROUP BY c.ancestor_id, m.score";

pub const UNIT_MONTH_EMPLOYEE_ROWS: &str = "\
SELECT m.employee_id || ':' || m.unit_id AS key, m.score, m.counted, m.with_contact, m.with_comment, m.flagged, m.duplicates, m.verified \
FROM unit_closure c CROSS JOIN monthly_employee_stats m ON m.unit_id = c.descendant_id AND m.month = ?2 \
WHERE c.ancestor_id = ?1";

/// The names of the employees with votes in the subtree this month (by the primary key).
pub const UNIT_MONTH_EMPLOYEES: &str = "\
SELECT id, name FROM employees WHERE id IN (SELECT m.employee_id FROM unit_closure c \
  CROSS JOIN monthly_employee_stats m ON m.unit_id = c.descendant_id AND m.month = ?2 WHERE c.ancestor_id = ?1)";

/// Open cases past their due date (`?2`: now), per unit of the subtree (`cases_unit_status`).
pub const UNIT_MONTH_OVERDUE: &str = "\
SELECT k.unit_id AS unit_id, '' AS unit, COUNT(*) AS overdue FROM unit_closure c \
  CROSS JOIN cases k ON k.unit_id = c.descendant_id AND k.status IN ('new', 'in_progress') AND k.due_at < ?2 \
WHERE c.ancestor_id = ?1 GROUP BY k.unit_id";

pub const UNIT_MONTH_CRITERIA_ROWS: &str = "\
SELECT m.unit_id AS key, m.criterion_id, m.score, SUM(m.counted) AS counted \
FROM unit_closure c CROSS JOIN monthly_criteria_stats m ON m.unit_id = c.descendant_id AND m.month = ?2 \
WHERE c.ancestor_id = ?1 GROUP BY m.unit_id, m.criterion_id, m.score";

/// When the last complete roll-up started: a month-to-date report's `as_of`.
pub const LAST_ROLLUP_RUN: &str =
    "SELECT watermark AS updated_at FROM rollup_state WHERE name = 'votes_run'";
