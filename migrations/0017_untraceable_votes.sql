-- 0017: a vote cannot be traced to the one-time code that cast it, nor kept at its exact
-- moment longer than screening needs (docs/privacy.md).
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
