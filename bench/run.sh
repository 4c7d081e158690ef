#!/usr/bin/env bash
# One-command benchmark: the anchor's Ironic-API lifecycle workload against Ingot (fake-hardware)
# and, in the same run, against real Ironic (Debian Zed, fake-hardware) set up by the anchor's
# scripts; then a side-by-side table.  Needs root and apt for Ironic (the first run installs it).
#   usage: bash bench/run.sh [--nodes 100] [--concurrency 32] [--skip-ironic] [--profile]
#          [more workload options]
#   --profile: Ingot's services write CPU profiles to the results folder, summed up at the end
#   env:   IRONIC_PORT (default 6390; Ingot's API takes a free port), BENCH_OUT (results folder)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
anchor="$repo/../shared/anchors/ironic"
nodes=100
concurrency=32
skip_ironic=0
profile=0
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --skip-ironic) skip_ironic=1; shift ;;
    --profile) profile=1; shift ;;
    *) extra+=("$1"); shift ;;
  esac
done
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=${BENCH_OUT:-$repo/bench/results/$stamp-n$nodes}
mkdir -p "$out"
args=(--nodes "$nodes" --concurrency "$concurrency" --api-version 1.78 "${extra[@]}")

echo "[bench] building Ingot" >&2
(cd "$repo" && npx tsc -b)

echo "[bench] Ingot: $nodes nodes" >&2
if [ "$profile" = 1 ]; then export BENCH_CPU_PROF_DIR="$out/profiles"; fi
node "$repo/bench/ingot-run.mjs" "$out/ingot.json" "${args[@]}" > "$out/ingot-stdout.txt" || true
unset BENCH_CPU_PROF_DIR
tail -n +3 "$out/ingot-stdout.txt"
if [ "$profile" = 1 ]; then
  node "$repo/bench/profile-top.mjs" "$out/profiles" | tee "$out/profile-top.txt"
fi

if [ "$skip_ironic" = 1 ]; then exit 0; fi
echo "[bench] Ironic: $nodes nodes on port ${IRONIC_PORT:-6390}" >&2
export IRONIC_PORT=${IRONIC_PORT:-6390}
set +e
bash "$anchor/ironic-run.sh" "$out/ironic" "${args[@]}" --label ironic
ironic_rc=$?
set -e
IRONIC_STOP_KEEP_DB=1 bash "$anchor/ironic-stop.sh" || true
ironic_json=$(ls -t "$out"/ironic/result-*.json 2>/dev/null | head -1 || true)
if [ -z "$ironic_json" ]; then
  echo "[bench] Ironic produced no result (exit code $ironic_rc); see $out/ironic" >&2
  exit 1
fi
cp "$ironic_json" "$out/ironic.json"
node "$repo/bench/compare.mjs" "$out/ingot.json" "$out/ironic.json" | tee "$out/compare.txt"
