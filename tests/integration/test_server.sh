#!/usr/bin/env bash
# test_server.sh - `mamori serve` over curl on 127.0.0.1: health, 401/403 with audited denials,
# body limits, malformed JSON and invalid UTF-8, static-file traversal, slow clients, TLS 1.3 only,
# refusal of plain HTTP off loopback, retention timer, and SIGTERM finishing a request in flight.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/store_lib.sh"
command -v curl >/dev/null || { echo "# curl missing"; not_ok "curl installed"; finish; exit; }

DB=$T/store.db
new_store "$DB" || { not_ok "store with users"; finish; exit; }
OPERATOR=$("$MAMORI" user add --store "$DB" --name op1 --role operator --token "$ADMIN" | tail -n 1)

# The portal root, a secret beside it, and a symlink that points out of it.
WEB=$T/web
mkdir -p "$WEB/css" "$WEB/empty"
echo '<!doctype html><title>mamori</title>' >"$WEB/index.html"
echo 'body{}' >"$WEB/css/app.css"
echo 'TOPSECRET-OUTSIDE-ROOT' >"$T/secret.txt"
ln -s "$T/secret.txt" "$WEB/link.txt"

SERVER_PID=
URL=
# start_server LOG ARGS...: start in the background, wait (bounded) for "listening on URL".
start_server() {
  local log=$1; shift
  "$MAMORI" serve --store "$DB" --listen 127.0.0.1:0 "$@" >"$log.out" 2>"$log.err" &
  SERVER_PID=$!
  URL=
  for _ in $(seq 1 100); do
    URL=$(sed -n 's/^listening on //p' "$log.out" 2>/dev/null | head -n 1)
    [ -n "$URL" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
# stop_server: SIGTERM and wait (bounded); the exit status is in STOP_RC.
stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null
  for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$SERVER_PID" 2>/dev/null && kill -KILL "$SERVER_PID"
  wait "$SERVER_PID"
  STOP_RC=$?
}
# req METHOD PATH [curl args...]: prints "STATUS BODY" (body on one line).
req() {
  local m=$1 p=$2; shift 2
  curl -s --max-time 10 --path-as-is -o "$T/body" -w '%{http_code}' -X "$m" "$@" "$URL$p" >"$T/code" 2>/dev/null
  echo "$(cat "$T/code") $(tr -d '\n' <"$T/body" 2>/dev/null)"
}
status_is() { [ "${1%% *}" = "$2" ]; }
json_has() { printf '%s' "${1#* }" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if eval(sys.argv[1]) else 1)" "$2" 2>/dev/null; }
up() { status_is "$(req GET /api/v1/health)" 200; }

check "server starts and prints its URL" start_server "$T/s1" --web "$WEB" --request-timeout 2 --idle-timeout 6 --erase-interval 1

# ---- health, authentication, authorization ----
r=$(req GET /api/v1/health)
check "health 200 without a token" json_has "$r" 'd["status"]=="ok"'
check "health is 200" status_is "$r" 200
r=$(req GET /api/v1/me)
check "me without a token: 401" status_is "$r" 401
check "401 body is a JSON error" json_has "$r" 'd["error"]["status"]==401 and d["error"]["message"]'
r=$(req GET /api/v1/me -H "Authorization: Bearer mtnotatoken")
check "unknown token: 401" status_is "$r" 401
r=$(req GET /api/v1/me -H "Authorization: Bearer $OPERATOR")
check "me: the token's user and role" json_has "$r" 'd["name"]=="op1" and d["role"]=="operator"'
r=$(req GET /api/v1/audit/head -H "Authorization: Bearer $OPERATOR")
check "operator on the committee's audit head: 403" status_is "$r" 403
r=$(req GET /api/v1/audit/head -H "Authorization: Bearer $COMMITTEE")
check "committee reads the audit head" json_has "$r" 'len(d["head"])==64 and d["entries"]>0'
r=$(req DELETE /api/v1/me -H "Authorization: Bearer $OPERATOR")
check "wrong method: 405" status_is "$r" 405
r=$(req GET /api/v1/no/such/thing -H "Authorization: Bearer $OPERATOR")
check "unknown endpoint: 404 JSON" json_has "$r" 'd["error"]["status"]==404'

audit=$(audit_json "$DB")
check "denial without a token is audited" grep -q '"actor":"(no token)".*"outcome":"denied"' <<<"$audit"
check "denial of an unknown token is audited" grep -q '"actor":"(unknown token)".*"outcome":"denied"' <<<"$audit"
check "403 is audited with user and action" grep -q '"actor":"op1".*"action":"audit.read".*"outcome":"denied"' <<<"$audit"
check "a read is audited (method and path)" grep -q '"actor":"op1".*"action":"me.read".*GET /api/v1/me.*"outcome":"ok"' <<<"$audit"

# ---- bodies: limits, content type, malformed JSON, invalid UTF-8 ----
V=/api/v1/audit/verify
AUTH=(-H "Authorization: Bearer $COMMITTEE")
r=$(req POST $V "${AUTH[@]}" -H 'Content-Type: application/json' --data '{}')
check "audit verify with an empty object: intact" json_has "$r" 'd["intact"] is True'
head -c 2000000 /dev/zero | tr '\0' 'a' >"$T/big"
r=$(req POST $V "${AUTH[@]}" -H 'Content-Type: application/json' --data-binary @"$T/big")
check "2 MB body: 413" status_is "$r" 413
check "413 is a JSON error" json_has "$r" 'd["error"]["status"]==413'
r=$(req POST $V "${AUTH[@]}" -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @"$T/big")
check "2 MB chunked body: no 2xx (connection cut)" [ "${r%% *}" != 200 ]
check "server still up after oversized bodies" up
r=$(req POST $V "${AUTH[@]}" -H 'Content-Type: application/json' --data '{"expect_head": ')
check "malformed JSON: 400" status_is "$r" 400
check "malformed JSON: pointer to the whole body" json_has "$r" 'd["error"]["pointer"]==""'
printf '{"expect_head": "\xff\xfe"}' >"$T/badutf8"
r=$(req POST $V "${AUTH[@]}" -H 'Content-Type: application/json' --data-binary @"$T/badutf8")
check "invalid UTF-8: 400 with pointer" json_has "$r" 'd["error"]["status"]==400 and d["error"]["pointer"]==""'
r=$(req POST $V "${AUTH[@]}" -H 'Content-Type: application/json' --data '{"a":1,"a":2}')
check "duplicate key: 400" status_is "$r" 400
r=$(req POST $V "${AUTH[@]}" -H 'Content-Type: application/json' --data '{"expect_head": 42}')
check "bad field: 400 with its JSON pointer" json_has "$r" 'd["error"]["pointer"]=="/expect_head"'
r=$(req POST $V "${AUTH[@]}" -H 'Content-Type: text/plain' --data '{}')
check "wrong content type: 415" status_is "$r" 415
r=$(req POST $V -H 'Content-Type: application/json' --data-binary @"$T/big")
check "no token beats the body: 401 without reading 2 MB" status_is "$r" 401
check "server still up after bad bodies" up

# ---- static files ----
r=$(req GET /)
check "/ serves index.html" grep -q 'mamori' <<<"$r"
ctype=$(curl -s --max-time 5 -o /dev/null -w '%{content_type}' "$URL/css/app.css")
check "css content type" [ "$ctype" = "text/css; charset=utf-8" ]
r=$(req GET /empty/)
check "a folder without index.html: 404, no listing" status_is "$r" 404
for p in '/../secret.txt' '/%2e%2e/secret.txt' '/css/%2E%2E/%2e%2e/secret.txt' '//etc/passwd' \
         '/..%2fsecret.txt' '/link.txt' '/css/..%5c..%5csecret.txt' "/$T/secret.txt"; do
  r=$(req GET "$p")
  code=${r%% *}
  check "traversal $p: $code, no content" bash -c '[ "$1" = 400 ] || [ "$1" = 404 ]; ok=$?; ! grep -qE "TOPSECRET|root:" <<<"$2" && [ $ok -eq 0 ]' _ "$code" "$r"
done
# %00 is decoded before the server sees the path, which then ends at the NUL ("/"): the index at most.
r=$(req GET '/%00/../secret.txt')
check "traversal /%00/../secret.txt: no content" bash -c '! grep -q TOPSECRET <<<"$1"' _ "$r"
r=$(req POST /index.html --data x)
check "POST to a static file: 405" status_is "$r" 405

# ---- slow client: headers a byte at a time; cut off while others are served ----
python3 - "$URL" >"$T/slow" 2>&1 <<'PY' &
import socket, sys, time
host, port = sys.argv[1].split("//")[1].split(":")
s = socket.create_connection((host, int(port)))
start = time.time()
msg = b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n"
try:
    for b in msg:
        s.send(bytes([b]))
        time.sleep(0.3)           # faster than the idle timeout (6 s), slower than the request deadline (2 s)
        if time.time() - start > 15:
            print("not cut"); sys.exit(0)
    print("completed")
except (BrokenPipeError, ConnectionResetError):
    print("cut after %.1f s" % (time.time() - start))
PY
SLOW=$!
sleep 0.5
good=0
for _ in $(seq 1 10); do up && good=$((good + 1)); sleep 0.2; done
check "other requests succeed while a slow client dribbles" [ "$good" -eq 10 ]
for _ in $(seq 1 200); do kill -0 $SLOW 2>/dev/null || break; sleep 0.1; done
kill $SLOW 2>/dev/null; wait $SLOW 2>/dev/null
echo "# slow client: $(cat "$T/slow")"
check "slow client is cut off by the request deadline" grep -q '^cut after [2-5]\.' "$T/slow"

# ---- retention timer ----
check "the retention timer ran erasure, audited as the system" \
  bash -c 'for i in $(seq 1 30); do "$1" audit list --store "$2" --token "$3" | grep -q "\"actor\":\"retention timer\".*\"action\":\"records.erase\"" && exit 0; sleep 0.2; done; exit 1' \
  _ "$MAMORI" "$DB" "$COMMITTEE"

# ---- SIGTERM while a request is in flight ----
# A 300 kB valid body sent at 100 kB/s: the request is still arriving when SIGTERM comes.
python3 -c 'import json; print(json.dumps({"expect_head": None, "pad": "x" * 300000}).replace("null", "\"" + "0"*64 + "\""))' >"$T/slowbody"
curl -s --max-time 20 -o "$T/inflight" -w '%{http_code}' --limit-rate 100k "${AUTH[@]}" \
  -H 'Content-Type: application/json' --data-binary @"$T/slowbody" "$URL$V" >"$T/inflight.code" &
CURL=$!
sleep 1
stop_server
wait $CURL
check "SIGTERM: the request in flight got its answer" bash -c 'c=$(cat "$1"); [ "$c" = 200 ]' _ "$T/inflight.code"
check "SIGTERM: the answer is complete JSON" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/inflight"
check "SIGTERM: exit status 0" [ "$STOP_RC" -eq 0 ]
check "SIGTERM: no new connections afterwards" bash -c '! curl -s --max-time 2 "$1/api/v1/health" >/dev/null' _ "$URL"
check "no sanitizer report in the server's log" bash -c '! grep -qE "ERROR: AddressSanitizer|runtime error|LeakSanitizer" "$1"' _ "$T/s1.err"

# ---- plain HTTP off loopback is refused ----
"$MAMORI" serve --store "$DB" --listen 0.0.0.0:0 >/dev/null 2>"$T/nl.err"
rc=$?
check "non-loopback without TLS: exit 2" [ "$rc" -eq 2 ]
check "non-loopback without TLS: says why" grep -q 'without TLS' "$T/nl.err"

# ---- TLS 1.3 ----
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
     -addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1; then
  check "TLS server starts" start_server "$T/s2" --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
  check "TLS URL is https" grep -q '^https://' <<<"$URL"
  r=$(curl -s --max-time 5 --tlsv1.3 --cacert "$T/cert.pem" "$URL/api/v1/health")
  check "TLS 1.3 client: health ok" grep -q '"status":"ok"' <<<"$r"
  r=$(curl -s --max-time 5 --tlsv1.3 --cacert "$T/cert.pem" -H "Authorization: Bearer $OPERATOR" "$URL/api/v1/me")
  check "TLS 1.3 client: me" grep -q '"name":"op1"' <<<"$r"
  check "TLS 1.2-only client is refused" bash -c '! curl -s --max-time 5 --tlsv1.2 --tls-max 1.2 --cacert "$1" "$2/api/v1/health" >/dev/null' _ "$T/cert.pem" "$URL"
  check "plain HTTP to the TLS port gets no API answer" bash -c '! curl -s --max-time 3 "http://${1#https://}/api/v1/health" | grep -q status' _ "$URL"
  stop_server
  check "TLS server: SIGTERM exit 0" [ "$STOP_RC" -eq 0 ]
  cat >"$T/key-bad.pem" <<<"not a key"
  "$MAMORI" serve --store "$DB" --listen 127.0.0.1:0 --tls-cert "$T/cert.pem" --tls-key "$T/key-bad.pem" >/dev/null 2>&1
  check "a bad TLS key is refused at start" [ $? -ne 0 ]
else
  not_ok "openssl makes a self-signed certificate"
fi

finish
