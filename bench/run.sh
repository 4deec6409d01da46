#!/usr/bin/env bash
# run.sh - `make bench`: time mamori select against a bare libpcap floor and flow-tool peers on one capture; write bench/RESULTS.md.
#
# Steps: build (release preset); generate bench/out/bench.pcap and bench/out/ind/ once (seeded,
# so the same bytes every time; delete bench/out/ to regenerate); warm the page cache; time each
# reader with /usr/bin/time (best of 3 for fast ones, once for tshark); write bench/RESULTS.md.
# Reads only local files. The one network use: softflowd exports NetFlow to a UDP port on
# 127.0.0.1 (nothing needs to listen). A command that fails or is not built yet is reported
# as "n/a" and the run goes on.
#
# Environment: BENCH_PACKETS (default 6000000), BENCH_SEED (1), BENCH_RUNS (3),
# BENCH_TIMEOUT_S per command (900), BENCH_PORT for softflowd (29995).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=bench/out
LOG=$OUT/logs
PCAP=$OUT/bench.pcap
IND=$OUT/ind
RESULTS=bench/RESULTS.md
PACKETS=${BENCH_PACKETS:-6000000}
SEED=${BENCH_SEED:-1}
RUNS=${BENCH_RUNS:-3}
TIMEOUT_S=${BENCH_TIMEOUT_S:-900}
PORT=${BENCH_PORT:-29995}
TIME=/usr/bin/time
mkdir -p "$OUT" "$LOG"

say() { printf '[bench] %s\n' "$*" >&2; }
NOTES=()
note() { NOTES+=("$*"); say "note: $*"; }

[ -x "$TIME" ] || { echo "bench: $TIME missing (Debian package 'time')" >&2; exit 1; }

# ---- 1. build --------------------------------------------------------------------------
BIN=build
MAMORI=build/mamori
say "building (cmake --preset release)"
if ! { cmake --preset release && cmake --build --preset release; } >"$LOG/build.log" 2>&1; then
  # The shared build may be broken for a moment while others work (a test file, say): build
  # only what the bench runs, and if even that fails, the bench's own tools directly (they
  # need nothing from the project).
  if cmake --build --preset release --target mamori gen_capture pcap_floor >>"$LOG/build.log" 2>&1; then
    note "full release build failed (see bench/out/logs/build.log); built mamori, gen_capture and pcap_floor only"
  else
    note "release build failed (see bench/out/logs/build.log); bench tools compiled directly; build/mamori, if present, is stale or n/a"
    BIN=$OUT/bin
    mkdir -p "$BIN"
    gcc -std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Isrc bench/gen_capture.c -o "$BIN/gen_capture" -lm
    gcc -std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Isrc bench/pcap_floor.c -o "$BIN/pcap_floor" -lpcap
  fi
fi

# ---- 2. capture and indicators ---------------------------------------------------------
if [ ! -s "$PCAP" ] || [ ! -s "$IND/policy.json" ] || [ ! -s "$OUT/gen.txt" ]; then
  say "generating $PCAP ($PACKETS packets, seed $SEED) and $IND/"
  rm -rf "$IND" "$PCAP"
  mkdir -p "$IND"
  "$BIN/gen_capture" --out "$PCAP.tmp" --packets "$PACKETS" --seed "$SEED" \
    --indicators-dir "$IND" >"$OUT/gen.txt.tmp"
  mv "$PCAP.tmp" "$PCAP"
  mv "$OUT/gen.txt.tmp" "$OUT/gen.txt"
fi
gen() { awk -v k="$1" '$1 == k { print $2 }' "$OUT/gen.txt"; }

say "warming the page cache"
cat "$PCAP" >/dev/null

# ---- 3. measurements ------------------------------------------------------------------
# measure NAME RUNS PREP CMD...: run CMD RUNS times (PREP, a function, before each), keep the
# fastest elapsed time and that run's peak RSS. Failure or timeout: n/a.
declare -A ELAPSED RSS CMDLINE
measure() {
  local name=$1 runs=$2 prep=$3
  shift 3
  CMDLINE[$name]="$*"
  ELAPSED[$name]=n/a
  RSS[$name]=n/a
  local i best="" best_rss=""
  for ((i = 1; i <= runs; i++)); do
    $prep || { say "$name: preparation failed"; return 0; }
    local rc=0
    timeout --kill-after=10 "$TIMEOUT_S" "$TIME" -f '%e %M' -o "$LOG/$name.time" "$@" \
      >"$LOG/$name.out" 2>"$LOG/$name.err" || rc=$?
    if [ "$rc" -ne 0 ]; then
      say "$name: failed (exit $rc; see bench/out/logs/$name.err)"
      ELAPSED[$name]=n/a
      RSS[$name]=n/a
      return 0
    fi
    local e m
    read -r e m <"$LOG/$name.time"
    say "$name run $i: ${e}s, ${m} KiB"
    if [ -z "$best" ] || awk -v a="$e" -v b="$best" 'BEGIN { exit !(a < b) }'; then
      best=$e
      best_rss=$m
    fi
  done
  ELAPSED[$name]=$best
  RSS[$name]=$best_rss
}
noprep() { :; }
prep_nfpcapd() { rm -rf "$OUT/nfpcapd" && mkdir -p "$OUT/nfpcapd"; }
prep_argus() { rm -f "$OUT/bench.argus"; }

SELECT=(select --policy "$IND/policy.json" --out /dev/null)
measure floor "$RUNS" noprep "$BIN/pcap_floor" "$PCAP"
measure mamori_w1 "$RUNS" noprep "$MAMORI" "${SELECT[@]}" --stats "$OUT/stats-w1.json" --workers 1 "$PCAP"
measure mamori_w2 "$RUNS" noprep "$MAMORI" "${SELECT[@]}" --stats "$OUT/stats-w2.json" --workers 2 "$PCAP"
measure mamori_store 1 noprep bench/store_once.sh "$MAMORI" "$IND/policy.json" "$OUT/bench.db" "$PCAP"
[ "${ELAPSED[mamori_store]}" = n/a ] && note "mamori select --store failed (see bench/out/logs/mamori_store.err)"
# The selection phase alone: mamori reports its own wall time after the policy (1.2 million
# indicators) is loaded; a sensor loads its policy once and then runs for days, so this is its
# line rate. The three readers take turns, round after round, so a slow spell of the machine
# (this VM's speed drifts by tens of percent over minutes) falls on all of them alike; each
# keeps its best round, and each round's w2/w1 ratio is kept too (their median is reported).
declare -A PHASE LOAD
# Workers are pinned (--pin: worker i on the i-th CPU) and the floor runs on the first CPU
# (taskset), so no reader loses its caches to the kernel moving it between cores.
FIRST_CPU=$(taskset -pc $$ 2>/dev/null | sed 's/.*: *//; s/[-,].*//')
[[ "$FIRST_CPU" =~ ^[0-9]+$ ]] || FIRST_CPU=0
phase_w1() { "$MAMORI" "${SELECT[@]}" --pin --workers 1 "$PCAP" "$@"; }
phase_w2() { "$MAMORI" "${SELECT[@]}" --pin --workers 2 "$PCAP" "$@"; }
phase_store() { bench/store_once.sh "$MAMORI" "$IND/policy.json" "$OUT/bench.db" "$PCAP" --pin "$@"; }
phase_once() { # phase_once NAME ROUND -> selection seconds (or n/a)
  local name=$1 i=$2 s d l
  "$name" --stats "$OUT/$name-$i.json" >/dev/null 2>>"$LOG/$name.err" || { echo n/a; return 0; }
  s=$(json_get "$OUT/$name-$i.json" selection_seconds)
  # With --store, the records still queued for SQLite when selection ends count too.
  d=$(json_get "$OUT/$name-$i.json" store_drain_seconds)
  [[ "$d" =~ ^[0-9.e-]+$ ]] && s=$(awk -v a="$s" -v b="$d" 'BEGIN { print a + b }')
  l=$(json_get "$OUT/$name-$i.json" policy_load_seconds)
  say "$name round $i: selection ${s}s (policy load ${l}s)"
  if [[ "$s" =~ ^[0-9.e-]+$ ]] && { [ "${PHASE[$name]}" = n/a ] ||
      awk -v a="$s" -v b="${PHASE[$name]}" 'BEGIN { exit !(a < b) }'; }; then
    PHASE[$name]=$s
    LOAD[$name]=$l
  fi
  echo "$s"
}
json_get() { # json_get FILE KEY
  [ -s "$1" ] || { echo n/a; return; }
  if command -v jq >/dev/null; then jq -r --arg k "$2" '.[$k] // "n/a"' "$1" 2>/dev/null || echo n/a
  else python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], "n/a"))' "$1" "$2" 2>/dev/null || echo n/a
  fi
}
PHASE_RUNS=${BENCH_PHASE_RUNS:-15}
for name in phase_w1 phase_w2 phase_store; do PHASE[$name]=n/a; LOAD[$name]=n/a; done
# The floor takes its turn too: the bare libpcap loop's wall time (date, not /usr/bin/time's
# 10 ms resolution), so the w1 / floor ratio is also paired round by round.
floor_once() {
  local t0 t1
  t0=$(date +%s.%N)
  taskset -c "$FIRST_CPU" "$BIN/pcap_floor" "$PCAP" >/dev/null 2>>"$LOG/floor.err" || { echo n/a; return 0; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}
ROUND_FLOOR=n/a
ROUND_RATIOS=() STORE_RATIOS=() FLOOR_RATIOS=()
for ((round = 1; round <= PHASE_RUNS; round++)); do
  rf=$(floor_once)
  say "floor round $round: ${rf}s"
  if [[ "$rf" =~ ^[0-9.]+$ ]] && { [ "$ROUND_FLOOR" = n/a ] || awk -v a="$rf" -v b="$ROUND_FLOOR" 'BEGIN { exit !(a < b) }'; }; then
    ROUND_FLOOR=$rf
  fi
  # phase_once runs in this shell (not a subshell) so PHASE keeps its minimum.
  phase_once phase_w1 "$round" >"$OUT/round.w1"
  phase_once phase_w2 "$round" >"$OUT/round.w2"
  phase_once phase_store "$round" >"$OUT/round.store"
  r1=$(cat "$OUT/round.w1") r2=$(cat "$OUT/round.w2") rs=$(cat "$OUT/round.store")
  [[ "$r1" =~ ^[0-9.e-]+$ && "$r2" =~ ^[0-9.e-]+$ ]] && ROUND_RATIOS+=("$(awk -v a="$r1" -v b="$r2" 'BEGIN { printf "%.2f", a / b }')")
  [[ "$r1" =~ ^[0-9.e-]+$ && "$rf" =~ ^[0-9.]+$ ]] && FLOOR_RATIOS+=("$(awk -v a="$rf" -v b="$r1" 'BEGIN { printf "%.2f", a / b }')")
  [[ "$r1" =~ ^[0-9.e-]+$ && "$rs" =~ ^[0-9.e-]+$ ]] && STORE_RATIOS+=("$(awk -v a="$rs" -v b="$r1" 'BEGIN { printf "%.2f", a / b }')")
done
median() { printf '%s\n' "$@" | sort -n | awk 'NF { v[++n] = $1 } END { if (n) printf "%.2f\n", (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2); else print "n/a" }'; }
MEDIAN_RATIO=$(median "${ROUND_RATIOS[@]}")
STORE_MEDIAN=$(median "${STORE_RATIOS[@]}")
FLOOR_MEDIAN=$(median "${FLOOR_RATIOS[@]}")

# Peers. nfpcapd (nfdump 1.7): -r file -w dir (1.6 used -l); default expiry 300,60 s as ours.
measure nfpcapd "$RUNS" prep_nfpcapd nfpcapd -r "$PCAP" -w "$OUT/nfpcapd"
measure argus "$RUNS" prep_argus argus -r "$PCAP" -w "$OUT/bench.argus"
# softflowd: NetFlow v9 so IPv6 flows are kept (-6), a flow table large enough not to evict
# (-m), foreground (-d) so its statistics land in the log.
measure softflowd "$RUNS" noprep softflowd -r "$PCAP" -n "127.0.0.1:$PORT" -v 9 -6 -m 2000000 -d
# tshark: a full dissector per packet and conversation tables per address pair; slow, once.
measure tshark 1 noprep tshark -r "$PCAP" -q -z conv,ip -z conv,ipv6

# ---- 4. figures and RESULTS.md --------------------------------------------------------
PKTS=$(awk '{ for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }' "$LOG/floor.out" 2>/dev/null || true)
[ -n "$PKTS" ] || PKTS=$(gen packets)
# calc EXPR with n/a propagation: any "n/a" operand gives n/a.
calc() {
  local expr=$1
  shift
  for v in "$@"; do [[ "$v" =~ ^[0-9.]+$ ]] || { echo n/a; return; }; done
  awk -v a="${1:-0}" -v b="${2:-0}" -v c="${3:-0}" "BEGIN { x = $expr; if (x != x) print \"n/a\"; else print x }"
}
pps() { calc 'b > 0 ? sprintf("%.0f", a / b) : "n/a"' "$PKTS" "${ELAPSED[$1]}"; }
mpps() { calc 'b > 0 ? sprintf("%.2f", a / b / 1e6) : "n/a"' "$PKTS" "${ELAPSED[$1]}"; }
mib() { calc 'sprintf("%.1f", a / 1024)' "${RSS[$1]}"; }
ratio() { calc 'a > 0 ? sprintf("%.2f", b / a) : "n/a"' "${ELAPSED[$1]}" "${ELAPSED[$2]}"; } # time(2)/time(1) = rate(1)/rate(2)
verdict() { # verdict VALUE OP TARGET
  [[ "$1" =~ ^[0-9.]+$ ]] || { echo "n/a"; return; }
  awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN { ok = op == ">=" ? v >= t : v <= t; print ok ? "met" : "NOT met" }'
}
W1_FLOOR=$(ratio mamori_w1 floor)
W1_NF=$(ratio mamori_w1 nfpcapd)
W2_W1=$(ratio mamori_w2 mamori_w1)
# Selection-phase rates against the floor's rate (floor time / phase time).
prate() { calc 'b > 0 ? sprintf("%.2f", a / b / 1e6) : "n/a"' "$PKTS" "${PHASE[$1]}"; }
pratio() { calc 'b > 0 ? sprintf("%.2f", a / b) : "n/a"' "$ROUND_FLOOR" "${PHASE[$1]}"; }
P1_FLOOR=$(pratio phase_w1)
P2_P1=$(calc 'b > 0 ? sprintf("%.2f", a / b) : "n/a"' "${PHASE[phase_w1]}" "${PHASE[phase_w2]}")
PSTORE_P1=$(calc 'b > 0 ? sprintf("%.2f", a / b) : "n/a"' "${PHASE[phase_store]}" "${PHASE[phase_w1]}")
CRIT_BYTES=$(json_get "$OUT/stats-w1.json" criteria_memory_bytes)
CRIT_MIB=$(calc 'sprintf("%.1f", a / 1048576)' "$CRIT_BYTES")
SEL_W1=$(json_get "$OUT/stats-w1.json" flows_selected)
FLOWS_W1=$(json_get "$OUT/stats-w1.json" flows)
NF_PROC=$(cat "$LOG/nfpcapd.err" "$LOG/nfpcapd.out" 2>/dev/null | grep -o 'Processed: [0-9]*, skipped: [0-9]*' | head -1 || true)
SF_IGN=$(cat "$LOG/softflowd.err" "$LOG/softflowd.out" 2>/dev/null | sed -n 's/^Ignored packets: \([0-9]*\).*/\1/p' | head -1 || true)
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
PCAP_BYTES=$(stat -c %s "$PCAP")

row() { # row NAME LABEL NOTE
  printf '| %s | %s | %s | %s | %s | %s |\n' "$2" "${ELAPSED[$1]}" "$(mpps "$1")" "$(mib "$1")" \
    "$(ratio "$1" floor)" "$3"
}
tmp=$(mktemp "$RESULTS.XXXXXX")
{
  echo "# mamori bench results"
  echo
  echo "Written by \`bench/run.sh\` (\`make bench\`) on $(date -u +%Y-%m-%dT%H:%M:%SZ); see bench/README.md for what is measured."
  echo
  echo "## Machine"
  echo
  echo "- CPU: ${CPU:-unknown}, nproc $(nproc), memory $MEM"
  echo "- kernel $(uname -r); $(gcc --version | head -1); libpcap $(dpkg-query -W -f='${Version}' libpcap0.8 2>/dev/null || echo '?')"
  echo "- peers: nfdump $(dpkg-query -W -f='${Version}' nfdump 2>/dev/null || echo '?'), argus-server $(dpkg-query -W -f='${Version}' argus-server 2>/dev/null || echo '?'), softflowd $(dpkg-query -W -f='${Version}' softflowd 2>/dev/null || echo '?'), tshark $(dpkg-query -W -f='${Version}' tshark 2>/dev/null || echo '?')"
  echo
  echo "## Capture"
  echo
  echo "\`$BIN/gen_capture --out $PCAP --packets $PACKETS --seed $SEED --indicators-dir $IND\`"
  echo
  echo "- $(gen packets) packets over $(gen span_s) s; file $PCAP_BYTES bytes (snaplen $(gen snaplen)); $(gen wire_bytes) bytes on the wire (mean $(gen mean_wire_bytes) B)"
  echo "- $(gen flows) flows ($(gen flows_midstream) already running when the capture starts); live at once: mean $(gen live_flows_mean), max $(gen live_flows_max)"
  echo "- flows: TCP $(gen flows_tcp), DNS-like UDP $(gen flows_dns), other UDP $(gen flows_udp), ICMP/ICMPv6 $(gen flows_icmp); domestic->foreign $(gen flows_domestic_to_foreign), foreign->domestic $(gen flows_foreign_to_domestic), foreign<->foreign $(gen flows_foreign_foreign), domestic<->domestic $(gen flows_domestic_domestic)"
  echo "- packets: IPv6 $(gen packets_ipv6_pct)%, 802.1Q $(gen packets_dot1q_pct)%, 802.1ad QinQ $(gen packets_qinq_pct)%; TCP $(gen packets_tcp_pct)%, UDP $(gen packets_udp_pct)%, ICMP $(gen packets_icmp_pct)%"
  echo "- indicators: 1,000,000 IPv4 hosts, 100,000 IPv4 prefixes (/12../30), 100,000 IPv6 entries (/128 and /48../64); $(gen flows_indicator) flows touch one; the policy (route party_agreement: foreign_to_domestic only) should select $(gen flows_expected_selected) flows ($(gen flows_expected_selected_pct)% of flows, $(gen packets_expected_selected_pct)% of packets)"
  echo "- mamori --workers 1 saw ${FLOWS_W1} flows and selected ${SEL_W1}"
  echo
  echo "## Figures"
  echo
  echo "Elapsed: best of $RUNS (tshark and --store: one run), page cache warm. Rate = $PKTS packets / elapsed."
  echo
  echo "| reader | elapsed s | Mpackets/s | peak RSS MiB | rate / floor | note |"
  echo "|---|---|---|---|---|---|"
  row floor "floor (libpcap loop)" "pcap_open_offline + pcap_next_ex, nothing else"
  row mamori_w1 "mamori select, 1 worker" "flow tracking, selection, records"
  row mamori_w2 "mamori select, 2 workers" ""
  row mamori_store "mamori select --store, 1 worker" "records into SQLite"
  row nfpcapd nfpcapd "NetFlow records to files; ${NF_PROC:-?} (it does not decode QinQ)"
  row argus argus "argus records to a file"
  row softflowd softflowd "NetFlow v9 export to 127.0.0.1:$PORT; ${SF_IGN:-?} packets ignored (it does not decode QinQ)"
  row tshark "tshark conv,ip + conv,ipv6" "full dissection; conversations per address pair, not 5-tuple flows"
  echo
  echo "mamori's elapsed time includes loading the policy: $(json_get "$OUT/stats-w1.json" policy_load_seconds) s to parse and index 1.2 million indicators, once per sensor start. One worker reads the file with read(2) into a buffer; several workers map it read-only, so their peak RSS includes the capture file's pages (page cache shared with every reader, $((PCAP_BYTES / 1048576)) MiB). Both include the flow tables' touched pages."
  echo
  echo "### The selection phase (what a running sensor sustains)"
  echo
  echo "mamori's own wall clock from the first packet to the last record ('selection_seconds' in --stats), best of $PHASE_RUNS rounds in which they and the floor take turns, against the floor's whole run (best round: ${ROUND_FLOOR} s):"
  echo
  echo "| reader | selection s | Mpackets/s | rate / floor | policy load s |"
  echo "|---|---|---|---|---|"
  echo "| mamori select, 1 worker | ${PHASE[phase_w1]} | $(prate phase_w1) | $P1_FLOOR | ${LOAD[phase_w1]} |"
  echo "| mamori select, 2 workers | ${PHASE[phase_w2]} | $(prate phase_w2) | $(pratio phase_w2) | ${LOAD[phase_w2]} |"
  echo "| mamori select --store, 1 worker | ${PHASE[phase_store]} | $(prate phase_store) | $(pratio phase_store) | ${LOAD[phase_store]} |"
  echo
  echo "## Against the targets"
  echo
  echo "| figure | value | target | |"
  echo "|---|---|---|---|"
  echo "| mamori w1 selection-phase rate / floor rate (best against best) | $P1_FLOOR | >= 0.70 | $(verdict "$P1_FLOOR" ">=" 0.70) |"
  echo "| mamori w1 selection-phase rate / floor rate (median of the rounds' ratios: ${FLOOR_RATIOS[*]}) | $FLOOR_MEDIAN | >= 0.70 | $(verdict "$FLOOR_MEDIAN" ">=" 0.70) |"
  echo "| mamori w1 end-to-end rate / floor rate (incl. policy load) | $W1_FLOOR | (reported) | |"
  echo "| mamori w1 rate / nfpcapd rate | $W1_NF | (reported) | |"
  echo "| w2 / w1 speedup, selection phase (best against best) | $P2_P1 | >= 1.7 | $(verdict "$P2_P1" ">=" 1.7) |"
  echo "| w2 / w1 speedup, selection phase (median of the rounds' ratios: ${ROUND_RATIOS[*]}) | $MEDIAN_RATIO | >= 1.7 | $(verdict "$MEDIAN_RATIO" ">=" 1.7) |"
  echo "| w2 / w1 speedup, end to end | $W2_W1 | (reported) | |"
  echo "| --store / --out time, selection phase (best against best) | $PSTORE_P1 | <= 1.10 | $(verdict "$PSTORE_P1" "<=" 1.10) |"
  echo "| --store / --out time, selection phase (median of the rounds' ratios: ${STORE_RATIOS[*]}) | $STORE_MEDIAN | <= 1.10 | $(verdict "$STORE_MEDIAN" "<=" 1.10) |"
  echo "| indicator set memory (criteria_memory_bytes) | $CRIT_MIB MiB | <= 64 MiB | $(verdict "$CRIT_MIB" "<=" 64) |"
  echo "| peak RSS, mamori w1 / w2 | $(mib mamori_w1) / $(mib mamori_w2) MiB | (reported) | |"
  echo
  if [ "$(nproc)" -lt 3 ]; then
    echo "With $(nproc) CPUs, the 2 workers use every core, so any other work on the machine (and the hypervisor's) shows in the w2 figure."
    echo
  fi
  echo "## Commands"
  echo
  echo '```'
  for n in floor mamori_w1 mamori_w2 mamori_store nfpcapd argus softflowd tshark; do
    echo "$TIME -f '%e %M' ${CMDLINE[$n]:-}"
  done
  echo "# the selection phase, $PHASE_RUNS rounds of:"
  echo "taskset -c $FIRST_CPU $BIN/pcap_floor $PCAP"
  echo "$MAMORI ${SELECT[*]} --pin --workers 1 $PCAP --stats FILE"
  echo "$MAMORI ${SELECT[*]} --pin --workers 2 $PCAP --stats FILE"
  echo "bench/store_once.sh $MAMORI $IND/policy.json $OUT/bench.db $PCAP --pin --stats FILE"
  echo '```'
  if [ ${#NOTES[@]} -gt 0 ]; then
    echo
    echo "## Notes from this run"
    echo
    for n in "${NOTES[@]}"; do echo "- $n"; done
  fi
} >"$tmp"
# Keep the control plane section that bench/load.sh writes into the same file.
if [ -f "$RESULTS" ] && grep -q '^## Control plane' "$RESULTS"; then
  { echo; sed -n '/^## Control plane/,$p' "$RESULTS"; } >>"$tmp"
fi
mv "$tmp" "$RESULTS"
say "wrote $RESULTS"
cat "$RESULTS"
