#!/usr/bin/env bash
# The whole test suite from a fresh clone: infrastructure, dependencies, build, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-infra.sh
npm ci --no-audit --no-fund
npm run lint
npm run test:ci
