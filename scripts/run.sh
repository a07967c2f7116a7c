#!/usr/bin/env bash
# Installs what is missing, builds passgate (Release) and runs it on its embedded
# defaults: 127.0.0.1:4000, /anthropic/* → https://api.anthropic.com, server key
# from ANTHROPIC_API_KEY if set. Extra arguments go to `passgate serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DPASSGATE_TESTS=OFF -DPASSGATE_BENCH=OFF >/dev/null
cmake --build build-release -j"$(nproc)" --target passgate
exec build-release/src/app/passgate serve "$@"
