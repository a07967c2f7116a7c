#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test (unit,
# end-to-end against the real binary, and the Anthropic SDK client test).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests
(cd tests/sdk && npm ci --no-audit --no-fund --loglevel=error)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPASSGATE_TESTS=ON -DPASSGATE_BENCH=ON >/dev/null
cmake --build build -j"$(nproc)"
cd build
ctest --output-on-failure --timeout 300 -j"$(nproc)"
