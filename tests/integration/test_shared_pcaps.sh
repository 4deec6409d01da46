#!/usr/bin/env bash
# test_shared_pcaps.sh - every real capture in ../shared/data/pcaps (1,600 files, many deliberately
# malformed) through the sanitized `mamori select`: no crash, no sanitizer report, clean exit codes,
# and only complete, valid records. Each is read again by two workers in small byte ranges (the way
# several workers split a pcap, guessing where records start): same records, counters, exit and message.
source "$(dirname "$0")/lib.sh"

if [ ! -d "$SHARED/pcaps" ]; then
  not_ok "shared data not found at $SHARED/pcaps"
  finish
  exit
fi
# Match everything, on the route that selects most of what such traces hold (public <-> public).
write_policy "$T/pol" transit "203.0.113.0/24\n" \
  '[{"id": "ALL-4", "match": "0.0.0.0/0"}, {"id": "ALL-6", "match": "::/0"}]'
mkdir -p "$T/in" "$T/out" "$T/w2"
find "$SHARED/pcaps" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' -o -name '*.trace' -o -name '*.gz' \) >"$T/list"
# Also anything without one of those suffixes that starts like a capture (some traces have none).
find "$SHARED/pcaps" -type f ! -name '*.pcap' ! -name '*.pcapng' ! -name '*.gz' ! -name '*.cap' ! -name '*.trace' \
  -size +23c -exec sh -c 'head -c4 "$1" | od -An -tx1 | tr -d " \n" | grep -Eq "^(d4c3b2a1|a1b2c3d4|4d3cb2a1|a1b23c4d|0a0d0d0a)$" && echo "$1"' _ {} \; >>"$T/list"
total=$(wc -l <"$T/list")
i=0
while read -r f; do
  i=$((i + 1))
  in=$f
  if [[ $f == *.gz ]]; then
    in="$T/in/$i-$(basename "${f%.gz}")"
    gzip -dc "$f" >"$in" 2>/dev/null || { echo "# cannot decompress $f"; continue; }
  fi
  printf '%s\t%s\n' "$i" "$in"
done <"$T/list" >"$T/jobs"

run_one() {
  local idx=$1 in=$2
  "$MAMORI" select --policy "$T/pol/policy.json" --out "$T/out/$idx.jsonl" --stats "$T/out/$idx.stats" \
    --max-flows 20000 "$in" 2>"$T/out/$idx.err"
  echo "$? $in" >"$T/out/$idx.rc"
  "$MAMORI" select --policy "$T/pol/policy.json" --out "$T/w2/$idx.jsonl" --stats "$T/w2/$idx.stats" \
    --max-flows 20000 --workers 2 --chunk $((61 + idx % 2039)) "$in" 2>"$T/w2/$idx.err"
  echo "$? $in" >"$T/w2/$idx.rc"
}
export -f run_one
export MAMORI T
cut -f1,2 "$T/jobs" | xargs -P 2 -L 1 bash -c 'run_one "$0" "$1"'

crashed=0 errored=0 clean=0 unnamed=0
for rcfile in "$T"/out/*.rc; do
  read -r rc in <"$rcfile"
  idx=$(basename "$rcfile" .rc)
  case $rc in
    0) clean=$((clean + 1)) ;;
    2) errored=$((errored + 1))
       grep -q "$(basename "$in")" "$T/out/$idx.err" || { unnamed=$((unnamed + 1)); echo "# error without file name: $in: $(head -c 200 "$T/out/$idx.err")"; } ;;
    *) crashed=$((crashed + 1)); echo "# exit $rc on $in:"; head -n 30 "$T/out/$idx.err" | sed 's/^/#   /' ;;
  esac
done
echo "# $total files: $clean read cleanly, $errored refused with exit 2, $crashed crashed or failed"
check "all $total shared captures processed" test "$((clean + errored + crashed))" -eq "$total"
check "no crash, sanitizer report or unexpected exit on any shared capture" test "$crashed" -eq 0
check "every refused capture is named in its error" test "$unnamed" -eq 0
check "most shared captures read cleanly" test "$clean" -gt $((total / 2))
cat "$T"/out/*.jsonl >"$T/all.jsonl"
check "all records from the shared captures follow the contract ($(wc -l <"$T/all.jsonl") records)" \
  python3 "$HERE/check_records.py" "$T/all.jsonl" "$T/pol/policy.json"
check "statistics written for every file" test "$(ls "$T"/out/*.stats | wc -l)" -eq "$total"
python3 - "$T" <<'PY' >"$T/differ"
import json, os, sys
t = sys.argv[1]
def stats(path):
    d = json.load(open(path))
    for k in ("workers", "selection_seconds", "policy_load_seconds"):
        d.pop(k, None)
    return d
def lines(path):
    return sorted(open(path, "rb").read().splitlines())
def raw(path):
    return open(path, "rb").read()
differ = 0
for name in os.listdir(f"{t}/out"):
    if not name.endswith(".rc"):
        continue
    i = name[:-3]
    one, two = f"{t}/out/{i}", f"{t}/w2/{i}"
    same = (raw(one + ".rc") == raw(two + ".rc") and raw(one + ".err") == raw(two + ".err")
            and lines(one + ".jsonl") == lines(two + ".jsonl") and stats(one + ".stats") == stats(two + ".stats"))
    if not same:
        differ += 1
        if differ <= 5:
            print("# two workers differ on", raw(one + ".rc").decode().split(" ", 1)[1].strip(), file=sys.stderr)
print(differ)
PY
differ=$(cat "$T/differ")
check "two workers reading in byte ranges give the same records, counters, exit and message ($total files)" \
  test "$differ" -eq 0
finish
