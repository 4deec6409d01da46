#!/usr/bin/env bash
# test_crash.sh - crash safety and concurrency: `select --store` killed with SIGKILL mid-run leaves a
# store that opens, checks clean and holds only whole, valid records; two writers and looping readers
# at once all succeed and lose nothing.
source "$(dirname "$0")/lib.sh"
source "$HERE/store_lib.sh"

"$GEN" --small --packets 2000000 --duration-s 600 --seed 3 --out "$T/big.pcap" --indicators-dir "$T/ind" >/dev/null
check "generated a large capture" test -s "$T/big.pcap"

# ---- SIGKILL mid-run ----
DB=$T/crash.db
new_store "$DB"
# The same capture given several times is one long input (hard links, no copies), so the run lasts
# long enough to be killed mid-way even with an optimized build.
for i in 1 2 3 4 5 6 7 8; do ln "$T/big.pcap" "$T/big-$i.pcap"; done
"$MAMORI" select --policy "$T/ind/policy.json" --store "$DB" --token "$ANALYST" "$T"/big-?.pcap 2>/dev/null &
pid=$!
# Wait until some batches are committed, then kill without warning.
for _ in $(seq 1 100); do
  [ "$(stored_count "$DB")" -gt 0 ] && break
  sleep 0.02
done
alive=0
kill -0 $pid 2>/dev/null && alive=1
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
rc=$?
check "select was still running when killed (SIGKILL, exit 137)" bash -c "[ $alive -eq 1 ] && [ $rc -eq 137 ]"
check "the store opens and its integrity and foreign-key checks pass" "$MAMORI" check --store "$DB" --token "$ADMIN"
check "PRAGMA integrity_check returns ok" \
  python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute('PRAGMA integrity_check').fetchall(); sys.exit(r != [('ok',)])" "$DB"
check "the audit chain verifies" "$MAMORI" audit verify --store "$DB" --token "$COMMITTEE"
"$MAMORI" query --store "$DB" --purpose committee_inspection --reason "after crash" --token "$COMMITTEE" >"$T/after.jsonl"
check "records committed before the kill are there" test -s "$T/after.jsonl"
check "every stored record is complete and valid" python3 "$HERE/check_records.py" "$T/after.jsonl" "$T/ind/policy.json"
check "the killed run is left 'running', not 'done'" \
  python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); sys.exit(c.execute('SELECT status FROM runs').fetchall() != [('running',)])" "$DB"

# ---- two writers and readers at once ----
DB2=$T/concurrent.db
new_store "$DB2"
"$GEN" --small --packets 300000 --duration-s 600 --seed 4 --out "$T/mid.pcap" >/dev/null
"$MAMORI" select --policy "$T/ind/policy.json" --store "$DB2" --token "$ANALYST" --out "$T/w1.jsonl" "$T/mid.pcap" 2>"$T/w1.err" &
p1=$!
"$MAMORI" select --policy "$T/ind/policy.json" --store "$DB2" --token "$ANALYST" --out "$T/w2.jsonl" "$T/big.pcap" 2>"$T/w2.err" &
p2=$!
reader_fail=0
reads=0
while kill -0 $p1 2>/dev/null || kill -0 $p2 2>/dev/null; do
  "$MAMORI" query --store "$DB2" --purpose committee_inspection --reason "concurrent read" --token "$COMMITTEE" \
    >/dev/null 2>>"$T/readers.err" || reader_fail=$((reader_fail + 1))
  reads=$((reads + 1))
done
wait $p1; r1=$?
wait $p2; r2=$?
check "both writers finish successfully" bash -c "[ $r1 -eq 0 ] && [ $r2 -eq 0 ]"
check "every reader succeeded ($reads reads)" test $reader_fail -eq 0
want=$(($(wc -l <"$T/w1.jsonl") + $(wc -l <"$T/w2.jsonl")))
check "the store holds the records of both runs ($want)" test "$(stored_count "$DB2")" -eq "$want"
check "the concurrent store checks clean" "$MAMORI" check --store "$DB2" --token "$ADMIN"
check "the audit chain verifies after concurrent writers" "$MAMORI" audit verify --store "$DB2" --token "$COMMITTEE"

finish
