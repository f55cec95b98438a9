#pragma once
/// @file detail/upsample.hpp
/// @brief Brings per-shift grid sums to an H x W map: Σ_(dy,dx) U_(dy,dx)(A_(dy,dx)),
///        where U is the mask upsampling (bilinear or nearest, masks.hpp) followed by
///        the crop at offset (dy, dx).
///
/// Along one axis, the upsampled grid row is piecewise linear in the canvas
/// position (bilinear: linear between cell centres, mirrored or constant beyond
/// the first and last; nearest: constant within a cell), so its second difference is
/// zero except at a few knots. The sum over shifts is therefore computed as
/// the first two outputs directly plus a sparse scatter of second differences,
/// then one running recurrence t[x] = 2·t[x-1] - t[x-2] + e[x]. Per plane this
/// costs O(shifts·cells + H·W) instead of O(shifts·grid_h·W + cell_h·H·W). All in
/// double, with the exact (unrounded) interpolation weights; the perturber uses
/// them rounded to float, so a map differs from the float-weight sum by ~1e-7 relative.

#include <mcrise/image.hpp>
#include <mcrise/masks.hpp>
#include <mcrise/detail/dispatch.hpp>

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
  /// Knots of one position u: knots[first, first + count).
  struct Group {
    int u;
    int first;
    int count;
  };
  std::vector<Group> groups;  // sorted by u

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
    for (std::size_t k = 0; k < knots.size(); ++k) {
      if (groups.empty() || groups.back().u != knots[k].u)
        groups.push_back({knots[k].u, static_cast<int>(k), 0});
      ++groups.back().count;
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
    std::vector<double> a, t, u;
    std::vector<char> used;
  };

  /// @param value value(shift, cell): the sum at shift dy·shifts_w + dx and grid cell r·grid_w + c
  /// @return Σ over shifts of the upsampled, cropped grids, H x W
  template <class Value>
  SaliencyMap operator()(Value&& value) const {
    Scratch s;
    return (*this)(std::forward<Value>(value), s);
  }

  /// The same, with caller-owned working memory (no allocation but the result's once `s` has grown).
  template <class Value>
  SaliencyMap operator()(Value&& value, Scratch& s) const {
    SaliencyMap out;
    into(std::forward<Value>(value), [](int) { return true; }, s, out);
    return out;
  }

  /// The same into `out` (resized to H x W unless it is that already, so a reused map costs no
  /// allocation), reading value(shift, ·) only where read(shift) is true: the sums of the other
  /// shifts must be zero (e.g. no sample used them), and are then never touched. The result is
  /// bitwise that of operator().
  /// The result is the working memory of the y pass (no second H x W buffer), first written by a
  /// fill front to back, never read before: a fresh result's pages are then taken with one write
  /// fault each, not a read fault (zero page) followed by a copy-on-write fault that flushes the
  /// TLB of every thread of the process.
  template <class Value, class Read>
  void into(Value&& value, Read&& read, Scratch& s, SaliencyMap& out) const {
    if (out.rows() != geo_.height || out.cols() != geo_.width) out.resize(geo_.height, geo_.width);
    if (current_isa() == Isa::avx2)
      into_avx2(value, read, s, out);
    else
      into_kernel(value, read, s, out);
  }

 private:
  // into() compiled for AVX2 (the same bits: see detail/dispatch.hpp).
  template <class Value, class Read>
  MCRISE_TARGET_AVX2 void into_avx2(Value& value, Read& read, Scratch& s, SaliencyMap& out) const {
    into_kernel(value, read, s, out);
  }
  // into()'s loops, inlined into each variant.
  template <class Value, class Read>
  MCRISE_ALWAYS_INLINE void into_kernel(Value& value, Read& read, Scratch& s, SaliencyMap& out) const {
    const int H = geo_.height, W = geo_.width, gh = geo_.grid_h, gw = geo_.grid_w;
    const int SH = geo_.shifts_h(), SW = geo_.shifts_w();
    const auto Wz = static_cast<std::size_t>(W), R = static_cast<std::size_t>(gh), J = static_cast<std::size_t>(gw);
    // a: one shift row's grids as [dx][j][r]; t: the x pass as [x][r] (the grid rows side by side,
    // so every step is a short vector op over r, and the recurrence runs gh chains at once);
    // u: t as [r][x] for the y pass; e (the result): rows 0 and 1 hold values, rows >= 2 second
    // differences along y until the recurrence at the end.
    double* e = out.data();  // the result's own storage: filled once, then finished in place below
    std::fill(e, e + static_cast<std::size_t>(H) * Wz, 0.0);
    s.a.resize(static_cast<std::size_t>(SW) * J * R);
    s.t.resize(Wz * R);
    s.u.resize(R * Wz);
    s.used.resize(static_cast<std::size_t>(SW));
    char* used = s.used.data();
    double* a = s.a.data();
    double* t = s.t.data();
    double* u = s.u.data();
    for (int dy = 0; dy < SH; ++dy) {
      bool any = false;
      for (int dx = 0; dx < SW; ++dx) {
        const int shift = dy * SW + dx;
        double* ad = a + static_cast<std::size_t>(dx) * J * R;
        bool nonzero = false;
        if (!read(shift)) {  // all zero: skipped below like any all-zero shift
          used[dx] = false;
          continue;
        }
        for (std::size_t r = 0; r < R; ++r)
          for (std::size_t j = 0; j < J; ++j) {
            const double v = static_cast<double>(value(shift, static_cast<int>(r * J + j)));
            ad[j * R + r] = v;
            nonzero = nonzero || v != 0.0;
          }
        used[dx] = nonzero;
        any = any || nonzero;
      }
      if (!any) continue;
      std::fill(s.t.begin(), s.t.end(), 0.0);
      // Along x: t[x] for x < 2 directly, for x >= 2 the second differences (per element, the
      // terms are added shift by shift, then knot by knot).
      for (int dx = 0; dx < SW; ++dx) {
        if (!used[dx]) continue;
        const double* ad = a + static_cast<std::size_t>(dx) * J * R;
        for (int x = 0; x < std::min(2, W); ++x) {
          const auto q = static_cast<std::size_t>(x + dx);
          const double w0 = cols_.w.d0[q], w1 = cols_.w.d1[q];
          const double* a0 = ad + static_cast<std::size_t>(cols_.w.i0[q]) * R;
          const double* a1 = ad + static_cast<std::size_t>(cols_.w.i1[q]) * R;
          double* tx = t + static_cast<std::size_t>(x) * R;
          for (std::size_t r = 0; r < R; ++r) tx[r] += w0 * a0[r] + w1 * a1[r];
        }
        // The knots of one position in registers, added in knot order: t[x] += d·a[j], one load and store.
        for (const auto& grp : cols_.groups) {
          const int x = grp.u - dx;
          if (x >= W) break;
          if (x < 2) continue;
          const AxisKernel::Knot* kn = cols_.knots.data() + grp.first;
          double* tx = t + static_cast<std::size_t>(x) * R;
          for (std::size_t r0 = 0; r0 < R; r0 += lanes) {
            if (R - r0 >= lanes) {
              double acc[lanes];
              for (std::size_t r = 0; r < lanes; ++r) acc[r] = tx[r0 + r];
              for (int k = 0; k < grp.count; ++k) {
                const double d = kn[k].d;
                const double* aj = ad + static_cast<std::size_t>(kn[k].j) * R + r0;
                for (std::size_t r = 0; r < lanes; ++r) acc[r] += d * aj[r];
              }
              for (std::size_t r = 0; r < lanes; ++r) tx[r0 + r] = acc[r];
            } else {
              for (std::size_t r = r0; r < R; ++r) {
                double acc = tx[r];
                for (int k = 0; k < grp.count; ++k) acc += kn[k].d * ad[static_cast<std::size_t>(kn[k].j) * R + r];
                tx[r] = acc;
              }
            }
          }
        }
      }
      // The recurrence and the transpose to u in one pass.
      for (std::size_t x = 0; x < std::min<std::size_t>(2, Wz); ++x)
        for (std::size_t r = 0; r < R; ++r) u[r * Wz + x] = t[x * R + r];
      for (std::size_t x = 2; x < Wz; ++x) {
        double* tx = t + x * R;
        const double* t1 = tx - R;
        const double* t2 = t1 - R;
        for (std::size_t r = 0; r < R; ++r) {
          const double v = tx[r] + (2.0 * t1[r] - t2[r]);
          tx[r] = v;
          u[r * Wz + x] = v;
        }
      }
      auto trow = [&](int r) { return u + static_cast<std::size_t>(r) * Wz; };
      // Along y, the same: rows 0 and 1 directly, rows >= 2 second differences.
      for (int y = 0; y < std::min(2, H); ++y) {
        const auto q = static_cast<std::size_t>(y + dy);
        const double* t0 = trow(rows_.w.i0[q]);
        const double* t1 = trow(rows_.w.i1[q]);
        const double w0 = rows_.w.d0[q], w1 = rows_.w.d1[q];
        double* o = e + static_cast<std::size_t>(y) * Wz;
        for (int x = 0; x < W; ++x) o[x] += w0 * t0[x] + w1 * t1[x];
      }
      // One pass over the row per position, the knots added in order (as in the x pass).
      for (const auto& grp : rows_.groups) {
        const int y = grp.u - dy;
        if (y >= H) break;
        if (y < 2) continue;
        const AxisKernel::Knot* kn = rows_.knots.data() + grp.first;
        double* o = e + static_cast<std::size_t>(y) * Wz;
        int k = 0;
        for (; k + 3 <= grp.count; k += 3) {
          const double d0 = kn[k].d, d1 = kn[k + 1].d, d2 = kn[k + 2].d;
          const double *t0 = trow(kn[k].j), *t1 = trow(kn[k + 1].j), *t2 = trow(kn[k + 2].j);
          for (int x = 0; x < W; ++x) o[x] = ((o[x] + d0 * t0[x]) + d1 * t1[x]) + d2 * t2[x];
        }
        for (; k < grp.count; ++k) {
          const double d = kn[k].d;
          const double* tr = trow(kn[k].j);
          for (int x = 0; x < W; ++x) o[x] += d * tr[x];
        }
      }
    }
    // The recurrence along y, in place: rows 0 and 1 are values already; row y >= 2 reads its own
    // second differences and the two finished rows above it.
    for (int y = 2; y < H; ++y) {
      double* oy = e + static_cast<std::size_t>(y) * Wz;
      const double* o1 = oy - W;
      const double* o2 = o1 - W;
      for (int x = 0; x < W; ++x) oy[x] = oy[x] + (2.0 * o1[x] - o2[x]);
    }
  }


 public:
  const MaskGeometry& geometry() const noexcept { return geo_; }

 private:
  static constexpr std::size_t lanes = 8;  // grid rows handled together in the x pass
  MaskGeometry geo_;
  AxisKernel rows_, cols_;
};

/// Working memory of ShiftUpsampler (one per thread).
using UpsampleScratch = ShiftUpsampler::Scratch;

}  // namespace detail
}  // namespace mcrise
