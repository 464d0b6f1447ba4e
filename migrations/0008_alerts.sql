-- Alerts to managers (src/alert.rs): queued by the cron roll-up, sent by the cron to the
-- configured webhook, retried with growing pauses. `dedupe` keeps one alert per vote, and one
-- drop alert per employee or unit per ISO week.
CREATE TABLE alert_outbox (
  id INTEGER PRIMARY KEY,
  dedupe TEXT NOT NULL UNIQUE,
  body TEXT NOT NULL,
  unit_id INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  sent_at INTEGER,
  last_error TEXT
);
CREATE INDEX alert_outbox_pending ON alert_outbox(next_at) WHERE sent_at IS NULL;
