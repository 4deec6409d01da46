#!/usr/bin/env bash
# store_once.sh MAMORI POLICY STORE PCAP [--stats FILE]: one `mamori select --store` run on a fresh
# store (an analyst is created for it), for bench/run.sh's selection-phase measurement.
set -euo pipefail
mamori=$1 policy=$2 store=$3 pcap=$4
shift 4
rm -f "$store" "$store-wal" "$store-shm"
"$mamori" init --store "$store" >/dev/null
token=$("$mamori" user add --store "$store" --name bench --role analyst | tail -n 1)
"$mamori" select --policy "$policy" --store "$store" --token "$token" --workers 1 "$pcap" "$@"
