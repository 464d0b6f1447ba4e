-- Screening by network (docs/security.md, "Device identity and shared addresses"): the day's
-- keyed hash of the vote's network (IPv4 address or IPv6 /64), so the hourly roll-up can see
-- how one network's votes of the day spread over employees. The daily cron sets it to NULL
-- once the vote is screened and its day is over. The partial index serves both.
ALTER TABLE votes ADD COLUMN network_hash TEXT;
CREATE INDEX votes_network ON votes(network_hash) WHERE network_hash IS NOT NULL;
