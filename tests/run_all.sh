#!/usr/bin/env bash
# run_all.sh - what `make test` runs: builds (plain, ASan+UBSan, libFuzzer, ThreadSanitizer), unit tests
# in the first two, the engine's tests and a many-worker run under TSan, integration tests against the
# sanitized binary, fuzz replays and short fuzz runs; one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export MM_SHARED_DATA=${MM_SHARED_DATA:-$(cd "$ROOT/.." && pwd)/shared/data}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
LOG=${TEST_LOG_DIR:-$ROOT/build/test-logs}
mkdir -p "$LOG"
passed=0
failed=0
failures=()

ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); failures+=("$1"); echo "not ok - $1"; }

STARTED=$SECONDS
elapsed() { echo "# [$((SECONDS - STARTED)) s] $*"; }

# Count the "ok N - name" / "not ok N - name" lines a test program prints.
tally() {
  local label=$1 file=$2
  local p f
  p=$(grep -c '^ok ' "$file" || true)
  f=$(grep -c '^not ok ' "$file" || true)
  passed=$((passed + p))
  failed=$((failed + f))
  grep '^not ok ' "$file" | sed "s/^/  [$label] /"
  while read -r line; do failures+=("$label: ${line#not ok }"); done < <(grep '^not ok ' "$file")
  echo "$label: $p passed, $f failed"
}

build() {
  local preset=$1
  if cmake --preset "$preset" >"$LOG/cmake-$preset.log" 2>&1 &&
     cmake --build --preset "$preset" >>"$LOG/cmake-$preset.log" 2>&1; then
    ok "build $preset"
    return 0
  fi
  tail -n 40 "$LOG/cmake-$preset.log"
  not_ok "build $preset"
  return 1
}

build release; have_release=$?
build debug; have_asan=$?
build fuzz; have_fuzz=$?
build tsan; have_tsan=$?
elapsed "builds done"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=98}

if [ $have_release -eq 0 ]; then
  build/mamori-unit >"$LOG/unit-release.log" 2>&1
  tally "unit (release)" "$LOG/unit-release.log"
fi
if [ $have_asan -eq 0 ]; then
  build-asan/mamori-unit >"$LOG/unit-asan.log" 2>&1
  rc=$?
  tally "unit (asan+ubsan)" "$LOG/unit-asan.log"
  [ $rc -eq 99 ] || [ $rc -eq 98 ] && not_ok "unit (asan+ubsan): sanitizer report, see $LOG/unit-asan.log"
fi

# The workers share blocks, slots and the check of each byte range's first record without a lock
# on the hot path: the engine's tests and a 3-worker run over a generated capture, in small
# ranges, under ThreadSanitizer (records must equal one worker's).
if [ $have_tsan -eq 0 ] && [ $have_release -eq 0 ]; then
  export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:exitcode=97}
  build-tsan/mamori-unit select_ >"$LOG/unit-tsan.log" 2>&1
  rc=$?
  tally "unit select (tsan)" "$LOG/unit-tsan.log"
  [ $rc -eq 97 ] && not_ok "unit select (tsan): data race report, see $LOG/unit-tsan.log"
  tw=$(mktemp -d)
  if build/gen_capture --out "$tw/g.pcap" --packets 100000 --seed 7 --indicators-dir "$tw/ind" >/dev/null &&
     build/mamori select --policy "$tw/ind/policy.json" --out "$tw/one.jsonl" "$tw/g.pcap" &&
     build-tsan/mamori select --policy "$tw/ind/policy.json" --out "$tw/three.jsonl" --workers 3 --chunk 3000 \
       "$tw/g.pcap" 2>"$LOG/select-tsan.log" &&
     cmp -s <(sort "$tw/one.jsonl") <(sort "$tw/three.jsonl") && [ -s "$tw/one.jsonl" ]; then
    ok "select --workers 3 under TSan: no race, the records of one worker ($(wc -l <"$tw/one.jsonl"))"
  else
    not_ok "select --workers 3 under TSan (see $LOG/select-tsan.log)"
  fi
  rm -rf "$tw"
  elapsed "tsan done"
fi

# Integration tests use the sanitized binary, so every CLI path runs under ASan+UBSan.
if [ $have_asan -eq 0 ] && [ $have_release -eq 0 ]; then
  export MAMORI="$ROOT/build-asan/mamori" MAMORI_RELEASE="$ROOT/build/mamori" GEN="$ROOT/build/gen_capture"
  for t in tests/integration/test_*.sh; do
    name=$(basename "$t" .sh)
    t0=$SECONDS
    bash "$t" >"$LOG/$name.log" 2>&1
    rc=$?
    elapsed "$name took $((SECONDS - t0)) s"
    tally "$name" "$LOG/$name.log"
    if [ $rc -ne 0 ] && ! grep -q '^not ok ' "$LOG/$name.log"; then
      not_ok "$name exited $rc without a failing test; see $LOG/$name.log"
      tail -n 20 "$LOG/$name.log"
    fi
  done
fi

# Fuzz corpora replay through the plain build; then each libFuzzer target runs briefly.
for src in fuzz/fuzz_*.c; do
  name=$(basename "$src" .c)
  corpus=fuzz/corpus/${name#fuzz_}
  [ -d "$corpus" ] || { not_ok "$name: no corpus at $corpus"; continue; }
  if [ $have_release -eq 0 ]; then
    if build/${name}_replay "$corpus" >"$LOG/$name-replay.log" 2>&1; then ok "$name replay"; else not_ok "$name replay"; fi
  fi
  if [ $have_fuzz -eq 0 ]; then
    work=$(mktemp -d)
    cp -r "$corpus"/. "$work"/
    if build-fuzz/$name -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
         -print_final_stats=1 -artifact_prefix="$LOG/$name-" "$work" >"$LOG/$name-fuzz.log" 2>&1; then
      ok "$name fuzz ${FUZZ_SECONDS}s ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$LOG/$name-fuzz.log" | awk '{print $2}') runs)"
    else
      tail -n 30 "$LOG/$name-fuzz.log"
      not_ok "$name fuzz: crash, artifact in $LOG"
    fi
    rm -rf "$work"
  fi
done

elapsed "all done"
if [ ${#failures[@]} -gt 0 ]; then
  echo
  echo "failures:"
  printf '  %s\n' "${failures[@]}"
fi
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
