#!/usr/bin/env bash
# The whole test suite from a fresh clone: infrastructure, dependencies, build, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-infra.sh
# The Kubernetes tests start their own etcd + kube-apiserver from KUBEBUILDER_ASSETS (the convention
# of controller-runtime's envtest); CI keeps the assets in shared/ beside the repository.
if [ -z "${KUBEBUILDER_ASSETS:-}" ]; then
  envtest=../shared/tools/envtest/assets.sh
  if [ ! -f "$envtest" ]; then
    echo "KUBEBUILDER_ASSETS is unset and $envtest is missing: point KUBEBUILDER_ASSETS at a folder" \
      "with kube-apiserver and etcd (e.g. \$(setup-envtest use 1.26.x -p path))" >&2
    exit 1
  fi
  KUBEBUILDER_ASSETS=$(bash "$envtest")
  export KUBEBUILDER_ASSETS
fi
npm ci --no-audit --no-fund
npm run lint
npm run test:ci
