#!/usr/bin/env bash
# Recomputes an instance's results for a range of UTC days from the votes themselves, after a
# correction in the database: scripts/recompute.sh 2026-01-01 2026-03-31
# The votes of those days first get their exact local offsets (their units' time zones), so the
# same command moves votes stored before migration 0022 onto their local days (docs/results.md).
#
# Needs CIVICRATE_URL (e.g. https://rate.example-city.gov.ua) and CIVICRATE_TOKEN (an API token
# of a superadmin, made in the admin page). Sends one request per 31 days, each of which
# recomputes its days at once; the monthly tables follow in the same batches. Without the
# script, the same request marks the days and the hourly cron finishes what a request leaves.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 FROM TO   (YYYY-MM-DD, inclusive)" >&2; exit 2; }
: "${CIVICRATE_URL:?set CIVICRATE_URL}" "${CIVICRATE_TOKEN:?set CIVICRATE_TOKEN}"
from=$1 to=$2
date -d "$from" >/dev/null && date -d "$to" >/dev/null
while [ "$(date -d "$from" +%s)" -le "$(date -d "$to" +%s)" ]; do
  end=$(date -u -d "$from +30 days" +%F)
  [ "$(date -d "$end" +%s)" -gt "$(date -d "$to" +%s)" ] && end=$to
  printf 'recomputing %s .. %s: ' "$from" "$end"
  curl -fsS -X POST -H "Authorization: Bearer $CIVICRATE_TOKEN" \
    "${CIVICRATE_URL%/}/api/v1/admin/results/recompute?from=$from&to=$end" |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s).roll_up;console.log(`${r.days.length} days done, ${r.days_left} left to the cron`)})'
  from=$(date -u -d "$end +1 day" +%F)
done
