-- Nationwide scale (docs/scale.md).

-- Votes written by the Queue's consumer: each message's random key goes in the same D1 batch
-- as its vote, so a message delivered twice is written once. The daily housekeeping deletes
-- keys older than any message the Queue can still deliver.
CREATE TABLE queued_votes (
  key TEXT PRIMARY KEY,
  written_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX queued_votes_written ON queued_votes(written_at);

-- The national view: each collected shard's `monthly_unit_stats`, kept equal to the shard's
-- per (shard, month), so collecting again replaces and never adds.
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
