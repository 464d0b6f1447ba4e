//! Every SQL statement civicrate runs, parameterised (`?1`…), in one place.

pub const CODE_HOLDER: &str = "\
SELECT e.id AS employee_id, e.name AS name, e.position AS position, e.active AS active, \
       u.id AS unit_id, u.name AS unit_name, \
       q.issue IS NOT NULL AS issued, q.revoked_at IS NULL AS unrevoked \
FROM employees e JOIN units u ON u.id = e.unit_id \
LEFT JOIN qr_codes q ON q.employee_id = e.id AND q.channel = ?2 AND q.issue = ?3 \
WHERE e.id = ?1";

pub const SCALE: &str = "SELECT value, colour, face, labels FROM scale_levels ORDER BY value";

/// Inserts only when the code is current, the employee active and the score on the scale,
/// so a vote costs one round trip; the caller asks why only when nothing was written.
/// The unit is the employee's unit now, kept with the vote. A repeat from the same client hash
/// (same client, same employee, same UTC day) is stored as 'duplicate': recorded, not counted,
/// and answered exactly like a counted vote so that a stuffer learns nothing.
pub const INSERT_VOTE: &str = "\
INSERT INTO votes (employee_id, unit_id, channel, qr_issue, score, comment, has_contact, lang, source, client_hash, created_at, status, flag_reason) \
SELECT e.id, e.unit_id, q.channel, q.issue, ?4, ?5, ?6, ?7, ?8, ?9, ?10, \
  CASE WHEN EXISTS (SELECT 1 FROM votes d WHERE d.employee_id = ?1 AND d.client_hash = ?9) THEN 'duplicate' \
       WHEN ?14 IS NOT NULL OR e.unit_id IN (SELECT c.descendant_id FROM unit_closure c JOIN json_each(?15) j ON c.ancestor_id = j.value) THEN 'flagged' \
       ELSE 'counted' END, \
  CASE WHEN e.unit_id IN (SELECT c.descendant_id FROM unit_closure c JOIN json_each(?15) j ON c.ancestor_id = j.value) THEN 'office_network' \
       ELSE ?14 END \
FROM employees e JOIN qr_codes q ON q.employee_id = e.id \
WHERE e.id = ?1 AND e.active = 1 AND q.channel = ?2 AND q.issue = ?3 AND q.revoked_at IS NULL \
  AND EXISTS (SELECT 1 FROM scale_levels WHERE value = ?4) \
  AND (SELECT votes FROM client_counters WHERE day = ?11 AND client_key = ?12) <= ?13";

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

/// Runs in the same batch right after `INSERT_VOTE`: `changes()` and `last_insert_rowid()`
/// still describe that insert, so the contact is written exactly when the vote was.
pub const INSERT_VOTE_CONTACT: &str = "\
INSERT INTO vote_contacts (vote_id, contact, created_at) \
SELECT last_insert_rowid(), ?1, ?2 WHERE changes() = 1";

pub const INSERT_SALT: &str = "INSERT OR IGNORE INTO client_salts (day, salt) VALUES (?1, ?2)";
pub const SELECT_SALT: &str = "SELECT salt FROM client_salts WHERE day = ?1";
pub const DELETE_OLD_SALTS: &str = "DELETE FROM client_salts WHERE day < ?1";
pub const DELETE_OLD_COUNTERS: &str = "DELETE FROM client_counters WHERE day < ?1";
pub const DELETE_OLD_CONTACTS: &str = "DELETE FROM vote_contacts WHERE created_at < ?1";

/// Inserts a unit under an existing parent (or at the root when ?2 is NULL).
pub const INSERT_UNIT: &str = "\
INSERT INTO units (parent_id, name, created_at) \
SELECT ?2, ?1, ?3 WHERE ?2 IS NULL OR EXISTS (SELECT 1 FROM units WHERE id = ?2) \
RETURNING id";

/// The new unit's closure rows: itself at depth 0 and every ancestor of its parent.
/// `last_insert_rowid()` is the unit just inserted in the same batch (closure rows live in a
/// WITHOUT ROWID table, which leaves it unchanged).
pub const INSERT_UNIT_CLOSURE: &str = "\
INSERT INTO unit_closure (ancestor_id, descendant_id, depth) \
SELECT last_insert_rowid(), last_insert_rowid(), 0 WHERE changes() = 1 \
UNION ALL \
SELECT ancestor_id, last_insert_rowid(), depth + 1 FROM unit_closure WHERE descendant_id = ?1 AND changes() = 1";

pub const INSERT_EMPLOYEE: &str = "\
INSERT INTO employees (unit_id, name, position, created_at) \
SELECT id, ?1, ?2, ?4 FROM units WHERE id = ?3 \
RETURNING id";

pub const EMPLOYEE_EXISTS: &str = "SELECT 1 AS found FROM employees WHERE id = ?1";

pub const REVOKE_CODES: &str = "\
UPDATE qr_codes SET revoked_at = ?3 WHERE employee_id = ?1 AND channel = ?2 AND revoked_at IS NULL";

/// Runs right after `INSERT_CODE` in the same batch: revokes every older issue, so a reissue
/// never leaves the employee without a code (if the insert failed, nothing newer exists).
pub const REVOKE_OLDER_CODES: &str = "\
UPDATE qr_codes SET revoked_at = ?3 WHERE employee_id = ?1 AND channel = ?2 AND revoked_at IS NULL \
  AND issue < (SELECT MAX(issue) FROM qr_codes WHERE employee_id = ?1 AND channel = ?2)";

/// The next issue number of (employee, channel), unless 65,535 are used up.
pub const INSERT_CODE: &str = "\
INSERT INTO qr_codes (employee_id, channel, issue, key_id, issued_at) \
SELECT e.id, ?2, COALESCE((SELECT MAX(issue) FROM qr_codes WHERE employee_id = ?1 AND channel = ?2), 0) + 1, ?3, ?4 \
FROM employees e WHERE e.id = ?1 \
  AND COALESCE((SELECT MAX(issue) FROM qr_codes WHERE employee_id = ?1 AND channel = ?2), 0) < 65535 \
RETURNING issue";

pub const SCORE_COUNTS: &str = "\
SELECT score, status = 'counted' AS counted, COUNT(*) AS votes FROM votes WHERE employee_id = ?1 AND created_at >= ?2 AND created_at < ?3 GROUP BY score, counted ORDER BY score";

pub const OFFICE_NETWORKS: &str = "SELECT unit_id, cidr FROM unit_networks";
pub const UNIT_EXISTS: &str = "SELECT 1 AS found FROM units WHERE id = ?1";
pub const CLEAR_UNIT_NETWORKS: &str = "DELETE FROM unit_networks WHERE unit_id = ?1";
/// Only for an existing unit, so a batch for a missing one writes nothing.
pub const INSERT_UNIT_NETWORK: &str = "\
INSERT INTO unit_networks (unit_id, cidr) SELECT ?1, ?2 WHERE EXISTS (SELECT 1 FROM units WHERE id = ?1)";
