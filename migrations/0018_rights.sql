-- Rights (docs/security.md, "Rights"): roles added to an existing account wait in a one-time
-- grant link that the granter hands to the account's owner. Accepting it sets a new password,
-- ends the account's sessions and revokes its API tokens, so whoever accepted the account's
-- original invitation in someone else's name loses it before the wider roles arrive.
CREATE TABLE grant_links (
  token_hash TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  -- JSON array of [role, unit_id] pairs to add.
  grants TEXT NOT NULL,
  created_by INTEGER REFERENCES accounts(id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
) WITHOUT ROWID;

-- The employee an account belongs to (set by a superadmin): it never acts on votes for them.
ALTER TABLE accounts ADD COLUMN employee_id INTEGER REFERENCES employees(id);
