#!/usr/bin/env bash
# test_retention.sh - erasure at the deadline: dry run, holds (approved keep, unapproved do not), and
# proof that no erased address or timestamp survives in any file of the store; newer schemas refused.
source "$(dirname "$0")/lib.sh"
source "$HERE/store_lib.sh"

DB=$T/store.db
"$GEN" --small --canary --seed 5 --out "$T/x.pcap" --indicators-dir "$T/ind" >/dev/null
check "store with admin, analyst and committee" new_store "$DB"
"$MAMORI" select --policy "$T/ind/policy.json" --store "$DB" --token "$ANALYST" --out "$T/r.jsonl" "$T/x.pcap" 2>"$T/err"
check "select --store exits 0" test $? -eq 0
N=$(wc -l <"$T/r.jsonl")
check "records were selected and stored" bash -c "[ $N -gt 0 ] && [ \$(source '$HERE/store_lib.sh'; COMMITTEE='$COMMITTEE' MAMORI='$MAMORI' stored_count '$DB') -eq $N ]"
FAR=2100-01-01T00:00:00Z
cat >"$T/scan.py" <<'PY'
import calendar, json, os, struct, sys, datetime
recs = [json.loads(l) for l in open(sys.argv[1])]
files = [p for p in (sys.argv[2], sys.argv[2] + "-wal", sys.argv[2] + "-shm") if os.path.exists(p)]
blob = {p: open(p, "rb").read() for p in files}
def ns(t):
    d = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ")
    return calendar.timegm(d.timetuple()) * 10**9 + d.microsecond * 1000
def sqlite_int(v):
    for n in (1, 2, 3, 4, 6, 8):
        if -(1 << (8 * n - 1)) <= v < (1 << (8 * n - 1)):
            return (v & ((1 << (8 * n)) - 1)).to_bytes(n, "big")
want_absent = sys.argv[3] == "absent"
bad, found = [], 0
for r in recs:
    needles = [r["src_addr"].encode(), r["dst_addr"].encode()]
    needles += [sqlite_int(ns(r["first_seen"])), sqlite_int(ns(r["last_seen"]))]
    assert all(len(x) == 8 for x in needles[2:])
    for p, data in blob.items():
        for x in needles:
            if x in data:
                bad.append((os.path.basename(p), x))
if not want_absent:
    # Positive control: the scan does find the records while they are stored.
    if len(bad) < 2 * len(recs):
        sys.exit("only %d of the stored values found before erasure" % len(bad))
    sys.exit(0)
if bad:
    sys.exit("survived: %r" % bad[:5])
print("checked %d records against %s" % (len(recs), [os.path.basename(p) for p in files]))
PY
check "positive control: the scan finds stored addresses and times before erasure" \
  python3 "$T/scan.py" "$T/r.jsonl" "$DB" present

# Dry run: reports, changes nothing, is audited as a dry run.
cp "$DB" "$T/before.db"
"$MAMORI" erase --store "$DB" --as-of $FAR --dry-run --token "$ADMIN" >"$T/dry.out"
check "dry run exits 0" test $? -eq 0
check "dry run reports what would be erased" grep -q "would erase as of 2100-01-01T00:00:00.000000Z: $N records" "$T/dry.out"
check "dry run erases nothing" test "$(stored_count "$DB")" -eq "$N"
check "dry run is audited as a dry run" bash -c "'$MAMORI' audit list --store '$DB' --token '$COMMITTEE' | grep '\"action\":\"records.erase\"' | grep -q '\"outcome\":\"dry_run\"'"
"$MAMORI" erase --store "$DB" --as-of 2000-01-01T00:00:00Z --token "$ADMIN" >/dev/null
check "nothing is past its deadline in 2000" test "$(stored_count "$DB")" -eq "$N"

# Holds: C-001's records under an approved hold, C-002's under a hold never approved.
H1=$("$MAMORI" hold request --store "$DB" --criterion C-001 --until 2150-01-01T00:00:00Z --reason "incident 7" --token "$ANALYST")
check "hold request prints an id" test -n "$H1"
H2=$("$MAMORI" hold request --store "$DB" --criterion C-002 --until 2150-01-01T00:00:00Z --reason "unapproved" --token "$ANALYST")
"$MAMORI" hold approve --store "$DB" --id "$H1" --reason "approved by the committee" --token "$ANALYST" >/dev/null 2>&1
check "an analyst cannot approve a hold (exit 3)" test $? -eq 3
"$MAMORI" hold approve --store "$DB" --id "$H1" --reason "approved by the committee" --token "$COMMITTEE" >"$T/approve.out"
check "the committee approves the hold" test $? -eq 0
"$MAMORI" hold approve --store "$DB" --id "$H1" --reason "again" --token "$COMMITTEE" >/dev/null 2>&1
check "a hold is approved once" test $? -eq 2
C1=$(grep -c '"C-001"' "$T/r.jsonl")
C2=$(grep -c '"C-002"' "$T/r.jsonl")
check "the sample has records of C-001 and C-002" bash -c "[ $C1 -gt 0 ] && [ $C2 -gt 0 ]"
"$MAMORI" erase --store "$DB" --as-of $FAR --token "$ADMIN" >"$T/erase1.out"
check "erase exits 0" test $? -eq 0
"$MAMORI" query --store "$DB" --purpose committee_inspection --reason check --token "$COMMITTEE" >"$T/left.jsonl"
check "the approved hold keeps exactly its records past their deadline; the unapproved one keeps none" \
  python3 - "$T/left.jsonl" "$T/r.jsonl" <<'PY'
import json, sys
left = [json.loads(l) for l in open(sys.argv[1])]
want = sorted(l for l in open(sys.argv[2]) if '"C-001"' in l)
assert sorted(json.dumps(r, separators=(",", ":")) + "\n" for r in left) == want, (len(left), len(want))
assert not any("C-002" in r["criteria"] and "C-001" not in r["criteria"] for r in left)
PY
check "erase reports the held records" grep -q "$C1 kept by approved holds" "$T/erase1.out"

# After the hold's end everything goes, and the hold is marked expired.
"$MAMORI" erase --store "$DB" --as-of 2199-01-01T00:00:00Z --token "$ADMIN" >"$T/erase2.out"
check "the hold expires and its records are erased" bash -c "grep -q '1 holds expired' '$T/erase2.out' || grep -q '2 holds expired' '$T/erase2.out'"
check "no record is left" test "$(stored_count "$DB")" -eq 0
check "a second erase finds nothing" bash -c "'$MAMORI' erase --store '$DB' --as-of 2199-01-01T00:00:00Z --token '$ADMIN' | grep -q 'erased as of .*: 0 records'"

# No erased byte survives in any file of the store: addresses as text, times as SQLite stores
# integers (big-endian, in the smallest of 1, 2, 3, 4, 6 or 8 bytes that holds the value).
check "no erased address or timestamp survives in the store's files" \
  python3 "$T/scan.py" "$T/r.jsonl" "$DB" absent
check "the write-ahead log was truncated" bash -c "[ ! -s '$DB-wal' ]"
audit_json "$DB" >"$T/audit.jsonl"
check "the erasure's audit entry holds counts, range and reason, but no address" \
  python3 - "$T/audit.jsonl" "$T/r.jsonl" "$N" "$C1" <<'PY'
import json, sys
entries = [json.loads(l) for l in open(sys.argv[1])]
recs = [json.loads(l) for l in open(sys.argv[2])]
n, c1 = int(sys.argv[3]), int(sys.argv[4])
er = [e for e in entries if e["action"] == "records.erase" and e["outcome"] == "ok"]
assert sum(e["count"] for e in er) == n, [e["count"] for e in er]
big = [e for e in er if e["count"] == n - c1][0]
o = json.loads(big["object"])
assert big["reason"] == "retention" and o["records"] == n - c1 and o["held"] == c1, big
assert o["as_of"] == "2100-01-01T00:00:00.000000Z", o
assert "first_seen_min" in o and "last_seen_max" in o, o
addrs = {r["src_addr"] for r in recs} | {r["dst_addr"] for r in recs}
for e in er:
    text = json.dumps(e)
    assert not any(a in text for a in addrs), e
PY
check "the audit chain is intact after erasure" "$MAMORI" audit verify --store "$DB" --token "$COMMITTEE"
"$MAMORI" erase --store "$DB" --token "$ANALYST" >/dev/null 2>&1
check "an analyst may not erase (exit 3)" test $? -eq 3

# A store of a newer schema version is refused with a clear message.
cp "$T/before.db" "$T/newer.db"
python3 - "$T/newer.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
c.commit()
c.close()
PY
"$MAMORI" erase --store "$T/newer.db" --dry-run --token "$ADMIN" >/dev/null 2>"$T/newer.err"
check "a newer schema is refused (exit 2)" test $? -eq 2
check "the message says the schema is newer" grep -q "schema version 99 is newer" "$T/newer.err"

finish
