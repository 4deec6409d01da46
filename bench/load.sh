#!/usr/bin/env bash
# load.sh - load test of `mamori serve` on loopback with wrk: requests/s and latency percentiles for
# report submission and registry reads on a store with 100,000 assets and 10,000 reports, each as a
# ratio against the same server's floor in the same run; writes the "## Control plane (HTTP API)"
# section of bench/RESULTS.md (other sections are left as they are).
#
# Steps: build (release); a fresh store in bench/out/http/ with an admin, an operator and an analyst;
# start the server (127.0.0.1, a free port, --erase-interval 0); seed ASSETS assets and REPORTS reports
# through the API itself (POST /api/v1/assets, POST /api/v1/reports) with keep-alive, unless a route
# is not there yet (then the seeding is reported as skipped); then wrk, one endpoint at a time:
#   floor:   GET /api/v1/health   (no token, no store: HTTP + JSON only)
#   auth:    GET /api/v1/me       (token lookup + one audit append: the floor of any protected call)
#   reads:   GET /api/v1/assets?limit=50   (registry read, operator's scope)
#   writes:  POST /api/v1/reports (an initial report)
# An endpoint that answers 404 (not built yet) is reported "n/a".
#
# Environment: LOAD_ASSETS (100000), LOAD_REPORTS (10000), LOAD_SECONDS per endpoint (10),
# LOAD_CONNECTIONS (32), LOAD_WRK_THREADS (1), LOAD_SERVER_THREADS (nproc),
# LOAD_ASSET_JSON / LOAD_REPORT_JSON (a body template; {n} is replaced by a sequence number).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=bench/out/http
RESULTS=bench/RESULTS.md
ASSETS=${LOAD_ASSETS:-100000}
REPORTS=${LOAD_REPORTS:-10000}
SECONDS_PER=${LOAD_SECONDS:-10}
CONNS=${LOAD_CONNECTIONS:-32}
WRK_THREADS=${LOAD_WRK_THREADS:-1}
SERVER_THREADS=${LOAD_SERVER_THREADS:-$(nproc)}
ASSET_JSON=${LOAD_ASSET_JSON:-'{"name": "gateway {n}", "category": "server", "vendor": "examplesoft", "product": "gateway", "product_version": "1.{n}", "cpe": "cpe:2.3:a:examplesoft:gateway:1.{n}:*:*:*:*:*:*:*", "role": "billing front end {n}", "connected_to_specified_facility": true, "cloud_form": "none", "in_service_from": "2025-04-01"}'}
REPORT_JSON=${LOAD_REPORT_JSON:-'{"kind": "statutory", "aware_at": "2026-11-20T09:00:00Z", "summary": "suspicious logins on the billing gateway ({n})", "contact": "soc@example.jp"}'}
MAMORI=build/mamori
say() { printf '[load] %s\n' "$*" >&2; }
command -v wrk >/dev/null || { echo "load.sh: wrk missing (Debian package 'wrk')" >&2; exit 1; }

say "building (release)"
if ! { cmake --preset release && cmake --build --preset release; } >"${TMPDIR:-/tmp}/mm-load-build.log" 2>&1; then
  [ -x "$MAMORI" ] || { tail -n 20 "${TMPDIR:-/tmp}/mm-load-build.log" >&2; exit 1; }
  say "note: the build failed (someone's work in progress?); measuring the existing $MAMORI"
fi

rm -rf "$OUT"
mkdir -p "$OUT"
DB=$OUT/store.db
"$MAMORI" init --store "$DB" >/dev/null
ADMIN=$("$MAMORI" user add --store "$DB" --name bench-admin --role admin | tail -n 1)
# The operator's organization: created with `mamori org add` when that command exists.
ORG=bench-operator
if "$MAMORI" help org >/dev/null 2>&1; then
  "$MAMORI" org add --store "$DB" --name "$ORG" --type operator --sector electricity --token "$ADMIN" >/dev/null 2>&1 ||
    say "note: mamori org add failed"
fi
OPERATOR=$("$MAMORI" user add --store "$DB" --name bench-op --role operator --org "$ORG" --token "$ADMIN" 2>/dev/null |
  tail -n 1) || OPERATOR=$("$MAMORI" user add --store "$DB" --name bench-op --role operator --token "$ADMIN" | tail -n 1)
ANALYST=$("$MAMORI" user add --store "$DB" --name bench-analyst --role analyst --token "$ADMIN" | tail -n 1)

"$MAMORI" serve --store "$DB" --listen 127.0.0.1:0 --erase-interval 0 --threads "$SERVER_THREADS" \
  --max-connections 4096 >"$OUT/serve.out" 2>"$OUT/serve.err" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
URL=
for _ in $(seq 1 100); do
  URL=$(sed -n 's/^listening on //p' "$OUT/serve.out" | head -n 1)
  [ -n "$URL" ] && break
  sleep 0.1
done
[ -n "$URL" ] || { cat "$OUT/serve.err" >&2; exit 1; }
say "server at $URL"

# ---- seeding through the API: a keep-alive client, stops at the first refusal ----
seed() { # seed PATH TEMPLATE COUNT TOKEN -> prints "created elapsed_s status_of_first_failure"
  python3 - "$URL" "$1" "$2" "$3" "$4" <<'PY'
import http.client, sys, time
url, path, template, count, token = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
host, port = url.split("//")[1].split(":")
c = http.client.HTTPConnection(host, int(port), timeout=30)
h = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
t0, made, fail = time.time(), 0, "-"
for i in range(count):
    c.request("POST", path, template.replace("{n}", str(i)).encode(), h)
    r = c.getresponse(); body = r.read()
    if r.status not in (200, 201):
        fail = "%d %s" % (r.status, body[:200].decode("utf-8", "replace").replace(" ", "_"))
        break
    made += 1
print(made, "%.1f" % (time.time() - t0), fail)
PY
}
read -r assets_made assets_s assets_fail < <(seed /api/v1/assets "$ASSET_JSON" "$ASSETS" "$OPERATOR")
say "assets seeded: $assets_made in ${assets_s}s (first failure: $assets_fail)"
read -r reports_made reports_s reports_fail < <(seed /api/v1/reports "$REPORT_JSON" "$REPORTS" "$OPERATOR")
say "reports seeded: $reports_made in ${reports_s}s (first failure: $reports_fail)"

# ---- wrk ----
cat >"$OUT/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $OPERATOR"
local n = 0
request = function()
  n = n + 1
  local body = [[$REPORT_JSON]]
  body = body:gsub("{n}", "load-" .. n)
  return wrk.format(nil, nil, nil, body)
end
LUA
# measure NAME PATH [wrk args]: one line "name rps p50 p90 p99 non2xx"
measure() {
  local name=$1 path=$2; shift 2
  local log=$OUT/wrk-$name.txt
  wrk -t"$WRK_THREADS" -c"$CONNS" -d"${SECONDS_PER}s" --latency "$@" "$URL$path" >"$log" 2>&1 || true
  local rps p50 p90 p99 bad
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$log")
  p50=$(awk '$1=="50%" {print $2}' "$log")
  p90=$(awk '$1=="90%" {print $2}' "$log")
  p99=$(awk '$1=="99%" {print $2}' "$log")
  bad=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$log")
  echo "$name ${rps:-0} ${p50:-n/a} ${p90:-n/a} ${p99:-n/a} ${bad:-0}"
}
status_of() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
say "wrk: $WRK_THREADS thread(s), $CONNS connections, ${SECONDS_PER}s per endpoint"
rows=()
rows+=("$(measure health /api/v1/health)")
rows+=("$(measure me /api/v1/me -H "Authorization: Bearer $OPERATOR")")
if [ "$(status_of -H "Authorization: Bearer $OPERATOR" "$URL/api/v1/assets?limit=50")" = 200 ]; then
  rows+=("$(measure assets '/api/v1/assets?limit=50' -H "Authorization: Bearer $OPERATOR")")
  rows+=("$(measure assets_analyst '/api/v1/assets?limit=50' -H "Authorization: Bearer $ANALYST")")
else
  rows+=("assets n/a n/a n/a n/a n/a")
fi
if [ "$reports_made" -gt 0 ]; then
  rows+=("$(measure reports_post /api/v1/reports -s "$OUT/post.lua")")
else
  rows+=("reports_post n/a n/a n/a n/a n/a")
fi
kill -TERM $PID; wait $PID || true
trap - EXIT
audit_entries=$("$MAMORI" audit verify --store "$DB" --token "$ADMIN" 2>&1 | tail -n 1 || true)

# ---- RESULTS.md: replace only our section ----
floor=$(echo "${rows[0]}" | awk '{print $2}')
auth=$(echo "${rows[1]}" | awk '{print $2}')
describe() {
  case $1 in
  health) echo "GET /api/v1/health (floor: no token, no store)" ;;
  me) echo "GET /api/v1/me (operator; token lookup + audit append)" ;;
  assets) echo "GET /api/v1/assets?limit=50 (operator's own assets)" ;;
  assets_analyst) echo "GET /api/v1/assets?limit=50 (analyst: all assets)" ;;
  reports_post) echo "POST /api/v1/reports (initial report)" ;;
  esac
}
section=$(mktemp)
{
  echo "## Control plane (HTTP API)"
  echo
  echo "Written by \`bench/load.sh\` on $(date -u +%Y-%m-%dT%H:%M:%SZ): \`mamori serve\` (release build, $SERVER_THREADS worker"
  echo "threads) and wrk ($WRK_THREADS thread, $CONNS keep-alive connections, ${SECONDS_PER} s per endpoint) on the same"
  echo "$(nproc)-CPU machine over 127.0.0.1, plain HTTP. Store: SQLite (WAL), seeded through the API:"
  echo "$assets_made of $ASSETS assets in ${assets_s} s, $reports_made of $REPORTS reports in ${reports_s} s."
  [ "$assets_fail" != "-" ] && echo "Asset seeding stopped at: \`${assets_fail//_/ }\`."
  [ "$reports_fail" != "-" ] && echo "Report seeding stopped at: \`${reports_fail//_/ }\`."
  echo
  echo "Ratios are against figures of the same server in the same run: *÷ floor* against GET /api/v1/health"
  echo "(HTTP, routing and JSON only), *÷ auth* against GET /api/v1/me (plus the token lookup and the audit"
  echo "append every authenticated request pays)."
  echo
  echo "| endpoint | requests/s | p50 | p90 | p99 | non-2xx | ÷ floor | ÷ auth |"
  echo "|---|---|---|---|---|---|---|---|"
  for row in "${rows[@]}"; do
    read -r name rps p50 p90 p99 bad <<<"$row"
    if [ "$rps" = n/a ]; then
      echo "| $(describe "$name") | n/a | | | | | | endpoint not built yet |"
      continue
    fi
    rf=$(awk -v a="$rps" -v b="$floor" 'BEGIN {printf (b > 0 ? "%.3f" : "n/a"), (b > 0 ? a / b : 0)}')
    ra=$(awk -v a="$rps" -v b="$auth" 'BEGIN {printf (b > 0 ? "%.3f" : "n/a"), (b > 0 ? a / b : 0)}')
    echo "| $(describe "$name") | $rps | $p50 | $p90 | $p99 | $bad | $rf | $ra |"
  done
  echo
  echo "Audit chain after the run: $audit_entries"
  echo
} >"$section"
python3 - "$RESULTS" "$section" <<'PY'
import re, sys
path, sec = sys.argv[1], open(sys.argv[2]).read()
try:
    text = open(path).read()
except FileNotFoundError:
    text = "# mamori bench results\n\n"
start = text.find("## Control plane (HTTP API)")
if start < 0:
    text = text.rstrip("\n") + "\n\n" + sec
else:
    nxt = text.find("\n## ", start + 1)
    text = text[:start] + sec + (text[nxt + 1:] if nxt >= 0 else "")
open(path, "w").write(text.rstrip("\n") + "\n")
PY
rm -f "$section"
say "wrote the Control plane section of $RESULTS"
sed -n '/^## Control plane (HTTP API)/,/^## [^C]/p' "$RESULTS"
