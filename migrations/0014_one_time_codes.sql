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
