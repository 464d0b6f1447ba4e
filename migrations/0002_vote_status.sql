-- Anti-stuffing: every vote is recorded, but only 'counted' votes enter official results.
-- 'duplicate' = a repeat from the same client for the same employee on the same UTC day (the
-- client hash changes with the daily salt, so equal hashes mean the same day). Later states
-- (flagged for review, rejected) are added by the integrity rules; no CHECK here so they can be.
ALTER TABLE votes ADD COLUMN status TEXT NOT NULL DEFAULT 'counted';
CREATE INDEX votes_employee_client ON votes(employee_id, client_hash);
