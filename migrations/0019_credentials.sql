-- Credentials (docs/security.md, "Credentials and sign-in").

-- API tokens expire: 90 days by default, at most 365, chosen when the token is made. A token
-- written without a term gets 0, that is, expired: failing closed. Tokens made before this
-- migration get the default term from the moment it runs.
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
UPDATE api_tokens SET expires_at = CAST(strftime('%s', 'now') AS INTEGER) + 90 * 86400
WHERE expires_at = 0;
