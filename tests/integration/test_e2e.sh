#!/usr/bin/env bash
# test_e2e.sh - the web portal end to end, in Debian's headless Chromium driven by Playwright
# (npm playwright-core; no browser is downloaded). Builds nothing: MAMORI is the binary under
# test (default build/mamori). Makes a temp store with two ministries of different sectors, an
# operator, an analyst and their users, starts `mamori serve` on 127.0.0.1 with a free port and
# --web pointing at web/, runs tests/e2e/*.test.js with node's test runner and prints one
# "ok N - name" / "not ok N - name" line per test (run_all.sh counts them). Always stops the server.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
MAMORI=${MAMORI:-$ROOT/build/mamori}
case $MAMORI in /*) ;; *) MAMORI=$ROOT/$MAMORI ;; esac
E2E=$ROOT/tests/e2e
LOGDIR=${TEST_LOG_DIR:-$ROOT/build/test-logs}/e2e
mkdir -p "$LOGDIR"
T=$(mktemp -d /tmp/mm-e2e-XXXXXX)
SERVER_PID=
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }

cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- what the test needs: chromium, node (>= 18, built-in test runner), npm ----
# (npm only when the npm command is missing: a node from elsewhere may bring its own npm, and
# Debian's npm package conflicts with it. A CJK font so screenshots show Japanese.)
if ! [ -x /usr/bin/chromium ] || ! command -v node >/dev/null || ! command -v npm >/dev/null ||
   ! dpkg-query -W -f='${Status}' fonts-ipafont-gothic 2>/dev/null | grep -q 'ok installed'; then
  pkgs=(fonts-ipafont-gothic)
  [ -x /usr/bin/chromium ] || pkgs+=(chromium)
  command -v node >/dev/null || pkgs+=(nodejs)
  command -v npm >/dev/null || pkgs+=(npm)
  "$ROOT/scripts/ensure-packages.sh" "${pkgs[@]}" >"$LOGDIR/packages.log" 2>&1
fi
for need in /usr/bin/chromium node npm; do
  if ! command -v "$need" >/dev/null; then
    not_ok "e2e prerequisites: $need missing (see $LOGDIR/packages.log)"
    exit 1
  fi
done
[ -x "$MAMORI" ] || { not_ok "e2e: no binary at $MAMORI (build first)"; exit 1; }

# ---- node_modules: npm ci only when missing or older than the lock file ----
stamp=$E2E/node_modules/.package-lock.json
if ! [ -f "$stamp" ] || [ "$E2E/package-lock.json" -nt "$stamp" ] || ! [ -d "$E2E/node_modules/playwright-core" ]; then
  if ! (cd "$E2E" && timeout 300 npm ci --no-audit --no-fund >"$LOGDIR/npm-ci.log" 2>&1); then
    tail -n 20 "$LOGDIR/npm-ci.log"
    not_ok "e2e: npm ci in tests/e2e failed (see $LOGDIR/npm-ci.log)"
    exit 1
  fi
fi

# ---- the store: orgs and users ----
S=$T/store.db
token_of() { tail -n 1; }
setup() {
  "$MAMORI" init --store "$S" >/dev/null || return 1
  ADMIN=$("$MAMORI" user add --store "$S" --name admin --role admin | token_of) || return 1
  export MAMORI_TOKEN=$ADMIN
  "$MAMORI" org add --store "$S" --name "Ministry of Economy" --type ministry --sector electricity --sector gas >/dev/null || return 1
  "$MAMORI" org add --store "$S" --name "Financial Services Agency" --type ministry --sector finance >/dev/null || return 1
  "$MAMORI" org add --store "$S" --name "Example Power" --type operator --sector electricity >/dev/null || return 1
  "$MAMORI" org add --store "$S" --name "Example Bank" --type operator --sector finance >/dev/null || return 1
  OPERATOR=$("$MAMORI" user add --store "$S" --name op1 --role operator --org "Example Power" | token_of) || return 1
  ANALYST=$("$MAMORI" user add --store "$S" --name an1 --role analyst | token_of) || return 1
  MINISTRY_SAME=$("$MAMORI" user add --store "$S" --name meti1 --role ministry --org "Ministry of Economy" | token_of) || return 1
  MINISTRY_OTHER=$("$MAMORI" user add --store "$S" --name fsa1 --role ministry --org "Financial Services Agency" | token_of) || return 1
  unset MAMORI_TOKEN
  [ -n "$OPERATOR" ] && [ -n "$ANALYST" ] && [ -n "$MINISTRY_SAME" ] && [ -n "$MINISTRY_OTHER" ]
}
if setup >"$LOGDIR/setup.log" 2>&1; then
  ok "e2e: store with two ministries (electricity+gas, finance), an operator, an analyst and their users"
else
  cat "$LOGDIR/setup.log"
  not_ok "e2e: store setup"
  exit 1
fi

# ---- the server on a free loopback port ----
"$MAMORI" serve --store "$S" --listen 127.0.0.1:0 --web "$ROOT/web" >"$LOGDIR/server.log" 2>&1 &
SERVER_PID=$!
URL=
for _ in $(seq 100); do
  URL=$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$LOGDIR/server.log" | head -n 1 | sed 's/^listening on //')
  [ -n "$URL" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
if [ -n "$URL" ] && curl -fsS --max-time 5 "$URL/api/v1/health" >/dev/null 2>&1; then
  ok "e2e: mamori serve answers on $URL"
else
  cat "$LOGDIR/server.log"
  not_ok "e2e: mamori serve did not start"
  exit 1
fi

# ---- the browser tests ----
export MM_URL=$URL MM_LOG_DIR=$LOGDIR MM_TOKEN_OPERATOR=$OPERATOR MM_TOKEN_ANALYST=$ANALYST
export MM_TOKEN_MINISTRY_SAME=$MINISTRY_SAME MM_TOKEN_MINISTRY_OTHER=$MINISTRY_OTHER
(cd "$E2E" && timeout 600 node --test --test-reporter=tap ./*.test.js) >"$LOGDIR/node-test.log" 2>&1
rc=$?
# The tests themselves, renumbered into ours: node's TAP indents subtests (and node 18 wraps
# each file in a test of its own), so take the least indented "ok"/"not ok" lines that are not
# a file's wrapper. Nested subtests would be deeper and are not counted twice.
while IFS=$'\t' read -r verdict name; do
  if [ "$verdict" = ok ]; then ok "e2e: $name"; else not_ok "e2e: $name"; fi
done < <(awk '
  match($0, /^ *(not )?ok [0-9]+ - /) {
    line = $0; indent = match(line, /[^ ]/) - 1; sub(/^ */, "", line)
    verdict = (line ~ /^not ok/) ? "not ok" : "ok"; sub(/^(not )?ok [0-9]+ - /, "", line)
    if (line ~ /\.test\.js$/) next
    n++; ind[n] = indent; v[n] = verdict; nm[n] = line
    if (min == "" || indent < min) min = indent
  }
  END { for (i = 1; i <= n; i++) if (ind[i] == min) printf "%s\t%s\n", v[i], nm[i] }' "$LOGDIR/node-test.log")
if [ "$rc" -ne 0 ]; then
  # show what failed: node's TAP diagnostics for the failing tests
  grep -E -A 30 '^not ok ' "$LOGDIR/node-test.log" | head -n 120
  [ "$fails" -eq 0 ] && not_ok "e2e: node --test exited $rc (see $LOGDIR/node-test.log)"
fi
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  not_ok "e2e: the server died during the tests (see $LOGDIR/server.log)"
else
  # stop it now, to check it stops cleanly (exit 0, no sanitizer report) within 10 s
  kill -TERM "$SERVER_PID"
  for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    not_ok "e2e: the server did not stop within 10 s of SIGTERM"
  else
    wait "$SERVER_PID"
    src=$?
    if [ "$src" -eq 0 ] && ! grep -q 'Sanitizer' "$LOGDIR/server.log"; then
      ok "e2e: the server stopped cleanly on SIGTERM after the browser tests"
    else
      not_ok "e2e: the server exited $src on SIGTERM (see $LOGDIR/server.log)"
    fi
  fi
  SERVER_PID=
fi
echo "# $n tests, $fails failed; logs and screenshots in $LOGDIR"
[ "$fails" -eq 0 ]
