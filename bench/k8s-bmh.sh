#!/usr/bin/env bash
# Metal3 BareMetalHosts at scale through the Kubernetes adapter and the lab: builds, then runs
# bench/k8s-bmh.mjs (its own etcd + kube-apiserver, an Ingot installation with the k8s-adapter,
# N simulated servers running the real agent). Everything listens on 127.0.0.1.
#   usage: bash bench/k8s-bmh.sh [--hosts 100] [--idle-s 30] [--apply-concurrency 8] [--resync-ms MS]
#   env:   KUBEBUILDER_ASSETS (default: ../shared/tools/envtest/assets.sh beside the repository),
#          BENCH_OUT (results folder; default bench/results/<stamp>-k8s-bmh-n<N>)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
hosts=100
args=("$@")
while [ $# -gt 0 ]; do
  case "$1" in
    --hosts) hosts=$2; shift 2 ;;
    *) shift ;;
  esac
done
if [ -z "${KUBEBUILDER_ASSETS:-}" ]; then
  KUBEBUILDER_ASSETS=$(bash "$repo/../shared/tools/envtest/assets.sh")
  export KUBEBUILDER_ASSETS
fi
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=${BENCH_OUT:-$repo/bench/results/$stamp-k8s-bmh-n$hosts}
mkdir -p "$out"

echo "[bench] building Ingot" >&2
(cd "$repo" && npx tsc -b)
echo "[bench] $hosts BareMetalHosts; results in $out (load: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
node "$repo/bench/k8s-bmh.mjs" --out "$out/result.json" --keep-logs "$out/services.log" --keep-audit "$out/audit.log" "${args[@]}" \
  | tee "$out/report.md"
