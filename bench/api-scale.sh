#!/usr/bin/env bash
# The API scales out (issue #10 point 10): R API replicas of one installation behind haproxy
# (round robin, health check on /healthz), N fake-hardware nodes, wrk with 200 connections per
# scenario (GET one node, GET a detailed page of 100, PATCH extra), and a baseline straight to one
# API. Installs haproxy and wrk with apt-get when missing, builds, runs bench/api-scale.mjs.
#   usage: bash bench/api-scale.sh [--replicas 1|2|3|1,2,3] [--nodes 1000] [--connections 200]
#          [--duration 20] [--warmup 3] [--threads 2] [--api-pool 10] [--no-baseline]
#          (no --replicas: 1, 2 and 3 replicas in sequence, after the baseline)
#   env:   BENCH_OUT (results folder; default bench/results/<stamp>-api-scale)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

# Debian puts haproxy in /usr/sbin, which is not on every user's PATH.
find_tool() { command -v "$1" 2>/dev/null || { [ -x "/usr/sbin/$1" ] && echo "/usr/sbin/$1"; } || true; }
missing=()
[ -n "$(find_tool haproxy)" ] || missing+=(haproxy)
[ -n "$(find_tool wrk)" ] || missing+=(wrk)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "[bench] installing ${missing[*]} with apt-get" >&2
  $sudo apt-get install -y --no-install-recommends "${missing[@]}" ||
    { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "${missing[@]}"; }
fi
export HAPROXY WRK
HAPROXY=$(find_tool haproxy)
WRK=$(find_tool wrk)

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=${BENCH_OUT:-$repo/bench/results/$stamp-api-scale}
mkdir -p "$out"

echo "[bench] building Ingot" >&2
(cd "$repo" && npx tsc -b)
echo "[bench] API replicas; results in $out (load: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
node "$repo/bench/api-scale.mjs" --out "$out" "$@"
