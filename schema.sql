-- The whole civicrate schema: what migrations/ yields when applied in order.
-- tests keep the two equal; change both (add a migration, then update this file).


-- The organisation: a tree of units of any depth.
CREATE TABLE units (
  id INTEGER PRIMARY KEY,
  parent_id INTEGER REFERENCES units(id),
  name TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  -- IANA time zone and weekly opening hours (JSON: {"mon": [["08:00", "17:00"]], ...}).
  timezone TEXT NOT NULL DEFAULT 'UTC',
  opening_hours TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX units_parent ON units(parent_id);

-- Closure of the unit tree: one row per (ancestor, descendant), itself included at depth 0.
-- Subtree queries join on it; path prefixes with LIKE would break on deep trees (D1 caps
-- LIKE patterns at 50 bytes).
CREATE TABLE unit_closure (
  ancestor_id INTEGER NOT NULL REFERENCES units(id),
  descendant_id INTEGER NOT NULL REFERENCES units(id),
  depth INTEGER NOT NULL,
  PRIMARY KEY (ancestor_id, descendant_id)
) WITHOUT ROWID;
CREATE INDEX unit_closure_descendant ON unit_closure(descendant_id, ancestor_id);

CREATE TABLE employees (
  id INTEGER PRIMARY KEY,
  unit_id INTEGER NOT NULL REFERENCES units(id),
  name TEXT NOT NULL,
  position TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL
);
CREATE INDEX employees_unit ON employees(unit_id);

-- Issued QR codes. A token names (employee, channel, issue); only the newest unrevoked issue
-- of a pair is accepted, so reissuing revokes the printed predecessor.
CREATE TABLE qr_codes (
  employee_id INTEGER NOT NULL REFERENCES employees(id),
  channel INTEGER NOT NULL DEFAULT 0 CHECK (channel BETWEEN 0 AND 255),
  issue INTEGER NOT NULL CHECK (issue BETWEEN 1 AND 65535),
  key_id INTEGER NOT NULL,
  issued_at INTEGER NOT NULL,
  revoked_at INTEGER,
  -- A code may be bound to a service direction; its votes keep it.
  direction_id INTEGER REFERENCES directions(id),
  PRIMARY KEY (employee_id, channel, issue)
) WITHOUT ROWID;

-- The rating scale is data: levels with a colour, a face and labels per language (JSON).
CREATE TABLE scale_levels (
  value INTEGER PRIMARY KEY CHECK (value BETWEEN 0 AND 100),
  colour TEXT NOT NULL,
  face TEXT NOT NULL DEFAULT '',
  labels TEXT NOT NULL
);

-- Optional extra criteria rated apart from the employee (premises, waiting time, ...).
CREATE TABLE criteria (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  labels TEXT NOT NULL,
  position INTEGER NOT NULL DEFAULT 0,
  active INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE votes (
  id INTEGER PRIMARY KEY,
  employee_id INTEGER NOT NULL REFERENCES employees(id),
  -- The unit the employee belonged to when the vote was cast: moving an employee later
  -- leaves past votes with the unit that earned them.
  unit_id INTEGER NOT NULL REFERENCES units(id),
  channel INTEGER NOT NULL DEFAULT 0,
  qr_issue INTEGER NOT NULL,
  score INTEGER NOT NULL,
  comment TEXT,
  has_contact INTEGER NOT NULL DEFAULT 0,
  lang TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('form', 'api')),
  -- Keyed hash of (client address, user agent, employee) under a salt that changes daily;
  -- never the address or user agent themselves.
  client_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  -- 'counted' votes enter official results; 'duplicate' = a repeat from the same client for
  -- the same employee on the same UTC day; 'flagged' = doubted by an integrity rule, with its
  -- reason, until reviewed. Only 'counted' votes enter results.
  status TEXT NOT NULL DEFAULT 'counted',
  flag_reason TEXT,
  direction_id INTEGER REFERENCES directions(id)
);
CREATE INDEX votes_employee_client ON votes(employee_id, client_hash);
CREATE INDEX votes_employee_time ON votes(employee_id, created_at);
CREATE INDEX votes_unit_time ON votes(unit_id, created_at);
CREATE INDEX votes_time ON votes(created_at);

-- Contacts live apart from votes so that access and retention can differ.
CREATE TABLE vote_contacts (
  vote_id INTEGER PRIMARY KEY REFERENCES votes(id) ON DELETE CASCADE,
  contact TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE vote_criteria (
  vote_id INTEGER NOT NULL REFERENCES votes(id) ON DELETE CASCADE,
  criterion_id INTEGER NOT NULL REFERENCES criteria(id),
  score INTEGER NOT NULL,
  PRIMARY KEY (vote_id, criterion_id)
) WITHOUT ROWID;

-- The random salt of each UTC day for client hashes; old days are deleted so that a
-- day-old hash cannot be recomputed from an address.
CREATE TABLE client_salts (
  day TEXT PRIMARY KEY,
  salt TEXT NOT NULL
) WITHOUT ROWID;

-- Anti-stuffing across employees: votes per client per UTC day, under a key that (unlike the
-- vote's client hash) leaves out the employee. Kept apart from votes so that no vote row links
-- one client's votes for different employees. Deleted with the day's salt by the daily cron.
CREATE TABLE client_counters (
  day TEXT NOT NULL,
  client_key TEXT NOT NULL,
  votes INTEGER NOT NULL,
  PRIMARY KEY (day, client_key)
) WITHOUT ROWID;

-- Office networks: CIDR ranges a unit declares. Votes from them for an employee of that unit
-- (or of any unit below it) are flagged as possible self-votes.
CREATE TABLE unit_networks (
  unit_id INTEGER NOT NULL REFERENCES units(id),
  cidr TEXT NOT NULL,
  PRIMARY KEY (unit_id, cidr)
) WITHOUT ROWID;

-- The default scale: three smileys.
INSERT INTO scale_levels (value, colour, face, labels) VALUES
  (1, '#d93025', 'frown', '{"uk":"Задовільно","ru":"Удовлетворительно","kk":"Қанағаттанарлық","fa":"رضایت‌بخش","en":"Satisfactory"}'),
  (2, '#f9ab00', 'flat', '{"uk":"Добре","ru":"Хорошо","kk":"Жақсы","fa":"خوب","en":"Good"}'),
  (3, '#188038', 'smile', '{"uk":"Зразково","ru":"Образцово","kk":"Үлгілі","fa":"عالی","en":"Exemplary"}');

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

-- Results (issue 4). The cron roll-up (results::roll_up) fills these tables from `votes`; reports
-- read only them. Days and months are UTC, written 'YYYY-MM-DD' and 'YYYY-MM'. New votes are
-- added in steps that also move the watermark (one batch each, so a step is applied once or not
-- at all); a day or a month can be recomputed whole from the votes (corrections, reviews).
-- Every table holds a unit's own votes: subtrees are summed when read, through the closure
-- table, so moving a unit needs no recomputation.

-- Counts of one kind of vote: `counted` votes make the official result; `with_contact` and
-- `with_comment` are among the counted; `flagged` votes wait for review and `duplicates` are
-- repeats from one client, both left out.

-- Per employee × day × the unit the vote was cast in × service direction (0: none) × score.
CREATE TABLE daily_employee_stats (
  day TEXT NOT NULL,
  employee_id INTEGER NOT NULL,
  unit_id INTEGER NOT NULL,
  direction_id INTEGER NOT NULL,
  score INTEGER NOT NULL,
  counted INTEGER NOT NULL,
  with_contact INTEGER NOT NULL,
  with_comment INTEGER NOT NULL,
  flagged INTEGER NOT NULL,
  duplicates INTEGER NOT NULL,
  PRIMARY KEY (employee_id, day, unit_id, direction_id, score)
) WITHOUT ROWID;
CREATE INDEX daily_employee_stats_day ON daily_employee_stats(day);
CREATE INDEX daily_employee_stats_unit ON daily_employee_stats(unit_id, day);

-- Per unit × day × score: the unit's own votes, not its subtree's.
CREATE TABLE daily_unit_stats (
  day TEXT NOT NULL,
  unit_id INTEGER NOT NULL,
  score INTEGER NOT NULL,
  counted INTEGER NOT NULL,
  with_contact INTEGER NOT NULL,
  with_comment INTEGER NOT NULL,
  flagged INTEGER NOT NULL,
  duplicates INTEGER NOT NULL,
  PRIMARY KEY (unit_id, day, score)
) WITHOUT ROWID;
CREATE INDEX daily_unit_stats_day ON daily_unit_stats(day);

-- Per unit × month × score: the unit's own votes.
CREATE TABLE monthly_unit_stats (
  month TEXT NOT NULL,
  unit_id INTEGER NOT NULL,
  score INTEGER NOT NULL,
  counted INTEGER NOT NULL,
  with_contact INTEGER NOT NULL,
  with_comment INTEGER NOT NULL,
  flagged INTEGER NOT NULL,
  duplicates INTEGER NOT NULL,
  PRIMARY KEY (unit_id, month, score)
) WITHOUT ROWID;
CREATE INDEX monthly_unit_stats_month ON monthly_unit_stats(month);

-- Per employee × month × unit the vote was cast in × score.
CREATE TABLE monthly_employee_stats (
  month TEXT NOT NULL,
  employee_id INTEGER NOT NULL,
  unit_id INTEGER NOT NULL,
  score INTEGER NOT NULL,
  counted INTEGER NOT NULL,
  with_contact INTEGER NOT NULL,
  with_comment INTEGER NOT NULL,
  flagged INTEGER NOT NULL,
  duplicates INTEGER NOT NULL,
  PRIMARY KEY (employee_id, month, unit_id, score)
) WITHOUT ROWID;
CREATE INDEX monthly_employee_stats_unit ON monthly_employee_stats(unit_id, month);
CREATE INDEX monthly_employee_stats_month ON monthly_employee_stats(month);

-- Per service direction × month × the unit the vote was cast in (own, not subtree) × score.
CREATE TABLE monthly_direction_stats (
  month TEXT NOT NULL,
  direction_id INTEGER NOT NULL,
  unit_id INTEGER NOT NULL,
  score INTEGER NOT NULL,
  counted INTEGER NOT NULL,
  with_contact INTEGER NOT NULL,
  with_comment INTEGER NOT NULL,
  flagged INTEGER NOT NULL,
  duplicates INTEGER NOT NULL,
  PRIMARY KEY (direction_id, month, unit_id, score)
) WITHOUT ROWID;
CREATE INDEX monthly_direction_stats_month ON monthly_direction_stats(month);

-- The roll-up's progress: every vote with an id up to `watermark` is in the tables above. A run
-- holds `lease_until` (unix seconds) while it works, so a second run started meanwhile leaves;
-- a run that dies keeps the lease until it expires and the next run redoes its work.
CREATE TABLE rollup_state (
  name TEXT PRIMARY KEY,
  watermark INTEGER NOT NULL,
  lease_until INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO rollup_state (name, watermark, lease_until) VALUES ('votes', 0, 0);

-- Work the roll-up still owes beyond new votes: days to recompute from their votes (a recompute
-- asked by an administrator, a review's decision) and months to rebuild whole from their days
-- (the monthly close). A day's batch deletes its row; a run that dies leaves the rest.
CREATE TABLE rollup_dirty_days (
  day TEXT PRIMARY KEY
) WITHOUT ROWID;
CREATE TABLE rollup_dirty_months (
  month TEXT PRIMARY KEY
) WITHOUT ROWID;

-- The monthly close's report per unit (with subtree), as JSON (report::MonthlyReport).
CREATE TABLE monthly_reports (
  unit_id INTEGER NOT NULL,
  month TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (unit_id, month)
) WITHOUT ROWID;

-- Alerts to managers (src/alert.rs): queued by the cron roll-up, sent by the cron to the
-- configured webhook, retried with growing pauses. `dedupe` keeps one alert per vote, and one
-- drop alert per employee or unit per ISO week.
CREATE TABLE alert_outbox (
  id INTEGER PRIMARY KEY,
  dedupe TEXT NOT NULL UNIQUE,
  body TEXT NOT NULL,
  unit_id INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  sent_at INTEGER,
  last_error TEXT
);
CREATE INDEX alert_outbox_pending ON alert_outbox(next_at) WHERE sent_at IS NULL;

-- The feedback inbox (results::cases): every vote with a comment or a contact becomes a case
-- for the managers of its unit, created by the cron roll-up in the same step that counts the
-- vote. Due `CASE_DEADLINE_DAYS` (default 30) after the vote.
CREATE TABLE cases (
  vote_id INTEGER PRIMARY KEY REFERENCES votes(id),
  unit_id INTEGER NOT NULL REFERENCES units(id),
  employee_id INTEGER NOT NULL REFERENCES employees(id),
  score INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'in_progress', 'resolved', 'rejected')),
  assignee_id INTEGER REFERENCES accounts(id),
  created_at INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX cases_unit_status ON cases(unit_id, status, due_at);

-- Internal notes on a case: never shown to the citizen or published.
CREATE TABLE case_notes (
  id INTEGER PRIMARY KEY,
  vote_id INTEGER NOT NULL REFERENCES cases(vote_id),
  account_id INTEGER REFERENCES accounts(id),
  at INTEGER NOT NULL,
  note TEXT NOT NULL
);
CREATE INDEX case_notes_vote ON case_notes(vote_id, id);

-- Comments are listed by time within a period; only about one vote in thirty carries one. A
-- partial index keeps the listing to those votes instead of every vote of the period.
CREATE INDEX votes_commented ON votes(created_at) WHERE coalesce(comment, '') <> '';

-- Appeals (appeal.rs): an employee who believes a vote is false appeals through their manager
-- (a unit admin over the vote's unit files it); another administrator decides. The appeal and
-- its decision stay with the vote. An upheld appeal rejects the vote: kept, never counted.
CREATE TABLE vote_appeals (
  vote_id INTEGER PRIMARY KEY REFERENCES votes(id),
  unit_id INTEGER NOT NULL REFERENCES units(id),
  reason TEXT NOT NULL,
  filed_by INTEGER NOT NULL REFERENCES accounts(id),
  filed_at INTEGER NOT NULL,
  decision TEXT CHECK (decision IN ('upheld', 'dismissed')),
  decided_by INTEGER REFERENCES accounts(id),
  decided_at INTEGER,
  note TEXT
);
CREATE INDEX vote_appeals_unit ON vote_appeals(unit_id, filed_at);

-- Comment moderation (moderation.rs): nothing of a comment leaves the managers' pages until an
-- administrator publishes it, possibly shortened or with personal data taken out. Published
-- comments appear on the public results (when PUBLIC_RESULTS is on) with the unit and month,
-- never with the employee or anything about the voter.
CREATE TABLE comment_moderation (
  vote_id INTEGER PRIMARY KEY REFERENCES votes(id),
  unit_id INTEGER NOT NULL REFERENCES units(id),
  decision TEXT NOT NULL CHECK (decision IN ('published', 'withheld')),
  published_text TEXT,
  decided_by INTEGER REFERENCES accounts(id),
  decided_at INTEGER NOT NULL,
  voted_at INTEGER NOT NULL
);
CREATE INDEX comment_moderation_public ON comment_moderation(voted_at) WHERE decision = 'published';

-- Receipts (receipt.rs): each stored vote keeps the SHA-256 of the random receipt its voter was
-- shown, never the receipt itself. Each monthly close publishes the Merkle root over the
-- month's counted receipts.
ALTER TABLE votes ADD COLUMN receipt_hash TEXT;
CREATE INDEX votes_receipt ON votes(receipt_hash) WHERE receipt_hash IS NOT NULL;
CREATE TABLE monthly_digests (
  month TEXT PRIMARY KEY,
  root TEXT NOT NULL,
  counted INTEGER NOT NULL,
  made_at INTEGER NOT NULL
);

-- One-time codes (token format version 2, docs/token.md): printed for one real visit, on a
-- queue ticket or on a written reply, each takes exactly one vote, and that vote is verified.
-- Administrators issue them in batches for a unit; a batch can be revoked as a whole.
CREATE TABLE one_time_batches (
  id INTEGER PRIMARY KEY,
  unit_id INTEGER NOT NULL REFERENCES units(id),
  channel INTEGER NOT NULL CHECK (channel BETWEEN 0 AND 255),
  direction_id INTEGER REFERENCES directions(id),
  -- The number of the written reply the codes are printed on, if any.
  document TEXT,
  codes INTEGER NOT NULL,
  issued_by INTEGER,
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX one_time_batches_unit ON one_time_batches(unit_id, id);
-- Serials count per employee and channel. `used` is set by the vote's own batch, so a code
-- takes one vote at most. Nothing links a code to the vote it cast (no vote id, no time): a
-- code on a written reply names the letter, and the vote must not be traced back to it.
CREATE TABLE one_time_codes (
  employee_id INTEGER NOT NULL REFERENCES employees(id),
  channel INTEGER NOT NULL CHECK (channel BETWEEN 0 AND 255),
  serial INTEGER NOT NULL CHECK (serial BETWEEN 1 AND 65535),
  key_id INTEGER NOT NULL,
  batch_id INTEGER NOT NULL REFERENCES one_time_batches(id),
  used INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (employee_id, channel, serial)
) WITHOUT ROWID;
CREATE INDEX one_time_codes_batch ON one_time_codes(batch_id);
-- 1 for a vote cast with a one-time code; every results table counts them apart.
ALTER TABLE votes ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_employee_stats ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_unit_stats ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE monthly_unit_stats ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE monthly_employee_stats ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE monthly_direction_stats ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;

-- 0015: nationwide scale (docs/scale.md).
CREATE TABLE queued_votes (
  key TEXT PRIMARY KEY,
  written_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX queued_votes_written ON queued_votes(written_at);

CREATE TABLE national_unit_months (
  shard INTEGER NOT NULL,
  month TEXT NOT NULL,
  unit_id INTEGER NOT NULL,
  score INTEGER NOT NULL,
  counted INTEGER NOT NULL,
  flagged INTEGER NOT NULL,
  duplicates INTEGER NOT NULL,
  -- Counted votes cast with one-time codes (a part of `counted`).
  verified INTEGER NOT NULL,
  collected_at INTEGER NOT NULL,
  PRIMARY KEY (month, shard, unit_id, score)
) WITHOUT ROWID;

-- Screening by network (docs/security.md, "Device identity and shared addresses"): the day's
-- keyed hash of the vote's network (IPv4 address or IPv6 /64), so the hourly roll-up can see
-- how one network's votes of the day spread over employees. The daily cron sets it to NULL
-- once the vote is screened and its day is over. The partial index serves both.
ALTER TABLE votes ADD COLUMN network_hash TEXT;
CREATE INDEX votes_network ON votes(network_hash) WHERE network_hash IS NOT NULL;

-- 0017: untraceable one-time votes, coarsened times (docs/privacy.md).
-- The spent one-time codes: only an HMAC of (shard, employee, channel, serial) under the key
-- that signed the code (token::KeyRing::spent_mark). No vote id, no time, no batch; keyed by
-- the mark, so the table is in no order of use. Written in the vote's own D1 batch.
CREATE TABLE one_time_spent (
  mark TEXT PRIMARY KEY
) WITHOUT ROWID;
-- Votes no longer keep the serial of their one-time code: clear those already stored.
UPDATE votes SET qr_issue = 0 WHERE verified = 1;
-- How far the hourly cron has coarsened votes' times to their half hour: every vote with an
-- id up to `through_vote` has been (results::coarsen_times).
CREATE TABLE time_coarsening (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  through_vote INTEGER NOT NULL
);
INSERT INTO time_coarsening (id, through_vote) VALUES (1, 0);

-- 0018: rights (grant links, the account's own employee).
CREATE TABLE grant_links (
  token_hash TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  grants TEXT NOT NULL,
  created_by INTEGER REFERENCES accounts(id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
) WITHOUT ROWID;

ALTER TABLE accounts ADD COLUMN employee_id INTEGER REFERENCES employees(id);

-- 0019: credentials. API tokens expire: 90 days by default, at most 365, chosen when the
-- token is made. A token written without a term gets 0, that is, expired: failing closed.
-- Tokens made before this migration get the default term from the moment it runs.
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
UPDATE api_tokens SET expires_at = CAST(strftime('%s', 'now') AS INTEGER) + 90 * 86400
WHERE expires_at = 0;

-- Public results served from stored pages (public.rs): the hourly roll-up and the monthly
-- close write one page per unit and month (unit 0: the top of the tree), with suppression
-- applied, and a version per month that names the pages in the Workers cache.
CREATE TABLE public_results (
  month TEXT NOT NULL,
  unit_id INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (month, unit_id)
) WITHOUT ROWID;
CREATE TABLE public_versions (
  month TEXT PRIMARY KEY,
  version TEXT NOT NULL,
  made_at INTEGER NOT NULL
);
-- The month's Merkle tree over its counted receipts (receipt.rs), stored by the monthly close:
-- level 0 holds the leaves in order, each level above the next one up. A proof reads the leaf
-- by its hash and one node per level.
CREATE TABLE receipt_tree (
  month TEXT NOT NULL,
  level INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (month, level, idx)
) WITHOUT ROWID;
CREATE INDEX receipt_tree_leaves ON receipt_tree(hash) WHERE level = 0;

-- 0021: results of the extra criteria (docs/results.md).
CREATE TABLE daily_criteria_stats (
  day TEXT NOT NULL,
  employee_id INTEGER NOT NULL,
  unit_id INTEGER NOT NULL,
  direction_id INTEGER NOT NULL,
  criterion_id INTEGER NOT NULL,
  score INTEGER NOT NULL,
  counted INTEGER NOT NULL,
  PRIMARY KEY (employee_id, day, unit_id, direction_id, criterion_id, score)
) WITHOUT ROWID;
CREATE INDEX daily_criteria_stats_day ON daily_criteria_stats(day);
CREATE INDEX daily_criteria_stats_unit ON daily_criteria_stats(unit_id, day);

CREATE TABLE monthly_criteria_stats (
  month TEXT NOT NULL,
  employee_id INTEGER NOT NULL,
  unit_id INTEGER NOT NULL,
  direction_id INTEGER NOT NULL,
  criterion_id INTEGER NOT NULL,
  score INTEGER NOT NULL,
  counted INTEGER NOT NULL,
  PRIMARY KEY (employee_id, month, unit_id, direction_id, criterion_id, score)
) WITHOUT ROWID;
CREATE INDEX monthly_criteria_stats_month ON monthly_criteria_stats(month);
CREATE INDEX monthly_criteria_stats_unit ON monthly_criteria_stats(unit_id, month);

-- The votes already rolled up (up to the watermark) are added once here; later ones come with
-- their roll-up step, so none is counted twice or missed.
INSERT INTO daily_criteria_stats (day, employee_id, unit_id, direction_id, criterion_id, score, counted)
SELECT date(v.created_at, 'unixepoch'), v.employee_id, v.unit_id, coalesce(v.direction_id, 0), c.criterion_id, c.score, COUNT(*)
FROM votes v JOIN vote_criteria c ON c.vote_id = v.id
WHERE v.status = 'counted' AND v.id <= (SELECT watermark FROM rollup_state WHERE name = 'votes')
GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO monthly_criteria_stats (month, employee_id, unit_id, direction_id, criterion_id, score, counted)
SELECT substr(day, 1, 7), employee_id, unit_id, direction_id, criterion_id, score, SUM(counted)
FROM daily_criteria_stats GROUP BY 1, 2, 3, 4, 5, 6;

-- 0022
ALTER TABLE votes ADD COLUMN local_offset INTEGER NOT NULL DEFAULT 0;
