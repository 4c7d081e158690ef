#!/usr/bin/env bash
# Sites scale out (issue #9): two sites of N fake-hardware nodes, each with one and then two
# conductors and power workers, through the whole lifecycle; which replica touched which site's
# nodes, the CPU per node, and (--kill) a replica killed -9 mid-phase. Builds, then runs
# bench/multi-site.mjs once per variant, one after the other, and prints one table.
#   usage: bash bench/multi-site.sh [--nodes-per-site 1000] [--replicas 1|2] [--kill]
#          (no --replicas: the 1-replica, 2-replica and 2-replica --kill variants in sequence)
#   env:   BENCH_OUT (results folder; default bench/results/<stamp>-multi-site-n<N>)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
nodes=1000
replicas=
kill=0
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes-per-site) nodes=$2; shift 2 ;;
    --replicas) replicas=$2; shift 2 ;;
    --kill) kill=1; shift ;;
    *) extra+=("$1"); shift ;;
  esac
done
if [ -n "$replicas" ]; then
  variants=("$replicas:$kill")
else
  variants=("1:0" "2:0" "2:1")
fi
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=${BENCH_OUT:-$repo/bench/results/$stamp-multi-site-n$nodes}
mkdir -p "$out"

echo "[bench] building Ingot" >&2
(cd "$repo" && npx tsc -b)
results=()
status=0
for variant in "${variants[@]}"; do
  r=${variant%:*}
  k=${variant#*:}
  label="r$r"
  flags=(--nodes-per-site "$nodes" --replicas "$r" --out "$out")
  if [ "$k" = 1 ]; then flags+=(--kill); label="$label-kill"; fi
  echo "[bench] $label: $nodes nodes per site (load: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  node "$repo/bench/multi-site.mjs" "${flags[@]}" "${extra[@]}" > "$out/$label.md" || status=1
  results+=("$out/$label.json")
done
if [ "${#results[@]}" -gt 1 ]; then
  node "$repo/bench/multi-site/report.mjs" "${results[@]}" | tee "$out/comparison.md"
  echo >&2 "[bench] per-variant reports: $out/r*.md"
else
  cat "$out/$label.md"
fi
exit $status
