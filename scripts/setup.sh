#!/usr/bin/env bash
# Installs what mcrise needs from Debian's packages, only if something is missing.
# Usage: scripts/setup.sh [--components] [extra packages...]
#   --components  also what the optional components need, so that they are built and tested:
#                 OpenCV's DNN module (mcrise::opencv_dnn), LibTorch (mcrise::libtorch), VLFeat
#                 (mcrise::vlfeat), Open MPI (mcrise::mpi), and CLI11, nlohmann-json and libcsv for
#                 the mcrise tool.
set -euo pipefail
components=(libopencv-dnn-dev libtorch-dev libvlfeat-dev libcli11-dev nlohmann-json3-dev libcsv-dev
  libopenmpi-dev openmpi-bin)
pkgs=(cmake g++ make libeigen3-dev libstb-dev catch2)
if [ "${1:-}" = "--components" ]; then
  pkgs+=("${components[@]}")
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
