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
# The back office first: the citizen worker's /healthz compares the two.
printf '%s' "$value" | "$wrangler" secret put "$name" --config wrangler.backoffice.toml
printf '%s' "$value" | "$wrangler" secret put "$name" --config wrangler.toml
echo "$name is set in both workers"
