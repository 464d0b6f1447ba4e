//! Every SQL statement not in a feature folder, parameterised (`?1`…): the vote path, the roll-up
//! and reports, and what several features run.

pub const CODE_HOLDER: &str = "\
SELECT e.id AS employee_id, e.name AS name, e.position AS position, e.active AS active, \
       u.id AS unit_id, u.name AS unit_name, \
       q.issue IS NOT NULL AS issued, q.revoked_at IS NULL AS unrevoked \
FROM employees e JOIN units u ON u.id = e.unit_id \
LEFT JOIN qr_codes q ON q.employee_id = e.id AND q.channel = ?2 AND q.issue = ?3 \
WHERE e.id = ?1";

pub const SCALE: &str = "SELECT value, colour, face, labels FROM scale_levels ORDER BY value";

/// The holder of a one-time code (`?3` its serial, `?4` now, `?5` its spent mark): used, or
/// revoked or expired with its batch, or current. `o.used` is only set on codes used before
/// migration 0017; since then a used code is a mark in `one_time_spent`.
pub const ONE_TIME_HOLDER: &str = "\
SELECT e.id AS employee_id, e.name AS name, e.position AS position, e.active AS active, \
       u.id AS unit_id, u.name AS unit_name, \
       o.serial IS NOT NULL AS issued, (b.revoked_at IS NULL AND b.expires_at > ?4) AS unrevoked, \
       (coalesce(o.used, 0) = 1 OR EXISTS (SELECT 1 FROM one_time_spent s WHERE s.mark = ?5)) AS used \
FROM employees e JOIN units u ON u.id = e.unit_id \
LEFT JOIN one_time_codes o ON o.employee_id = e.id AND o.channel = ?2 AND o.serial = ?3 \
LEFT JOIN one_time_batches b ON b.id = o.batch_id \
WHERE e.id = ?1";

/// What a vote stores besides its code: `?4`… as in `INSERT_VOTE`. A served-too-fast page
/// (`?14`) or an office network (`?15`) makes it 'flagged'. A repeat from the same network is
/// stored as any other vote: an address is not a phone (a guest Wi-Fi carries many), so the
/// hourly screening decides from the day's data which of one network's votes count.
macro_rules! vote_values {
    () => {
        "?4, ?5, ?6, ?7, ?8, ?9, ?10, \
  CASE WHEN ?14 IS NOT NULL OR e.unit_id IN (SELECT c.descendant_id FROM unit_closure c JOIN json_each(?15) j ON c.ancestor_id = j.value) THEN 'flagged' \
       ELSE 'counted' END, \
  CASE WHEN e.unit_id IN (SELECT c.descendant_id FROM unit_closure c JOIN json_each(?15) j ON c.ancestor_id = j.value) THEN 'office_network' \
       ELSE ?14 END, "
    };
}
/// The score on the scale and the client within the day's limit.
macro_rules! vote_allowed {
    () => {
        " AND EXISTS (SELECT 1 FROM scale_levels WHERE value = ?4) \
  AND (SELECT votes FROM client_counters WHERE day = ?11 AND client_key = ?12) <= ?13"
    };
}

/// Inserts only when the code is current, the employee active and the score on the scale,
/// so a vote costs one round trip; the caller asks why only when nothing was written.
/// The unit is the employee's unit now, kept with the vote. Every vote is answered alike,
/// counted or not, so that a stuffer learns nothing.
pub const INSERT_VOTE: &str = concat!(
    "INSERT INTO votes (employee_id, unit_id, channel, qr_issue, score, comment, has_contact, lang, source, client_hash, created_at, status, flag_reason, direction_id, receipt_hash, network_hash) ",
    "SELECT e.id, e.unit_id, q.channel, q.issue, ",
    vote_values!(),
    "q.direction_id, ?17, nullif(?16, '') ",
    "FROM employees e JOIN qr_codes q ON q.employee_id = e.id ",
    "WHERE e.id = ?1 AND e.active = 1 AND q.channel = ?2 AND q.issue = ?3 AND q.revoked_at IS NULL",
    vote_allowed!()
);

/// The same for a one-time code (`?3` its serial, `?18` its spent mark): only while unused,
/// its batch unrevoked and unexpired at the vote's time (`?10`). The vote is verified and
/// keeps no serial (`qr_issue` 0) and no batch: nothing stored with it names the code, so
/// nothing names the letter the code was printed on (docs/privacy.md).
pub const INSERT_ONE_TIME_VOTE: &str = concat!(
    "INSERT INTO votes (employee_id, unit_id, channel, qr_issue, score, comment, has_contact, lang, source, client_hash, created_at, status, flag_reason, direction_id, receipt_hash, network_hash, verified) ",
    "SELECT e.id, e.unit_id, o.channel, 0, ",
    vote_values!(),
    "b.direction_id, ?17, nullif(?16, ''), 1 ",
    "FROM employees e JOIN one_time_codes o ON o.employee_id = e.id JOIN one_time_batches b ON b.id = o.batch_id ",
    "WHERE e.id = ?1 AND e.active = 1 AND o.channel = ?2 AND o.serial = ?3 AND o.used = 0 ",
    "AND NOT EXISTS (SELECT 1 FROM one_time_spent s WHERE s.mark = ?18) ",
    "AND b.revoked_at IS NULL AND b.expires_at > ?10",
    vote_allowed!()
);

/// Right after `INSERT_ONE_TIME_VOTE` (`?1` the code's spent mark): the code is used up when
/// the vote was stored, and only then. The mark carries no vote id, time or batch, and the
/// table is keyed by it, so neither a join nor the order of rows ties it to the vote. A second
/// vote with the code finds the mark and inserts nothing; were it ever to get this far, the
/// mark's primary key would fail its whole batch. `changes()` is then 1 exactly when the vote
/// was stored, and `last_insert_rowid()` is still the vote's id (this table has no rowid), so
/// the contact and criteria statements after it work unchanged.
pub const USE_ONE_TIME_CODE: &str = "\
INSERT INTO one_time_spent (mark) SELECT ?1 WHERE changes() = 1";

/// `?17` is the SHA-256 of the voter's receipt (`receipt::Receipt::stored_hash`).
/// `?16` is the day's keyed hash of the client's network (`service::network_hash`).
/// `?15` is a JSON array of the units whose office networks contain the client's address: a
/// vote for an employee of any of them, or of a unit below, is flagged as a possible self-vote.
/// Runs first in the vote's batch: counts the client's vote of the day, but only for a current
/// code, so a revoked or unknown code changes nothing. `INSERT_VOTE` then refuses the vote when
/// the count is over the daily limit; the returned count tells the caller why.
pub const COUNT_CLIENT_VOTE: &str = "\
INSERT INTO client_counters (day, client_key, votes) \
SELECT ?1, ?2, 1 WHERE EXISTS ( \
  SELECT 1 FROM qr_codes q JOIN employees e ON e.id = q.employee_id \
  WHERE q.employee_id = ?3 AND q.channel = ?4 AND q.issue = ?5 AND q.revoked_at IS NULL AND e.active = 1) \
ON CONFLICT (day, client_key) DO UPDATE SET votes = votes + 1 \
RETURNING votes";
/// The same for a one-time code (`?5` its serial, `?6` now, `?7` its spent mark).
pub const COUNT_CLIENT_ONE_TIME_VOTE: &str = "\
INSERT INTO client_counters (day, client_key, votes) \
SELECT ?1, ?2, 1 WHERE EXISTS ( \
  SELECT 1 FROM one_time_codes o JOIN one_time_batches b ON b.id = o.batch_id JOIN employees e ON e.id = o.employee_id \
  WHERE o.employee_id = ?3 AND o.channel = ?4 AND o.serial = ?5 AND o.used = 0 \
    AND NOT EXISTS (SELECT 1 FROM one_time_spent s WHERE s.mark = ?7) \
    AND b.revoked_at IS NULL AND b.expires_at > ?6 AND e.active = 1) \
ON CONFLICT (day, client_key) DO UPDATE SET votes = votes + 1 \
RETURNING votes";

/// Runs in the same batch right after `INSERT_VOTE`: `changes()` and `last_insert_rowid()`
/// still describe that insert, so the contact is written exactly when the vote was.
pub const INSERT_VOTE_CONTACT: &str = "\
INSERT INTO vote_contacts (vote_id, contact, created_at) \
SELECT last_insert_rowid(), ?1, ?2 WHERE changes() = 1";

/// Last in the vote's batch, after the vote (and its contact, whose `vote_id` is its rowid, so
/// `last_insert_rowid()` is still the vote's id and `changes()` is 1 exactly when the vote
/// was stored). `?1` is a JSON array of `[criterion_id, score]`; only active criteria and
/// levels of the scale are written, and `vote_criteria` has no rowid, so nothing shifts.
pub const INSERT_VOTE_CRITERIA: &str = "\
INSERT INTO vote_criteria (vote_id, criterion_id, score) \
SELECT last_insert_rowid(), c.id, json_extract(j.value, '$[1]') \
FROM json_each(?1) j JOIN criteria c ON c.id = json_extract(j.value, '$[0]') AND c.active = 1 \
WHERE changes() = 1 AND EXISTS (SELECT 1 FROM scale_levels WHERE value = json_extract(j.value, '$[1]'))";

/// Every criterion, active or not (the vote page keeps the active ones).
pub const CRITERIA: &str =
    "SELECT id, code, labels, position, active FROM criteria ORDER BY position, id";

pub const INSERT_SALT: &str = "INSERT OR IGNORE INTO client_salts (day, salt) VALUES (?1, ?2)";
pub const SELECT_SALT: &str = "SELECT salt FROM client_salts WHERE day = ?1";
pub const DELETE_OLD_SALTS: &str = "DELETE FROM client_salts WHERE day < ?1";
pub const DELETE_OLD_COUNTERS: &str = "DELETE FROM client_counters WHERE day < ?1";
/// At the end of a roll-up that screened every vote: the network hashes of votes of days
/// before the newest vote's UTC day (today, in production), which screening no longer needs.
/// Only when no vote of those days waits past the watermark: its day's group must be whole.
/// The newest vote's day rather than the clock's, so a replayed past day keeps its hashes.
/// The `+` keeps SQLite off the time index: by it, the update walked every vote before today and
/// the check below every vote id since the watermark's day (5 million votes: 10 million rows read
/// by each hourly run, 95 s). The partial index of hashed votes and the primary key from the
/// watermark read only what is there (`the_hourly_forgetting_of_network_hashes_reads_only_hashed_votes`).
pub const FORGET_NETWORK_HASHES: &str = "\
UPDATE votes SET network_hash = NULL \
WHERE network_hash IS NOT NULL \
  AND +created_at < (SELECT max(created_at) / 86400 * 86400 FROM votes) \
  AND NOT EXISTS (SELECT 1 FROM votes u \
    WHERE u.id > (SELECT watermark FROM rollup_state WHERE name = 'votes') \
      AND +u.created_at < (SELECT max(created_at) / 86400 * 86400 FROM votes))";
pub const DELETE_OLD_CONTACTS: &str = "DELETE FROM vote_contacts WHERE created_at < ?1";

/// The new unit's closure rows: itself at depth 0 and every ancestor of its parent.
/// `last_insert_rowid()` is the unit just inserted in the same batch (closure rows live in a
/// WITHOUT ROWID table, which leaves it unchanged).
pub const INSERT_UNIT_CLOSURE: &str = "\
INSERT INTO unit_closure (ancestor_id, descendant_id, depth) \
SELECT last_insert_rowid(), last_insert_rowid(), 0 WHERE changes() = 1 \
UNION ALL \
SELECT ancestor_id, last_insert_rowid(), depth + 1 FROM unit_closure WHERE descendant_id = ?1 AND changes() = 1";

pub const EMPLOYEE_EXISTS: &str = "SELECT 1 AS found FROM employees WHERE id = ?1";

/// Runs right after `INSERT_CODE` in the same batch: revokes every older issue, so a reissue
/// never leaves the employee without a code (if the insert failed, nothing newer exists).
pub const REVOKE_OLDER_CODES: &str = "\
UPDATE qr_codes SET revoked_at = ?3 WHERE employee_id = ?1 AND channel = ?2 AND revoked_at IS NULL \
  AND issue < (SELECT MAX(issue) FROM qr_codes WHERE employee_id = ?1 AND channel = ?2)";

pub const SCORE_COUNTS: &str = "\
SELECT score, status = 'counted' AS counted, COUNT(*) AS votes FROM votes WHERE employee_id = ?1 AND created_at >= ?2 AND created_at < ?3 GROUP BY score, counted ORDER BY score";

pub const OFFICE_NETWORKS: &str = "SELECT unit_id, cidr FROM unit_networks";
pub const CLEAR_UNIT_NETWORKS: &str = "DELETE FROM unit_networks WHERE unit_id = ?1";
/// Only for an existing unit, so a batch for a missing one writes nothing.
pub const INSERT_UNIT_NETWORK: &str = "\
INSERT INTO unit_networks (unit_id, cidr) SELECT ?1, ?2 WHERE EXISTS (SELECT 1 FROM units WHERE id = ?1)";

// --- administration (what other features also run; the rest is `admin::sql`) ----------------
// A scope parameter is NULL (everything) or a JSON array of unit ids whose subtrees the caller
// holds.

/// The audit line of the change just before it in the batch, written only if that change
/// touched a row. `?5` is the object; `?7` = 1 appends the new row's id to it (creations).
pub const INSERT_AUDIT_IF_CHANGED: &str = "\
INSERT INTO audit_log (at, account_id, actor, action, object, detail) \
SELECT ?1, ?2, ?3, ?4, CASE WHEN ?7 = 1 THEN ?5 || last_insert_rowid() ELSE ?5 END, ?6 WHERE changes() > 0";

/// Under an existing parent in scope `?4`, in time zone `?5`; a top-level unit only with the
/// NULL scope.
pub const INSERT_UNIT_IN_SCOPE: &str = "\
INSERT INTO units (parent_id, name, created_at, timezone) \
SELECT ?2, ?1, ?3, ?5 WHERE (?2 IS NULL AND ?4 IS NULL) OR (EXISTS (SELECT 1 FROM units WHERE id = ?2) \
  AND (?4 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?4) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = ?2))) \
RETURNING id";

pub const INSERT_EMPLOYEE_IN_SCOPE: &str = "\
INSERT INTO employees (unit_id, name, position, created_at) \
SELECT u.id, ?1, ?2, ?4 FROM units u WHERE u.id = ?3 \
  AND (?5 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?5) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = u.id)) \
  AND (SELECT COUNT(*) FROM json_each(?6)) = (SELECT COUNT(*) FROM directions WHERE id IN (SELECT value FROM json_each(?6))) \
RETURNING id";
/// Only when the employee and the new unit (if any) are both in scope `?1`.
pub const UPDATE_EMPLOYEE: &str = "\
UPDATE employees SET name = coalesce(?3, name), position = coalesce(?4, position), active = coalesce(?5, active), \
  unit_id = coalesce(?6, unit_id) \
WHERE id = ?2 \
  AND (?1 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = employees.unit_id)) \
  AND (?6 IS NULL OR EXISTS (SELECT 1 FROM units WHERE id = ?6 \
       AND (?1 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = ?6))))";

/// Issues a code only for an employee in scope `?5`, with a direction that exists (or none).
pub const INSERT_CODE_IN_SCOPE: &str = "\
INSERT INTO qr_codes (employee_id, channel, issue, key_id, issued_at, direction_id) \
SELECT e.id, ?2, COALESCE((SELECT MAX(issue) FROM qr_codes WHERE employee_id = ?1 AND channel = ?2), 0) + 1, ?3, ?4, ?6 \
FROM employees e WHERE e.id = ?1 \
  AND COALESCE((SELECT MAX(issue) FROM qr_codes WHERE employee_id = ?1 AND channel = ?2), 0) < 65535 \
  AND (?5 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?5) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = e.unit_id)) \
  AND (?6 IS NULL OR EXISTS (SELECT 1 FROM directions WHERE id = ?6)) \
RETURNING issue";
pub const REVOKE_CODES_IN_SCOPE: &str = "\
UPDATE qr_codes SET revoked_at = ?3 WHERE employee_id = ?1 AND channel = ?2 AND revoked_at IS NULL \
  AND EXISTS (SELECT 1 FROM employees e WHERE e.id = ?1 \
    AND (?4 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?4) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = e.unit_id)))";

// Signing-key rotation: which current codes still carry an older key, and reissuing them.
// "Current" = not revoked, of an active employee: only those codes scan.
/// The next issue of every current code in the subtree of `?1` not signed with `?2`, signed
/// with `?2` at `?3`, keeping its channel and direction. `?4` is the caller's scope.
pub const REISSUE_OLD_CODES: &str = "\
INSERT INTO qr_codes (employee_id, channel, issue, key_id, issued_at, direction_id) \
SELECT q.employee_id, q.channel, q.issue + 1, ?2, ?3, q.direction_id \
FROM qr_codes q JOIN employees e ON e.id = q.employee_id \
JOIN unit_closure c ON c.descendant_id = e.unit_id AND c.ancestor_id = ?1 \
WHERE q.revoked_at IS NULL AND e.active = 1 AND q.key_id <> ?2 AND q.issue < 65535 \
  AND q.issue = (SELECT MAX(m.issue) FROM qr_codes m WHERE m.employee_id = q.employee_id AND m.channel = q.channel) \
  AND (?4 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?4) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = ?1))";

pub const IMPORT_INSERT: &str = "\
INSERT INTO employees (unit_id, name, position, active, created_at) \
SELECT json_extract(value, '$.unit'), json_extract(value, '$.name'), json_extract(value, '$.position'), \
       json_extract(value, '$.active'), ?2 FROM json_each(?1) ORDER BY key";

// Results: the cron roll-up (results::roll_up) and the reports (`results::report`). The tables are
// described in migrations/0007_results.sql.

/// The six count columns of every results table, summed from `votes`.
macro_rules! counts_of_votes {
    () => {
        "SUM(status = 'counted'), SUM(status = 'counted' AND has_contact = 1), \
         SUM(status = 'counted' AND coalesce(comment, '') <> ''), SUM(status = 'flagged'), SUM(status = 'duplicate'), \
         SUM(status = 'counted' AND verified = 1)"
    };
}
pub(crate) use counts_of_votes;
/// An upsert's addition of the six counts.
macro_rules! add_counts {
    () => {
        " DO UPDATE SET counted = counted + excluded.counted, with_contact = with_contact + excluded.with_contact, \
         with_comment = with_comment + excluded.with_comment, flagged = flagged + excluded.flagged, \
         duplicates = duplicates + excluded.duplicates, verified = verified + excluded.verified"
    };
}
pub(crate) use add_counts;
/// The new votes of an incremental step: ids in (`?1`, `?2`], and only while the watermark is
/// still `?1`. The step's batch ends by moving it to `?2`, so a step that another run already
/// applied adds nothing: no vote is ever counted twice.
macro_rules! new_votes {
    () => {
        " FROM votes WHERE id > ?1 AND id <= ?2 AND (SELECT watermark FROM rollup_state WHERE name = 'votes') = ?1 "
    };
}
pub(crate) use new_votes;
/// A vote's local day and month in its unit's zone (migration 0022, `local_day`): the offset
/// it was cast at, kept with it.
macro_rules! local_day {
    ($v:literal) => {
        concat!(
            "date(",
            $v,
            "created_at + ",
            $v,
            "local_offset * 60, 'unixepoch')"
        )
    };
}
pub(crate) use local_day;
pub const ADD_DAILY_EMPLOYEE: &str = concat!(
    "INSERT INTO daily_employee_stats (day, employee_id, unit_id, direction_id, score, counted, with_contact, with_comment, flagged, duplicates, verified) ",
    "SELECT ", local_day!(""), ", employee_id, unit_id, coalesce(direction_id, 0), score, ",
    counts_of_votes!(),
    new_votes!(),
    "GROUP BY 1, 2, 3, 4, 5 ON CONFLICT (employee_id, day, unit_id, direction_id, score)",
    add_counts!()
);
// Screening (`integrity::screen`) of an incremental step, `?1`/`?2` as in `ADD_DAILY_EMPLOYEE`.
/// The shared-address rule's input (`integrity::screen_addresses`): every counted vote up to
/// the step's end from a network the step's votes came from. A network hash is the day's, so
/// these are the same UTC day's votes; accepted ones come too (they keep their place).
pub const SCREEN_ADDRESS_VOTES: &str = "\
SELECT v.id AS id, v.employee_id AS employee, v.network_hash AS network, v.created_at AS at, \
       (v.flag_reason IS NULL) AS may_flag \
FROM votes v \
WHERE v.id <= ?2 AND v.status = 'counted' AND v.network_hash IN ( \
  SELECT network_hash FROM votes WHERE id > ?1 AND id <= ?2 AND network_hash IS NOT NULL)";

// Reports. Counts come as rows of (key, score, counted, with_contact, with_comment, flagged,
// duplicates, verified); `key` is what the report groups by (a day, a month, a unit, an employee).
// Whole months come from the monthly tables, the days at a range's ragged ends from the daily.
/// Every vote of a subtree per employee (the monthly report's best and worst): months.
pub const SUBTREE_EMPLOYEE_MONTHS: &str = "\
SELECT employee_id AS key, score, SUM(counted) AS counted, SUM(with_contact) AS with_contact, \
       SUM(with_comment) AS with_comment, SUM(flagged) AS flagged, SUM(duplicates) AS duplicates, SUM(verified) AS verified \
FROM monthly_employee_stats WHERE unit_id IN (SELECT descendant_id FROM unit_closure WHERE ancestor_id = ?1) \
  AND month >= ?2 AND month <= ?3 GROUP BY employee_id, score";
pub const EMPLOYEE_DAYS: &str = "\
SELECT day AS key, score, SUM(counted) AS counted, SUM(with_contact) AS with_contact, \
       SUM(with_comment) AS with_comment, SUM(flagged) AS flagged, SUM(duplicates) AS duplicates, SUM(verified) AS verified \
FROM daily_employee_stats WHERE employee_id = ?1 AND day >= ?2 AND day <= ?3 GROUP BY day, score";
pub const DIRECTION_DAYS: &str = "\
SELECT d.direction_id AS key, d.score, SUM(d.counted) AS counted, SUM(d.with_contact) AS with_contact, \
       SUM(d.with_comment) AS with_comment, SUM(d.flagged) AS flagged, SUM(d.duplicates) AS duplicates, SUM(d.verified) AS verified \
FROM daily_employee_stats d WHERE d.day >= ?2 AND d.day <= ?3 AND d.direction_id <> 0 \
  AND (?1 IS NULL OR d.unit_id IN (SELECT sc.descendant_id FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value)) \
GROUP BY d.direction_id, d.score";
/// Every unit's subtree for one month.
pub const MONTH_UNIT_ROWS: &str = "\
SELECT c.ancestor_id AS key, m.score, SUM(m.counted) AS counted, SUM(m.with_contact) AS with_contact, \
       SUM(m.with_comment) AS with_comment, SUM(m.flagged) AS flagged, SUM(m.duplicates) AS duplicates, SUM(m.verified) AS verified \
FROM monthly_unit_stats m JOIN unit_closure c ON c.descendant_id = m.unit_id WHERE m.month = ?1 \
GROUP BY c.ancestor_id, m.score";
pub const MONTH_EMPLOYEE_ROWS: &str = "\
SELECT employee_id || ':' || unit_id AS key, score, counted, with_contact, with_comment, flagged, duplicates, verified \
FROM monthly_employee_stats WHERE month = ?1";

// Review of flagged votes (`results::flagged`, `results::decide`). Scope `?1` as everywhere.
/// First in a decision's batch, while the votes are still flagged: their days are recomputed
/// by the next roll-up, so the results follow the decision. Nobody audits themselves: only
/// votes of units strictly below the caller's unit-admin grants (`depth > 0`; superadmins
/// pass NULL), and never votes for the employee the caller's account belongs to (`?3`).
pub const MARK_FLAGGED_DAYS: &str = "\
INSERT OR IGNORE INTO rollup_dirty_days (day) \
SELECT DISTINCT date(v.created_at + v.local_offset * 60, 'unixepoch') FROM votes v \
WHERE v.id IN (SELECT value FROM json_each(?2)) AND v.status = 'flagged' \
  AND (?1 IS NULL OR v.unit_id IN (SELECT sc.descendant_id FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value WHERE sc.depth > 0)) \
  AND v.employee_id IS NOT (SELECT employee_id FROM accounts WHERE id = ?3)";
/// `?3`: 'counted' (accepted) or 'rejected'; `?4` the deciding account. The audit line follows
/// (`INSERT_AUDIT_IF_CHANGED`).
pub const DECIDE_FLAGGED: &str = "\
UPDATE votes SET status = ?3 \
WHERE id IN (SELECT value FROM json_each(?2)) AND status = 'flagged' \
  AND (?1 IS NULL OR unit_id IN (SELECT sc.descendant_id FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value WHERE sc.depth > 0)) \
  AND employee_id IS NOT (SELECT employee_id FROM accounts WHERE id = ?4)";

// The feedback inbox. Cases are opened in the roll-up's incremental step (`?1`/`?2` as in
// `ADD_DAILY_EMPLOYEE`, `?3` the deadline in seconds), for votes that are not repeats and need
// an answer: any that left a contact (the citizen expects one), and a comment with a score below
// the scale's top level. Praise (a comment at the top level, no contact) opens no case: it stays
// in the comments, where it can be published, and would otherwise fill the inbox with 30-day
// deadlines nobody has to meet (docs/results.md, "the feedback inbox").
/// Changes a case within a write scope (`?1`): status `?3`, assignee `?4` (0 clears it).
pub const UPDATE_CASE: &str = "\
UPDATE cases SET status = coalesce(?3, status), \
  assignee_id = CASE WHEN ?4 IS NULL THEN assignee_id WHEN ?4 = 0 THEN NULL ELSE ?4 END, updated_at = ?5 \
WHERE vote_id = ?2 \
  AND (?1 IS NULL OR unit_id IN (SELECT sc.descendant_id FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value)) \
  AND (?4 IS NULL OR ?4 = 0 OR EXISTS (SELECT 1 FROM accounts WHERE id = ?4 AND active = 1)) \
  AND employee_id IS NOT (SELECT employee_id FROM accounts WHERE id = ?6)";

// `?1` the caller's write or read scope (NULL: everything), in any statement that limits by it.
macro_rules! in_scope {
    ($column:literal) => {
        concat!(
            "(?1 IS NULL OR ",
            $column,
            " IN (SELECT sc.descendant_id FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value))"
        )
    };
}
/// Features' own SQL (`one_time::sql`) limits by the caller's scope the same way.
pub(crate) use in_scope;
/// A unit's website form (`/f/{unit}`): the unit, if active, and its active employees with a
/// current website code (channel 4), by name.
pub const UNIT_FORM: &str = "\
SELECT u.name AS unit, e.id AS employee_id, e.name AS name, e.position AS position, q.issue AS issue \
FROM units u LEFT JOIN employees e ON e.unit_id = u.id AND e.active = 1 \
  AND EXISTS (SELECT 1 FROM qr_codes c WHERE c.employee_id = e.id AND c.channel = 4 AND c.revoked_at IS NULL) \
LEFT JOIN qr_codes q ON q.employee_id = e.id AND q.channel = 4 AND q.revoked_at IS NULL \
WHERE u.id = ?1 AND u.active = 1 ORDER BY e.name, e.id";

// Receipts (`receipt`).
pub const SAVE_DIGEST: &str = "\
INSERT INTO monthly_digests (month, root, counted, made_at) VALUES (?1, ?2, ?3, ?4) \
ON CONFLICT (month) DO UPDATE SET root = excluded.root, counted = excluded.counted, made_at = excluded.made_at";

// Scale (`shard`, `store::record`, docs/scale.md).
/// First in a queued vote's batch: a key already written fails the batch, so a second
/// delivery of a message writes nothing (the consumer then finds the key and acknowledges).
pub const INSERT_QUEUED_KEY: &str = "INSERT INTO queued_votes (key, written_at) VALUES (?1, ?2)";
pub const QUEUED_KEY_EXISTS: &str = "SELECT 1 AS found FROM queued_votes WHERE key = ?1";
pub const DELETE_OLD_QUEUED_KEYS: &str = "DELETE FROM queued_votes WHERE written_at < ?1";
/// A shard's month as the national view keeps it: its units' own votes per score.
pub const SHARD_MONTH: &str = "\
SELECT unit_id, score, counted, flagged, duplicates, verified FROM monthly_unit_stats WHERE month = ?1 \
ORDER BY unit_id, score";
/// What the national table holds of one shard's month, in `SHARD_MONTH`'s shape.
pub const NATIONAL_SHARD_MONTH: &str = "\
SELECT unit_id, score, counted, flagged, duplicates, verified FROM national_unit_months WHERE shard = ?1 AND month = ?2 \
ORDER BY unit_id, score";
/// `?3` is a JSON array of `[unit_id, score]` gone from the shard's month.
pub const DELETE_NATIONAL_ROWS: &str = "\
DELETE FROM national_unit_months WHERE shard = ?1 AND month = ?2 AND EXISTS ( \
  SELECT 1 FROM json_each(?3) j WHERE json_extract(j.value, '$[0]') = unit_id AND json_extract(j.value, '$[1]') = score)";
/// `?4` is a JSON array of new or changed `[unit_id, score, counted, flagged, duplicates, verified]`.
pub const UPSERT_NATIONAL_ROWS: &str = "\
INSERT OR REPLACE INTO national_unit_months (shard, month, unit_id, score, counted, flagged, duplicates, verified, collected_at) \
SELECT ?1, ?2, json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]'), \
  json_extract(j.value, '$[3]'), json_extract(j.value, '$[4]'), json_extract(j.value, '$[5]'), ?3 FROM json_each(?4) j";
pub const NATIONAL_MONTH: &str = "\
SELECT shard, unit_id, score, counted, flagged, duplicates, verified FROM national_unit_months WHERE month = ?1";

// Coarsening of stored vote times (`vote_time`), by the hourly cron after the roll-up.
/// How far coarsening went, how far screening went, and the oldest unscreened vote's moment.
pub const COARSENING_STATE: &str = "\
SELECT (SELECT through_vote FROM time_coarsening WHERE id = 1) AS through_vote, \
       (SELECT watermark FROM rollup_state WHERE name = 'votes') AS watermark, \
       (SELECT min(created_at) FROM votes WHERE id > (SELECT watermark FROM rollup_state WHERE name = 'votes')) AS oldest_unscreened";
/// The last vote id of a step (`?1` coarsened through, `?2` at most this id, screened; `?3`
/// the cut): every vote after `?1` up to it is older than the cut. A vote id is assigned at
/// arrival, so a newer vote stops the step and waits, with those after it, for a later run.
macro_rules! coarsen_stop {
    () => {
        "min(?2, coalesce((SELECT min(id) - 1 FROM votes WHERE id > ?1 AND id <= ?2 AND created_at >= ?3), ?2))"
    };
}
/// Each statement only while coarsening is still at `?1` (no other run did this step).
macro_rules! coarsening_at {
    () => {
        " AND (SELECT through_vote FROM time_coarsening WHERE id = 1) = ?1"
    };
}
/// A step's batch, in this order: the votes' times to their half hour (`?4`, seconds), then
/// the copies of those times in cases (opened at the vote's moment, due a deadline later) and
/// in comment moderation, then the mark.
pub const COARSEN_VOTE_TIMES: &str = concat!(
    "UPDATE votes SET created_at = created_at - created_at % ?4 WHERE id > ?1 AND id <= ",
    coarsen_stop!(),
    " AND created_at % ?4 <> 0",
    coarsening_at!()
);
pub const COARSEN_CASE_TIMES: &str = concat!(
    "UPDATE cases SET created_at = created_at - created_at % ?4, due_at = due_at - due_at % ?4, ",
    "updated_at = CASE WHEN updated_at = created_at THEN created_at - created_at % ?4 ELSE updated_at END ",
    "WHERE vote_id > ?1 AND vote_id <= ",
    coarsen_stop!(),
    " AND created_at % ?4 <> 0",
    coarsening_at!()
);
pub const COARSEN_MODERATION_TIMES: &str = concat!(
    "UPDATE comment_moderation SET voted_at = voted_at - voted_at % ?4 WHERE vote_id > ?1 AND vote_id <= ",
    coarsen_stop!(),
    " AND voted_at % ?4 <> 0",
    coarsening_at!()
);
pub const ADVANCE_COARSENING: &str = concat!(
    "UPDATE time_coarsening SET through_vote = ",
    coarsen_stop!(),
    " WHERE id = 1 AND through_vote = ?1"
);

// Local days (migration 0022, `local_day`): each vote's offset from UTC in its unit's zone.
/// A vote `v`'s offset from `?3`, a JSON array of `[zone, start, end, offset]` spans from the
/// runtime's `Intl`; a zone with no span (UTC, or unknown to the runtime) reads as UTC.
macro_rules! new_offset {
    () => {
        "coalesce((SELECT json_extract(j.value, '$[3]') FROM units u, json_each(?3) j \
         WHERE u.id = v.unit_id AND json_extract(j.value, '$[0]') = u.timezone \
         AND v.created_at >= json_extract(j.value, '$[1]') AND v.created_at < json_extract(j.value, '$[2]') LIMIT 1), 0)"
    };
}
pub(crate) use new_offset;
/// Sets the offsets of some votes, writing only those whose offset changes.
macro_rules! set_offsets {
    ($votes:literal) => {
        concat!(
            "UPDATE votes SET local_offset = x.o FROM (SELECT v.id AS id, ",
            new_offset!(),
            " AS o FROM votes v WHERE ",
            $votes,
            ") AS x WHERE votes.id = x.id AND votes.local_offset <> x.o"
        )
    };
}
pub(crate) use set_offsets;
/// First in an incremental step's batch (`?1`/`?2` as in `ADD_DAILY_EMPLOYEE`): the step's
/// votes get their offsets before they are counted.
pub const SET_STEP_OFFSETS: &str = set_offsets!(
    "v.id > ?1 AND v.id <= ?2 AND (SELECT watermark FROM rollup_state WHERE name = 'votes') = ?1"
);

macro_rules! rejected_in_review {
    () => {
        "v.status = 'rejected' AND v.flag_reason IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM vote_appeals ap WHERE ap.vote_id = v.id AND ap.decision = 'upheld')"
    };
}
pub(crate) use rejected_in_review;
/// Who may undo: as who may decide (`DECIDE_FLAGGED`), strictly below the caller's unit-admin
/// grants and never about the employee the caller's account belongs to (`?3`).
macro_rules! may_review {
    () => {
        "(?1 IS NULL OR v.unit_id IN (SELECT sc.descendant_id FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value WHERE sc.depth > 0)) \
         AND v.employee_id IS NOT (SELECT employee_id FROM accounts WHERE id = ?3)"
    };
}
pub(crate) use may_review;

// Live figures (`results::Freshness`, docs/results.md "Fresh figures"): when the roll-up last
// ran, and how many votes of a view wait for it. The row 'votes_run' of `rollup_state` keeps
// in `watermark` the moment (unix seconds) the last complete run started: every vote that had
// arrived by then is screened and counted.
/// The waiting votes are read from the vote after the watermark on, by the primary key
/// (`SEARCH v USING INTEGER PRIMARY KEY (rowid>?)`): the unary `+` keeps the planner off the
/// time and unit indexes, which would read the whole period. What follows the watermark is the
/// last hour's votes, so the read stays small however many votes the table holds
/// (`live_results::waiting_votes_are_read_by_the_primary_key_from_the_watermark_on`).
/// Only votes still 'counted' wait: duplicates and office-network votes never will be.
/// `?4` the view's zone's offset now, in seconds: the local day of each waiting vote.
/// The votes are read once into `w` (materialised), then told four ways in one statement, so
/// the live part of a view is one D1 round trip: a row `all` (the run's moment, the count and
/// the score sum), a row per local `day`, per `score`, and per `criterion` and score (the
/// criteria answers of the waiting votes, by `vote_criteria`'s primary key).
macro_rules! waiting_votes {
    () => {
        "WITH w AS MATERIALIZED (SELECT v.id, v.score, date(v.created_at + ?4, 'unixepoch') AS day \
         FROM votes v \
         WHERE v.id > (SELECT watermark FROM rollup_state WHERE name = 'votes') \
         AND +v.created_at >= ?2 AND +v.created_at < ?3 AND +v.status = 'counted' AND "
    };
}
macro_rules! waiting_figures {
    () => {
        ") SELECT 'all' AS kind, (SELECT watermark FROM rollup_state WHERE name = 'votes_run') AS updated_at, \
         NULL AS day, NULL AS criterion_id, NULL AS score, COUNT(*) AS n, TOTAL(w.score) AS score_sum FROM w \
         UNION ALL SELECT 'day', NULL, w.day, NULL, NULL, COUNT(*), TOTAL(w.score) FROM w GROUP BY w.day \
         UNION ALL SELECT 'score', NULL, NULL, NULL, w.score, COUNT(*), TOTAL(w.score) FROM w GROUP BY w.score \
         UNION ALL SELECT 'criterion', NULL, NULL, c.criterion_id, c.score, COUNT(*), TOTAL(c.score) \
         FROM w JOIN vote_criteria c ON c.vote_id = w.id GROUP BY c.criterion_id, c.score"
    };
}
/// `?1` the unit (its whole subtree), `?2`/`?3` the period's bounds in unix seconds.
pub const LIVE_UNIT: &str = concat!(
    waiting_votes!(),
    "+v.unit_id IN (SELECT descendant_id FROM unit_closure WHERE ancestor_id = ?1)",
    waiting_figures!()
);
/// `?1` the employee, wherever the votes were cast (as `EMPLOYEE_DAYS`).
pub const LIVE_EMPLOYEE: &str =
    concat!(waiting_votes!(), "+v.employee_id = ?1", waiting_figures!());
/// `?1` the caller's scope (JSON array of units, or NULL for all), as `DIRECTION_DAYS`.
pub const LIVE_DIRECTIONS: &str = concat!(
    waiting_votes!(),
    "v.direction_id IS NOT NULL AND (?1 IS NULL OR +v.unit_id IN ",
    "(SELECT sc.descendant_id FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value))",
    waiting_figures!()
);
