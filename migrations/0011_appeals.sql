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
