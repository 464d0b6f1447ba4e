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
