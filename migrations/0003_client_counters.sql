-- Anti-stuffing across employees: votes per client per UTC day, under a key that (unlike the
-- vote's client hash) leaves out the employee. Kept apart from votes so that no vote row links
-- one client's votes for different employees. Deleted with the day's salt by the daily cron.
CREATE TABLE client_counters (
  day TEXT NOT NULL,
  client_key TEXT NOT NULL,
  votes INTEGER NOT NULL,
  PRIMARY KEY (day, client_key)
) WITHOUT ROWID;
