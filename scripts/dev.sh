#!/usr/bin/env bash
# `make dev`: local secrets, a local D1 with the schema and a demo city hall, then wrangler dev.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-8787}
base="http://127.0.0.1:$port"

if [ ! -f .dev.vars ]; then
  # Fresh random secrets for this machine only; .dev.vars is git-ignored.
  key=$(head -c 32 /dev/urandom | base64 -w0)
  admin=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  printf 'TOKEN_KEYS="1:%s"\nADMIN_TOKEN="%s"\nPUBLIC_BASE_URL="%s"\n' "$key" "$admin" "$base" > .dev.vars
  echo "wrote .dev.vars with fresh secrets"
fi
admin_token=$(sed -n 's/^ADMIN_TOKEN="\(.*\)"$/\1/p' .dev.vars)

wrangler d1 migrations apply DB --local >/dev/null
echo "local D1 is up to date with migrations/"

wrangler dev --ip 127.0.0.1 --port "$port" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 300); do
  curl -fs "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

node scripts/seed-demo.mjs "$base" "$admin_token"
cat <<MSG

  civicrate runs on $base
  Open a vote URL above in a browser (add ?lang=ru, kk, fa or en to switch language).
  Admin API:  curl -H "Authorization: Bearer $admin_token" $base/api/v1/admin/employees/1/summary
  API description: $base/api/v1/openapi.json
  Press Ctrl-C to stop.

MSG
wait $server
