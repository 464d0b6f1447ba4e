//! The audit log's reader and the pending links' SQL.

// The unit an audit entry concerns, read from its object (and, for an invitation or a bulk
// review, its detail): a unit, an employee's unit, a vote's, a batch's. An employee moved since
// takes its entries along. Entries about no unit (accounts, tokens, the scale) have none and
// only a superadmin (a NULL scope) reads them.
macro_rules! audit_entries {
    ($order:literal) => {
        concat!(
            "SELECT x.id AS id, x.at AS at, x.actor AS actor, x.action AS action, x.object AS object, \
x.detail AS detail, x.unit_id AS unit_id FROM (\
SELECT l.id, l.at, l.actor, l.action, l.object, l.detail, CASE \
  WHEN substr(l.object, 1, 5) = 'unit:' THEN CAST(substr(l.object, 6) AS INTEGER) \
  WHEN substr(l.object, 1, 9) = 'employee:' THEN (SELECT e.unit_id FROM employees e WHERE e.id = CAST(substr(l.object, 10) AS INTEGER)) \
  WHEN substr(l.object, 1, 5) = 'vote:' THEN (SELECT v.unit_id FROM votes v WHERE v.id = CAST(substr(l.object, 6) AS INTEGER)) \
  WHEN substr(l.object, 1, 5) = 'case:' THEN (SELECT v.unit_id FROM votes v WHERE v.id = CAST(substr(l.object, 6) AS INTEGER)) \
  WHEN substr(l.object, 1, 6) = 'votes:' AND json_valid(l.detail) THEN (SELECT v.unit_id FROM votes v WHERE v.id = json_extract(l.detail, '$.votes[0]')) \
  WHEN substr(l.object, 1, 15) = 'one_time_batch:' THEN (SELECT b.unit_id FROM one_time_batches b WHERE b.id = CAST(substr(l.object, 16) AS INTEGER)) \
  WHEN substr(l.object, 1, 6) = 'email:' AND json_valid(l.detail) THEN json_extract(l.detail, '$.unit_id') \
END AS unit_id FROM audit_log l \
WHERE (?1 IS NULL OR l.id < ?1) AND (?2 IS NULL OR l.id > ?2) \
  AND (?3 IS NULL OR l.account_id = ?3) \
  AND (?4 IS NULL OR l.account_id = (SELECT a.id FROM accounts a WHERE a.email = ?4) \
       OR l.actor IN (?4, ?4 || ' (API token)', ?4 || ' (Cloudflare Access)')) \
  AND (?5 IS NULL OR l.action = ?5) AND (?6 IS NULL OR l.at >= ?6) AND (?7 IS NULL OR l.at < ?7)) x \
WHERE ?8 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?8) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = x.unit_id) \
ORDER BY x.id ",
            $order,
            " LIMIT ?9"
        )
    };
}
/// `?1` before, `?2` after, `?3` account id, `?4` e-mail, `?5` action, `?6`/`?7` the times
/// `[from, to)`, `?8` the scope, `?9` the limit.
pub const AUDIT_OLDER: &str = audit_entries!("DESC");
pub const AUDIT_NEWER: &str = audit_entries!("ASC");
/// Open invitations in scope `?1` (a superadmin's invitation has no unit: superadmins only).
pub const PENDING_INVITATIONS: &str = "\
SELECT substr(i.token_hash, 1, 16) AS id, i.email AS email, i.role AS role, i.unit_id AS unit_id, u.name AS unit_name, \
       c.email AS invited_by, i.created_at AS created_at, i.expires_at AS expires_at \
FROM invitations i LEFT JOIN units u ON u.id = i.unit_id LEFT JOIN accounts c ON c.id = i.created_by \
WHERE i.used_at IS NULL AND i.expires_at > ?2 \
  AND (?1 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = i.unit_id)) \
ORDER BY i.created_at DESC, i.email";
/// Open grant links (superadmins make them, and only they see them); `roles` is a JSON array
/// of `[role, unit_id, unit_name]`, empty for a reset link.
pub const PENDING_GRANT_LINKS: &str = "\
SELECT substr(l.token_hash, 1, 16) AS id, a.email AS email, l.account_id AS account_id, \
       (SELECT json_group_array(json_array(json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), u.name)) \
        FROM json_each(l.grants) j LEFT JOIN units u ON u.id = json_extract(j.value, '$[1]')) AS roles, \
       c.email AS invited_by, l.created_at AS created_at, l.expires_at AS expires_at \
FROM grant_links l JOIN accounts a ON a.id = l.account_id LEFT JOIN accounts c ON c.id = l.created_by \
WHERE l.used_at IS NULL AND l.expires_at > ?1 AND a.active = 1 \
ORDER BY l.created_at DESC, a.email";
/// Revoking ends a link now: it then fails every `expires_at > now` check like an expired one.
pub const REVOKE_INVITATION: &str = "\
UPDATE invitations SET expires_at = ?2 - 1 \
WHERE substr(token_hash, 1, 16) = ?1 AND used_at IS NULL AND expires_at > ?2 \
  AND (?3 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?3) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = invitations.unit_id))";
pub const REVOKE_GRANT_LINK: &str = "\
UPDATE grant_links SET expires_at = ?2 - 1 \
WHERE substr(token_hash, 1, 16) = ?1 AND used_at IS NULL AND expires_at > ?2 AND ?3 IS NULL";
