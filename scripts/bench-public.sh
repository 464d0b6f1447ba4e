#!/usr/bin/env bash
# Public results and receipt checks against /healthz (`make bench-public`, also run by
# `make bench`). One `wrangler dev` with PUBLIC_RESULTS on and a fresh local D1:
#   1. seeds last month straight into the D1 file: 1 city, 20 units, 100 employees and
#      BENCH_PUBLIC_VOTES (100,000) counted votes, each with a receipt hash;
#   2. runs the real monthly close through the cron (`/__scheduled`), which rolls the votes up,
#      writes the reports, the public pages and the month's Merkle tree;
#   3. measures with wrk, in alternating rounds on the same server, GET /healthz, GET /results
#      (a unit's page) and GET /api/v1/public/receipts/{code}, and prints the ratios to /healthz;
#   4. times BENCH_PUBLIC_CHECKS receipt checks one by one with curl (distinct receipts).
# Targets: /results >= 0.5x /healthz; a receipt check under 50 ms.
# The votes carry a flag reason, as votes accepted on review do, so that the roll-up's
# screening (bursts, cadences) leaves this machine-made month counted whole.
# wrk sends every request from one address: PUBLIC_RATE_LIMIT is raised for the run, so the
# figures are the served path's; tests/api/public.rs shows the limit refusing one client.
# Tunables: BENCH_THREADS, BENCH_CONNECTIONS, BENCH_DURATION (seconds per endpoint, all
# rounds), BENCH_ROUNDS, BENCH_PUBLIC_VOTES, BENCH_PUBLIC_CHECKS, BENCH_LOG_LEVEL.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

export PATH="$HOME/.cargo/bin:$root/node_modules/.bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_HIDE_BANNER=true CI=true

threads=${BENCH_THREADS:-2}
connections=${BENCH_CONNECTIONS:-16}
duration=${BENCH_DURATION:-15}
rounds=${BENCH_ROUNDS:-3}
votes=${BENCH_PUBLIC_VOTES:-100000}
checks=${BENCH_PUBLIC_CHECKS:-200}
log_level=${BENCH_LOG_LEVEL:-warn}
slice=$(awk -v d="$duration" -v r="$rounds" 'BEGIN { s = d / r; printf "%d", (s < 1) ? 1 : s }')
wrangler="$root/node_modules/.bin/wrangler"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { echo "bench-public: $*" >&2; exit 1; }
command -v wrk >/dev/null || die "wrk is missing (scripts/setup.sh --bench installs it)"
[ -x "$wrangler" ] || die "wrangler is missing (scripts/setup.sh installs it)"
[ -f build/workers.stamp ] || die "the workers are not built: run make build"

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -TERM -- "-$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 -- "-$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

state="$work/state"
port=$(free_port)
base="http://127.0.0.1:$port"
cat >"$work/env" <<EOF
TOKEN_KEYS="1:$(head -c 32 /dev/urandom | base64 -w0)"
SESSION_KEY="$(head -c 32 /dev/urandom | base64 -w0)"
PUBLIC_BASE_URL="$base"
PUBLIC_RESULTS="on"
PUBLIC_RATE_LIMIT="1000000"
EOF
"$wrangler" d1 migrations apply DB --local --persist-to "$state" </dev/null >"$work/migrate.log" 2>&1 ||
  { cat "$work/migrate.log" >&2; die "applying migrations failed"; }
say "civicrate: wrangler dev on 127.0.0.1:$port"
node scripts/backoffice-config.mjs wrangler.toml "$work/backoffice/wrangler.toml" --secrets "$work/env"
(WRANGLER_REGISTRY_PATH="$work/registry" exec setsid "$wrangler" dev --config wrangler.toml --config "$work/backoffice/wrangler.toml" --log-level "$log_level" --ip 127.0.0.1 --port "$port" --inspector-port "$(free_port)" \
  --show-interactive-dev-session=false --test-scheduled --persist-to "$state" --env-file "$work/env" \
  </dev/null >"$work/dev.log" 2>&1) &
server_pid=$!
for _ in $(seq 600); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base/healthz" || true)" = 200 ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/dev.log" >&2; die "wrangler dev exited"; }
  sleep 0.2
done

db=$(find "$state/v3/d1" -name '*.sqlite' ! -name metadata.sqlite | head -n 1)
[ -n "$db" ] || die "no local D1 file under $state"

say "seeding last month: $votes counted votes with receipts"
read -r month unit receipts_file < <(python3 - "$db" "$votes" "$work/receipts" <<'EOF'
import datetime, hashlib, random, sqlite3, sys
db, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(20261204)
today = datetime.datetime.now(datetime.timezone.utc).date()
first = today.replace(day=1)
last_first = (first - datetime.timedelta(days=1)).replace(day=1)
start = int(datetime.datetime(last_first.year, last_first.month, last_first.day, tzinfo=datetime.timezone.utc).timestamp())
span = int(datetime.datetime(first.year, first.month, 1, tzinfo=datetime.timezone.utc).timestamp()) - start
ALPHABET = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"
def receipt():
    v = int.from_bytes(rng.randbytes(7), "big") >> 6
    s = bytearray()
    for _ in range(10):
        s.append(ALPHABET[v & 31]); v >>= 5
    code = bytes(reversed(s)).decode()
    return code[:5] + "-" + code[5:], hashlib.sha256(b"civicrate/receipt/v1" + code.encode()).hexdigest()
c = sqlite3.connect(db)
c.execute("INSERT INTO units (parent_id, name, created_at) VALUES (NULL, 'City', ?)", (start,))
city = c.execute("SELECT max(id) FROM units").fetchone()[0]
c.execute("INSERT INTO unit_closure (ancestor_id, descendant_id, depth) VALUES (?, ?, 0)", (city, city))
employees = []
for u in range(20):
    c.execute("INSERT INTO units (parent_id, name, created_at) VALUES (?, ?, ?)", (city, f"Unit {u:02}", start))
    uid = c.execute("SELECT max(id) FROM units").fetchone()[0]
    c.executemany("INSERT INTO unit_closure (ancestor_id, descendant_id, depth) VALUES (?, ?, ?)", [(uid, uid, 0), (city, uid, 1)])
    for e in range(5):
        c.execute("INSERT INTO employees (unit_id, name, position, created_at) VALUES (?, ?, 'Clerk', ?)", (uid, f"Person {u:02}-{e}", start))
        employees.append((c.execute("SELECT max(id) FROM employees").fetchone()[0], uid))
codes = []
rows = []
for i in range(n):
    e, u = employees[rng.randrange(len(employees))]
    code, h = receipt()
    codes.append(code)
    rows.append((e, u, rng.choice((1, 2, 3, 3, 3)), f"b{i}", start + rng.randrange(span), h))
rows.sort(key=lambda r: r[4])
c.executemany("INSERT INTO votes (employee_id, unit_id, channel, qr_issue, score, has_contact, lang, source, client_hash, created_at, status, flag_reason, receipt_hash) "
              "VALUES (?, ?, 0, 1, ?, 0, 'uk', 'api', ?, ?, 'counted', 'too_fast', ?)", rows)
c.commit()
with open(out, "w") as f:
    f.write("\n".join(rng.sample(codes, min(len(codes), 1000))) + "\n")
print(last_first.strftime("%Y-%m"), city, out)
EOF
)

say "monthly close through the cron"
t0=$(date +%s.%N)
curl -sf -o /dev/null --max-time 900 "$base/__scheduled?cron=30+0+1+*+*" || die "the cron failed"
t1=$(date +%s.%N)
tree=$(python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print(c.execute("SELECT COUNT(*) FROM receipt_tree WHERE month = ?", (sys.argv[2],)).fetchone()[0])' "$db" "$month")
[ "$tree" -gt 0 ] || { tail -n 40 "$work/dev.log" >&2; die "the close stored no receipt tree"; }
close_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')

results_url="$base/results?unit=$unit&month=$month&lang=en"
first_code=$(head -n 1 "$receipts_file")
receipt_url="$base/api/v1/public/receipts/$first_code"
for u in "$results_url" "$receipt_url"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$u")
  [ "$code" = 200 ] || die "$u answered $code"
done
curl -s "$receipt_url" | grep -q '"status":"counted"' || die "the first receipt is not counted"

rps() { awk '/^Requests\/sec:/ { print $2; exit }' "$1"; }
non2xx() { awk '/Non-2xx or 3xx responses:/ { n = $5 } /Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$1"; }
measure() { # measure NAME URL RUN SECONDS
  wrk -t"$threads" -c"$connections" -d"${4}s" --latency "$2" >"$work/$1.$3" 2>&1 || { cat "$work/$1.$3" >&2; die "$1: wrk failed"; }
}
say "warm-up (not reported)"
measure healthz "$base/healthz" 0 2
measure results "$results_url" 0 2
measure receipt "$receipt_url" 0 2
for run in $(seq "$rounds"); do
  say "round $run of $rounds: wrk -t$threads -c$connections -d${slice}s on /healthz, /results, a receipt"
  measure healthz "$base/healthz" "$run" "$slice"
  measure results "$results_url" "$run" "$slice"
  measure receipt "$receipt_url" "$run" "$slice"
done

say "$checks receipt checks one by one (distinct receipts)"
head -n "$checks" "$receipts_file" | while read -r code; do
  curl -s -o "$work/answer" -w '%{time_total}\n' "$base/api/v1/public/receipts/$code"
  grep -q '"status":"counted"' "$work/answer" || echo "not counted: $code" >&2
done >"$work/latency"

sum_rps() { local name=$1 total=0 run; for run in $(seq "$rounds"); do total=$(awk -v a="$total" -v b="$(rps "$work/$name.$run")" 'BEGIN { print a + b }'); done; awk -v t="$total" -v r="$rounds" 'BEGIN { printf "%.1f", t / r }'; }
errors() { local name=$1 total=0 run; for run in $(seq "$rounds"); do total=$((total + $(non2xx "$work/$name.$run"))); done; echo "$total"; }
h=$(sum_rps healthz); r=$(sum_rps results); c=$(sum_rps receipt)
rows_logged=$(grep -o 'receipt check: [0-9]* rows read' "$work/dev.log" | awk '{ print $3 }' | sort -n | tail -n 1 || true)

echo
echo "Public results and receipts on wrangler dev ($votes votes in $month; wrk -t$threads -c$connections, $rounds rounds of ${slice} s each, 127.0.0.1)"
echo "  monthly close through the cron: ${close_s} s; receipt tree: $tree rows"
printf '  %-28s %10s %12s %8s\n' endpoint "req/s" "x /healthz" errors
printf '  %-28s %10s %12s %8s\n' "GET /healthz" "$h" "1.00" "$(errors healthz)"
printf '  %-28s %10s %12s %8s\n' "GET /results?unit=…" "$r" "$(awk -v a="$r" -v b="$h" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')" "$(errors results)"
printf '  %-28s %10s %12s %8s\n' "GET /api/v1/public/receipts" "$c" "$(awk -v a="$c" -v b="$h" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')" "$(errors receipt)"
awk -v a="$r" -v b="$h" 'BEGIN { r = (b > 0) ? a / b : 0; printf "  /results / /healthz = %.2f, target >= 0.50: %s\n", r, (r >= 0.5) ? "PASS" : "FAIL" }'
echo "  per round, req/s /healthz, /results, receipt:"
for run in $(seq "$rounds"); do
  echo "    $run: $(rps "$work/healthz.$run"), $(rps "$work/results.$run"), $(rps "$work/receipt.$run")"
done
sort -g "$work/latency" | awk -v n="$checks" '{ v[NR] = $1 * 1000 } END {
  p50 = v[int((NR + 1) / 2)]; p95 = v[int(NR * 0.95) > 0 ? int(NR * 0.95) : 1]; mx = v[NR]
  printf "  receipt check, %d one by one: p50 %.1f ms, p95 %.1f ms, max %.1f ms; target p50 < 50 ms: %s\n", NR, p50, p95, mx, (p50 < 50) ? "PASS" : "FAIL"
}'
[ -n "$rows_logged" ] && echo "  D1 rows read per check (meta.rows_read, as logged): at most $rows_logged" || true
echo "  load average $(cut -d' ' -f1 /proc/loadavg) on $(nproc) CPUs"
