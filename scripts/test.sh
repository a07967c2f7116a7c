#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test (unit,
# end-to-end against the real binary, and the Anthropic SDK client test).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests
(cd tests/sdk && npm ci --no-audit --no-fund --loglevel=error)
(cd tests/ui && npm ci --no-audit --no-fund --loglevel=error)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPASSGATE_TESTS=ON -DPASSGATE_BENCH=ON >/dev/null
cmake --build build -j"$(nproc)"
(cd build && ctest --output-on-failure --timeout 300 -j"$(nproc)")

# The modules that parse hostile bytes, again under ASan and UBSan (their own
# build tree: only these modules and their unit tests).
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPASSGATE_SANITIZE=ON -DPASSGATE_BENCH=OFF \
  -DPASSGATE_TESTS=ON "-DPASSGATE_MODULES=usage;policy" >/dev/null
cmake --build build-sanitize -j"$(nproc)"
(cd build-sanitize && ctest --output-on-failure --timeout 300 -j"$(nproc)")

# The libFuzzer targets (clang, ASan + UBSan, build-fuzz), a minute in all, and
# the inputs in tests/fuzz/regressions/ replayed: see tests/fuzz/README.md.
# A fixed seed, so that this run tries the same inputs every time; longer runs
# (scripts/fuzz.sh 3600) explore with random seeds.
FUZZ_SEED="${FUZZ_SEED:-1}" scripts/fuzz.sh 60
