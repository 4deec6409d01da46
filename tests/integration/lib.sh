# lib.sh - shared helpers for integration tests: TAP-like lines, a scratch dir, policies.
# Sourced by test_*.sh; expects MAMORI (the binary under test) and GEN (the capture generator).
set -uo pipefail
MAMORI=${MAMORI:-build-asan/mamori}
GEN=${GEN:-build/gen_capture}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SHARED=${MM_SHARED_DATA:-$HERE/../../../shared/data}
T=$(mktemp -d /tmp/mm-it-XXXXXX)
trap 'rm -rf "$T"' EXIT
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
finish() { echo "# $n tests, $fails failed"; [ "$fails" -eq 0 ]; }

# write_policy DIR ROUTE DOMESTIC_LINES CRITERIA_JSON: key (0600), domestic.txt, policy.json
write_policy() {
  local dir=$1 route=$2 domestic=$3 criteria=$4
  mkdir -p "$dir"
  printf '%s\n' 1522178d33a4cf80130a5b1649907d10d8988f837979652762574c2d2a842202 >"$dir/pseudo.key"
  chmod 600 "$dir/pseudo.key"
  printf '%b' "$domestic" >"$dir/domestic.txt"
  cat >"$dir/policy.json" <<JSON
{"policy_id": "it-1", "route": "$route", "domestic_prefixes": ["domestic.txt"],
 "pseudonymization_key": "pseudo.key", "criteria": $criteria}
JSON
}
