#!/usr/bin/env bash
# run-demo.sh - what `make run` does: generate a sample capture with the project's own generator,
# select from it with an example policy, and show the records and the counters.
set -euo pipefail
cd "$(dirname "$0")/.."
demo=build/demo
rm -rf "$demo"
mkdir -p "$demo"
echo "== generating a sample capture (payload bytes are a canary text) and an indicator set"
build/gen_capture --small --canary --seed 7 --out "$demo/sample.pcap" --indicators-dir "$demo"
echo
echo "== policy ($demo/policy.json)"
cat "$demo/policy.json"
echo
echo "== mamori select --policy $demo/policy.json --out $demo/records.jsonl --stats $demo/stats.json $demo/sample.pcap"
build/mamori select --policy "$demo/policy.json" --out "$demo/records.jsonl" --stats "$demo/stats.json" "$demo/sample.pcap"
echo
echo "== selected records ($(wc -l <"$demo/records.jsonl") lines; first 10)"
head -n 10 "$demo/records.jsonl"
echo
echo "== statistics"
cat "$demo/stats.json"
echo
if grep -q MAMORICANARY "$demo/records.jsonl" "$demo/stats.json"; then
  echo "PAYLOAD LEAK: the canary text reached an output file" >&2
  exit 1
fi
echo "== no payload byte (canary text) in any output file"
