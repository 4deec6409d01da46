#!/usr/bin/env bash
# test_registry.sh - the control plane's API over curl against `mamori serve` on 127.0.0.1:
# organizations, the asset registry (versions, as_of, import all-or-nothing, export, overdue,
# forwarding), incident reports (minimal initial report, versions, diff, 404 across orgs,
# ministry sector scoping, one supplier report for three operators, stats, criteria proposals),
# and a table of every endpoint x every role, denials included.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/store_lib.sh"
command -v curl >/dev/null || { echo "# curl missing"; not_ok "curl installed"; finish; exit; }

DB=$T/store.db
new_store "$DB" || { not_ok "store with users"; finish; exit; }
org() { "$MAMORI" org add --store "$DB" --token "$ADMIN" "$@" | sed -n 's/.*, id \([0-9]*\)$/\1/p'; }
user() { "$MAMORI" user add --store "$DB" --token "$ADMIN" "$@" | tail -n 1; }
OP_A=$(org --name "Denryoku A" --type operator --sector electricity)
OP_B=$(org --name "Bank B" --type operator --sector finance)
OP_C=$(org --name "Bank C" --type operator --sector finance)
SUP=$(org --name "Cloud S" --type supplier)
MIN_E=$(org --name "METI" --type ministry --sector electricity --sector gas)
MIN_F=$(org --name "FSA" --type ministry --sector finance)
check "org add prints ids" [ -n "$OP_A" ] && [ -n "$MIN_F" ] && [ -n "$SUP" ]
check "operator needs exactly one sector" bash -c '! "$1" org add --store "$2" --token "$3" --name X --type operator 2>/dev/null' _ "$MAMORI" "$DB" "$ADMIN"
check "unknown sector refused" bash -c '! "$1" org add --store "$2" --token "$3" --name X --type operator --sector nosuch 2>/dev/null' _ "$MAMORI" "$DB" "$ADMIN"
check "user add --org needs an existing org" bash -c '! "$1" user add --store "$2" --token "$3" --name u --role operator --org Nowhere 2>/dev/null' _ "$MAMORI" "$DB" "$ADMIN"
check "user add --org needs the role's org type" bash -c '! "$1" user add --store "$2" --token "$3" --name u --role operator --org METI 2>/dev/null' _ "$MAMORI" "$DB" "$ADMIN"
TA=$(user --name opa --role operator --org "Denryoku A")
TB=$(user --name opb --role operator --org "Bank B")
TC=$(user --name opc --role operator --org "Bank C")
TS=$(user --name sup --role supplier --org "Cloud S")
TME=$(user --name meti --role ministry --org METI)
TMF=$(user --name fsa --role ministry --org FSA)
TCM=$(user --name council --role council_member)
check "org list (admin) shows six" bash -c '[ "$("$1" org list --store "$2" --token "$3" | wc -l)" -eq 6 ]' _ "$MAMORI" "$DB" "$ADMIN"

"$MAMORI" serve --store "$DB" --listen 127.0.0.1:0 --erase-interval 0 >"$T/serve.out" 2>"$T/serve.err" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$T"' EXIT
URL=
for _ in $(seq 1 100); do
  URL=$(sed -n 's/^listening on //p' "$T/serve.out" 2>/dev/null | head -n 1)
  [ -n "$URL" ] && break
  sleep 0.1
done
check "server starts" [ -n "$URL" ]

# req TOKEN METHOD PATH [curl args...]: prints "STATUS BODY" (body on one line)
req() {
  local tok=$1 m=$2 p=$3; shift 3
  curl -s --max-time 10 -o "$T/body" -w '%{http_code}' -X "$m" -H "Authorization: Bearer $tok" "$@" "$URL$p" >"$T/code" 2>/dev/null
  echo "$(cat "$T/code") $(tr -d '\n' <"$T/body" 2>/dev/null)"
}
post() { req "$1" "$2" "$3" -H 'Content-Type: application/json' --data-binary "$4"; }
status_is() { [ "${1%% *}" = "$2" ]; }
# jq-like checks in Python: json_has "RESPONSE" 'd["id"] > 0'
json_has() { printf '%s' "${1#* }" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if eval(sys.argv[1]) else 1)" "$2" 2>/dev/null; }
json_get() { printf '%s' "${1#* }" | python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$2" 2>/dev/null; }

# ---- organizations ----
r=$(post "$ADMIN" POST /api/v1/orgs '{"name":"MLIT","type":"ministry","sectors":["aviation","railway"]}')
check "POST /orgs (admin) 201" status_is "$r" 201
r=$(post "$ADMIN" POST /api/v1/orgs '{"name":"Bad","type":"operator","sectors":["nosuch"]}')
check "POST /orgs unknown sector 400 /sectors" json_has "$r" 'd["error"]["pointer"]=="/sectors"'
r=$(req "$ANALYST" GET /api/v1/orgs)
check "GET /orgs (analyst) lists all seven" json_has "$r" 'len(d["items"])==7'
r=$(req "$TS" GET /api/v1/orgs)
check "GET /orgs (supplier) sees itself and the operators" json_has "$r" 'sorted(o["type"] for o in d["items"])==["operator"]*3+["supplier"]'
r=$(req "$TA" GET /api/v1/settings)
check "GET /settings lists sectors and categories" json_has "$r" '"electricity" in d["sectors"] and "control_system" in d["categories"]'

# ---- assets ----
ASSET='{"name":"SCADA master","category":"control_system","vendor":"Acme","product":"GridCtl","product_version":"4.2",
"cpe":"cpe:2.3:a:acme:gridctl:4.2:*:*:*:*:*:*:*","role":"dispatch","connected_to_specified_facility":true,
"in_service_from":"2020-04-01","receiving_ministry":'"$MIN_E"'}'
r=$(post "$TA" POST /api/v1/assets "$ASSET")
check "POST /assets 201 with id" json_has "$r" 'd["id"]>0 and d["version"]==1'
A1=$(json_get "$r" 'd["id"]')
r=$(req "$TA" GET "/api/v1/assets/$A1")
check "existing asset due 6 months after enforcement" json_has "$r" 'd["due_at"]=="2027-04-01" and d["operators"]=='"[$OP_A]"
r=$(post "$TA" POST /api/v1/assets '{"category":"server","vendor":"x","product":"y","in_service_from":"2020-01-01","cpe":"cpe:2.3:x:a:b:*:*:*:*:*:*:*:*"}')
check "bad CPE 400 pointer /cpe" json_has "$r" 'd["error"]["pointer"]=="/cpe"'
r=$(post "$TA" POST /api/v1/assets '{"category":"toaster","vendor":"","product":"y","in_service_from":"2020-13-01"}')
check "every bad field listed" json_has "$r" 'set(e["pointer"] for e in d["error"]["errors"])>={"/category","/vendor","/in_service_from"}'
sleep 1.1
r=$(req "$TA" PUT "/api/v1/assets/$A1" -H 'Content-Type: application/json' --data-binary \
  "$(printf '%s' "$ASSET" | sed 's/"4.2"/"4.3"/; s/gridctl:4.2/gridctl:4.3/; s/"in_service_from"/"changed_at":"2026-12-01","in_service_from"/')")
check "PUT /assets/{id} makes version 2" json_has "$r" 'd["version"]==2'
r=$(req "$TA" GET "/api/v1/assets/$A1/history")
check "history has both versions" json_has "$r" '[v["product_version"] for v in d["versions"]]==["4.2","4.3"]'
r=$(req "$TA" GET "/api/v1/assets/$A1/history?as_of=2025-06-01T00:00:00Z")
check "as_of before the change gives version 1" json_has "$r" 'd["version"]["version"]==1'
r=$(req "$TA" GET "/api/v1/assets/$A1/history?as_of=2027-01-01T00:00:00Z")
check "as_of after the change gives version 2" json_has "$r" 'd["version"]["version"]==2 and d["version"]["due_at"]=="2026-12-31"'
r=$(req "$TA" GET "/api/v1/assets/$A1/history?as_of=2019-01-01T00:00:00Z")
check "as_of before service is 404" status_is "$r" 404
r=$(req "$TB" GET "/api/v1/assets/$A1")
check "another operator's asset is 404" status_is "$r" 404
r=$(req "$TB" PUT "/api/v1/assets/$A1" -H 'Content-Type: application/json' --data-binary "$ASSET")
check "another operator's PUT is 404" status_is "$r" 404
r=$(req "$TME" GET "/api/v1/assets/$A1")
check "ministry of the sector sees it" status_is "$r" 200
r=$(req "$TMF" GET "/api/v1/assets/$A1")
check "ministry of another sector: 404" status_is "$r" 404
# a supplier's shared system, once, for three operators
r=$(post "$TS" POST /api/v1/assets '{"category":"cloud_service","vendor":"Cloud S","product":"Core SaaS","cloud_form":"SaaS","in_service_from":"2027-01-10","operators":['"$OP_A,$OP_B,$OP_C"']}')
check "supplier registers a shared system" status_is "$r" 201
SA=$(json_get "$r" 'd["id"]')
for t in TA TB TC; do
  r=$(req "${!t}" GET "/api/v1/assets/$SA")
  check "shared system visible to operator $t" json_has "$r" 'd["managed_by"]=='"$SUP"' and d["due_at"]=="2027-02-09"'
done
r=$(post "$TA" POST /api/v1/assets '{"category":"server","vendor":"v","product":"p","in_service_from":"2020-01-01","operators":['"$OP_B"']}')
check "an operator cannot file for another" json_has "$r" 'd["error"]["pointer"]=="/operators"'
r=$(req "$TB" GET "/api/v1/assets?limit=1")
check "list is scoped and paginated" json_has "$r" 'd["total"]==1 and len(d["items"])==1'
r=$(req "$ANALYST" GET "/api/v1/assets?limit=1")
check "analyst sees all, one per page, with a cursor" json_has "$r" 'd["total"]==2 and d["next"]=="'"$A1"'"'
r=$(req "$ANALYST" GET "/api/v1/assets?cursor=$A1")
check "cursor gives the next page" json_has "$r" 'd["items"][0]["id"]=='"$SA"
# exemption
r=$(post "$TA" POST /api/v1/assets '{"category":"other","vendor":"v","product":"one-off","in_service_from":"2020-01-01","exemption":{"custom_product":true,"reason":"built for us only"}}')
EX=$(json_get "$r" 'd["id"]')
r=$(req "$TA" GET "/api/v1/assets/$EX")
check "exempt asset is not due" json_has "$r" 'd["due_at"] is None'

# ---- bulk import ----
printf 'category,vendor,product,in_service_from,cpe,role\r\nserver,"Acme, Inc.",web,2021-01-01,,\r\ntoaster,x,y,2021-01-01,,\r\nserver,x,z,2021-02-30,,"multi\nline ""role"""\r\nserver,x,z,2021-01-01,cpe:2.3:a:x:z:1:*:*:*:*:*:*:*,\r\n' >"$T/bad.csv"
r=$(req "$TA" POST /api/v1/assets/import -H 'Content-Type: text/csv' --data-binary "@$T/bad.csv")
check "CSV with bad rows: 400" status_is "$r" 400
check "every bad row listed with its field" json_has "$r" 'sorted((e["row"],e.get("field")) for e in d["error"]["errors"])==[(3,"category"),(4,"in_service_from")]'
r=$(req "$TA" GET "/api/v1/assets?vendor=Acme,%20Inc.")
check "nothing imported from the bad file" json_has "$r" 'd["total"]==0'
printf '\xef\xbb\xbfcategory,vendor,product,in_service_from,role\r\nserver,"Acme, Inc.",web,2021-01-01,\r\nstorage,x,y,2027-03-01,"multi\nline"\r\n' >"$T/good.csv"
r=$(req "$TA" POST /api/v1/assets/import -H 'Content-Type: text/csv' --data-binary "@$T/good.csv")
check "good CSV imported whole" json_has "$r" 'd["imported"]==2'
r=$(req "$TA" POST /api/v1/assets/import -H 'Content-Type: application/json' --data-binary '[{"category":"server","vendor":"a","product":"b","in_service_from":"2021-01-01"},{"category":"server"}]')
check "JSON import with one bad element: 400 naming /1/vendor" json_has "$r" '"/1/vendor" in [e["pointer"] for e in d["error"]["errors"]]'
r=$(req "$TA" GET "/api/v1/assets/export?format=csv")
check "CSV export has a header and the rows" bash -c 'printf "%s" "$1" | grep -q "^200 id,name,category" && printf "%s" "$1" | grep -q "Acme, Inc."' _ "$r"
r=$(req "$TA" GET "/api/v1/assets/export?format=json")
check "JSON export scoped to the operator" json_has "$r" 'len(d)==5'

# ---- forwarding and overdue ----
r=$(post "$TME" POST "/api/v1/assets/$A1/forward" '{"version":1,"forwarded_at":"2026-11-01"}')
check "ministry records forwarding" json_has "$r" 'd["version"]==1'
r=$(post "$TMF" POST "/api/v1/assets/$A1/forward" '{"version":2}')
check "another ministry cannot forward: 404" status_is "$r" 404
r=$(req "$ANALYST" GET /api/v1/registry/overdue)
check "registry overdue answers a list" json_has "$r" 'isinstance(d["items"], list)'

# ---- incident reports ----
r=$(post "$TA" POST /api/v1/reports '{"kind": "statutory", "aware_at": "2026-11-20T09:00:00Z", "summary": "...", "contact": "soc@example.jp"}')
check "minimal initial report: 201 + id" json_has "$r" 'd["id"]>0'
R1=$(json_get "$r" 'd["id"]')
r=$(req "$TB" GET "/api/v1/reports/$R1")
check "another organization's incident: 404" status_is "$r" 404
r=$(post "$TB" POST "/api/v1/reports/$R1/versions" '{"stage":"update","summary":"x"}')
check "another organization cannot add a version: 404" status_is "$r" 404
r=$(req "$TME" GET "/api/v1/reports/$R1")
check "ministry of the sector sees it" status_is "$r" 200
r=$(req "$TMF" GET "/api/v1/reports/$R1")
check "ministry of another sector: 404" status_is "$r" 404
r=$(post "$TA" POST "/api/v1/reports/$R1/versions" '{"stage":"update","earliest_activity_at":"2026-11-18T09:00:00Z","attack_techniques":["T1566.001","T1190"],"indicators":[{"type":"ipv4","value":"198.51.100.7"},{"type":"domain","value":"Evil.Example.COM"},{"type":"ipv6","value":"2001:db8:0:0::/64"}],"affected_assets":['"$A1"'],"unconfirmed":["earliest_activity_at"]}')
check "update filed as version 2" json_has "$r" 'd["version"]==2'
r=$(post "$TA" POST "/api/v1/reports/$R1/versions" '{"stage":"update","attack_techniques":["T9999"],"indicators":[{"type":"md5","value":"xyz"}]}')
check "bad technique and indicator: pointers" json_has "$r" 'set(e["pointer"] for e in d["error"]["errors"])=={"/attack_techniques/0","/indicators/0/value"}'
r=$(post "$TA" POST "/api/v1/reports/$R1/versions" '{"stage":"update","affected_assets":['"$SA"',999999]}')
check "affected asset must be visible to the reporter" json_has "$r" '[e["pointer"] for e in d["error"]["errors"]]==["/affected_assets/1"]'
r=$(req "$TA" GET "/api/v1/reports/$R1")
check "GET report has versions, dwell time, normalized indicators" json_has "$r" 'len(d["versions"])==2 and d["report"]["dwell_seconds"]==172800 and d["report"]["indicators"][1]["value"]=="evil.example.com" and d["report"]["indicators"][2]["value"]=="2001:db8::/64"'
r=$(req "$TA" GET "/api/v1/reports/$R1/diff?from=1&to=2")
check "diff lists the changed fields" json_has "$r" 'set(c["field"] for c in d["changes"])=={"earliest_activity_at","attack_techniques","indicators","affected_assets","unconfirmed"}'
r=$(post "$ANALYST" POST "/api/v1/reports/$R1/propose-criteria" '{}')
check "propose-criteria proposes the ip indicators" json_has "$r" 'len(d["proposed"])==2'
check "proposals wait for the committee" bash -c '"$1" criteria list --store "$2" --token "$3" 2>/dev/null | grep -q "ir'"$R1"'-1.*proposed"' _ "$MAMORI" "$DB" "$COMMITTEE"
r=$(post "$TA" POST "/api/v1/reports/$R1/versions" '{"stage":"final","summary":"root cause found"}')
check "final closes it" json_has "$r" 'd["version"]==3 and d["stage"]=="final"'
r=$(post "$TA" POST "/api/v1/reports/$R1/versions" '{"stage":"update","summary":"late"}')
check "no version after the final: 409" status_is "$r" 409
r=$(post "$TA" POST /api/v1/reports '{"kind":"voluntary","summary":"x","contact":"c"}')
check "aware_at is required" json_has "$r" 'd["error"]["pointer"]=="/aware_at"'
# supplier for three operators: one report, visible to each
r=$(post "$TS" POST /api/v1/reports '{"kind":"statutory","aware_at":"2026-11-21T00:00:00+09:00","summary":"SaaS outage","contact":"psirt@cloud.example","reported_for":['"$OP_A,$OP_B,$OP_C"'],"affected_assets":['"$SA"']}')
check "supplier report for three operators" status_is "$r" 201
R2=$(json_get "$r" 'd["id"]')
for t in TA TB TC TMF TME; do
  r=$(req "${!t}" GET "/api/v1/reports/$R2")
  check "supplier report visible to $t" json_has "$r" 'd["reporter_org"]=='"$SUP"
done
r=$(req "$ANALYST" GET "/api/v1/reports?kind=statutory")
check "one report, not three copies" json_has "$r" 'd["total"]==2'
r=$(post "$TB" POST /api/v1/reports '{"kind":"voluntary","aware_at":"2026-11-25T00:00:00Z","summary":"phish","contact":"c@b.example"}')
r=$(req "$ANALYST" GET "/api/v1/reports/stats?by=sector")
check "stats by sector count kinds apart" json_has "$r" '{x["key"]:(x["statutory"],x["voluntary"]) for x in d["rows"]}=={"electricity":(2,0),"finance":(1,1)}'
r=$(req "$ANALYST" GET "/api/v1/reports/stats?by=week&kind=statutory")
check "stats by week" json_has "$r" 'd["rows"][0]["key"]=="2026-W47" and d["rows"][0]["statutory"]==2'
r=$(req "$TMF" GET "/api/v1/reports")
check "finance ministry lists only its sector's reports" json_has "$r" 'sorted(i["id"] for i in d["items"])==sorted(['"$R2"', '"$((R2 + 1))"'])'
r=$(req "$ANALYST" GET /api/v1/reports/overdue)
check "report overdue list (final past 30 days is overdue now)" json_has "$r" 'isinstance(d["items"], list)'
r=$(req "$ANALYST" GET "/api/v1/reports/overdue?include_due=true")
check "include_due lists pending deadlines too" json_has "$r" 'len(d["items"])>=1'
check "reads are audited as report:ID" bash -c '"$1" audit list --store "$2" --token "$3" | grep -q "\"object\":\"report:$4\""' _ "$MAMORI" "$DB" "$COMMITTEE" "$R1"

# ---- every endpoint x every role ----
# expected statuses per role in this order: admin analyst committee operator supplier ministry council
declare -a ROLES=(ADMIN ANALYST COMMITTEE TA TS TME TCM)
while IFS='|' read -r method path body expect; do
  [ -z "$method" ] && continue
  i=0
  for code in $expect; do
    tok=${!ROLES[$i]}
    if [ "$body" = "-" ]; then r=$(req "$tok" "$method" "$path"); else r=$(post "$tok" "$method" "$path" "$body"); fi
    check "authz $method $path as ${ROLES[$i]} -> $code" status_is "$r" "$code"
    i=$((i + 1))
  done
done <<EOF2
GET|/api/v1/orgs|-|200 200 200 200 200 200 403
POST|/api/v1/orgs|{"name":"zz","type":"supplier"}|201 403 403 403 403 403 403
GET|/api/v1/settings|-|200 200 200 200 200 200 403
GET|/api/v1/assets|-|403 200 200 200 200 200 403
POST|/api/v1/assets|{}|403 403 403 400 400 403 403
GET|/api/v1/assets/$A1|-|403 200 200 200 404 200 403
PUT|/api/v1/assets/$A1|{}|403 403 403 400 404 403 403
GET|/api/v1/assets/$A1/history|-|403 200 200 200 404 200 403
POST|/api/v1/assets/$A1/forward|{"version":2}|403 403 403 403 403 200 403
GET|/api/v1/assets/export|-|403 200 200 200 200 200 403
POST|/api/v1/assets/import|[]|403 403 403 201 201 403 403
GET|/api/v1/registry/overdue|-|403 200 200 200 200 200 403
POST|/api/v1/reports|{}|403 403 403 400 400 403 403
GET|/api/v1/reports|-|403 200 200 200 200 200 403
GET|/api/v1/reports/$R1|-|403 200 200 200 404 200 403
POST|/api/v1/reports/$R2/versions|{"stage":"update"}|403 403 403 403 201 403 403
GET|/api/v1/reports/$R1/diff?from=1&to=2|-|403 200 200 200 404 200 403
GET|/api/v1/reports/overdue|-|403 200 200 200 200 200 403
GET|/api/v1/reports/stats?by=week|-|403 200 200 403 403 200 403
POST|/api/v1/reports/$R1/propose-criteria|{}|403 201 403 403 403 403 403
EOF2

kill -TERM $PID
wait $PID
check "server exits cleanly" [ $? -eq 0 ]
check "no sanitizer report in the server's log" bash -c '! grep -qE "ERROR: AddressSanitizer|runtime error|LeakSanitizer" "$1"' _ "$T/serve.err"
finish
