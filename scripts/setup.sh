#!/usr/bin/env bash
# Installs what mcrise needs from Debian's packages, only if something is missing.
# Usage: scripts/setup.sh [--runtimes] [extra packages...]
#   --runtimes  also the model runtimes of the optional components and their tests:
#               OpenCV's DNN module (mcrise::opencv_dnn) and LibTorch (mcrise::libtorch)
set -euo pipefail
runtimes=(libopencv-dnn-dev libtorch-dev)
pkgs=(cmake g++ make libeigen3-dev libstb-dev catch2)
if [ "${1:-}" = "--runtimes" ]; then
  pkgs+=("${runtimes[@]}")
  shift
fi
pkgs+=("$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
