#!/usr/bin/env bash
# Ingot's main job on a laptop: services + a lab of simulated servers taken through their lifecycle.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-infra.sh
npm ci --no-audit --no-fund
npm run build
node lab/dist/demo.js "$@"
