# store_lib.sh - helpers for the store tests (sourced after lib.sh): a store with users of each role,
# records from a sample capture, counts and audit lookups.

# new_store DB: create it; ADMIN, ANALYST and COMMITTEE hold the tokens.
new_store() {
  local db=$1
  "$MAMORI" init --store "$db" >/dev/null || return 1
  ADMIN=$("$MAMORI" user add --store "$db" --name root --role admin | tail -n 1)
  ANALYST=$("$MAMORI" user add --store "$db" --name ana --role analyst --token "$ADMIN" | tail -n 1)
  COMMITTEE=$("$MAMORI" user add --store "$db" --name com --role committee --token "$ADMIN" | tail -n 1)
  [ -n "$ADMIN" ] && [ -n "$ANALYST" ] && [ -n "$COMMITTEE" ]
}

# stored_count DB: how many records a committee inspection query returns (-1 on failure).
stored_count() {
  local out
  out=$("$MAMORI" query --store "$1" --purpose committee_inspection --reason "count check" \
        --token "$COMMITTEE" 2>/dev/null) || { echo -1; return; }
  if [ -z "$out" ]; then echo 0; else printf '%s\n' "$out" | wc -l; fi
}

# audit_json DB: the audit log as JSON Lines (committee).
audit_json() { "$MAMORI" audit list --store "$1" --token "$COMMITTEE"; }
