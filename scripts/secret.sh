#!/usr/bin/env bash
# scripts/secret.sh NAME: sets the secret NAME (TOKEN_KEYS, SESSION_KEY, TURNSTILE_SECRET…) in
# both workers of the deployment, the citizen worker and its back office, from one value read
# once (from the terminal without echo, or from standard input). Secrets are kept per worker
# by Cloudflare; setting them here keeps the two equal, which /healthz checks for TOKEN_KEYS.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: scripts/secret.sh NAME   (the value is read from the terminal or stdin)}
wrangler=node_modules/.bin/wrangler
[ -x "$wrangler" ] || wrangler=wrangler
make -s wrangler.backoffice.toml
if [ -t 0 ]; then
  read -r -s -p "$name: " value
  echo
else
  IFS= read -r value
fi
[ -n "$value" ] || { echo "an empty value: nothing was set" >&2; exit 1; }
# The citizen worker first: with a key added to TOKEN_KEYS it verifies the new key's codes
# before the back office signs any, and with a key retired nothing it still verifies is new.
# Between the two steps /healthz says the rings differ, and a cron run may be refused once.
printf '%s' "$value" | "$wrangler" secret put "$name" --config wrangler.toml
printf '%s' "$value" | "$wrangler" secret put "$name" --config wrangler.backoffice.toml
echo "$name is set in both workers"
