-- Office networks: CIDR ranges a unit declares. Votes from them for an employee of that unit
-- (or of any unit below it) are flagged as possible self-votes.
CREATE TABLE unit_networks (
  unit_id INTEGER NOT NULL REFERENCES units(id),
  cidr TEXT NOT NULL,
  PRIMARY KEY (unit_id, cidr)
) WITHOUT ROWID;
