#!/usr/bin/env bash
# run-demo.sh - what `make run` does: the sensor on a sample capture of the project's own generator,
# then the control plane: a demo store with organizations and users, the selected records in it,
# and `mamori serve` with the portal, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
M=build/mamori
demo=build/demo
port=${MAMORI_PORT:-8080}
rm -rf "$demo"
mkdir -p "$demo"

echo "== 1. the sensor: generate a sample capture (every payload byte is a canary text) and indicators"
build/gen_capture --small --canary --seed 7 --out "$demo/sample.pcap" --indicators-dir "$demo"
echo
echo "== policy ($demo/policy.json)"
cat "$demo/policy.json"
echo
echo "== mamori select --policy $demo/policy.json --out $demo/records.jsonl --stats $demo/stats.json $demo/sample.pcap"
"$M" select --policy "$demo/policy.json" --out "$demo/records.jsonl" --stats "$demo/stats.json" "$demo/sample.pcap"
echo
echo "== selected records ($(wc -l <"$demo/records.jsonl") lines; first 5)"
head -n 5 "$demo/records.jsonl"
echo
echo "== statistics"
cat "$demo/stats.json"
echo
if grep -q MAMORICANARY "$demo/records.jsonl" "$demo/stats.json"; then
  echo "PAYLOAD LEAK: the canary text reached an output file" >&2
  exit 1
fi
echo "== no payload byte (canary text) in any output file"
echo

echo "== 2. the store: demo organizations and users (embedded SQLite at $demo/store.db)"
S=$demo/store.db
"$M" init --store "$S"
ADMIN=$("$M" user add --store "$S" --name admin --role admin | tail -n 1)
org() { "$M" org add --store "$S" --token "$ADMIN" "$@" | tail -n 1; }
org --name "Ministry of Economy, Trade and Industry" --type ministry --sector electricity --sector gas >/dev/null
org --name "Ministry of Land, Infrastructure, Transport and Tourism" --type ministry --sector railway --sector aviation >/dev/null
org --name "Kanto Electric Power (demo)" --type operator --sector electricity >/dev/null
org --name "Shinkansen Railway (demo)" --type operator --sector railway >/dev/null
org --name "Cloud Services KK (demo)" --type supplier >/dev/null
user() { "$M" user add --store "$S" --token "$ADMIN" "$@" | tail -n 1; }
ANALYST=$(user --name analyst --role analyst)
COMMITTEE=$(user --name committee --role committee)
OPERATOR=$(user --name kanto-soc --role operator --org "Kanto Electric Power (demo)")
MINISTRY=$(user --name meti --role ministry --org "Ministry of Economy, Trade and Industry")
"$M" select --policy "$demo/policy.json" --store "$S" --token "$ANALYST" "$demo/sample.pcap"
echo "stored the selected records; the audit log so far:"
"$M" audit verify --store "$S" --token "$COMMITTEE"
cat >"$demo/tokens.txt" <<TOKENS
admin      $ADMIN
analyst    $ANALYST
committee  $COMMITTEE
operator   $OPERATOR   (Kanto Electric Power, sector electricity)
ministry   $MINISTRY   (METI: electricity, gas)
TOKENS
chmod 600 "$demo/tokens.txt"
echo
echo "== 3. the control plane: http://127.0.0.1:$port/ (portal) and /api/v1/ (JSON API)"
echo "Sign in with one of these tokens (also in $demo/tokens.txt):"
cat "$demo/tokens.txt"
echo
echo "Stop with Ctrl-C."
exec "$M" serve --store "$S" --listen "127.0.0.1:$port" --web web
