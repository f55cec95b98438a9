#!/usr/bin/env bash
# Build the libFuzzer target for mcrise's image loader and run it for a bounded
# time on a copy of the seed corpus.
#   fuzz/run.sh [seconds=60] [build dir=build-fuzz]
# Environment: FUZZ_SEED (libFuzzer -seed; default 0 = random) and FUZZ_RUNS
# (stop after this many inputs; with a fixed seed the run is reproducible,
# which is what CI uses).
# libFuzzer mutates with the values of recent comparisons, pointer comparisons
# in stb included, so its path depends on where the code, heap and stack lie:
# with a fixed seed the fuzzer therefore runs without address randomisation
# (setarch -R) and with an empty environment (its size moves the stack), and
# the same seed then tries the same inputs on every run and every machine with
# the same clang. Where setarch is refused (some containers) it runs as is.
# -reload=0: libFuzzer would otherwise reread its corpus folder once a second,
# which makes the inputs tried depend on the speed of the machine.
# Exit status is non-zero if the fuzzer found a crash; the crashing input is
# left as <build dir>/crash-* : copy it (without its first, options byte) to
# tests/data/broken/ as a regression file (tests/io_test.cpp loads every file
# there and expects mcrise::io_error).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
out=${2:-build-fuzz}
cxx=${CLANGXX:-clang++}
mkdir -p "$out/corpus"
cp -n fuzz/corpus/* "$out/corpus/" 2>/dev/null || true
eigen=$(pkg-config --cflags eigen3 2>/dev/null || echo -I/usr/include/eigen3)
"$cxx" -std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -fsanitize-ignorelist=fuzz/stb_known.ignorelist -Iinclude $eigen fuzz/load_image_fuzz.cpp -o "$out/load_image_fuzz"
cd "$out"
fixed=(env)
if [ "${FUZZ_SEED:-0}" != 0 ]; then
  if setarch "$(uname -m)" -R true 2>/dev/null; then
    fixed=(setarch "$(uname -m)" -R env -i)
  else
    echo "fuzz/run.sh: setarch -R refused here; this fixed-seed run may not repeat exactly" >&2
  fi
fi
"${fixed[@]}" ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ./load_image_fuzz -max_total_time="$secs" -seed="${FUZZ_SEED:-0}" -runs="${FUZZ_RUNS:--1}" \
    -reload=0 -rss_limit_mb=2048 -max_len=65536 -timeout=10 -print_final_stats=1 corpus
