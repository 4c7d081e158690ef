#!/usr/bin/env bash
# Ingot's main job on a laptop: services + a lab of simulated servers taken through their lifecycle.
#   bash scripts/demo.sh [--servers N]   the process lab: each server's agent runs as a process (fast)
#   bash scripts/demo.sh --vms N         each server a QEMU VM (1..8) booting the agent ramdisk
#                                        (built by scripts/build-agent-ramdisk.sh) and the deployed image
#   --keep                               leave everything running afterwards; with --vms it prints each
#                                        VM's console log (tail -f) and BMC
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-infra.sh
npm ci --no-audit --no-fund
npm run build
node lab/dist/demo.js "$@"
