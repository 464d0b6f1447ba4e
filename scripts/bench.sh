#!/usr/bin/env bash
# Prints civicrate's size and speed figures (`make bench`, which installs wrk and builds the
# worker first): the WASM size raw and gzipped, and vote POST requests/s and p50/p99 latency
# under wrk at fixed concurrency against `wrangler dev`, next to the same figures for
#  - the floor in bench/floor (Rust, one D1 INSERT per request on the same runtime), and
#  - the peer in bench/peer (an idiomatic JavaScript Worker doing civicrate's vote step by
#    step: WebCrypto HMAC check, validation, the same D1 reads and writes; issue 17),
# with the ratios. Targets: civicrate's vote POST >= 0.8x the floor's requests/s and >= 1.0x
# the peer's; WASM <= 350 KB gzipped. The peer gets civicrate's TOKEN_KEYS and a copy of the
# org rows civicrate's admin API wrote, so the same wrk script and token get 201 from both.
# The three servers run side by side and wrk measures them in alternating rounds (floor, peer,
# civicrate, floor, ...), so that a change in the machine's load during the run weighs on all.
# Everything runs on 127.0.0.1 with throwaway D1 state. Tunables: BENCH_THREADS,
# BENCH_CONNECTIONS, BENCH_DURATION (seconds per worker, all rounds), BENCH_ROUNDS,
# BENCH_WARMUP, BENCH_LOG_LEVEL.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

export PATH="$HOME/.cargo/bin:$root/node_modules/.bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_HIDE_BANNER=true
export WASM_BINDGEN_BIN=wasm-bindgen WASM_OPT_BIN="$root/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$root/node_modules/.bin/esbuild" CI=true

threads=${BENCH_THREADS:-2}
connections=${BENCH_CONNECTIONS:-16}
duration=${BENCH_DURATION:-15}
rounds=${BENCH_ROUNDS:-3}
warmup=${BENCH_WARMUP:-3}
slice=$(awk -v d="$duration" -v r="$rounds" 'BEGIN { s = d / r; printf "%d", (s < 1) ? 1 : s }')
[ "$rounds" -ge 1 ] && [ "$rounds" -le 3 ] || { echo "bench: BENCH_ROUNDS must be 1..3" >&2; exit 2; }
# wrangler dev's per-request log line costs both workers alike (about a fifth of the floor's
# throughput here), which would shrink the difference the ratio is meant to show.
log_level=${BENCH_LOG_LEVEL:-warn}
wrangler="$root/node_modules/.bin/wrangler"
lua="$root/bench/vote.lua"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { echo "bench: $*" >&2; exit 1; }

command -v wrk >/dev/null || die "wrk is missing (scripts/setup.sh --bench installs it)"
[ -x "$wrangler" ] || die "wrangler is missing (scripts/setup.sh installs it)"

work=$(mktemp -d)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do stop_server "$pid"; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wrangler dev runs in its own process group (setsid) so that its workerd goes with it.
stop_server() {
  local pid=$1 i
  kill -TERM -- "-$pid" 2>/dev/null || return 0
  for i in $(seq 50); do
    kill -0 -- "-$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

kb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'; }

# --- builds -------------------------------------------------------------------------------
say "building the floor (bench/floor)"
(cd bench/floor && worker-build --release >"$work/floor-build.log" 2>&1) || {
  cat "$work/floor-build.log" >&2
  die "the floor did not build"
}

wasm_of() {
  local found
  found=$(find "$1" -maxdepth 1 -name '*.wasm' | head -n 1)
  [ -n "$found" ] || die "no .wasm under $1 (did the build run?)"
  echo "$found"
}
civ_wasm=$(wasm_of build/citizen)
back_wasm=$(wasm_of build/backoffice)
floor_wasm=$(wasm_of bench/floor/build)
[ -f build/workers.stamp ] || die "the workers are not built: run make build"

# The peer has no build of its own: its size is what wrangler bundles and would upload.
say "bundling the peer (bench/peer) as wrangler would deploy it"
(cd bench/peer && "$wrangler" deploy --dry-run --outdir "$work/peer-dist" </dev/null >"$work/peer-bundle.log" 2>&1) || {
  cat "$work/peer-bundle.log" >&2
  die "the peer did not bundle"
}
peer_js="$work/peer-dist/index.js"
[ -f "$peer_js" ] || die "no bundle at $peer_js"

# --- sizes --------------------------------------------------------------------------------
civ_raw=$(wc -c <"$civ_wasm")
civ_gz=$(gzip -9 -c "$civ_wasm" | wc -c)
back_raw=$(wc -c <"$back_wasm")
back_gz=$(gzip -9 -c "$back_wasm" | wc -c)
floor_raw=$(wc -c <"$floor_wasm")
floor_gz=$(gzip -9 -c "$floor_wasm" | wc -c)
peer_raw=$(wc -c <"$peer_js")
peer_gz=$(gzip -9 -c "$peer_js" | wc -c)
size_ok=$(awk -v g="$civ_gz" 'BEGIN { print (g <= 350 * 1024) ? "PASS" : "FAIL" }')

# --- servers ------------------------------------------------------------------------------
# migrate NAME CONFIG_DIR STATE_DIR: applies the migrations to a fresh local D1 in STATE_DIR.
migrate() {
  local name=$1 dir=$2 state=$3
  (cd "$dir" && "$wrangler" d1 migrations apply DB --local --persist-to "$state" </dev/null >"$work/$name-migrate.log" 2>&1) || {
    cat "$work/$name-migrate.log" >&2
    die "$name: applying migrations failed"
  }
}

# start_server NAME CONFIG_DIR STATE_DIR PORT [wrangler dev args...]: applies the migrations
# to a fresh local D1 in STATE_DIR and starts wrangler dev on PORT.
start_server() {
  migrate "$1" "$2" "$3"
  start_dev "$@"
}

# start_dev NAME CONFIG_DIR STATE_DIR PORT [wrangler dev args...]: wrangler dev on PORT over
# the local D1 in STATE_DIR, as it is.
start_dev() {
  local name=$1 dir=$2 state=$3 port=$4
  shift 4
  (cd "$dir" && exec setsid "$wrangler" dev --log-level "$log_level" --ip 127.0.0.1 --port "$port" --inspector-port "$(free_port)" \
    --show-interactive-dev-session=false --persist-to "$state" "$@" </dev/null >"$work/$name-dev.log" 2>&1) &
  server_pid=$!
  pids+=("$server_pid")
}

# wait_up NAME URL ACCEPT: polls until URL answers with a status matching ACCEPT (a regex).
wait_up() {
  local name=$1 url=$2 accept=$3 code i
  for i in $(seq 600); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)
    [[ $code =~ $accept ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
  done
  cat "$work/$name-dev.log" >&2
  die "$name: wrangler dev did not answer on $url"
}

# measure NAME URL TOKEN RUN SECONDS [--latency]: one wrk run into $work/NAME.RUN. RUN (0..3)
# keeps each run's client addresses apart (see bench/vote.lua); run 0 is the warm-up.
measure() {
  local name=$1 url=$2 token=$3 run=$4 seconds=$5
  shift 5
  wrk -t"$threads" -c"$connections" -d"${seconds}s" "$@" -s "$lua" "$url" -- "$token" "$run" \
    >"$work/$name.$run" 2>&1 || { cat "$work/$name.$run" >&2; die "$name: wrk failed"; }
}

field() { # field created|non201 FILE
  sed -n "s/^BENCH .*$1=\([0-9]*\).*/\1/p" "$2" | head -n 1 | grep . || echo 0
}

# Latency in ms from wrk's "99%   12.34ms" style line (us, ms, s, m).
latency_ms() { # latency_ms PERCENT FILE
  awk -v p="$1%" '$1 == p {
    v = $2; unit = v; sub(/^[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
    f = (unit == "us") ? 0.001 : (unit == "ms") ? 1 : (unit == "s") ? 1000 : (unit == "m") ? 60000 : -1
    if (f < 0) { print "?" } else { printf "%.2f", v * f }
    exit
  }' "$2"
}

# "4518 requests in 15.02s, ..." -> "4518 15.02" (seconds).
requests_and_seconds() {
  awk '$2 == "requests" && $3 == "in" {
    t = $4; sub(/,$/, "", t); unit = t; sub(/^[0-9.]+/, "", unit); sub(/[a-z]+$/, "", t)
    f = (unit == "ms") ? 0.001 : (unit == "m") ? 60 : (unit == "us") ? 0.000001 : 1
    print $1, t * f; exit
  }' "$1"
}

socket_errors() {
  awk '/Socket errors:/ { gsub(/,/, ""); n = $4 + $6 + $8 + $10 } END { print n + 0 }' "$1"
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The number of rows in votes, read with wrangler after the server has stopped.
count_votes() { # count_votes DIR STATE
  (cd "$1" && "$wrangler" d1 execute DB --local --persist-to "$2" --json \
    --command "SELECT COUNT(*) AS n FROM votes" </dev/null 2>/dev/null) |
    python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["results"][0]["n"])'
}

# --- servers up ---------------------------------------------------------------------------
floor_state=$(mktemp -d -p "$work")
floor_port=$(free_port)
floor_url="http://127.0.0.1:$floor_port/"
say "floor: wrangler dev on 127.0.0.1:$floor_port"
start_server floor bench/floor "$floor_state" "$floor_port"
floor_pid=$server_pid
wait_up floor "$floor_url" '^[1-5][0-9][0-9]$'

civ_state=$(mktemp -d -p "$work")
civ_port=$(free_port)
civ_base="http://127.0.0.1:$civ_port"
cat >"$work/civicrate.env" <<EOF
TOKEN_KEYS="1:$(head -c 32 /dev/urandom | base64 -w0)"
SESSION_KEY="$(head -c 32 /dev/urandom | base64 -w0)"
PUBLIC_BASE_URL="$civ_base"
EOF
say "civicrate: wrangler dev on 127.0.0.1:$civ_port (the citizen worker, the back office behind it)"
node scripts/backoffice-config.mjs wrangler.toml "$civ_state/backoffice/wrangler.toml" --secrets "$work/civicrate.env"
WRANGLER_REGISTRY_PATH="$civ_state/registry" start_server civicrate . "$civ_state" "$civ_port" --env-file "$work/civicrate.env" \
  --config wrangler.toml --config "$civ_state/backoffice/wrangler.toml"
civ_pid=$server_pid
wait_up civicrate "$civ_base/healthz" '^200$'
# An API token the way an operator gets one: a one-time invitation, accepted, then a token.
invitation=$(node scripts/invite.mjs --local --persist-to "$civ_state" --token-only bench@civicrate.invalid)
admin_token=$(node -e '
  const [base, token] = process.argv.slice(1);
  (async () => {
    const a = await fetch(base + "/api/v1/invitations/accept", { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ token, password: "load test " + Math.random().toString(36) + " passphrase" }) });
    if (!a.ok) { console.error("accepting the invitation: " + a.status + " " + await a.text()); process.exit(1); }
    const { csrf } = await a.json();
    const t = await fetch(base + "/api/v1/admin/tokens", { method: "POST",
      headers: { "content-type": "application/json", cookie: a.headers.get("set-cookie").split(";")[0], "x-csrf-token": csrf },
      body: JSON.stringify({ name: "bench" }) });
    console.log((await t.json()).token);
  })();' "$civ_base" "$invitation")

admin_post() { # admin_post PATH [JSON]: prints the answer's body; fails unless 201
  local out code
  out=$(curl -s -w '\n%{http_code}' -X POST -H "Authorization: Bearer $admin_token" \
    -H 'Content-Type: application/json' --data "${2:-}" "$civ_base$1")
  code=${out##*$'\n'}
  if [ "$code" != 201 ]; then
    tail -n 30 "$work/civicrate-dev.log" >&2
    die "POST $1 answered $code: ${out%$'\n'*}"
  fi
  printf '%s' "${out%$'\n'*}"
}
json_get() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

say "civicrate: a unit, an employee and a QR code through the admin API"
answer=$(admin_post /api/v1/admin/units '{"name":"Bench","parent_id":null}')
unit_id=$(json_get id <<<"$answer")
answer=$(admin_post /api/v1/admin/employees "{\"name\":\"Bench Person\",\"position\":\"Clerk\",\"unit_id\":$unit_id}")
employee_id=$(json_get id <<<"$answer")
answer=$(admin_post "/api/v1/admin/employees/$employee_id/qr")
token=$(json_get token <<<"$answer")
first_vote() { # first_vote NAME URL: one vote with the token, which must answer 201
  local out code
  out=$(curl -s -w '\n%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H 'CF-Connecting-IP: 192.0.2.1' --data "{\"token\":\"$token\",\"score\":2}" "$2")
  code=${out##*$'\n'}
  [ "$code" = 201 ] || die "$1: a first vote answered $code, not 201: ${out%$'\n'*}"
}
first_vote civicrate "$civ_base/api/v1/votes"

# --- the peer: civicrate's schema, keys and org rows ----------------------------------------
# The peer's D1 gets civicrate's migrations, then a copy of the rows the vote reads (the unit
# tree, the employee, the QR code's issue, office networks, scale and criteria), read from
# civicrate's D1 as its admin API wrote them.
peer_state=$(mktemp -d -p "$work")
peer_port=$(free_port)
peer_base="http://127.0.0.1:$peer_port"
migrate peer bench/peer "$peer_state"
seed_tables="units unit_closure directions employees employee_directions qr_codes unit_networks scale_levels criteria"
select_all=""
for t in $seed_tables; do select_all+="SELECT * FROM $t; "; done
"$wrangler" d1 execute DB --local --persist-to "$civ_state" --json --command "$select_all" </dev/null >"$work/peer-rows.json" 2>"$work/peer-dump.log" || {
  cat "$work/peer-dump.log" >&2
  die "peer: reading civicrate's rows failed"
}
python3 - "$work/peer-rows.json" $seed_tables >"$work/peer-seed.sql" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))
tables = sys.argv[2:]
if len(results) != len(tables):
    sys.exit(f"expected {len(tables)} results, got {len(results)}")
def lit(v):
    if v is None:
        return "NULL"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"
for table, result in zip(tables, results):
    for row in result["results"]:
        cols = ", ".join(row)
        vals = ", ".join(lit(v) for v in row.values())
        print(f"INSERT OR REPLACE INTO {table} ({cols}) VALUES ({vals});")
PY
(cd bench/peer && "$wrangler" d1 execute DB --local --persist-to "$peer_state" --file "$work/peer-seed.sql" </dev/null >"$work/peer-seed.log" 2>&1) || {
  cat "$work/peer-seed.log" >&2
  die "peer: seeding its D1 failed"
}
cat >"$work/peer.env" <<EOF
$(grep '^TOKEN_KEYS=' "$work/civicrate.env")
PUBLIC_BASE_URL="$peer_base"
EOF
say "peer: wrangler dev on 127.0.0.1:$peer_port ($(grep -c '^INSERT' "$work/peer-seed.sql") rows copied from civicrate's D1)"
start_dev peer bench/peer "$peer_state" "$peer_port" --env-file "$work/peer.env"
peer_pid=$server_pid
wait_up peer "$peer_base/api/v1/votes" '^405$'
first_vote peer "$peer_base/api/v1/votes"

# The same requests to both: the peer must answer each as civicrate does (status, error code,
# a receipt on 201), or its figures would be for another job. Prints the 201s each stored.
say "peer and civicrate: the same answers to valid and invalid votes"
parity_created=$(node - "$civ_base/api/v1/votes" "$peer_base/api/v1/votes" "$token" <<'JS'
const [civ, peer, token] = process.argv.slice(2);
const json = (o) => JSON.stringify(o);
const typed = token.toLowerCase().replace(/(.{4})/g, "$1-").replace(/-$/, "");
const flip = token.slice(0, -1) + (token.endsWith("0") ? "1" : "0");
const cases = [
  ["a vote with comment, contact and language", { body: json({ token, score: 3, comment: " Дякую\r\n ", contact: "+380 (44) 123-45-67", lang: "EN" }) }],
  ["a token typed in lower case with hyphens", { body: json({ token: typed, score: 1 }) }],
  ["a forged tag", { body: json({ token: flip, score: 2 }) }],
  ["a token of the wrong length", { body: json({ token: token.slice(1), score: 2 }) }],
  ["a score off the scale", { body: json({ token, score: 9 }) }],
  ["a score as text", { body: json({ token, score: "2" }) }],
  ["a missing score", { body: json({ token }) }],
  ["an unknown field", { body: json({ token, score: 2, extra: 1 }) }],
  ["an unknown criterion", { body: json({ token, score: 2, criteria: { nope: 1 } }) }],
  ["a comment over 1000 characters", { body: json({ token, score: 2, comment: "я".repeat(1001) }) }],
  ["a contact that is neither", { body: json({ token, score: 2, contact: "call me" }) }],
  ["an unsupported language", { body: json({ token, score: 2, lang: "uk-UA" }) }],
  ["malformed JSON", { body: '{"token":' }],
  ["not UTF-8", { body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]) }],
  ["text/plain", { body: json({ token, score: 2 }), type: "text/plain" }],
  ["a body over 20 KiB", { body: json({ token, score: 2, comment: "x".repeat(21000) }) }],
  ["another site's page", { body: json({ token, score: 2 }), headers: { origin: "https://evil.example" } }],
  ["a GET", { method: "GET" }],
];
(async () => {
  let created = 0, bad = 0, n = 0;
  for (const [name, c] of cases) {
    const answers = [];
    for (const url of [civ, peer]) {
      const headers = { "cf-connecting-ip": `192.0.2.${100 + n}`, ...(c.headers || {}) };
      if (c.body !== undefined) headers["content-type"] = c.type || "application/json";
      const r = await fetch(url, { method: c.method || "POST", headers, body: c.body });
      const text = await r.text();
      let code = "";
      try { const b = JSON.parse(text); code = b.error?.code ?? (/^[0-9A-Z]{5}-[0-9A-Z]{5}$/.test(b.receipt) ? "receipt" : text); } catch { code = text.slice(0, 60); }
      answers.push(`${r.status} ${code}`);
    }
    n++;
    if (answers[0] !== answers[1]) { bad++; console.error(`  ${name}: civicrate ${answers[0]}, peer ${answers[1]}`); }
    if (answers[0] === "201 receipt") created++;
  }
  if (bad) { console.error(`the peer answered ${bad} of ${cases.length} requests unlike civicrate`); process.exit(1); }
  console.error(`  ${cases.length} requests, the same status and error code from both`);
  console.log(created);
})();
JS
) || die "the peer does not answer as civicrate does"

# --- load ---------------------------------------------------------------------------------
load_before=$(cut -d' ' -f1 /proc/loadavg)
say "warm-up: ${warmup} s each (not reported)"
measure floor "$floor_url" bench-floor-token 0 "$warmup"
measure peer "$peer_base/api/v1/votes" "$token" 0 "$warmup"
measure civicrate "$civ_base/api/v1/votes" "$token" 0 "$warmup"
for run in $(seq "$rounds"); do
  say "round $run of $rounds: wrk -t$threads -c$connections -d${slice}s, floor, peer, then civicrate"
  measure floor "$floor_url" bench-floor-token "$run" "$slice" --latency
  measure peer "$peer_base/api/v1/votes" "$token" "$run" "$slice" --latency
  measure civicrate "$civ_base/api/v1/votes" "$token" "$run" "$slice" --latency
done
load_after=$(cut -d' ' -f1 /proc/loadavg)
stop_server "$floor_pid"
stop_server "$peer_pid"
stop_server "$civ_pid"
floor_votes=$(count_votes bench/floor "$floor_state")
peer_votes=$(count_votes bench/peer "$peer_state")
civ_votes=$(count_votes . "$civ_state")
# The vote with a comment and a contact from the checks above, as each stored it: the same
# values, hashes of the same lengths (the stored hashes differ: each has its own day's salt).
stored_vote() { # stored_vote DIR STATE
  (cd "$1" && "$wrangler" d1 execute DB --local --persist-to "$2" --json --command \
    "SELECT v.employee_id, v.unit_id, v.channel, v.qr_issue, v.score, v.comment, v.has_contact, v.lang, v.source, v.status, v.flag_reason, v.direction_id, v.verified, length(v.client_hash) AS client_hash, length(v.network_hash) AS network_hash, length(v.receipt_hash) AS receipt_hash, c.contact FROM votes v LEFT JOIN vote_contacts c ON c.vote_id = v.id WHERE v.comment IS NOT NULL ORDER BY v.id" \
    </dev/null 2>/dev/null) | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)[0]["results"], ensure_ascii=False))'
}
civ_stored=$(stored_vote . "$civ_state")
peer_stored=$(stored_vote bench/peer "$peer_state")

# summarize NAME: "req/s p50 p99 errors created" over the measured rounds (req/s from all
# requests over all seconds; p50 and p99 the median of the rounds'), created with warm-up.
summarize() {
  local name=$1 run f requests=0 seconds=0 errors=0 created p50s="" p99s="" rs
  created=$(field created "$work/$name.0")
  for run in $(seq "$rounds"); do
    f="$work/$name.$run"
    rs=$(requests_and_seconds "$f")
    requests=$((requests + ${rs% *}))
    seconds=$(awk -v a="$seconds" -v b="${rs#* }" 'BEGIN { print a + b }')
    errors=$((errors + $(field non201 "$f") + $(socket_errors "$f")))
    created=$((created + $(field created "$f")))
    p50s+=" $(latency_ms 50 "$f")"
    p99s+=" $(latency_ms 99 "$f")"
  done
  printf '%s %s %s %s %s\n' "$(awk -v n="$requests" -v s="$seconds" 'BEGIN { printf "%.1f", (s > 0) ? n / s : 0 }')" \
    "$(median <<<"$p50s")" "$(median <<<"$p99s")" "$errors" "$created"
}
rps_of_round() { awk '/^Requests\/sec:/ { print $2; exit }' "$work/$1.$2"; }

read -r civ_rps civ_p50 civ_p99 civ_errors civ_created < <(summarize civicrate)
read -r floor_rps floor_p50 floor_p99 floor_errors floor_created < <(summarize floor)
read -r peer_rps peer_p50 peer_p99 peer_errors peer_created < <(summarize peer)
civ_created=$((civ_created + 1 + parity_created))   # + the first vote and the checks above
peer_created=$((peer_created + 1 + parity_created)) # the same for the peer

# --- report -------------------------------------------------------------------------------
echo
echo "Worker size (civicrate's two WASMs after wasm-opt, the floor's WASM, the peer's JS bundle)"
printf '  %-10s %10s %14s\n' worker "raw KB" "gzip -9 KB"
printf '  %-10s %10s %14s\n' citizen "$(kb "$civ_raw")" "$(kb "$civ_gz")"
printf '  %-10s %10s %14s\n' backoffice "$(kb "$back_raw")" "$(kb "$back_gz")"
printf '  %-10s %10s %14s\n' floor "$(kb "$floor_raw")" "$(kb "$floor_gz")"
printf '  %-10s %10s %14s\n' peer "$(kb "$peer_raw")" "$(kb "$peer_gz")"
echo "  the citizen worker (what a scan loads) gzipped $(kb "$civ_gz") KB, target <= 350 KB: $size_ok"
echo
echo "Vote POST on wrangler dev (wrk -t$threads -c$connections, $rounds alternating rounds of ${slice} s per worker, 127.0.0.1)"
printf '  %-10s %10s %10s %10s %8s\n' worker "req/s" "p50 ms" "p99 ms" errors
printf '  %-10s %10s %10s %10s %8s\n' civicrate "$civ_rps" "$civ_p50" "$civ_p99" "$civ_errors"
printf '  %-10s %10s %10s %10s %8s\n' peer "$peer_rps" "$peer_p50" "$peer_p99" "$peer_errors"
printf '  %-10s %10s %10s %10s %8s\n' floor "$floor_rps" "$floor_p50" "$floor_p99" "$floor_errors"
ratio() { # ratio OTHER OTHER_RPS TARGET
  awk -v c="$civ_rps" -v f="$2" -v name="$1" -v t="$3" 'BEGIN {
    if (f <= 0) { printf "  ratio civicrate/%s req/s: n/a (the %s served nothing): FAIL\n", name, name; exit }
    r = c / f
    printf "  ratio civicrate/%s req/s: %.2f, target >= %.2f: %s\n", name, r, t, (r >= t) ? "PASS" : "FAIL"
  }'
}
ratio floor "$floor_rps" 0.8
ratio peer "$peer_rps" 1.0
echo "  per round, civicrate / floor and civicrate / peer req/s:"
for run in $(seq "$rounds"); do
  awk -v n="$run" -v c="$(rps_of_round civicrate "$run")" -v f="$(rps_of_round floor "$run")" \
    -v p="$(rps_of_round peer "$run")" 'BEGIN {
      printf "    %d: %.1f / %.1f = %s; %.1f / %.1f = %s\n", n, c, f, (f > 0) ? sprintf("%.2f", c / f) : "n/a",
        c, p, (p > 0) ? sprintf("%.2f", c / p) : "n/a"
    }'
done
echo "  (p50/p99: median of the rounds; errors: non-201 answers + socket errors)"
echo "  load average $load_before before, $load_after after, on $(nproc) CPUs: other work on this"
echo "  machine (tests, builds) shifts these figures; run again on a quiet machine to compare."
echo
# wrk stops with up to one request in flight per connection: the worker may still store those
# votes after wrk stopped listening, so D1 may hold up to that many more per wrk run.
d1_check() { # d1_check NAME VOTES CREATED
  local extra=$(($2 - $3)) verdict
  if [ "$extra" -eq 0 ]; then verdict="equal"
  elif [ "$extra" -gt 0 ] && [ "$extra" -le $(((rounds + 1) * connections)) ]; then
    verdict="$extra more in D1: requests in flight when wrk stopped"
  else verdict="MISMATCH"
  fi
  echo "$1: votes in D1 = $2, 201 answers = $3 ($verdict; warm-up included)"
}
d1_check civicrate "$civ_votes" "$civ_created"
d1_check peer "$peer_votes" "$peer_created"
d1_check floor "$floor_votes" "$floor_created"
if [ "$civ_stored" = "$peer_stored" ] && [ "$civ_stored" != "[]" ]; then
  echo "peer: stores the checked vote as civicrate does: $civ_stored"
else
  echo "peer: stores the checked vote UNLIKE civicrate: civicrate $civ_stored, peer $peer_stored"
fi
