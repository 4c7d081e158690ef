#!/usr/bin/env bash
# Idle power sync at scale (issue #9): N redfish nodes on one light BMC host, synced every interval;
# CPU of Ingot and PostgreSQL per minute, BMC requests per minute, and the delay until an
# out-of-band power change shows in the API. Builds, runs bench/power-sync.mjs, prints the table.
#   usage: bash bench/power-sync.sh [--nodes 10000] [--interval-ms 60000] [--minutes 3]
#          [--state active|available] [--workers N] [--flips-per-minute 6] [--bmc-delay-ms 0]
#          [--power-env K=V]... [--profile] [--skip-baseline]
#   --profile: the services write CPU profiles to the results folder, summed up at the end
#   env:   BENCH_OUT (results folder; default bench/results/<stamp>-power-sync-n<N>)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
nodes=1000
profile=0
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=$2; args+=("$1" "$2"); shift 2 ;;
    --profile) profile=1; args+=("$1"); shift ;;
    *) args+=("$1"); shift ;;
  esac
done
args+=(--nodes "$nodes")
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=${BENCH_OUT:-$repo/bench/results/$stamp-power-sync-n$nodes}
mkdir -p "$out"

echo "[bench] building Ingot" >&2
(cd "$repo" && npx tsc -b)
echo "[bench] power sync of $nodes nodes; results in $out" >&2
node "$repo/bench/power-sync.mjs" "$out" "${args[@]}" | tee "$out/report.txt"
if [ "$profile" = 1 ]; then
  node "$repo/bench/profile-top.mjs" "$out/profiles" | tee "$out/profile-top.txt"
fi
