#!/usr/bin/env bash
# Quick start, part 2: set up (with the model runtimes, so the OpenCV DNN and LibTorch adapters
# are tested too), build (warnings are errors) and run every test.
# Usage: scripts/test.sh [build-dir] [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
"$(dirname "$0")/setup.sh" --runtimes
build=${1:-build}
shift || true
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DMCRISE_WERROR=ON "$@"
cmake --build "$build" -j2
ctest --test-dir "$build" --output-on-failure -j2
