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
