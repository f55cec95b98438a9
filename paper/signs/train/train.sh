#!/bin/sh
# Reproduce a bundled sign model: render the data, train, export.
#   paper/signs/train/train.sh                      (from the repository root; the CNN)
#   SIGNS_ARCH=resnet paper/signs/train/train.sh    (the residual network)
# Needs g++ (C++17), Eigen and Debian's python3-torch (apt-get install -y python3-torch).
# Environment: SIGNS_TRAIN (default 24000 signs of seed 1), SIGNS_VAL (2000 signs of
# seed 2), SIGNS_EPOCHS (8), SIGNS_THREADS (2), SIGNS_WORK (scratch dir, default a mktemp dir),
# SIGNS_ARCH (cnn or resnet: writes paper/signs/sign_<arch>.bin and sign_<arch>_reference.bin).
set -eu
root=$(cd "$(dirname "$0")/../../.." && pwd)
work=${SIGNS_WORK:-$(mktemp -d)}
train=${SIGNS_TRAIN:-24000}
val=${SIGNS_VAL:-2000}
arch=${SIGNS_ARCH:-cnn}
g++ -std=c++17 -O2 -I"$root/include" -I"$root/paper" -I/usr/include/eigen3 \
  "$root/paper/signs/train/dump_signs.cpp" -o "$work/dump_signs"
"$work/dump_signs" "$work/train.bin" 1 0 "$train"
"$work/dump_signs" "$work/val.bin" 2 0 "$val"
/usr/bin/python3 "$root/paper/signs/train/train.py" --arch "$arch" --train "$work/train.bin" --val "$work/val.bin" \
  --epochs "${SIGNS_EPOCHS:-8}" --threads "${SIGNS_THREADS:-2}" \
  --out "$root/paper/signs/sign_$arch.bin" --reference "$root/paper/signs/sign_${arch}_reference.bin"
