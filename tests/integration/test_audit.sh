#!/usr/bin/env bash
# test_audit.sh - the audit log's hash chain catches every change made to the SQLite file directly:
# a byte edited in place, an entry deleted, entries reordered, an entry inserted, the newest entries cut.
source "$(dirname "$0")/lib.sh"

S=$T/store.db
"$MAMORI" init --store "$S" >/dev/null
ADMIN=$("$MAMORI" user add --store "$S" --name root --role admin | tail -n 1)
COMMITTEE=$("$MAMORI" user add --store "$S" --name iinkai --role committee --token "$ADMIN" | tail -n 1)
ANALYST=$("$MAMORI" user add --store "$S" --name ana --role analyst --token "$ADMIN" | tail -n 1)
for i in 1 2 3; do "$MAMORI" user add --store "$S" --name "op$i" --role operator --token "$ADMIN" >/dev/null; done
check "tokens are printed alone on the last line" bash -c "[[ '$ANALYST' =~ ^mt[0-9a-f]{64}$ ]]"
check "the store keeps no clear token" bash -c "! grep -q '$ANALYST' '$S'* && ! grep -q '${ANALYST:2}' '$S'*"

"$MAMORI" user add --store "$S" --name sneaky --role admin --token "$ANALYST" >/dev/null 2>&1
check "only an admin adds users once the store has one (exit 3)" test $? -eq 3
"$MAMORI" user add --store "$S" --name sneaky --role admin >/dev/null 2>&1
check "no token, no second user" test $? -ne 0
"$MAMORI" audit list --store "$S" --token "$ANALYST" >/dev/null 2>&1
check "an analyst may not read the audit log (exit 3)" test $? -eq 3
"$MAMORI" audit list --store "$S" --token "mtdeadbeef" >/dev/null 2>&1
check "an unknown token is refused (exit 3)" test $? -eq 3

"$MAMORI" audit list --store "$S" --token "$COMMITTEE" >"$T/list1"
check "denied attempts are in the audit log" bash -c "grep -q '\"outcome\":\"denied\"' '$T/list1' && grep -q '(unknown token)' '$T/list1'"
"$MAMORI" audit list --store "$S" --token "$COMMITTEE" >"$T/list2"
check "reading the audit log is itself logged" grep -q '"action":"audit.list"' "$T/list2"
check "entries chain: each prev_sha256 is the previous sha256" python3 - "$T/list2" <<'PY'
import json, sys
prev = "0" * 64
for i, line in enumerate(open(sys.argv[1]), 1):
    e = json.loads(line)
    assert e["seq"] == i and e["prev_sha256"] == prev, (i, e)
    prev = e["sha256"]
PY
"$MAMORI" audit verify --store "$S" --token "$COMMITTEE" >/dev/null
check "an untouched log verifies (exit 0)" test $? -eq 0
read -r HEAD _ < <("$MAMORI" audit head --store "$S" --token "$ADMIN")
check "audit head prints a SHA-256" bash -c "[[ '$HEAD' =~ ^[0-9a-f]{64}$ ]]"
"$MAMORI" audit verify --store "$S" --token "$COMMITTEE" --expect-head "$HEAD" >/dev/null
check "an anchored head is found in an intact log" test $? -eq 0

# tamper CASE SQL...: copy the store, change the copy's file directly, verify must fail and name an entry
tamper() {
  local name=$1 sql=$2 expect_entry=$3
  local copy=$T/$name.db
  cp "$S" "$copy"
  python3 - "$copy" "$sql" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;" + sys.argv[2])
db.commit()
db.close()
PY
  "$MAMORI" audit verify --store "$copy" --token "$COMMITTEE" ${4:+--expect-head "$4"} >"$T/$name.out" 2>"$T/$name.err"
  local rc=$?
  check "tampering ($name) is detected: exit 1" test $rc -eq 1
  check "tampering ($name) names entry $expect_entry" grep -q "first bad entry: $expect_entry\$" "$T/$name.out"
}
tamper edit "UPDATE audit SET reason = 'nothing to see' WHERE seq = 4" 4
tamper delete "DELETE FROM audit WHERE seq = 3" 3
tamper reorder "UPDATE audit SET seq = -1 WHERE seq = 5; UPDATE audit SET seq = 5 WHERE seq = 6; UPDATE audit SET seq = 6 WHERE seq = -1" 5
tamper insert "UPDATE audit SET seq = seq + 100 WHERE seq >= 4; UPDATE audit SET seq = seq - 99 WHERE seq >= 104; INSERT INTO audit SELECT 4, at, actor, role, action, purpose, reason, object, count, outcome, prev_sha256, sha256 FROM audit WHERE seq = 3" 4
N=$(python3 -c "import sqlite3;print(sqlite3.connect('$S').execute('select max(seq) from audit').fetchone()[0])")
tamper cut-tail "DELETE FROM audit WHERE seq = $N" "$N"
# A thorough attacker also rewrites the stored head and count: only the outside anchor catches it.
read -r HEAD N < <("$MAMORI" audit head --store "$S" --token "$ADMIN")
tamper cut-tail-and-meta "DELETE FROM audit WHERE seq = $N; UPDATE meta SET value = (SELECT sha256 FROM audit WHERE seq = $((N - 1))) WHERE key = 'audit_head'; UPDATE meta SET value = '$((N - 1))' WHERE key = 'audit_count'" "$N" "$HEAD"

# A raw byte edit of the file itself (no SQL): change one letter of an actor's name in place.
cp "$S" "$T/raw.db"
python3 - "$T/raw.db" <<'PY'
import sys
p = sys.argv[1]
data = bytearray(open(p, "rb").read())
i = data.find(b'"user":"iinkai"') + len(b'"user":"')
assert i >= len(b'"user":"')
data[i] = ord("X")
open(p, "wb").write(data)
PY
"$MAMORI" audit verify --store "$T/raw.db" --token "$COMMITTEE" >"$T/raw.out" 2>&1
check "a raw byte edit of the file is detected" test $? -eq 1
finish
