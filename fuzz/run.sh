#!/usr/bin/env bash
# Build one of mcrise's libFuzzer targets and run it for a bounded time on a copy
# of its seed corpus.
#   fuzz/run.sh [seconds=60] [build dir=build-fuzz] [target=load_image|api]
# load_image: fuzz/load_image_fuzz.cpp, the image loader, corpus fuzz/corpus/.
# api: fuzz/api_fuzz.cpp, every public entry point with options, shapes, values,
#      model answers and rendering parameters from the input, corpus fuzz/api_corpus/.
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
# left as <build dir>/crash-* . load_image: copy it (without its first, options
# byte) to tests/data/broken/ as a regression file (tests/io_test.cpp loads every
# file there and expects mcrise::io_error). api: copy it to fuzz/api_corpus/ and
# write the case it reduces to as a test in tests/hostile_inputs_test.cpp.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
out=${2:-build-fuzz}
target=${3:-load_image}
cxx=${CLANGXX:-clang++}
case "$target" in
  load_image) seeds=fuzz/corpus; max_len=65536; san=fuzzer,address,undefined ;;
  api) seeds=fuzz/api_corpus; max_len=4096; san=fuzzer,address,undefined,float-cast-overflow ;;
  *) echo "fuzz/run.sh: unknown target '$target' (load_image or api)" >&2; exit 2 ;;
esac
corpus=$target-corpus
mkdir -p "$out/$corpus"
cp -n "$seeds"/* "$out/$corpus/" 2>/dev/null || true
eigen=$(pkg-config --cflags eigen3 2>/dev/null || echo -I/usr/include/eigen3)
"$cxx" -std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize="$san" \
  -fno-sanitize-recover=all -fsanitize-ignorelist=fuzz/stb_known.ignorelist -Iinclude $eigen \
  "fuzz/${target}_fuzz.cpp" -o "$out/${target}_fuzz"
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
  "./${target}_fuzz" -max_total_time="$secs" -seed="${FUZZ_SEED:-0}" -runs="${FUZZ_RUNS:--1}" \
    -reload=0 -rss_limit_mb=2048 -max_len="$max_len" -timeout=10 -print_final_stats=1 "$corpus"
