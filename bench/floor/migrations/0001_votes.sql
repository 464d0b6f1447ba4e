-- The floor's table: shaped like civicrate's `votes` (same columns, checks, indexes and
-- foreign keys), with one unit and one employee for the foreign keys to point at.
CREATE TABLE units (
  id INTEGER PRIMARY KEY,
  parent_id INTEGER REFERENCES units(id),
  name TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL
);

CREATE TABLE employees (
  id INTEGER PRIMARY KEY,
  unit_id INTEGER NOT NULL REFERENCES units(id),
  name TEXT NOT NULL,
  position TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL
);

CREATE TABLE votes (
  id INTEGER PRIMARY KEY,
  employee_id INTEGER NOT NULL REFERENCES employees(id),
  unit_id INTEGER NOT NULL REFERENCES units(id),
  channel INTEGER NOT NULL DEFAULT 0,
  qr_issue INTEGER NOT NULL,
  score INTEGER NOT NULL,
  comment TEXT,
  has_contact INTEGER NOT NULL DEFAULT 0,
  lang TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('form', 'api')),
  client_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX votes_employee_time ON votes(employee_id, created_at);
CREATE INDEX votes_unit_time ON votes(unit_id, created_at);
CREATE INDEX votes_time ON votes(created_at);

INSERT INTO units (id, parent_id, name, created_at) VALUES (1, NULL, 'Bench', 0);
INSERT INTO employees (id, unit_id, name, position, created_at) VALUES (1, 1, 'Bench Person', 'Clerk', 0);
