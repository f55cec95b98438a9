#!/usr/bin/env bash
# Quick start, part 1: set up, build and run the headline example (the paper's
# Fig. 1 on the bundled traffic-sign CNN), writing its figure to out/.
# Usage: scripts/example.sh [build-dir] [out-dir] [n_masks]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build=${1:-build}
out=${2:-out}
masks=${3:-8000}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build "$build" -j2 --target 01_stop_sign
"$build/paper/01_stop_sign" "$out" "$masks"
