#!/usr/bin/env bash
# `make dev`: local secrets, a local D1 with the schema and a demo city hall, then wrangler dev.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-8787}
base="http://127.0.0.1:$port"

if [ ! -f .dev.vars ] || ! grep -q '^SESSION_KEY=' .dev.vars; then
  # Fresh random secrets for this machine only; .dev.vars is git-ignored.
  key=$(head -c 32 /dev/urandom | base64 -w0)
  session=$(head -c 32 /dev/urandom | base64 -w0)
  printf 'TOKEN_KEYS="1:%s"\nSESSION_KEY="%s"\nPUBLIC_BASE_URL="%s"\n' "$key" "$session" "$base" > .dev.vars
  echo "wrote .dev.vars with fresh secrets"
fi

wrangler d1 migrations apply DB --local >/dev/null
echo "local D1 is up to date with migrations/"

# The citizen worker (the entry) and the back office behind its service binding, as deployed;
# `make build` wrote wrangler.backoffice.toml, and the back office reads .dev.vars too.
wrangler dev --config wrangler.toml --config wrangler.backoffice.toml --ip 127.0.0.1 --port "$port" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 300); do
  curl -fs "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

node scripts/seed-demo.mjs "$base"
# The first (or a forgotten) superadmin: a one-time link, never a default password.
humans=$(wrangler d1 execute DB --local --json --command \
  "SELECT COUNT(*) AS n FROM accounts WHERE email != 'demo-seeder@civicrate.invalid'" 2>/dev/null |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s)[0].results[0].n)}catch{console.log(0)}})')
admin_line="  Admin page: $base/admin/"
if [ "${humans:-0}" = "0" ]; then
  link=$(node scripts/invite.mjs --local "${ADMIN_EMAIL:-admin@example.org}")
  admin_line="  Admin page: open this one-time link (72 h) and choose your password:
    $link"
fi
cat <<MSG

  civicrate runs on $base
  Open a vote URL above in a browser (add ?lang=ru, kk, fa or en to switch language).
$admin_line
  API description: $base/api/v1/openapi.json
  Press Ctrl-C to stop.

MSG
wait $server

