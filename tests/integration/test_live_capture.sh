#!/usr/bin/env bash
# test_live_capture.sh - `mamori select --interface` on a veth pair between two network namespaces
# this test creates. Traffic flows only between the two test addresses; nothing is replayed.
source "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null; then
  not_ok "live capture needs root and iproute2 (network namespaces)"
  finish
  exit
fi
A=mm-a-$$ B=mm-b-$$
cleanup() { ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
ip netns add "$A" && ip netns add "$B" &&
  ip link add veth-a netns "$A" type veth peer name veth-b netns "$B" &&
  ip -n "$A" addr add 198.51.100.1/24 dev veth-a && ip -n "$B" addr add 198.51.100.2/24 dev veth-b &&
  ip -n "$A" link set veth-a up && ip -n "$B" link set veth-b up &&
  ip -n "$A" link set lo up && ip -n "$B" link set lo up
check "two namespaces joined by a veth pair" test $? -eq 0

# 198.51.100.2 (host B) is "domestic"; host A's 198.51.100.1 is the indicator.
write_policy "$T/pol" party_agreement "198.51.100.2/32\n" \
  '[{"id": "C-LIVE", "match": "198.51.100.1"}]'
sed -i 's/"criteria"/"flow_idle_timeout_s": 2, "criteria"/' "$T/pol/policy.json"
live_run() {
  local workers=$1 out=$T/live-w$1
  ip netns exec "$B" "$MAMORI" select --policy "$T/pol/policy.json" --interface veth-b --workers "$workers" \
    --out "$out.jsonl" --stats "$out-stats.json" 2>"$out.err" &
  local sensor=$!
  sleep 1.5
  local CANARY=4d414d4f5249434c495645 # "MAMORICLIVE"
  ip netns exec "$A" ping -c 3 -i 0.2 -p "$CANARY" 198.51.100.2 >/dev/null 2>&1
  local ping_rc=$?
  ip netns exec "$A" bash -c 'for p in 9999 9998 9997 9996; do echo MAMORICLIVE-udp-payload >/dev/udp/198.51.100.2/$p; done' 2>/dev/null
  # Domestic host B talking to A first: domestic-to-foreign, never selected on this route.
  ip netns exec "$B" bash -c 'echo MAMORICLIVE-out >/dev/udp/198.51.100.1/7777' 2>/dev/null
  sleep 3.5 # longer than the idle timeout: flows end while the sensor still runs
  kill -TERM $sensor
  wait $sensor
  local rc=$?
  check "[$workers worker(s)] ping between the test hosts worked" test $ping_rc -eq 0
  check "[$workers worker(s)] the sensor stops cleanly on SIGTERM" test $rc -eq 0
  check "[$workers worker(s)] ICMP and all four UDP flows from the indicator were selected" \
    bash -c "grep -q '\"proto\":1,' '$out.jsonl' && [ \$(grep -c '\"proto\":17,' '$out.jsonl') -eq 4 ]"
  check "[$workers worker(s)] live records follow the contract" python3 "$HERE/check_records.py" "$out.jsonl" "$T/pol/policy.json"
  ! grep -q MAMORICLIVE "$out.jsonl" "$out-stats.json" "$out.err"
  check "[$workers worker(s)] no payload byte leaves the live sensor" test $? -eq 0
  ! grep -q '198.51.100.2"' "$out.jsonl"
  check "[$workers worker(s)] the domestic host is never written in clear" test $? -eq 0
  check "[$workers worker(s)] the domestic-to-foreign flow was discarded by route" python3 -c "
import json; s=json.load(open('$out-stats.json')); assert s['flows_discarded']['route_direction'] >= 1, s"
}
live_run 1
live_run 2
finish
