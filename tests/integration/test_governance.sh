#!/usr/bin/env bash
# test_governance.sh - the committee's control end to end: users for every role, the criteria
# lifecycle with its ledger, the authorization table for every governance command and role, the
# party agreement register, keygen, a signed policy that `select --trust` runs, and tampering refused.
source "$(dirname "$0")/lib.sh"
S=$T/store.db

"$MAMORI" init --store "$S" >/dev/null
check "store created" test -s "$S"
# The first user needs no token; the admin adds the rest.
"$MAMORI" user add --store "$S" --name root --role admin | tail -n 1 >"$T/tok.admin"
declare -A TOK
TOK[admin]=$(cat "$T/tok.admin")
ROLES="analyst committee operator supplier ministry council_member admin"
for r in analyst committee operator supplier ministry council_member; do
  TOK[$r]=$("$MAMORI" user add --store "$S" --token "${TOK[admin]}" --name "u-$r" --role "$r" | tail -n 1)
done
check "a user for every role" test "$(MAMORI_TOKEN=${TOK[admin]} "$MAMORI" user list --store "$S" | wc -l)" -eq 7
mm() { local role=$1; shift; MAMORI_TOKEN=${TOK[$role]} "$MAMORI" "$@"; }

# The capture and an address its traffic uses (the generator's own inline indicator C-001).
"$GEN" --small --seed 11 --out "$T/s.pcap" --indicators-dir "$T/ind" >/dev/null
IND=$(python3 -c "import json,sys; p=json.load(open(sys.argv[1])); print([c['match'] for c in p['criteria'] if c['id']=='C-001'][0])" "$T/ind/policy.json")
check "the generator names an inline indicator" test -n "$IND"

# A feed of 5000 addresses, approved as one criterion (it includes the generator's host feed).
python3 - "$T/feed.txt" "$T/ind/v4-hosts.txt" <<'PY'
import sys
out = open(sys.argv[1], "w")
hosts = [l.split()[0] for l in open(sys.argv[2]) if l.strip() and not l.startswith("#")]
extra = [f"45.{i // 250}.{i % 250}.7" for i in range(5000 - len(hosts))]
for a in hosts + extra:
    print(a, file=out)
PY
check "the feed holds 5000 addresses" test "$(wc -l <"$T/feed.txt")" -eq 5000

P="--source-kind incident_report --source-ref IR-2027-0001"
mm analyst criteria propose --store "$S" --id C-ADDR --match "$IND" $P --legal-basis "Art. 32(1)" >/dev/null
check "analyst proposes an address" test $? -eq 0
mm analyst criteria propose --store "$S" --id C-NET --match 198.51.100.0/24 --proto tcp --ports 443,80 \
  --not-after 2099-01-01T00:00:00Z $P --legal-basis "Art. 32(1)" >/dev/null
check "analyst proposes a prefix with proto, ports and window" test $? -eq 0
mm analyst criteria propose --store "$S" --id F-FEED --match-file "$T/feed.txt" --source-kind feed \
  --source-ref "vendor feed 2027-01" --legal-basis "Art. 32(1)" >/dev/null
check "analyst proposes a feed" test $? -eq 0
mm analyst criteria propose --store "$S" --id C-OLD --match 192.0.2.99 $P --legal-basis "Art. 32(1)" >/dev/null
check "analyst proposes a fourth" test $? -eq 0
mm analyst criteria propose --store "$S" --id C-ADDR --match 192.0.2.1 $P --legal-basis x 2>/dev/null
check "a duplicate id is refused (2)" test $? -eq 2
mm analyst criteria propose --store "$S" --id C-BAD --match 10.0.0.1/8 $P --legal-basis x 2>"$T/err-bad"
check "a prefix with host bits is refused (2)" test $? -eq 2
mm analyst criteria propose --store "$S" --id C-NOBASIS --match 192.0.2.1 $P 2>/dev/null
check "a proposal without a legal basis is refused (2)" test $? -eq 2

mm analyst criteria approve --store "$S" --id C-ADDR --reason "self-approval" 2>"$T/err-deny"
check "an analyst cannot approve (exit 3)" test $? -eq 3
check "the denial says why" grep -q "permission denied" "$T/err-deny"
check "the denial is in the audit log" bash -c "MAMORI_TOKEN=${TOK[committee]} '$MAMORI' audit list --store '$S' |
  grep -q '\"actor\":\"u-analyst\",\"role\":\"analyst\",\"action\":\"criteria.decide\".*\"outcome\":\"denied\"'"

mm committee criteria approve --store "$S" --id C-ADDR --reason "matches IR-2027-0001" >/dev/null
check "committee approves the address" test $? -eq 0
mm committee criteria approve --store "$S" --id F-FEED --reason "vetted feed" >/dev/null
check "committee approves the feed" test $? -eq 0
mm committee criteria reject --store "$S" --id C-NET --reason "too broad" >/dev/null
check "committee rejects the prefix" test $? -eq 0
mm committee criteria approve --store "$S" --id C-OLD --reason "for now" >/dev/null
mm committee criteria revoke --store "$S" --id C-OLD --reason "no longer needed" >/dev/null
check "committee revokes one" test $? -eq 0
mm committee criteria approve --store "$S" --id C-NET --reason "changed mind" 2>"$T/err-state"
check "a rejected criterion cannot be approved (2)" test $? -eq 2
check "the message says its status" grep -q "is rejected" "$T/err-state"
mm committee criteria revoke --store "$S" --id C-NOPE --reason x 2>/dev/null
check "revoking an unknown id is refused (2)" test $? -eq 2
mm committee criteria approve --store "$S" --id C-ADDR 2>/dev/null
check "a decision needs a reason (2)" test $? -eq 2

mm committee criteria list --store "$S" --format json >"$T/list.json"
check "list --format json shows every status, the feed's hash and entries, who and why" python3 - "$T/list.json" "$T/feed.txt" <<'PY'
import hashlib, json, sys
rows = {c["id"]: c for c in json.load(open(sys.argv[1]))}
assert {k: v["status"] for k, v in rows.items()} == {
    "C-ADDR": "approved", "C-NET": "rejected", "F-FEED": "approved", "C-OLD": "revoked"}, rows
f = rows["F-FEED"]["feed"]
assert f["entries"] == 5000 and f["sha256"] == hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
n = rows["C-NET"]
assert n["proto"] == "tcp" and n["ports"] == [80, 443] and n["not_after"].startswith("2099-01-01")
assert n["decided_by"] == "u-committee" and n["reason"] == "too broad" and n["proposed_by"] == "u-analyst"
assert rows["C-ADDR"]["legal_basis"] == "Art. 32(1)" and rows["C-ADDR"]["source_ref"] == "IR-2027-0001"
PY
mm analyst criteria list --store "$S" >"$T/list.txt"
check "list as a table, for the analyst too" grep -q "^C-OLD	revoked" "$T/list.txt"

mm committee criteria counts --store "$S" >"$T/counts.json"
check "ledger counts: 4 requests, 3 approvals, 1 rejection, 1 revocation" python3 - "$T/counts.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
assert (c["requests"], c["approvals"], c["rejections"], c["revocations"], c["policy_issues"]) == (4, 3, 1, 1, 0), c
PY
mm committee criteria counts --store "$S" --from 2000-01-01T00:00:00Z --to 2001-01-01T00:00:00Z >"$T/counts0.json"
check "ledger counts outside the period are zero" python3 -c "
import json,sys; c=json.load(open('$T/counts0.json')); assert c['requests']==c['approvals']==0, c"

check "every change and listing is audited" bash -c "MAMORI_TOKEN=${TOK[committee]} '$MAMORI' audit list --store '$S' |
  python3 -c '
import json, sys
acts = [json.loads(l)[\"action\"] for l in sys.stdin]
for a in (\"criteria.propose\", \"criteria.approve\", \"criteria.reject\", \"criteria.revoke\", \"criteria.list\", \"criteria.counts\"):
    assert a in acts, a
'"
check "the audit chain is intact" bash -c "MAMORI_TOKEN=${TOK[committee]} '$MAMORI' audit verify --store '$S' >/dev/null"

# The party agreement register.
mm committee agreement add --store "$S" --id AG-PAST --party "Example ISP KK" --contractor "Sub KK" \
  --scope 133.0.0.0/8 --start 2020-01-01T00:00:00Z --end 2021-01-01T00:00:00Z >/dev/null
check "an agreement is added" test $? -eq 0
mm committee agreement add --store "$S" --id AG-NOW --party "Example ISP KK" --scope 133.0.0.0/8 \
  --scope 2001:db8::/32 --start 2020-01-01T00:00:00Z --end 2099-01-01T00:00:00Z >/dev/null
check "a second agreement is added" test $? -eq 0
mm committee agreement add --store "$S" --id AG-BAD --party x --scope 133.0.0.0/8 \
  --start 2030-01-01T00:00:00Z --end 2029-01-01T00:00:00Z 2>/dev/null
check "an end before the start is refused (2)" test $? -eq 2
mm committee agreement add --store "$S" --id AG-BAD --party x --scope 133.0.0.1/8 \
  --start 2020-01-01T00:00:00Z --end 2029-01-01T00:00:00Z 2>/dev/null
check "a malformed scope is refused (2)" test $? -eq 2
mm analyst agreement list --store "$S" --format json >"$T/ag.json"
check "agreements list with contractors, scope and whether in force" python3 - "$T/ag.json" <<'PY'
import json, sys
a = {x["id"]: x for x in json.load(open(sys.argv[1]))}
assert set(a) == {"AG-PAST", "AG-NOW"}
assert a["AG-PAST"]["contractors"] == ["Sub KK"] and not a["AG-PAST"]["in_force"]
assert a["AG-NOW"]["scope"] == ["133.0.0.0/8", "2001:db8::/32"] and a["AG-NOW"]["in_force"]
PY

# Keys and signed policies.
"$MAMORI" keygen --out "$T/committee" >/dev/null
check "keygen writes a private key readable by its owner only" test "$(stat -c %a "$T/committee.key")" = 600
check "keygen writes a PEM public key" grep -q "BEGIN PUBLIC KEY" "$T/committee.pub"
"$MAMORI" keygen --out "$T/committee" 2>/dev/null
check "keygen never overwrites a key (2)" test $? -eq 2
"$MAMORI" keygen --out "$T/other" >/dev/null

issue() { mm committee policy issue --store "$S" --signing-key "$T/committee.key" \
  --pseudonymization-key "$T/ind/pseudo.key" --domestic "$T/ind/domestic.txt" "$@"; }
issue --policy-id P-IN --route inbound --out "$T/pol" >/dev/null
check "committee issues a policy" test $? -eq 0
check "policy.json, its signature, the feed and the domestic copy are written" \
  test -s "$T/pol/policy.json" -a -s "$T/pol/policy.json.sig" -a -s "$T/pol/feed-F-FEED.txt" -a -s "$T/pol/domestic.txt"
check "the policy holds exactly the approved criteria in force, pinned by hashes" python3 - "$T/pol/policy.json" "$T/pol" <<'PY'
import hashlib, json, os, sys
p = json.load(open(sys.argv[1]))
d = sys.argv[2]
assert [c["id"] for c in p["criteria"]] == ["C-ADDR", "F-FEED"], p["criteria"]
assert p["policy_version"] == 1 and p["route"] == "inbound" and "issued_at" in p and "agreement" not in p
feed = p["criteria"][1]
assert feed["sha256"] == hashlib.sha256(open(os.path.join(d, feed["match_file"]), "rb").read()).hexdigest()
for f in p["domestic_prefixes"]:
    assert p["file_sha256"][f] == hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest()
PY
check "the signature file is one line of base64" bash -c "grep -Eqx '[A-Za-z0-9+/]{86}==' '$T/pol/policy.json.sig'"

mm analyst select --trust "$T/committee.pub" --policy "$T/pol/policy.json" --out "$T/r.jsonl" "$T/s.pcap" 2>"$T/err-sel"
check "select --trust accepts the signed policy" test $? -eq 0
check "and selects with it" test -s "$T/r.jsonl"
check "records carry the approved criteria" python3 - "$T/r.jsonl" <<'PY'
import json, sys
ids = set()
for line in open(sys.argv[1]):
    ids.update(json.loads(line)["criteria"])
assert ids and ids <= {"C-ADDR", "F-FEED"}, ids
PY

issue --policy-id P-IN --route inbound --out "$T/pol2" >/dev/null
check "a second issue of the same policy id is version 2" \
  python3 -c "import json; assert json.load(open('$T/pol2/policy.json'))['policy_version'] == 2"

refused() { # NAME DIR: select --trust must refuse with exit 2
  mm analyst select --trust "$T/committee.pub" --policy "$2/policy.json" --out "$T/never.jsonl" "$T/s.pcap" 2>"$T/err-$1"
  local rc=$?
  check "select --trust refuses $1 (exit 2)" test $rc -eq 2
  check "no records for $1" test ! -s "$T/never.jsonl"
  rm -f "$T/never.jsonl"
}
cp -r "$T/pol" "$T/t-json"
python3 - "$T/t-json/policy.json" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); i = b.index(b'"retention_days": 730') + 19; b[i] = ord("1"); open(p, "wb").write(b)
PY
refused "one changed byte of policy.json" "$T/t-json"
grep -q "does not verify" "$T/err-one changed byte of policy.json"; check "the message says the signature does not verify" test $? -eq 0
cp -r "$T/pol" "$T/t-sig"
python3 - "$T/t-sig/policy.json.sig" <<'PY'
import base64, sys
p = sys.argv[1]; s = bytearray(base64.b64decode(open(p).read())); s[10] ^= 1; open(p, "w").write(base64.b64encode(bytes(s)).decode() + "\n")
PY
refused "a changed signature" "$T/t-sig"
cp -r "$T/pol" "$T/t-nosig"; rm "$T/t-nosig/policy.json.sig"
refused "a policy without a signature file" "$T/t-nosig"
grep -q "no signature file" "$T/err-a policy without a signature file"; check "the message says the signature file is missing" test $? -eq 0
cp -r "$T/pol" "$T/t-feed"; sed -i '1s/.*/45.250.250.250/' "$T/t-feed/feed-F-FEED.txt"
refused "a changed feed file" "$T/t-feed"
grep -q "feed-F-FEED.txt has SHA-256" "$T/err-a changed feed file"; check "the message names the feed" test $? -eq 0
cp -r "$T/pol" "$T/t-dom"; echo "45.0.0.0/8" >>"$T/t-dom/domestic.txt"
refused "a changed domestic file" "$T/t-dom"
cp -r "$T/pol" "$T/t-key"
mm analyst select --trust "$T/other.pub" --policy "$T/t-key/policy.json" "$T/s.pcap" >/dev/null 2>&1
check "select --trust refuses a policy signed by another key (exit 2)" test $? -eq 2
mm analyst select --trust "$T/committee.pub" --policy "$T/ind/policy.json" "$T/s.pcap" >/dev/null 2>&1
check "select --trust refuses an unsigned hand-written policy (exit 2)" test $? -eq 2
# A signed policy that does not pin its files is refused under --trust.
cp -r "$T/pol" "$T/t-unpinned"
python3 - "$T/t-unpinned/policy.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); del p["criteria"][1]["sha256"]; json.dump(p, open(sys.argv[1], "w"))
PY
openssl pkeyutl -sign -inkey "$T/committee.key" -rawin -in "$T/t-unpinned/policy.json" | base64 -w0 >"$T/t-unpinned/policy.json.sig"
echo >>"$T/t-unpinned/policy.json.sig"
mm analyst select --trust "$T/committee.pub" --policy "$T/t-unpinned/policy.json" "$T/s.pcap" >/dev/null 2>"$T/err-unpinned"
check "a signed policy with an unpinned feed is refused under --trust (exit 2)" test $? -eq 2
grep -q "must give the sha256" "$T/err-unpinned"; check "the message says the feed is not pinned" test $? -eq 0

# party_agreement needs an agreement in force.
issue --policy-id P-PA --route party_agreement --out "$T/pa0" 2>/dev/null
check "party_agreement without --agreement is refused (2)" test $? -eq 2
issue --policy-id P-PA --route party_agreement --agreement AG-PAST --out "$T/pa1" 2>"$T/err-pa"
check "party_agreement under an expired agreement is refused (2)" test $? -eq 2
check "the message says it is not in force" grep -q "not in force" "$T/err-pa"
check "nothing is left for a sensor to find" test ! -e "$T/pa1/policy.json"
issue --policy-id P-PA --route party_agreement --agreement AG-NONE --out "$T/pa2" 2>/dev/null
check "party_agreement under an unknown agreement is refused (2)" test $? -eq 2
issue --policy-id P-PA --route party_agreement --agreement AG-NOW --out "$T/pa" >/dev/null
check "party_agreement under an agreement in force is issued" test $? -eq 0
check "the policy names its agreement" python3 -c "
import json; p=json.load(open('$T/pa/policy.json')); assert p['agreement']=='AG-NOW' and p['route']=='party_agreement'"
mm analyst select --trust "$T/committee.pub" --policy "$T/pa/policy.json" --out "$T/rpa.jsonl" "$T/s.pcap" 2>/dev/null
check "the party_agreement policy runs under --trust" test $? -eq 0

# A revoked criterion leaves the next policy.
mm committee criteria revoke --store "$S" --id C-ADDR --reason "incident closed" >/dev/null
issue --policy-id P-IN --route inbound --out "$T/pol3" >/dev/null
check "a revoked criterion is not in the next policy" python3 -c "
import json; p=json.load(open('$T/pol3/policy.json')); assert [c['id'] for c in p['criteria']]==['F-FEED'] and p['policy_version']==3"

mm committee criteria counts --store "$S" >"$T/counts2.json"
check "ledger counts after the issues: 2 revocations, 4 policy issues" python3 -c "
import json; c=json.load(open('$T/counts2.json')); assert (c['requests'],c['approvals'],c['rejections'],c['revocations'],c['policy_issues'])==(4,3,1,2,4), c"
check "the audit chain is still intact" bash -c "MAMORI_TOKEN=${TOK[committee]} '$MAMORI' audit verify --store '$S' >/dev/null"

# The authorization table, command by command, for every role: exit 3 when denied, else not 3.
mm analyst criteria propose --store "$S" --id Z-0 --match 192.0.2.200 $P --legal-basis x >/dev/null
# name | allowed roles | command (run with the role's token; may fail for other reasons, never 3 if allowed)
AUTHZ=(
  "criteria propose|analyst|criteria propose --store $S --id Z-ROLE --match 192.0.2.201 $P --legal-basis x"
  "criteria approve|committee|criteria approve --store $S --id Z-NONE --reason x"
  "criteria reject|committee|criteria reject --store $S --id Z-NONE --reason x"
  "criteria revoke|committee|criteria revoke --store $S --id Z-NONE --reason x"
  "criteria list|analyst committee|criteria list --store $S"
  "criteria counts|analyst committee|criteria counts --store $S"
  "agreement add|analyst committee|agreement add --store $S --id AG-ROLE --party x --scope 192.0.2.0/24 --start 2020-01-01T00:00:00Z --end 2020-01-02T00:00:00Z"
  "agreement list|analyst committee|agreement list --store $S"
  "policy issue|committee|policy issue --store $S --policy-id P-ROLE --route transit --out $T/role-pol --signing-key $T/committee.key --pseudonymization-key $T/ind/pseudo.key --domestic $T/ind/domestic.txt"
)
for row in "${AUTHZ[@]}"; do
  IFS='|' read -r name allowed cmd <<<"$row"
  for r in $ROLES; do
    # shellcheck disable=SC2086
    MAMORI_TOKEN=${TOK[$r]} "$MAMORI" $cmd >/dev/null 2>&1
    rc=$?
    if [[ " $allowed " == *" $r "* ]]; then
      check "authz: $r may $name" test $rc -ne 3
    else
      check "authz: $r may not $name (exit 3)" test $rc -eq 3
    fi
  done
done
"$MAMORI" criteria list --store "$S" --token not-a-token >/dev/null 2>&1
check "an unknown token is denied (exit 3)" test $? -eq 3

finish
