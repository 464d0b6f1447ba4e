-- Administration: accounts with roles over subtrees of the unit tree, sessions, invitations,
-- API tokens, login throttling, the audit log, service directions, units' time zones and
-- opening hours.

-- E-mails are stored lower-cased by the application; NOCASE guards the unique key anyway.
-- password_hash: 'pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>'.
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  password_changed_at INTEGER NOT NULL
);

-- A role on a unit's subtree; superadmin has no unit. SQLite treats NULLs as distinct in a
-- UNIQUE key, hence the expression index.
CREATE TABLE grants (
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  role TEXT NOT NULL CHECK (role IN ('superadmin', 'unit_admin', 'viewer')),
  unit_id INTEGER REFERENCES units(id),
  CHECK ((role = 'superadmin') = (unit_id IS NULL))
);
CREATE UNIQUE INDEX grants_unique ON grants(account_id, role, coalesce(unit_id, 0));

-- Sessions: the cookie carries a random id and its HMAC; only the id's SHA-256 is stored, so
-- a copy of the database does not sign anybody in.
CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_account ON sessions(account_id);

-- One-time invitation links (also how the first superadmin is made). Only the hash is kept.
CREATE TABLE invitations (
  token_hash TEXT PRIMARY KEY,
  email TEXT NOT NULL COLLATE NOCASE,
  role TEXT NOT NULL CHECK (role IN ('superadmin', 'unit_admin', 'viewer')),
  unit_id INTEGER REFERENCES units(id),
  created_by INTEGER REFERENCES accounts(id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  CHECK ((role = 'superadmin') = (unit_id IS NULL))
) WITHOUT ROWID;

-- API tokens for scripts act with their account's roles; stored as SHA-256 (they are 256-bit
-- random, so a fast hash is enough).
CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX api_tokens_account ON api_tokens(account_id);

-- Failed sign-ins, keyed by a keyed hash of the e-mail or of the client; old rows are deleted
-- by the daily cron.
CREATE TABLE login_failures (
  key TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX login_failures_key ON login_failures(key, at);

-- Who did what, when, to which object. Append-only: the triggers refuse any change.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  account_id INTEGER REFERENCES accounts(id),
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  object TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '{}'
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- Service directions (напрями обслуговування): a list per instance; an employee serves any.
CREATE TABLE directions (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  created_at INTEGER NOT NULL
);
CREATE TABLE employee_directions (
  employee_id INTEGER NOT NULL REFERENCES employees(id),
  direction_id INTEGER NOT NULL REFERENCES directions(id),
  PRIMARY KEY (employee_id, direction_id)
) WITHOUT ROWID;

-- A code may be bound to a direction; its votes keep it.
ALTER TABLE qr_codes ADD COLUMN direction_id INTEGER REFERENCES directions(id);
ALTER TABLE votes ADD COLUMN direction_id INTEGER REFERENCES directions(id);

-- IANA time zone and weekly opening hours (JSON: {"mon": [["08:00", "17:00"]], ...}).
ALTER TABLE units ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE units ADD COLUMN opening_hours TEXT NOT NULL DEFAULT '{}';
