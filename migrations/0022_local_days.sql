-- 0022: local days (docs/results.md, "Days and months"). Each vote keeps its unit's offset
-- from UTC at the moment it was cast, in minutes east (Kyiv 120 or 180, Tehran 210), and every
-- roll-up counts it on `date(created_at + local_offset * 60, 'unixepoch')`. The roll-up step
-- sets it from the unit's time zone (the tz database is the runtime's, not SQL's).
-- Votes already here keep 0: they stay on their UTC days, exactly where their roll-up rows
-- have them, so nothing is counted twice or lost by the upgrade. An operator then runs
-- `scripts/recompute.sh FROM TO` over the history: it sets their exact offsets and rebuilds
-- the days they leave and join.
ALTER TABLE votes ADD COLUMN local_offset INTEGER NOT NULL DEFAULT 0;
