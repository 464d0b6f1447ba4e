//! The SQL of appeals and comment moderation. `?1` is always the caller's write or read scope
//! (NULL: everything), limited as everywhere by `store::sql::in_scope!`.

use crate::store::sql::{in_scope, local_day};

// Appeals (`appeal`).
/// The vote `?2` as an appeal needs it, within the scope.
pub const VOTE_FOR_APPEAL: &str = concat!(
    "SELECT v.status AS status, EXISTS (SELECT 1 FROM vote_appeals a WHERE a.vote_id = v.id) AS appealed ",
    "FROM votes v WHERE v.id = ?2 AND v.employee_id IS NOT (SELECT employee_id FROM accounts WHERE id = ?3) AND ",
    in_scope!("v.unit_id")
);
/// Files it (`?3` reason, `?4` account, `?5` now), only for a counted or flagged vote.
pub const FILE_APPEAL: &str = concat!(
    "INSERT INTO vote_appeals (vote_id, unit_id, reason, filed_by, filed_at) ",
    "SELECT v.id, v.unit_id, ?3, ?4, ?5 FROM votes v ",
    "WHERE v.id = ?2 AND v.status IN ('counted', 'flagged') ",
    "AND v.employee_id IS NOT (SELECT employee_id FROM accounts WHERE id = ?4) AND ",
    in_scope!("v.unit_id"),
    " ON CONFLICT (vote_id) DO NOTHING"
);
/// Appeals within the scope, newest first, 100 a page (`?2` open only, `?3` before a vote id).
pub const APPEALS: &str = concat!(
    "SELECT a.vote_id AS vote_id, a.unit_id AS unit_id, u.name AS unit, u.timezone AS zone, v.employee_id AS employee_id, e.name AS employee, ",
    "v.score AS score, v.created_at AS voted_at, v.status AS vote_status, a.reason AS reason, ",
    "coalesce(f.email, '') AS filed_by, a.filed_at AS filed_at, a.decision AS decision, ",
    "d.email AS decided_by, a.decided_at AS decided_at, a.note AS note ",
    "FROM vote_appeals a JOIN votes v ON v.id = a.vote_id JOIN units u ON u.id = a.unit_id ",
    "JOIN employees e ON e.id = v.employee_id LEFT JOIN accounts f ON f.id = a.filed_by ",
    "LEFT JOIN accounts d ON d.id = a.decided_by ",
    "WHERE ",
    in_scope!("a.unit_id"),
    " AND (?2 = 0 OR a.decision IS NULL) AND (?3 IS NULL OR a.vote_id < ?3) ",
    "ORDER BY a.vote_id DESC LIMIT 100"
);
/// The appeal of vote `?2` within the scope: whether it is decided and who filed it.
pub const APPEAL_STATE: &str = concat!(
    "SELECT a.decision AS decision, a.filed_by AS filed_by, a.unit_id AS unit_id, ",
    "EXISTS (SELECT 1 FROM votes ov JOIN accounts oa ON oa.employee_id = ov.employee_id WHERE ov.id = a.vote_id AND oa.id = ?3) AS own_employee ",
    "FROM vote_appeals a WHERE a.vote_id = ?2 AND ",
    in_scope!("a.unit_id")
);
// A decision is one batch (`?3` 'upheld' or 'dismissed', `?4` the deciding account, `?5` now,
// `?6` note): the vote's day marked for the roll-up and the vote rejected (upheld only), the
// appeal decided, the audit line. Each statement repeats the conditions, so a decision taken
// meanwhile by someone else, or by the account that filed the appeal, changes nothing.
/// The vote `?2` is not about the employee account `?4` belongs to.
macro_rules! not_own_employee {
    () => {
        "NOT EXISTS (SELECT 1 FROM votes ov JOIN accounts oa ON oa.employee_id = ov.employee_id WHERE ov.id = ?2 AND oa.id = ?4)"
    };
}
macro_rules! open_appeal {
    () => {
        concat!(
            "EXISTS (SELECT 1 FROM vote_appeals a WHERE a.vote_id = ?2 AND a.decision IS NULL AND a.filed_by <> ?4 AND ",
            in_scope!("a.unit_id"),
            ") AND ",
            not_own_employee!()
        )
    };
}
pub const UPHELD_APPEAL_DAY: &str = concat!(
    "INSERT OR IGNORE INTO rollup_dirty_days (day) SELECT ",
    local_day!(""),
    " FROM votes ",
    "WHERE id = ?2 AND ?3 = 'upheld' AND status IN ('counted', 'flagged') AND ",
    open_appeal!()
);
pub const REJECT_APPEALED_VOTE: &str = concat!(
    "UPDATE votes SET status = 'rejected' WHERE id = ?2 AND ?3 = 'upheld' AND status IN ('counted', 'flagged') AND ",
    open_appeal!()
);
pub const DECIDE_APPEAL: &str = concat!(
    "UPDATE vote_appeals SET decision = ?3, decided_by = ?4, decided_at = ?5, note = ?6 ",
    "WHERE vote_id = ?2 AND decision IS NULL AND filed_by <> ?4 AND ",
    not_own_employee!(),
    " AND ",
    in_scope!("unit_id")
);

// Comment moderation (`moderation`).
/// Publishes (`?3` 'published', `?4` the text shown) or withholds (`?3` 'withheld', `?4` NULL)
/// the comment of vote `?2`; `?5` account, `?6` now. A later decision replaces an earlier one.
pub const MODERATE_COMMENT: &str = concat!(
    "INSERT INTO comment_moderation (vote_id, unit_id, decision, published_text, decided_by, decided_at, voted_at) ",
    "SELECT v.id, v.unit_id, ?3, ?4, ?5, ?6, v.created_at FROM votes v ",
    "WHERE v.id = ?2 AND coalesce(v.comment, '') <> '' ",
    "AND v.employee_id IS NOT (SELECT employee_id FROM accounts WHERE id = ?5) AND ",
    in_scope!("v.unit_id"),
    " ON CONFLICT (vote_id) DO UPDATE SET decision = excluded.decision, published_text = excluded.published_text, ",
    "decided_by = excluded.decided_by, decided_at = excluded.decided_at"
);
/// Published comments of a unit's subtree (`?1`) in `[?2, ?3)`, newest first, at most 20; only
/// of votes that count. The employee is not named.
pub const PUBLISHED_COMMENTS: &str = "\
SELECT m.voted_at AS at, u.name AS unit, m.published_text AS text FROM comment_moderation m \
JOIN units u ON u.id = m.unit_id JOIN votes v ON v.id = m.vote_id \
WHERE m.decision = 'published' AND m.voted_at >= ?2 AND m.voted_at < ?3 AND v.status = 'counted' \
  AND m.unit_id IN (SELECT descendant_id FROM unit_closure WHERE ancestor_id = ?1) \
ORDER BY m.voted_at DESC LIMIT 20";
