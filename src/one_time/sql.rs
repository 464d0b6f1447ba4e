//! The one-time codes' SQL. `?1` is always the caller's write scope (NULL: everything),
//! limited as everywhere by `store::sql::in_scope!`. The vote path's use of a code (its holder,
//! its spent mark) is the vote's own SQL, in `store::sql`.

use crate::store::sql::in_scope;

/// The active unit `?2` within the scope (one row with `employee_id` NULL when it has no active
/// employees), with each active employee's highest serial on channel `?3`.
pub const ONE_TIME_UNIT_EMPLOYEES: &str = concat!(
    "SELECT e.id AS employee_id, ",
    "coalesce((SELECT max(o.serial) FROM one_time_codes o WHERE o.employee_id = e.id AND o.channel = ?3), 0) AS last_serial ",
    "FROM units u LEFT JOIN employees e ON e.unit_id = u.id AND e.active = 1 ",
    "WHERE u.id = ?2 AND u.active = 1 AND ",
    in_scope!("u.id"),
    " ORDER BY e.name, e.id"
);
/// First in a batch's D1 batch (`?2` unit, `?3` channel, `?4` direction, `?5` document, `?6`
/// codes, `?7` account, `?8` now, `?9` expiry): nothing for a unit outside the scope or an
/// unknown direction.
pub const INSERT_ONE_TIME_BATCH: &str = concat!(
    "INSERT INTO one_time_batches (unit_id, channel, direction_id, document, codes, issued_by, issued_at, expires_at) ",
    "SELECT u.id, ?3, ?4, ?5, ?6, ?7, ?8, ?9 FROM units u WHERE u.id = ?2 AND u.active = 1 AND ",
    in_scope!("u.id"),
    " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM directions WHERE id = ?4)) RETURNING id"
);
/// Right after it, only if it wrote the batch (`changes()`), whose id `last_insert_rowid()`
/// still is: `?4` codes for each employee in `?2` (a JSON array) of unit `?1` on channel `?3`,
/// signed with key `?5`. Each employee's serials continue from their highest on the channel;
/// SQLite materialises the select before inserting, since it reads the table it writes.
pub const INSERT_ONE_TIME_CODES: &str = "\
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?4) \
INSERT INTO one_time_codes (employee_id, channel, serial, key_id, batch_id) \
SELECT e.id, ?3, (SELECT coalesce(max(o.serial), 0) FROM one_time_codes o WHERE o.employee_id = e.id AND o.channel = ?3) + n.i, \
       ?5, last_insert_rowid() \
FROM employees e JOIN json_each(?2) j ON e.id = j.value JOIN n \
WHERE e.unit_id = ?1 AND e.active = 1 AND changes() = 1";
macro_rules! one_time_batch_view {
    () => {
        "SELECT b.id AS id, b.unit_id AS unit_id, u.name AS unit, b.channel AS channel, b.direction_id AS direction_id, \
         b.document AS document, b.codes AS codes, \
         (SELECT COUNT(*) FROM one_time_codes o WHERE o.batch_id = b.id AND o.used = 1) AS legacy_used, \
         coalesce(a.email, '') AS issued_by, b.issued_at AS issued_at, b.expires_at AS expires_at, b.revoked_at AS revoked_at \
         FROM one_time_batches b JOIN units u ON u.id = b.unit_id LEFT JOIN accounts a ON a.id = b.issued_by "
    };
}
/// Batch `?2` within the scope.
pub const ONE_TIME_BATCH: &str = concat!(
    one_time_batch_view!(),
    "WHERE b.id = ?2 AND ",
    in_scope!("b.unit_id")
);
/// Unit `?2`'s last 100 batches within the scope.
pub const ONE_TIME_BATCHES: &str = concat!(
    one_time_batch_view!(),
    "WHERE b.unit_id = ?2 AND ",
    in_scope!("b.unit_id"),
    " ORDER BY b.id DESC LIMIT 100"
);
/// A batch's codes, without whether each was used: that is never shown per code.
pub const ONE_TIME_CODES: &str = "\
SELECT o.employee_id AS employee_id, e.name AS name, e.position AS position, o.serial AS serial, \
       o.key_id AS key_id \
FROM one_time_codes o JOIN employees e ON e.id = o.employee_id \
WHERE o.batch_id = ?1 ORDER BY e.name, o.employee_id, o.serial";
/// The codes of the batches in `?1` (a JSON array of ids), for their spent marks.
pub const ONE_TIME_CODE_KEYS: &str = "\
SELECT o.batch_id AS batch, o.employee_id AS employee_id, o.serial AS serial, o.key_id AS key_id \
FROM one_time_codes o WHERE o.batch_id IN (SELECT value FROM json_each(?1))";
/// `?1` a JSON array of `[batch_id, mark]`: how many marks are spent, per batch.
pub const ONE_TIME_SPENT_COUNTS: &str = "\
SELECT json_extract(j.value, '$[0]') AS batch, COUNT(*) AS used \
FROM json_each(?1) j JOIN one_time_spent s ON s.mark = json_extract(j.value, '$[1]') GROUP BY 1";
/// `?3` now; the audit line follows (`INSERT_AUDIT_IF_CHANGED`).
pub const REVOKE_ONE_TIME_BATCH: &str = concat!(
    "UPDATE one_time_batches SET revoked_at = ?3 WHERE id = ?2 AND revoked_at IS NULL AND ",
    in_scope!("unit_id")
);
