//! The administration's SQL: sessions, accounts, invitations and tokens, the organisation
//! tree, employees and their codes, keys and the scale. `?1` is the caller's scope where a
//! statement has one (NULL: everything): the units under one of its roots in `unit_closure`.
//! Statements the import, the one-time codes or the native test store also run stay in
//! `store::sql` (`shared` in `db.rs`).

/// An account and its grants (one row per grant; role NULL when it has none).
pub const ACCOUNT_BY_SESSION: &str = "\
SELECT a.id AS id, a.email AS email, a.active AS active, g.role AS role, g.unit_id AS unit_id \
FROM sessions s JOIN accounts a ON a.id = s.account_id LEFT JOIN grants g ON g.account_id = a.id \
WHERE s.id_hash = ?1 AND s.expires_at > ?2 AND a.active = 1";

pub const ACCOUNT_BY_API_TOKEN: &str = "\
SELECT a.id AS id, a.email AS email, a.active AS active, g.role AS role, g.unit_id AS unit_id \
FROM api_tokens t JOIN accounts a ON a.id = t.account_id LEFT JOIN grants g ON g.account_id = a.id \
WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND t.expires_at > ?2 AND a.active = 1";

/// Written at most every 5 minutes per token, so scripts do not turn reads into writes.
pub const TOUCH_API_TOKEN: &str = "\
UPDATE api_tokens SET last_used_at = ?2 WHERE token_hash = ?1 AND (last_used_at IS NULL OR last_used_at < ?2 - 300)";

pub const ACCOUNT_BY_EMAIL: &str = "\
SELECT a.id AS id, a.email AS email, a.active AS active, g.role AS role, g.unit_id AS unit_id \
FROM accounts a LEFT JOIN grants g ON g.account_id = a.id WHERE a.email = ?1";

pub const ACCOUNT_BY_ID: &str = "\
SELECT a.id AS id, a.email AS email, a.active AS active, g.role AS role, g.unit_id AS unit_id \
FROM accounts a LEFT JOIN grants g ON g.account_id = a.id WHERE a.id = ?1";

pub const LOGIN_ACCOUNT: &str = "SELECT id, password_hash, active FROM accounts WHERE email = ?1";

pub const LOGIN_FAILURES: &str = "\
SELECT (SELECT COUNT(*) FROM login_failures WHERE key = ?1 AND at > ?3) AS by_email, \
       (SELECT COUNT(*) FROM login_failures WHERE key = ?2 AND at > ?3) AS by_client, \
       (SELECT MIN(at) FROM login_failures WHERE key IN (?1, ?2) AND at > ?3) AS oldest";

/// Reserves one attempt under the e-mail's key `?1` and the client's key `?2` at `?5`, only
/// if each has fewer than its limit (`?3`, `?4`) since `?6`: one statement, so concurrent
/// attempts are counted one after another and at most the limit get through. Both rows or
/// none (`RETURNING` tells which).
pub const RESERVE_LOGIN_ATTEMPT: &str = "\
INSERT INTO login_failures (key, at) \
SELECT j.value, ?5 FROM json_each(json_array(?1, ?2)) j \
WHERE (SELECT COUNT(*) FROM login_failures WHERE key = ?1 AND at > ?6) < ?3 \
  AND (SELECT COUNT(*) FROM login_failures WHERE key = ?2 AND at > ?6) < ?4 \
RETURNING rowid AS id, key";

/// A successful attempt gives its client reservation back.
pub const RELEASE_LOGIN_ATTEMPT: &str = "DELETE FROM login_failures WHERE rowid = ?1";

pub const CLEAR_LOGIN_FAILURES: &str = "DELETE FROM login_failures WHERE key = ?1";

pub const DELETE_OLD_LOGIN_FAILURES: &str = "DELETE FROM login_failures WHERE at < ?1";

pub const INSERT_SESSION: &str = "\
INSERT INTO sessions (id_hash, account_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)";

pub const DELETE_SESSION: &str = "DELETE FROM sessions WHERE id_hash = ?1";

/// Expired sessions are useless; the cron deletes them.
pub const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM sessions WHERE expires_at < ?1";

pub const PASSWORD_HASH: &str = "SELECT password_hash FROM accounts WHERE id = ?1";

pub const SET_PASSWORD: &str = "\
UPDATE accounts SET password_hash = ?2, password_changed_at = ?3 WHERE id = ?1";

pub const DELETE_OTHER_SESSIONS: &str = "\
DELETE FROM sessions WHERE account_id = ?1 AND (?2 IS NULL OR id_hash != ?2)";

pub const INSERT_AUDIT: &str = "\
INSERT INTO audit_log (at, account_id, actor, action, object, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

pub const EMAIL_TAKEN: &str = "SELECT 1 AS found FROM accounts WHERE email = ?1";

/// Only for a unit in the inviter's scope (`?7`), and only for an e-mail without an account.
pub const INSERT_INVITATION: &str = "\
INSERT INTO invitations (token_hash, email, role, unit_id, created_by, created_at, expires_at) \
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?8 \
WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE email = ?2) \
  AND (?4 IS NULL OR EXISTS (SELECT 1 FROM units WHERE id = ?4)) \
  AND (?7 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?7) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = ?4))";

pub const OPEN_INVITATION: &str = "\
SELECT email, role, unit_id FROM invitations WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2";

/// Accepting is one batch: mark used (only if still open and the e-mail is free), create the
/// account, its grant and a session, each only if the step before it wrote its row.
pub const USE_INVITATION: &str = "\
UPDATE invitations SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2 \
  AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.email = invitations.email)";

pub const INSERT_INVITED_ACCOUNT: &str = "\
INSERT INTO accounts (email, password_hash, created_at, password_changed_at) \
SELECT lower(email), ?3, ?2, ?2 FROM invitations WHERE token_hash = ?1 AND used_at = ?2 AND changes() = 1 \
RETURNING id";

pub const INSERT_INVITED_GRANT: &str = "\
INSERT INTO grants (account_id, role, unit_id) \
SELECT last_insert_rowid(), role, unit_id FROM invitations WHERE token_hash = ?1 AND used_at = ?2 AND changes() = 1";

pub const INSERT_INVITED_SESSION: &str = "\
INSERT INTO sessions (id_hash, account_id, created_at, expires_at) \
SELECT ?3, a.id, ?2, ?4 FROM invitations i JOIN accounts a ON a.email = i.email \
WHERE i.token_hash = ?1 AND i.used_at = ?2 AND changes() = 1";

pub const ACCOUNTS: &str = "\
SELECT a.id AS id, a.email AS email, a.active AS active, g.role AS role, g.unit_id AS unit_id, u.name AS unit_name, \
       a.employee_id AS employee_id, le.name AS employee_name \
FROM accounts a LEFT JOIN grants g ON g.account_id = a.id LEFT JOIN units u ON u.id = g.unit_id \
LEFT JOIN employees le ON le.id = a.employee_id \
ORDER BY a.email, g.role, g.unit_id";

pub const OTHER_SUPERADMINS: &str = "\
SELECT COUNT(*) AS n FROM grants g JOIN accounts a ON a.id = g.account_id \
WHERE g.role = 'superadmin' AND a.active = 1 AND a.id != ?1";

pub const UNITS_EXIST: &str = "\
SELECT COUNT(*) AS n FROM json_each(?1) j WHERE EXISTS (SELECT 1 FROM units WHERE id = j.value)";

pub const DELETE_GRANTS: &str = "DELETE FROM grants WHERE account_id = ?1";

/// `?2` is a JSON array of `[role, unit_id]` pairs.
pub const INSERT_GRANTS: &str = "\
INSERT INTO grants (account_id, role, unit_id) \
SELECT ?1, json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]') FROM json_each(?2) j \
WHERE EXISTS (SELECT 1 FROM accounts WHERE id = ?1)";

// Grant links (`admin::set_roles`): roles added to an existing account wait here until its
// owner accepts them with a new password. Accepting is one batch, each step only if the link
// was used by this very batch (`used_at = ?2`).
pub const INSERT_GRANT_LINK: &str = "\
INSERT INTO grant_links (token_hash, account_id, grants, created_by, created_at, expires_at) \
SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = ?2 AND active = 1)";

pub const OPEN_GRANT_LINK: &str = "\
SELECT l.account_id AS account_id, a.email AS email, l.grants AS grants FROM grant_links l \
JOIN accounts a ON a.id = l.account_id \
WHERE l.token_hash = ?1 AND l.used_at IS NULL AND l.expires_at > ?2 AND a.active = 1";

pub const USE_GRANT_LINK: &str = "\
UPDATE grant_links SET used_at = ?2 WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2 \
  AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = grant_links.account_id AND a.active = 1)";

pub const GRANT_LINK_PASSWORD: &str = "\
UPDATE accounts SET password_hash = ?3, password_changed_at = ?2 \
WHERE id = (SELECT account_id FROM grant_links WHERE token_hash = ?1 AND used_at = ?2)";

/// Every session of the account ends, the squatter's included.
pub const GRANT_LINK_SESSIONS: &str = "\
DELETE FROM sessions WHERE account_id = (SELECT account_id FROM grant_links WHERE token_hash = ?1 AND used_at = ?2)";

pub const GRANT_LINK_TOKENS: &str = "\
UPDATE api_tokens SET revoked_at = ?2 \
WHERE account_id = (SELECT account_id FROM grant_links WHERE token_hash = ?1 AND used_at = ?2) AND revoked_at IS NULL";

/// The added roles; a unit deleted meanwhile is skipped rather than failing the batch.
pub const GRANT_LINK_GRANTS: &str = "\
INSERT OR IGNORE INTO grants (account_id, role, unit_id) \
SELECT l.account_id, json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]') FROM grant_links l, json_each(l.grants) j \
WHERE l.token_hash = ?1 AND l.used_at = ?2 \
  AND (json_extract(j.value, '$[1]') IS NULL OR EXISTS (SELECT 1 FROM units WHERE id = json_extract(j.value, '$[1]')))";

pub const GRANT_LINK_SESSION: &str = "\
INSERT INTO sessions (id_hash, account_id, created_at, expires_at) \
SELECT ?3, account_id, ?2, ?4 FROM grant_links WHERE token_hash = ?1 AND used_at = ?2";

pub const GRANT_LINK_ACCOUNT: &str = "\
SELECT account_id AS id FROM grant_links WHERE token_hash = ?1 AND used_at = ?2";

/// Links account `?1` to employee `?2` (NULL: unlinks); only an existing employee.
pub const LINK_EMPLOYEE: &str = "\
UPDATE accounts SET employee_id = ?2 \
WHERE id = ?1 AND (?2 IS NULL OR EXISTS (SELECT 1 FROM employees WHERE id = ?2))";

pub const DEACTIVATE_ACCOUNT: &str = "UPDATE accounts SET active = 0 WHERE id = ?1 AND active = 1";

pub const DELETE_ACCOUNT_SESSIONS: &str = "DELETE FROM sessions WHERE account_id = ?1";

pub const REVOKE_ACCOUNT_TOKENS: &str = "\
UPDATE api_tokens SET revoked_at = ?2 WHERE account_id = ?1 AND revoked_at IS NULL";

pub const TOKENS: &str = "\
SELECT id, name, created_at, last_used_at, revoked_at, expires_at FROM api_tokens WHERE account_id = ?1 ORDER BY id DESC";

pub const INSERT_TOKEN: &str = "\
INSERT INTO api_tokens (account_id, name, token_hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id";

pub const REVOKE_TOKEN: &str = "\
UPDATE api_tokens SET revoked_at = ?3 WHERE id = ?2 AND account_id = ?1 AND revoked_at IS NULL";

/// Units in scope `?1`, parents before children.
pub const UNITS: &str = "\
SELECT u.id AS id, u.parent_id AS parent_id, u.name AS name, u.active AS active, u.timezone AS timezone, \
       u.opening_hours AS opening_hours, (SELECT MAX(depth) FROM unit_closure WHERE descendant_id = u.id) AS depth \
FROM units u \
WHERE ?1 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = u.id) \
ORDER BY depth, u.name, u.id";

pub const UNIT: &str = "\
SELECT u.id AS id, u.parent_id AS parent_id, u.name AS name, u.active AS active, u.timezone AS timezone, \
       u.opening_hours AS opening_hours, (SELECT MAX(depth) FROM unit_closure WHERE descendant_id = u.id) AS depth \
FROM units u \
WHERE u.id = ?2 AND (?1 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = u.id))";

pub const UNIT_PATH: &str = "\
SELECT u.id AS id, u.name AS name FROM unit_closure c JOIN units u ON u.id = c.ancestor_id \
WHERE c.descendant_id = ?1 ORDER BY c.depth DESC";

pub const UNIT_CHILDREN: &str = "\
SELECT u.id AS id, u.parent_id AS parent_id, u.name AS name, u.active AS active, u.timezone AS timezone, \
       u.opening_hours AS opening_hours, (SELECT MAX(depth) FROM unit_closure WHERE descendant_id = u.id) AS depth \
FROM units u WHERE u.parent_id = ?1 ORDER BY u.name, u.id";

/// Employees of the units in the JSON array `?1`, with their directions as a JSON array.
pub const EMPLOYEES_OF_UNITS: &str = "\
SELECT e.id AS id, e.name AS name, e.position AS position, e.unit_id AS unit_id, e.active AS active, \
       (SELECT json_group_array(direction_id) FROM employee_directions WHERE employee_id = e.id) AS directions \
FROM employees e JOIN json_each(?1) j ON e.unit_id = j.value ORDER BY e.name, e.id";

pub const UNIT_NETWORKS: &str = "SELECT cidr FROM unit_networks WHERE unit_id = ?1 ORDER BY cidr";

/// How many employees the unit's website form lists (as `UNIT_FORM`): active, with a current
/// website code (channel 4).
pub const UNIT_WEBSITE_CODES: &str = "\
SELECT COUNT(*) AS n FROM employees e WHERE e.unit_id = ?1 AND e.active = 1 \
  AND EXISTS (SELECT 1 FROM qr_codes c WHERE c.employee_id = e.id AND c.channel = 4 AND c.revoked_at IS NULL)";

/// Renames, (de)activates, sets the time zone or hours of a unit in scope `?1`; NULL keeps.
pub const UPDATE_UNIT: &str = "\
UPDATE units SET name = coalesce(?3, name), active = coalesce(?4, active), timezone = coalesce(?5, timezone), \
  opening_hours = coalesce(?6, opening_hours) \
WHERE id = ?2 AND (?1 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = ?2))";

pub const IS_DESCENDANT: &str = "\
SELECT 1 AS found FROM unit_closure WHERE ancestor_id = ?1 AND descendant_id = ?2";

/// Moving unit `?1` under `?2` (NULL: to the top). Runs as one batch of three, each guarded
/// against a cycle: cut the subtree from its old ancestors, join it to the new parent's, set
/// the parent.
pub const MOVE_UNIT_CUT: &str = "\
DELETE FROM unit_closure \
WHERE descendant_id IN (SELECT descendant_id FROM unit_closure WHERE ancestor_id = ?1) \
  AND ancestor_id IN (SELECT ancestor_id FROM unit_closure WHERE descendant_id = ?1 AND ancestor_id != ?1) \
  AND NOT EXISTS (SELECT 1 FROM unit_closure WHERE ancestor_id = ?1 AND descendant_id = ?2)";

pub const MOVE_UNIT_JOIN: &str = "\
INSERT INTO unit_closure (ancestor_id, descendant_id, depth) \
SELECT p.ancestor_id, s.descendant_id, p.depth + s.depth + 1 FROM unit_closure p, unit_closure s \
WHERE p.descendant_id = ?2 AND s.ancestor_id = ?1 \
  AND NOT EXISTS (SELECT 1 FROM unit_closure WHERE ancestor_id = ?1 AND descendant_id = ?2)";

pub const MOVE_UNIT_PARENT: &str = "\
UPDATE units SET parent_id = ?2 WHERE id = ?1 \
  AND NOT EXISTS (SELECT 1 FROM unit_closure WHERE ancestor_id = ?1 AND descendant_id = ?2)";

pub const UNIT_IN_SCOPE: &str = "\
SELECT 1 AS found FROM units u WHERE u.id = ?2 \
  AND (?1 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = u.id))";

pub const EMPLOYEE_IN_SCOPE: &str = "\
SELECT 1 AS found FROM employees e WHERE e.id = ?2 \
  AND (?1 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = e.unit_id))";

/// Right after `INSERT_EMPLOYEE_IN_SCOPE` (or with `?1` for an existing employee).
pub const INSERT_EMPLOYEE_DIRECTIONS: &str = "\
INSERT OR IGNORE INTO employee_directions (employee_id, direction_id) \
SELECT coalesce(?1, last_insert_rowid()), j.value FROM json_each(?2) j WHERE EXISTS (SELECT 1 FROM directions WHERE id = j.value) \
  AND (?1 IS NOT NULL OR changes() = 1)";

pub const EMPLOYEE: &str = "\
SELECT e.id AS id, e.name AS name, e.position AS position, e.unit_id AS unit_id, e.active AS active, \
       (SELECT json_group_array(direction_id) FROM employee_directions WHERE employee_id = e.id) AS directions \
FROM employees e WHERE e.id = ?2 \
  AND (?1 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = e.unit_id))";

pub const EMPLOYEE_CODES: &str = "\
SELECT channel, issue, key_id, direction_id, issued_at, revoked_at FROM qr_codes WHERE employee_id = ?1 ORDER BY channel, issue DESC";

pub const CLEAR_EMPLOYEE_DIRECTIONS: &str =
    "DELETE FROM employee_directions WHERE employee_id = ?1";

pub const EMPLOYEE_UNIT_PATH: &str = "\
SELECT u.id AS id, u.name AS name FROM employees e \
JOIN unit_closure c ON c.descendant_id = e.unit_id JOIN units u ON u.id = c.ancestor_id \
WHERE e.id = ?1 ORDER BY c.depth DESC";

pub const DIRECTIONS_EXIST: &str = "\
SELECT COUNT(*) AS n FROM directions WHERE id IN (SELECT value FROM json_each(?1))";

pub const CODE_ISSUES: &str = "\
SELECT COALESCE(MAX(issue), 0) AS issue FROM qr_codes WHERE employee_id = ?1 AND channel = ?2";

/// Active employees with a current code on channel `?4`: of unit `?2`'s subtree, or employee
/// `?3` alone; within scope `?1`.
pub const POSTER_ROWS: &str = "\
SELECT e.id AS employee, e.name AS name, e.position AS position, u.name AS unit_name, q.channel AS channel, \
       q.issue AS issue, q.key_id AS key_id \
FROM employees e JOIN units u ON u.id = e.unit_id \
JOIN qr_codes q ON q.employee_id = e.id AND q.channel = ?4 AND q.revoked_at IS NULL \
WHERE e.active = 1 \
  AND (?2 IS NULL OR EXISTS (SELECT 1 FROM unit_closure c WHERE c.ancestor_id = ?2 AND c.descendant_id = e.unit_id)) \
  AND (?3 IS NULL OR e.id = ?3) \
  AND (?1 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = e.unit_id)) \
ORDER BY u.name, e.name, e.id LIMIT 1000";

pub const CODES_PER_KEY: &str = "\
SELECT q.key_id AS key_id, COUNT(*) AS codes FROM qr_codes q JOIN employees e ON e.id = q.employee_id \
WHERE q.revoked_at IS NULL AND e.active = 1 \
  AND (?1 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = e.unit_id)) \
GROUP BY q.key_id ORDER BY q.key_id";

pub const UNITS_WITH_OLD_CODES: &str = "\
SELECT u.id AS unit_id, u.name AS name, COUNT(*) AS codes FROM qr_codes q JOIN employees e ON e.id = q.employee_id \
JOIN units u ON u.id = e.unit_id \
WHERE q.revoked_at IS NULL AND e.active = 1 AND q.key_id <> ?2 \
  AND (?1 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = e.unit_id)) \
GROUP BY u.id ORDER BY codes DESC, u.name LIMIT 200";

/// Revokes exactly the codes `REISSUE_OLD_CODES` replaced (same batch, same `?3`).
pub const REVOKE_REISSUED_CODES: &str = "\
UPDATE qr_codes SET revoked_at = ?2 WHERE revoked_at IS NULL AND key_id <> ?1 \
  AND EXISTS (SELECT 1 FROM qr_codes n WHERE n.employee_id = qr_codes.employee_id AND n.channel = qr_codes.channel \
              AND n.issue > qr_codes.issue AND n.key_id = ?1 AND n.issued_at = ?2)";

// The scale and the extra criteria, as a superadmin edits them.
/// A level that the new scale (`?1`, JSON array of values) leaves out but votes still use.
pub const SCALE_LEVEL_IN_USE: &str = "\
SELECT s.value AS value FROM scale_levels s \
WHERE s.value NOT IN (SELECT value FROM json_each(?1)) \
  AND (EXISTS (SELECT 1 FROM votes WHERE score = s.value) OR EXISTS (SELECT 1 FROM vote_criteria WHERE score = s.value)) \
LIMIT 1";

pub const CLEAR_SCALE: &str = "DELETE FROM scale_levels";

/// `?1`: JSON array of `{"value","colour","face","labels"}`, `labels` an object.
pub const INSERT_SCALE: &str = "\
INSERT INTO scale_levels (value, colour, face, labels) \
SELECT json_extract(j.value, '$.value'), json_extract(j.value, '$.colour'), json_extract(j.value, '$.face'), \
       json(json_extract(j.value, '$.labels')) FROM json_each(?1) j";

pub const INSERT_CRITERION: &str = "\
INSERT INTO criteria (code, labels, position, active) SELECT ?1, ?2, ?3, 1 \
WHERE NOT EXISTS (SELECT 1 FROM criteria WHERE code = ?1) RETURNING id";

pub const UPDATE_CRITERION: &str = "\
UPDATE criteria SET labels = coalesce(?2, labels), position = coalesce(?3, position), active = coalesce(?4, active) \
WHERE id = ?1";

pub const DIRECTIONS: &str = "SELECT id, name FROM directions ORDER BY name";

pub const INSERT_DIRECTION: &str = "\
INSERT INTO directions (name, created_at) SELECT ?1, ?2 \
WHERE NOT EXISTS (SELECT 1 FROM directions WHERE name = ?1) RETURNING id";

/// An import's rows, `?1` = a JSON array of objects: updates first, then creations, then the
/// directions of both (creations are found again by their import line, kept in `?2`).
pub const IMPORT_UPDATE: &str = "\
UPDATE employees SET name = json_extract(j.value, '$.name'), position = json_extract(j.value, '$.position'), \
  unit_id = json_extract(j.value, '$.unit'), active = json_extract(j.value, '$.active') \
FROM json_each(?1) j WHERE employees.id = json_extract(j.value, '$.id')";

pub const IMPORT_CLEAR_DIRECTIONS: &str = "\
DELETE FROM employee_directions WHERE employee_id IN (SELECT json_extract(value, '$.id') FROM json_each(?1))";

pub const IMPORT_DIRECTIONS: &str = "\
INSERT OR IGNORE INTO employee_directions (employee_id, direction_id) \
SELECT json_extract(j.value, '$.id'), d.value FROM json_each(?1) j, json_each(json_extract(j.value, '$.directions')) d";

/// Right after `IMPORT_INSERT`: one statement gives its rows consecutive ids in the order of
/// `?1`, so the k-th creation has id `last_insert_rowid() - n + 1 + k`.
pub const IMPORT_NEW_DIRECTIONS: &str = "\
INSERT OR IGNORE INTO employee_directions (employee_id, direction_id) \
SELECT last_insert_rowid() - json_array_length(?1) + 1 + j.key, d.value \
FROM json_each(?1) j, json_each(json_extract(j.value, '$.directions')) d";

/// After `INSERT_EMPLOYEE_IN_SCOPE` and its audit line (written only if the insert was).
pub const INSERT_NEW_EMPLOYEE_DIRECTIONS: &str = "\
INSERT OR IGNORE INTO employee_directions (employee_id, direction_id) \
SELECT (SELECT MAX(id) FROM employees), j.value FROM json_each(?1) j WHERE changes() = 1";

/// The names of some units (of a caller's grants, for `GET /session`).
pub const UNIT_NAMES: &str =
    "SELECT id, name FROM units WHERE id IN (SELECT value FROM json_each(?1))";
