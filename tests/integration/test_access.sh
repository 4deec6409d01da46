#!/usr/bin/env bash
# test_access.sh - purpose-bound queries (refusals audited), filters, provision packages, single-use
# re-identification, the transparency report, and every new command against every role.
source "$(dirname "$0")/lib.sh"
source "$HERE/store_lib.sh"

DB=$T/store.db
"$GEN" --small --seed 9 --out "$T/x.pcap" --indicators-dir "$T/ind" >/dev/null
new_store "$DB"
"$MAMORI" select --policy "$T/ind/policy.json" --store "$DB" --token "$ANALYST" --out "$T/r.jsonl" "$T/x.pcap" 2>/dev/null
N=$(wc -l <"$T/r.jsonl")
check "records stored" test "$N" -gt 0

# ---- purposes ----
"$MAMORI" query --store "$DB" --purpose criminal_investigation --reason "case 12" --token "$ANALYST" >"$T/ci.out" 2>"$T/ci.err"
check "criminal_investigation is refused with exit 2" test $? -eq 2
check "the refusal says why" grep -q "not allowed" "$T/ci.err"
check "nothing is printed for a refused query" test ! -s "$T/ci.out"
"$MAMORI" query --store "$DB" --purpose damage_prevention --token "$ANALYST" >/dev/null 2>&1
check "a query without a reason is refused (exit 2)" test $? -eq 2
"$MAMORI" query --store "$DB" --purpose damage_prevention --reason "campaign X" --token "$ANALYST" >"$T/q.jsonl"
check "a damage_prevention query exits 0" test $? -eq 0
check "it returns every record in the record contract format" \
  bash -c "python3 '$HERE/check_records.py' '$T/q.jsonl' '$T/ind/policy.json' && [ \$(wc -l <'$T/q.jsonl') -eq $N ]"
check "the lines are byte for byte what select wrote" cmp -s <(sort "$T/q.jsonl") <(sort "$T/r.jsonl")
audit_json "$DB" >"$T/audit.jsonl"
check "refused and answered queries are in the audit log with purpose, reason and count" \
  python3 - "$T/audit.jsonl" "$N" <<'PY'
import json, sys
es = [json.loads(l) for l in open(sys.argv[1]) if '"records.query"' in l]
ref = [e for e in es if e["outcome"] == "refused" and e["purpose"] == "criminal_investigation"]
assert ref and ref[0]["reason"] == "case 12" and ref[0]["count"] == 0, es
ok = [e for e in es if e["outcome"] == "ok" and e["purpose"] == "damage_prevention"]
assert ok and ok[0]["count"] == int(sys.argv[2]) and ok[0]["reason"] == "campaign X", es
assert json.loads(ok[0]["object"]) == {}, ok[0]
PY

# ---- filters ----
check "address, prefix (IPv4 and IPv6), criterion, direction and time filters select what they should" \
  python3 - "$MAMORI" "$DB" "$ANALYST" "$T/r.jsonl" <<'PY'
import ipaddress, json, subprocess, sys
mamori, db, tok, path = sys.argv[1:5]
recs = [json.loads(l) for l in open(path)]
def q(*args):
    out = subprocess.run([mamori, "query", "--store", db, "--purpose", "damage_prevention", "--reason", "t",
                          "--token", tok, *args], check=True, capture_output=True, text=True).stdout
    return sorted(out.splitlines())
def want(pred):
    return sorted(json.dumps(r, separators=(",", ":")) for r in recs if pred(r))
pseudo = next(r["dst_addr"] if r["dst_pseudonymized"] else r["src_addr"] for r in recs
              if r["dst_pseudonymized"] or r["src_pseudonymized"])
assert q("--address", pseudo) == want(lambda r: pseudo in (r["src_addr"], r["dst_addr"])) != []
def in_net(net):
    n = ipaddress.ip_network(net)
    return lambda r: any(ipaddress.ip_address(a).version == n.version and ipaddress.ip_address(a) in n
                         for a in (r["src_addr"], r["dst_addr"]))
v6 = next(a for r in recs for a in (r["src_addr"], r["dst_addr"]) if ":" in a)
v4 = next(a for r in recs for a in (r["src_addr"], r["dst_addr"]) if "." in a)
for net in (str(ipaddress.ip_network(v6 + "/20", strict=False)), str(ipaddress.ip_network(v6 + "/127", strict=False)),
            str(ipaddress.ip_network(v4 + "/9", strict=False)), str(ipaddress.ip_network(v4 + "/31", strict=False)),
            "0.0.0.0/0", "::/0"):
    got, exp = q("--prefix", net), want(in_net(net))
    assert got == exp, (net, len(got), len(exp))
assert q("--criterion", "C-001") == want(lambda r: "C-001" in r["criteria"])
assert q("--direction", "foreign_to_domestic") == want(lambda r: r["direction"] == "foreign_to_domestic")
t = sorted(r["first_seen"] for r in recs)[len(recs) // 2]
assert q("--from", t) == want(lambda r: r["last_seen"] >= t)
assert q("--to", t) == want(lambda r: r["first_seen"] < t)
PY
"$MAMORI" query --store "$DB" --purpose damage_prevention --reason t --prefix 10.0.0.1/8 --token "$ANALYST" >/dev/null 2>&1
check "a prefix with host bits set is a usage error" test $? -eq 2

# ---- provision ----
"$MAMORI" provide --store "$DB" --to "NPA cyber unit" --purpose damage_prevention --reason "joint response" \
  --out "$T/pkg" --token "$ANALYST" >"$T/prov.out"
check "provide exits 0" test $? -eq 0
check "the package files exist" test -s "$T/pkg/records.jsonl" -a -s "$T/pkg/manifest.json" -a -s "$T/pkg/manifest.sha256"
check "manifest.sha256 verifies" bash -c "cd '$T/pkg' && sha256sum -c --quiet manifest.sha256"
check "the manifest holds the hash of records.jsonl, the count and the request" \
  python3 - "$T/pkg" "$N" <<'PY'
import hashlib, json, sys
d, n = sys.argv[1], int(sys.argv[2])
m = json.load(open(d + "/manifest.json"))
assert m["records_sha256"] == hashlib.sha256(open(d + "/records.jsonl", "rb").read()).hexdigest()
assert m["records"] == n == sum(1 for _ in open(d + "/records.jsonl"))
assert m["agency"] == "NPA cyber unit" and m["purpose"] == "damage_prevention" and m["reason"] == "joint response"
assert m["profile"]["name"] == "default" and "created_at" in m and m["filter"] == {}
PY
check "records.jsonl holds no pseudonymized address and only the default profile's fields" \
  python3 - "$T/pkg/records.jsonl" "$T/r.jsonl" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
recs = [json.loads(l) for l in open(sys.argv[2])]
pseudo = {r["src_addr"] for r in recs if r["src_pseudonymized"]} | {r["dst_addr"] for r in recs if r["dst_pseudonymized"]}
assert pseudo and not any(p in text for p in pseudo)
allowed = {"src_addr", "src_port", "dst_addr", "dst_port", "proto", "direction", "packets", "bytes",
           "tcp_flags", "first_seen", "last_seen", "criteria"}
for line in text.splitlines():
    o = json.loads(line)
    assert set(o) <= allowed, set(o) - allowed
    assert ("src_addr" in o) or ("dst_addr" in o), o
PY
check "the provision is audited with the package hash" \
  bash -c "audit_json() { '$MAMORI' audit list --store '$DB' --token '$COMMITTEE'; }; audit_json | grep '\"records.provide\"' | grep -q \"\$(cut -d' ' -f1 '$T/pkg/manifest.sha256')\""
printf '{"name":"wide","fields":["src_addr","proto"]}' >"$T/bad-profile.json"
"$MAMORI" provide --store "$DB" --to X --purpose damage_prevention --reason r --profile "$T/bad-profile.json" \
  --out "$T/pkg2" --token "$ANALYST" >/dev/null 2>&1
check "a profile listing an address field is refused (exit 2)" test $? -eq 2
"$MAMORI" provide --store "$DB" --to X --purpose criminal_investigation --reason r --out "$T/pkg3" --token "$ANALYST" >/dev/null 2>&1
check "provision for criminal investigation is refused (exit 2)" bash -c "[ $? -eq 2 ] && [ ! -e '$T/pkg3' ]"
"$MAMORI" provide --store "$DB" --to X --purpose provision --reason r --out "$T/pkg" --token "$ANALYST" >/dev/null 2>&1
check "an existing package directory is not overwritten (exit 2)" test $? -eq 2

# ---- re-identification ----
read -r P CLEAR_PEER < <(python3 - "$T/r.jsonl" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["dst_pseudonymized"] and not r["src_pseudonymized"]:
        print(r["dst_addr"], r["src_addr"]); break
PY
)
check "a record with a pseudonymized peer exists" test -n "$P"
"$MAMORI" reidentify --store "$DB" --approval 999 --pseudonym "$P" --key "$T/ind/pseudo.key" --reason r --token "$ANALYST" >"$T/re0.out" 2>/dev/null
check "without an approval, re-identification is refused (exit 2) and prints nothing" bash -c "[ $? -eq 2 ] && [ ! -s '$T/re0.out' ]"
OTHER=$("$MAMORI" reidentify approve --store "$DB" --pseudonym 192.0.2.1 --reason "other" --token "$COMMITTEE")
"$MAMORI" reidentify --store "$DB" --approval "$OTHER" --pseudonym "$P" --key "$T/ind/pseudo.key" --reason r --token "$ANALYST" >/dev/null 2>&1
check "an approval for another pseudonym is refused (exit 2)" test $? -eq 2
"$MAMORI" reidentify approve --store "$DB" --pseudonym "$P" --reason "victim notification" --token "$ANALYST" >/dev/null 2>&1
check "an analyst cannot approve re-identification (exit 3)" test $? -eq 3
APP=$("$MAMORI" reidentify approve --store "$DB" --pseudonym "$P" --reason "victim notification" --token "$COMMITTEE")
check "the committee's approval prints its id" test -n "$APP"
ORIG=$("$MAMORI" reidentify --store "$DB" --approval "$APP" --pseudonym "$P" --key "$T/ind/pseudo.key" --reason "notify" --token "$ANALYST")
check "with the approval, the original address is returned" test -n "$ORIG"
check "it is the peer the indicator talked to in the capture, and not a pseudonym" \
  python3 - "$T/x.pcap" "$CLEAR_PEER" "$ORIG" "$P" <<'PY'
import ipaddress, struct, sys
data = open(sys.argv[1], "rb").read()
ind, orig, pseudo = sys.argv[2], sys.argv[3], sys.argv[4]
assert orig != pseudo
off, pairs = 24, set()
while off + 16 <= len(data):
    caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
    f = data[off + 16:off + 16 + caplen]
    off += 16 + caplen
    p, et = 12, None
    while p + 2 <= len(f):
        et = struct.unpack(">H", f[p:p + 2])[0]
        p += 4 if et in (0x8100, 0x88a8, 0x9100) else 2
        if et not in (0x8100, 0x88a8, 0x9100):
            break
    if et == 0x0800 and len(f) >= p + 20:
        a, b = f[p + 12:p + 16], f[p + 16:p + 20]
    elif et == 0x86DD and len(f) >= p + 40:
        a, b = f[p + 8:p + 24], f[p + 24:p + 40]
    else:
        continue
    pairs.add(frozenset((str(ipaddress.ip_address(a)), str(ipaddress.ip_address(b)))))
assert frozenset((ind, orig)) in pairs, (ind, orig)
PY
"$MAMORI" reidentify --store "$DB" --approval "$APP" --pseudonym "$P" --key "$T/ind/pseudo.key" --reason "again" --token "$ANALYST" >/dev/null 2>&1
check "an approval is single use (second use exit 2)" test $? -eq 2
audit_json "$DB" >"$T/audit2.jsonl"
check "re-identification is audited with the pseudonym and approval, never the clear address" \
  bash -c "grep '\"action\":\"reidentify\"' '$T/audit2.jsonl' | grep '\"ok\"' | grep -q '\"approval\\\\\":$APP' && ! grep -qF '\"$ORIG' '$T/audit2.jsonl'"

# ---- transparency report ----
"$MAMORI" report transparency --store "$DB" --from 2000-01-01T00:00:00Z --to 2199-01-01T00:00:00Z --token "$COMMITTEE" >"$T/rep.json"
check "report transparency exits 0" test $? -eq 0
check "the report counts runs, discards, selections, queries, refusals, provisions and re-identifications" \
  python3 - "$T/rep.json" "$N" <<'PY'
import json, sys
r, n = json.load(open(sys.argv[1])), int(sys.argv[2])
pa = r["routes"]["party_agreement"]
assert pa["packets"] == 2000 and pa["flows_selected"] == n and pa["runs"] == 1, pa
assert set(r["flows_discarded"]) == {"domestic_to_domestic", "route_direction", "no_criterion"}
assert sum(r["selected_per_criterion"].values()) >= n
assert r["queries_per_purpose"]["damage_prevention"] >= 2 and r["queries_refused"] >= 2, r
assert r["provisions"] == 1 and r["records_provided"] == n
assert r["reidentify_approvals"] == 2 and r["reidentifications"] == 1, r
assert r["records_erased"] == 0 and set(r["criteria"]) == {"requests", "approvals", "rejections"}
PY
"$MAMORI" report transparency --store "$DB" --from 2000-01-01T00:00:00Z --to 2199-01-01T00:00:00Z --format md --token "$ADMIN" >"$T/rep.md"
check "the Markdown report is readable and holds no address" \
  bash -c "grep -q '^# mamori transparency report' '$T/rep.md' && grep -q 'party_agreement' '$T/rep.md' && ! grep -qF '$P' '$T/rep.md'"

# ---- every new command x every role, as authz.h's table says ----
declare -A TOK=([admin]=$ADMIN [analyst]=$ANALYST [committee]=$COMMITTEE)
for role in operator supplier ministry council_member; do
  TOK[$role]=$("$MAMORI" user add --store "$DB" --name "u-$role" --role $role --token "$ADMIN" | tail -n 1)
done
HOLD=$("$MAMORI" hold request --store "$DB" --criterion C-001 --until 2150-01-01T00:00:00Z --reason r --token "$ANALYST")
AUTHZ_APP=$("$MAMORI" reidentify approve --store "$DB" --pseudonym "$P" --reason r --token "$COMMITTEE")
K="$T/ind/pseudo.key"
# command | roles allowed (from authz.h) | arguments
TABLE=(
  "erase|admin|erase --dry-run"
  "check|admin committee|check"
  "hold.request|analyst|hold request --criterion C-001 --until 2150-01-01T00:00:00Z --reason r"
  "hold.approve|committee|hold approve --id $HOLD --reason r"
  "query|analyst committee|query --purpose committee_inspection --reason r"
  "provide|analyst|provide --to X --purpose provision --reason r --out $T/pkg-ROLE"
  "reidentify.approve|committee|reidentify approve --pseudonym $P --reason r"
  "reidentify|analyst|reidentify --approval $AUTHZ_APP --pseudonym $P --key $K --reason r"
  "report|admin analyst committee|report transparency --from 2000-01-01T00:00:00Z --to 2100-01-01T00:00:00Z"
)
check "the test's table matches authz.h" bash -c "grep -q 'X(RECORDS_ERASE, \"records.erase\", R_(ADMIN))' '$HERE/../../src/auth/authz.h' && grep -q 'X(STORE_CHECK, \"store.check\", R_(ADMIN) | R_(COMMITTEE))' '$HERE/../../src/auth/authz.h' && grep -q 'X(REIDENTIFY, \"reidentify\", R_(ANALYST))' '$HERE/../../src/auth/authz.h'"
for row in "${TABLE[@]}"; do
  IFS='|' read -r name allowed args <<<"$row"
  for role in admin analyst committee operator supplier ministry council_member; do
    # shellcheck disable=SC2086
    "$MAMORI" ${args//ROLE/$role} --store "$DB" --token "${TOK[$role]}" >/dev/null 2>&1
    rc=$?
    if [[ " $allowed " == *" $role "* ]]; then
      check "$name: $role allowed (exit 0)" test $rc -eq 0
    else
      check "$name: $role denied (exit 3)" test $rc -eq 3
    fi
  done
done
check "the audit chain is intact after all of it" "$MAMORI" audit verify --store "$DB" --token "$COMMITTEE"

finish
