#!/usr/bin/env python3
"""Writes masks.txt: masks made by the RISE reference procedure with scikit-image.

The RISE reference code draws a grid of s x s cells, upsamples it with
    skimage.transform.resize(grid, ((s + 1) * cell_h, (s + 1) * cell_w),
                             order=1, mode='reflect', anti_aliasing=False)
where cell = ceil(image size / s), and crops the image-sized window at (dy, dx).
This script does the same for rectangular grids, for image sizes that the grid
divides and does not divide, and for several shifts, on a binary grid (a mask)
and on a grid of random values (a per-shift sum of the accumulators).

Run with Debian's python3-skimage (0.19): /usr/bin/python3 make_fixtures.py
Format of masks.txt, one case after another (lines starting with # are comments):
    case H W grid_h grid_w dy dx
    grid_h * grid_w grid values, row-major, on one line
    H lines of W values: the cropped mask
"""
import math

import numpy as np
import skimage
from skimage.transform import resize

# (H, W, grid_h, grid_w): grids that divide the image and grids that do not, grids of one cell.
SIZES = [(8, 8, 4, 4), (12, 16, 3, 4), (13, 11, 3, 4), (7, 9, 2, 3), (10, 6, 5, 2), (5, 7, 1, 1), (9, 14, 1, 5),
         (6, 10, 6, 2)]


def reference_mask(grid, height, width, dy, dx):
    gh, gw = grid.shape
    ch, cw = math.ceil(height / gh), math.ceil(width / gw)
    up = resize(grid, ((gh + 1) * ch, (gw + 1) * cw), order=1, mode='reflect', anti_aliasing=False)
    return up[dy:dy + height, dx:dx + width]


def main():
    rng = np.random.default_rng(2020)
    lines = [f"# scikit-image {skimage.__version__}: resize(order=1, mode='reflect', anti_aliasing=False), "
             "then the crop at (dy, dx); written by make_fixtures.py"]
    for height, width, gh, gw in SIZES:
        ch, cw = math.ceil(height / gh), math.ceil(width / gw)
        shifts = sorted({(0, 0), (ch - 1, cw - 1), (ch // 2, 0), (0, cw // 2)})
        for dy, dx in shifts:
            for binary in (True, False):
                grid = (rng.random((gh, gw)) < 0.5).astype(float) if binary else rng.random((gh, gw))
                mask = reference_mask(grid, height, width, dy, dx)
                lines.append(f"case {height} {width} {gh} {gw} {dy} {dx}")
                lines.append(" ".join(f"{v:.17g}" for v in grid.ravel()))
                lines.extend(" ".join(f"{v:.9f}" for v in row) for row in mask)
    with open("masks.txt", "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
