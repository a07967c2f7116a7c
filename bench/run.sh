#!/usr/bin/env bash
# The whole benchmark in one command: passgate against a bare nginx hop and the
# direct path, on loopback, written to docs/benchmarks.md (see that file).
#
#   bench/run.sh
#
# Environment (all optional):
#   PASSGATE_BIN       use this passgate binary instead of building one
#   BENCH_BUILD_DIR    Release build directory (default: build-bench)
#   BENCH_JOBS         parallel build jobs (default: number of cores)
#   BENCH_DURATION     seconds per measured run (default 3)
#   BENCH_REPEATS      repeats per figure, medians reported (default 3)
#   BENCH_MAX_STREAMS  most concurrent streams tried (default 10000)
#   BENCH_OUT          report file (default: docs/benchmarks.md)
#   BENCH_KEEP_TMP=1   keep the temp dir (configs, logs, raw results)
#   BENCH_TAP_REPEATS  pairs of runs of the usage tap on/off comparison (default 12; 0: skip it)
#   BENCH_TAP_ONLY=1   only that comparison (about 2 minutes): prints its table, report left alone
#   BENCH_LIMITS_REPEATS  pairs of runs of the key-limits on/off comparison (default 8; 0: skip it)
#   BENCH_LIMITS_ONLY=1   only that comparison (about a minute): prints its table, report left alone
#   BENCH_FLEET_ONLY=1    only the SQLite against PostgreSQL + Redis comparison (about 2 minutes; needs
#                         postgresql-15 and redis-server): prints its table, report left alone
#   BENCH_FLEET_REPEATS   rounds of that comparison (default 5)
#   BENCH_OPENAI_ONLY=1   only the OpenAI route against nginx and direct (about a minute): prints its table
#   BENCH_THREADS_ONLY=1  only one thread against two, nginx beside (about a minute): prints its table
#   BENCH_COST_ONLY=1     only where the CPU per request goes: by thread and system calls (about a
#                         minute; the system calls need perf, Debian's linux-perf): prints its tables
#
# Installs nginx, wrk (and Google Benchmark's headers; perf, optional) from Debian
# with apt-get when they are missing and the script runs as root. Needs 2 cores: the load
# generator runs on core 0, the proxy and the upstream on core 1.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BENCH_BUILD_DIR:-$ROOT/build-bench}
JOBS=${BENCH_JOBS:-$(nproc)}
OUT=${BENCH_OUT:-$ROOT/docs/benchmarks.md}
say() { echo "[bench] $*" >&2; }
started=$(date +%s)

# --- tools -------------------------------------------------------------------
missing=()
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
[[ -e /usr/lib/x86_64-linux-gnu/cmake/benchmark/benchmarkConfig.cmake || -n "$(find /usr/lib /usr/local/lib \
   -name benchmarkConfig.cmake -print -quit 2>/dev/null)" ]] || missing+=(libbenchmark-dev)
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    say "installing from Debian: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    say "missing: ${missing[*]} — install them (apt-get install -y ${missing[*]}) or run as root"
    exit 1
  fi
fi
export PATH=$PATH:/usr/sbin:/sbin
# perf counts figure 12's system calls. It is optional: installed here as root when
# missing; without it that table says it was skipped.
if ! command -v perf >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  say "installing from Debian: linux-perf (figure 12's system call counts)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null; } ||
    say "linux-perf could not be installed: figure 12 skips its system call counts"
fi

if (($(nproc) < 2)); then
  say "needs at least 2 cores (load generator and proxy on separate cores); found $(nproc)"
  exit 1
fi

# --- limits: 10,000 streams need ~20,000 descriptors in a proxy ----------------
if [[ $(id -u) -eq 0 ]]; then
  nr_open=$(cat /proc/sys/fs/nr_open 2>/dev/null || echo 1048576)
  want=$((nr_open < 262144 ? nr_open : 262144))
  ulimit -Hn "$want" 2>/dev/null || true
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (($(ulimit -n) < 25000)); then
  if [[ $(id -u) -eq 0 ]]; then
    say "warning: open files limit is $(ulimit -n) and cannot be raised here (no CAP_SYS_RESOURCE?); the stream test stops below 10,000"
  else
    say "warning: open files limit is $(ulimit -n); 10,000 streams need ~25,000 (run as root to raise it)"
  fi
fi

# --- build ---------------------------------------------------------------------
build_started=$(date +%s)
targets=(bench_upstream bench_client policy_bench usage_tap_bench attribution_bench key_cache_bench)
if [[ -n ${PASSGATE_BIN:-} ]]; then
  PASSGATE=$PASSGATE_BIN
  desc="given binary $PASSGATE_BIN"
else
  targets+=(passgate)
  PASSGATE=$BUILD/src/app/passgate
  desc="Release build"
fi
mkdir -p "$BUILD"
say "building ${targets[*]} in $BUILD (Release, -j$JOBS)"
# -UPASSGATE_MODULES: a module list cached by an older tree would leave modules out.
cmake -S "$ROOT" -B "$BUILD" -UPASSGATE_MODULES -DCMAKE_BUILD_TYPE=Release -DPASSGATE_TESTS=OFF -DPASSGATE_BENCH=ON >"$BUILD/bench-cmake.log" 2>&1 ||
  { cat "$BUILD/bench-cmake.log" >&2; exit 1; }
cmake --build "$BUILD" -j "$JOBS" --target "${targets[@]}" >"$BUILD/bench-build.log" 2>&1 ||
  { tail -50 "$BUILD/bench-build.log" >&2; say "build failed (full log: $BUILD/bench-build.log)"; exit 1; }
build_s=$(($(date +%s) - build_started))
[[ -x $PASSGATE ]] || { say "no passgate binary at $PASSGATE"; exit 1; }

# --- run -------------------------------------------------------------------------
# Every process runs at the default scheduling policy and priority: no nice, no
# real-time class. A user's deployment gets neither, so figures must not need them.
TMP=$(mktemp -d /tmp/passgate-bench.XXXXXX)
chmod 755 "$TMP"  # nginx workers may run as another user
pid=""
cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if [[ ${BENCH_KEEP_TMP:-0} == 1 ]]; then say "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

python3 "$ROOT/bench/bench.py" \
  --passgate "$PASSGATE" --passgate-desc "$desc" \
  --tools "$BUILD/bench" --wrk-lua "$ROOT/bench/wrk/messages.lua" \
  --root "$ROOT" --tmp "$TMP" --out "$OUT" --json "$BUILD/bench-results.json" \
  --duration "${BENCH_DURATION:-3}" --repeats "${BENCH_REPEATS:-3}" \
  --max-streams "${BENCH_MAX_STREAMS:-10000}" --build-s "$build_s" \
  --tap-repeats "${BENCH_TAP_REPEATS:-12}" $([[ ${BENCH_TAP_ONLY:-0} == 1 ]] && echo --tap-only) \
  --limits-repeats "${BENCH_LIMITS_REPEATS:-8}" $([[ ${BENCH_LIMITS_ONLY:-0} == 1 ]] && echo --limits-only) \
  --fleet-repeats "${BENCH_FLEET_REPEATS:-5}" $([[ ${BENCH_FLEET_ONLY:-0} == 1 ]] && echo --fleet-only) \
  $([[ ${BENCH_OPENAI_ONLY:-0} == 1 ]] && echo --openai-only) \
  $([[ ${BENCH_THREADS_ONLY:-0} == 1 ]] && echo --threads-only) \
  $([[ ${BENCH_COST_ONLY:-0} == 1 ]] && echo --cost-only) &
pid=$!
wait "$pid"
pid=""
say "done in $(($(date +%s) - started)) s (build $build_s s); report: $OUT; raw results: $BUILD/bench-results.json"
