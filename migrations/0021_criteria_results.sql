-- 0021: results of the extra criteria (issue 18). Each vote's criterion ratings
-- (`vote_criteria`) are rolled up like the employee score (results::roll_up): only counted
-- votes, one count per level of the scale, per employee × period × unit the vote was cast in
-- × service direction (0: none) × criterion. Views sum them per employee, per unit subtree
-- (through the closure table) and per direction; nothing here is public.
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
