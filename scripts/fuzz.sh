#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan + UBSan) in build-fuzz
# and runs each for its share of SECONDS (default 60 in all), one after the other,
# on a copy of its seed corpus. Inputs saved under tests/fuzz/regressions/<target>/
# are replayed first. Exits non-zero if any target crashes, naming the input.
#
#   scripts/fuzz.sh [SECONDS]
#   FUZZ_SEED=1 scripts/fuzz.sh 60   # a fixed seed: the same mutations each run (CI)
#
# Logs, the grown corpora and crashing inputs stay in build-fuzz/runs/<time>/.
set -euo pipefail
cd "$(dirname "$0")/.."
total="${1:-60}"
case "$total" in '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;; esac

# name and -max_len of each target
targets=(request:4096 response:4096 credential_rule:1024 path:256 usage:4096 config:2048)
modules="common;http;policy;limits;usage;config"

scripts/install-deps.sh
missing=()
for p in clang-14 libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "fuzz: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

build=build-fuzz
mkdir -p "$build"
start=$(date +%s)
if ! { cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
         -DPASSGATE_FUZZ=ON -DPASSGATE_TESTS=OFF -DPASSGATE_BENCH=OFF "-DPASSGATE_MODULES=$modules" &&
       cmake --build "$build" -j"${PASSGATE_JOBS:-$(nproc)}"; } >"$build/build.log" 2>&1; then
  tail -n 40 "$build/build.log"
  echo "fuzz: build failed (full log: $build/build.log)"
  exit 1
fi
echo "fuzz: built in $(($(date +%s) - start)) s; ${#targets[@]} targets, $total s in all"

run="$build/runs/$(date +%Y%m%d-%H%M%S)-$$"
mkdir -p "$run"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
passed=0
failed=0
left_s="$total"
left_targets=${#targets[@]}

for entry in "${targets[@]}"; do
  # Each target gets an even share of the time still left: a target that stops
  # early (a crash, a regression) leaves its time to the ones after it.
  share=$((left_s / left_targets))
  [ "$share" -lt 1 ] && share=1
  left_targets=$((left_targets - 1))
  target_start=$(date +%s)
  name="${entry%%:*}"
  max_len="${entry##*:}"
  bin="$build/tests/fuzz/${name}_fuzz"
  dir="$run/$name"
  log="$run/$name.log"
  mkdir -p "$dir/corpus"
  cp tests/fuzz/corpus/"$name"/* "$dir/corpus/"
  dict=()
  [ -f "tests/fuzz/$name.dict" ] && dict=("-dict=tests/fuzz/$name.dict")

  # Inputs that once crashed must not crash again.
  regressions=()
  if [ -d "tests/fuzz/regressions/$name" ]; then
    for f in tests/fuzz/regressions/"$name"/*; do [ -f "$f" ] && regressions+=("$f"); done
  fi
  if [ ${#regressions[@]} -gt 0 ] &&
     ! "$bin" -artifact_prefix="$dir/" "${regressions[@]}" >"$dir/regressions.log" 2>&1; then
    bad=$(grep -o 'Running: .*' "$dir/regressions.log" | tail -n 1 | cut -d' ' -f2)
    printf 'fuzz: %-16s FAILED  regression %s still crashes (log %s)\n' "$name" "$bad" "$dir/regressions.log"
    failed=$((failed + 1))
    left_s=$((left_s - ($(date +%s) - target_start)))
    continue
  fi

  status=0
  seed=()
  [ -n "${FUZZ_SEED:-}" ] && seed=("-seed=$FUZZ_SEED")
  "$bin" "$dir/corpus" "${dict[@]}" "${seed[@]}" -max_total_time="$share" -max_len="$max_len" -timeout=30 \
    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$dir/" >"$log" 2>&1 || status=$?

  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1 || true)
  corpus=$(find "$dir/corpus" -type f | wc -l)
  if [ "$status" -eq 0 ]; then
    passed=$((passed + 1))
    printf 'fuzz: %-16s ok      %s runs, %s/s, %s, corpus %s\n' "$name" "${runs:-?}" "${speed:-?}" "${cov:-cov ?}" "$corpus"
  else
    failed=$((failed + 1))
    input=$(grep -o 'Test unit written to .*' "$log" | tail -n 1 | cut -d' ' -f5 || true)
    what=$(grep -m1 -o -E 'PROPERTY VIOLATED: .*|UNEXPECTED EXCEPTION.*|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-z-]+.*|runtime error: .*' "$log" || true)
    printf 'fuzz: %-16s FAILED  %s\n' "$name" "${what:-exit status $status}"
    printf '      input %s\n      log   %s\n' "${input:-?}" "$log"
  fi
  left_s=$((left_s - ($(date +%s) - target_start)))
  [ "$left_s" -lt 0 ] && left_s=0
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
