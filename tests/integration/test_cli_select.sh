#!/usr/bin/env bash
# test_cli_select.sh - `mamori select` as a user meets it: help, records, counters, payload canaries,
# clear addresses, workers, pcap/pcapng/ns equivalence, refused policies, corrupt captures.
source "$(dirname "$0")/lib.sh"

check "help lists select" bash -c "'$MAMORI' help | grep -q select"
check "help select documents --policy" bash -c "'$MAMORI' help select | grep -q -- '--policy'"
"$MAMORI" frobnicate >/dev/null 2>&1; check "unknown command exits 2" test $? -eq 2

# A sample capture whose payload bytes are all the canary text.
"$GEN" --small --canary --seed 11 --out "$T/s.pcap" --indicators-dir "$T/ind" >/dev/null
check "generator wrote a capture and a policy" test -s "$T/s.pcap" -a -s "$T/ind/policy.json"
grep -q MAMORICANARY "$T/s.pcap"; check "the capture does carry the canary" test $? -eq 0

"$MAMORI" select --policy "$T/ind/policy.json" --out "$T/r1.jsonl" --stats "$T/st1.json" "$T/s.pcap" 2>"$T/err1"
check "select exits 0" test $? -eq 0
check "some flows selected" test -s "$T/r1.jsonl"
check "records follow the contract; clear addresses are indicators; no non-indicator capture address in clear" \
  python3 "$HERE/check_records.py" "$T/r1.jsonl" "$T/ind/policy.json" "$T/s.pcap"
! grep -q MAMORICANARY "$T/r1.jsonl" "$T/st1.json" "$T/err1"
check "no payload byte (canary) in records, statistics or messages" test $? -eq 0
! grep -q 'domestic_to_domestic"' "$T/r1.jsonl"
check "no domestic-to-domestic record" test $? -eq 0
check "stats count what was written" python3 - "$T/st1.json" "$T/r1.jsonl" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
n = sum(1 for _ in open(sys.argv[2]))
assert s["flows_selected"] == n, (s["flows_selected"], n)
assert sum(s["selected_per_criterion"].values()) >= n
for k in ("packets", "bytes_captured", "malformed", "flows_seen", "flows_discarded", "flows_evicted"):
    assert k in s, k
assert set(s["flows_discarded"]) == {"domestic_to_domestic", "route_direction", "no_criterion"}
assert s["flows_discarded"]["domestic_to_domestic"] > 0, "the sample has domestic-only flows"
assert s["flows"] == sum(s["flows_seen"].values())
assert s["flows"] == n + sum(s["flows_discarded"].values())
PY
check "records file is private (0600)" test "$(stat -c %a "$T/r1.jsonl")" = 600

"$MAMORI" select --policy "$T/ind/policy.json" --workers 2 --out "$T/r2.jsonl" "$T/s.pcap" 2>/dev/null
check "two workers select exactly what one does" cmp -s <(sort "$T/r1.jsonl") <(sort "$T/r2.jsonl")
taskset -c 0 "$MAMORI" select --policy "$T/ind/policy.json" --workers 3 --pin --chunk 4096 --out "$T/r3.jsonl" \
  "$T/s.pcap" 2>/dev/null
check "three pinned workers on one allowed CPU, in 4 KiB ranges, select exactly what one does" \
  cmp -s <(sort "$T/r1.jsonl") <(sort "$T/r3.jsonl")

"$MAMORI" select --policy "$T/ind/policy.json" "$T/s.pcap" >"$T/r-stdout.jsonl" 2>/dev/null
check "records go to standard output by default" cmp -s "$T/r1.jsonl" "$T/r-stdout.jsonl"

if command -v editcap >/dev/null; then
  editcap -F pcapng "$T/s.pcap" "$T/s.pcapng" && editcap -F nsecpcap "$T/s.pcap" "$T/s-ns.pcap"
  "$MAMORI" select --policy "$T/ind/policy.json" --out "$T/rng.jsonl" "$T/s.pcapng" 2>/dev/null
  check "pcapng input gives the same records" cmp -s "$T/r1.jsonl" "$T/rng.jsonl"
  "$MAMORI" select --policy "$T/ind/policy.json" --out "$T/rns.jsonl" "$T/s-ns.pcap" 2>/dev/null
  check "nanosecond pcap gives the same records" cmp -s "$T/r1.jsonl" "$T/rns.jsonl"
  # Two halves read as one stream give the flows of the whole.
  editcap -c 1000 "$T/s.pcap" "$T/part.pcap" >/dev/null
  "$MAMORI" select --policy "$T/ind/policy.json" --out "$T/rparts.jsonl" "$T"/part_*.pcap 2>/dev/null
  check "several inputs are one stream" cmp -s <(sort "$T/r1.jsonl") <(sort "$T/rparts.jsonl")
else
  not_ok "editcap (wireshark-common) missing: pcapng equivalence not tested"
fi

# Refused policies: nothing is read, nothing is written, the message names the place.
cp -r "$T/ind" "$T/bad"
sed -i 's/"route": "[a-z_]*"/"route": "sideways"/' "$T/bad/policy.json"
"$MAMORI" select --policy "$T/bad/policy.json" --out "$T/never.jsonl" "$T/s.pcap" 2>"$T/err-bad"
check "a bad route exits 2" test $? -eq 2
check "the message names the file and field" grep -q 'bad/policy.json: route' "$T/err-bad"
check "no output file is created for a refused policy" test ! -e "$T/never.jsonl"
chmod 644 "$T/bad/pseudo.key"
cp "$T/ind/policy.json" "$T/bad/policy.json"
"$MAMORI" select --policy "$T/bad/policy.json" --out "$T/never.jsonl" "$T/s.pcap" 2>"$T/err-key"
check "a group-readable key is refused" bash -c "grep -q 'pseudo.key' '$T/err-key' && grep -qi 'permissions' '$T/err-key'"

# Corrupt and truncated captures: exit 2, file and offset named, complete lines only.
size=$(stat -c %s "$T/s.pcap")
head -c $((size * 2 / 3)) "$T/s.pcap" >"$T/trunc.pcap"
"$MAMORI" select --policy "$T/ind/policy.json" --out "$T/rt.jsonl" --stats "$T/stt.json" "$T/trunc.pcap" 2>"$T/err-trunc"
check "a truncated capture exits 2" test $? -eq 2
check "the error names the file and byte offset" grep -Eq 'trunc.pcap: offset [0-9]+' "$T/err-trunc"
check "records written before the error are complete and valid" \
  python3 "$HERE/check_records.py" "$T/rt.jsonl" "$T/ind/policy.json"
check "statistics are still written" test -s "$T/stt.json"
"$MAMORI" select --policy "$T/ind/policy.json" --workers 2 --out "$T/rt2.jsonl" --stats "$T/stt2.json" "$T/trunc.pcap" 2>"$T/err-trunc2"
check "two workers: a truncated capture exits 2 naming file and offset" \
  bash -c "[ $? -eq 2 ] && grep -Eq 'trunc.pcap: offset [0-9]+' '$T/err-trunc2'"
check "two workers write the same records up to the error as one" cmp -s <(sort "$T/rt.jsonl") <(sort "$T/rt2.jsonl")
check "two workers count the same packets up to the error as one" python3 -c "
import json; a = json.load(open('$T/stt.json')); b = json.load(open('$T/stt2.json'))
assert a['packets'] == b['packets'] and a['flows'] == b['flows'], (a['packets'], b['packets'])"
printf 'this is not a capture file at all' >"$T/junk.pcap"
"$MAMORI" select --policy "$T/ind/policy.json" --out "$T/rj.jsonl" "$T/junk.pcap" 2>"$T/err-junk"
check "a file that is no capture exits 2 naming it" bash -c "[ $? -eq 2 ] && grep -q junk.pcap '$T/err-junk'"
"$MAMORI" select --policy "$T/ind/policy.json" --out "$T/rm.jsonl" "$T/missing.pcap" 2>"$T/err-missing"
check "a missing capture exits 2 naming it" bash -c "[ $? -eq 2 ] && grep -q missing.pcap '$T/err-missing'"
"$MAMORI" select --policy "$T/ind/policy.json" --workers 0 "$T/s.pcap" >/dev/null 2>&1
check "--workers 0 is a usage error" test $? -eq 2

finish
