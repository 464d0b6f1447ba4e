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
