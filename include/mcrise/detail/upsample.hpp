#pragma once
/// @file detail/upsample.hpp
/// @brief Brings per-shift grid sums to an H x W map: Σ_(dy,dx) U_(dy,dx)(A_(dy,dx)),
///        where U is the mask upsampling (bilinear or nearest, masks.hpp) followed by
///        the crop at offset (dy, dx).
///
/// Along one axis, the upsampled grid row is piecewise linear in the canvas
/// position (bilinear: linear between cell centres, constant beyond the first
/// and last; nearest: constant within a cell), so its second difference is
/// zero except at a few knots. The sum over shifts is therefore computed as
/// the first two outputs directly plus a sparse scatter of second differences,
/// then one running recurrence t[x] = 2·t[x-1] - t[x-2] + e[x]. Per plane this
/// costs O(shifts·cells + H·W) instead of O(shifts·grid_h·W + cell_h·H·W). All in
/// double, with the exact (unrounded) interpolation weights; the perturber uses
/// them rounded to float, so a map differs from the float-weight sum by ~1e-7 relative.

#include <mcrise/image.hpp>
#include <mcrise/masks.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

namespace mcrise {
namespace detail {

/// One axis of the upsampling: direct weights and the sparse second differences.
struct AxisKernel {
  /// Second difference of the weight of grid index j at canvas position u >= 2:
  /// K(u, j) - 2 K(u-1, j) + K(u-2, j), where K(u, j) is the weight of j at u.
  struct Knot {
    int u;
    int j;
    double d;
  };
  AxisWeights w;
  std::vector<Knot> knots;  // sorted by u, only non-zero ones

  AxisKernel(int grid, int cell, Upsampling mode) : w(grid, cell, mode) {
    const int canvas = static_cast<int>(w.i0.size());
    auto weight = [&](int u, int j) {
      const auto k = static_cast<std::size_t>(u);
      return (w.i0[k] == j ? w.d0[k] : 0.0) + (w.i1[k] == j ? w.d1[k] : 0.0);
    };
    for (int u = 2; u < canvas; ++u) {
      // Only indices used at u, u-1 or u-2 can have a non-zero difference.
      // Indices are non-decreasing in u, so those used at u-2, u-1, u lie in [i0[u-2], i1[u]].
      const auto lo = w.i0[static_cast<std::size_t>(u - 2)], hi = w.i1[static_cast<std::size_t>(u)];
      for (int j = lo; j <= hi; ++j) {
        const double d = weight(u, j) - 2.0 * weight(u - 1, j) + weight(u - 2, j);
        // A true knot is at least 1/(2·canvas): a slope change of grid/canvas, split over two
        // positions in shares that are multiples of 1/(2·grid). A zero comes out as rounding
        // noise of ~grid·1e-16, far below the threshold for any image that fits in memory.
        if (std::abs(d) > 0.25 / canvas) knots.push_back({u, j, d});
      }
    }
  }
};

/// Upsamples per-shift grid sums of one plane to H x W (see the file comment).
class ShiftUpsampler {
 public:
  explicit ShiftUpsampler(const MaskGeometry& g)
      : geo_(g), rows_(g.grid_h, g.cell_h, g.upsampling), cols_(g.grid_w, g.cell_w, g.upsampling) {}

  /// Working memory of one call, reusable across calls (one per thread).
  struct Scratch {
    std::vector<double> a, t, e;
  };

  /// @param value value(shift, cell): the sum at shift dy·shifts_w + dx and grid cell r·grid_w + c
  /// @return Σ over shifts of the upsampled, cropped grids, H x W
  template <class Value>
  SaliencyMap operator()(Value&& value) const {
    Scratch s;
    return (*this)(std::forward<Value>(value), s);
  }

  /// The same, with caller-owned working memory (no allocation but the result's once `s` has grown).
  /// The result is written once, front to back, never read before it is written: a fresh result's
  /// pages are then taken with one write fault each, not a read fault (zero page) followed by a
  /// copy-on-write fault that flushes the TLB of every thread of the process.
  template <class Value>
  SaliencyMap operator()(Value&& value, Scratch& s) const {
    const int H = geo_.height, W = geo_.width, gh = geo_.grid_h, gw = geo_.grid_w;
    const int SH = geo_.shifts_h(), SW = geo_.shifts_w();
    const auto Wz = static_cast<std::size_t>(W);
    // e: rows 0 and 1 hold values, rows >= 2 second differences along y.
    s.e.assign(static_cast<std::size_t>(H) * Wz, 0.0);
    s.a.resize(static_cast<std::size_t>(gh) * static_cast<std::size_t>(gw));
    s.t.resize(static_cast<std::size_t>(gh) * Wz);
    double* a = s.a.data();
    double* t = s.t.data();
    double* e = s.e.data();
    for (int dy = 0; dy < SH; ++dy) {
      std::fill(s.t.begin(), s.t.end(), 0.0);
      bool any = false;
      for (int dx = 0; dx < SW; ++dx) {
        const int shift = dy * SW + dx;
        bool nonzero = false;
        for (int c = 0; c < gh * gw; ++c) {
          a[c] = static_cast<double>(value(shift, c));
          nonzero = nonzero || a[c] != 0.0;
        }
        if (!nonzero) continue;
        any = true;
        // Along x: t[r][x] for x < 2 directly, for x >= 2 the second differences.
        for (int r = 0; r < gh; ++r) {
          const double* ar = a + static_cast<std::size_t>(r) * static_cast<std::size_t>(gw);
          double* tr = t + static_cast<std::size_t>(r) * Wz;
          for (int x = 0; x < std::min(2, W); ++x) {
            const auto u = static_cast<std::size_t>(x + dx);
            tr[x] += cols_.w.d0[u] * ar[cols_.w.i0[u]] + cols_.w.d1[u] * ar[cols_.w.i1[u]];
          }
          for (const auto& k : cols_.knots) {
            const int x = k.u - dx;
            if (x >= W) break;
            if (x >= 2) tr[x] += k.d * ar[k.j];
          }
        }
      }
      if (!any) continue;
      for (int r = 0; r < gh; ++r) {
        double* tr = t + static_cast<std::size_t>(r) * Wz;
        for (int x = 2; x < W; ++x) tr[x] += 2.0 * tr[x - 1] - tr[x - 2];
      }
      auto trow = [&](int r) { return t + static_cast<std::size_t>(r) * Wz; };
      // Along y, the same: rows 0 and 1 directly, rows >= 2 second differences.
      for (int y = 0; y < std::min(2, H); ++y) {
        const auto u = static_cast<std::size_t>(y + dy);
        const double* t0 = trow(rows_.w.i0[u]);
        const double* t1 = trow(rows_.w.i1[u]);
        const double w0 = rows_.w.d0[u], w1 = rows_.w.d1[u];
        double* o = e + static_cast<std::size_t>(y) * Wz;
        for (int x = 0; x < W; ++x) o[x] += w0 * t0[x] + w1 * t1[x];
      }
      for (const auto& k : rows_.knots) {
        const int y = k.u - dy;
        if (y >= H) break;
        if (y < 2) continue;
        const double* tr = trow(k.j);
        double* o = e + static_cast<std::size_t>(y) * Wz;
        for (int x = 0; x < W; ++x) o[x] += k.d * tr[x];
      }
    }
    SaliencyMap out(H, W);
    double* o = out.data();
    for (int y = 0; y < H; ++y) {
      const double* ey = e + static_cast<std::size_t>(y) * Wz;
      double* oy = o + static_cast<std::size_t>(y) * Wz;
      if (y < 2) {
        for (int x = 0; x < W; ++x) oy[x] = ey[x];
      } else {
        const double* o1 = oy - W;
        const double* o2 = o1 - W;
        for (int x = 0; x < W; ++x) oy[x] = ey[x] + (2.0 * o1[x] - o2[x]);
      }
    }
    return out;
  }

  const MaskGeometry& geometry() const noexcept { return geo_; }

 private:
  MaskGeometry geo_;
  AxisKernel rows_, cols_;
};

}  // namespace detail
}  // namespace mcrise
