#pragma once
// A plain reference for the optimised paths (interleaved HWC perturbation, row bands of one image
// spread over threads, the double-buffered driver): every mask plane computed pixel by pixel from
// the documented upsampling convention, every perturbed image from those planes, and every
// estimator as a full-resolution sum over samples. Used by perturb_test, driver_test and
// upsample_test.
#include "support.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace test {
namespace reference {

using mcrise::Image;
using mcrise::Layout;
using mcrise::MaskGenerator;
using mcrise::MaskOptions;
using mcrise::MaskSample;
using mcrise::SaliencyMap;
using mcrise::Upsampling;

// One axis of the documented convention, written out directly (no tables):
// canvas coordinate u of (grid + 1)·cell, weights of grid indices.
inline void ref_axis(int u, int grid, int cell, Upsampling mode, int& i0, int& i1, double& w0, double& w1) {
  if (mode == Upsampling::nearest) {
    i0 = i1 = std::min(u / cell, grid - 1);
    w0 = 1.0;
    w1 = 0.0;
    return;
  }
  const double s = (u + 0.5) * grid / ((grid + 1.0) * cell) - 0.5;
  const double f = std::floor(s);
  // bilinear_edge clamps an index outside the grid; bilinear mirrors it about the outer cell centre
  // (index -1 reads 1, index grid reads grid - 2; a grid of one cell reads 0).
  auto outside = [&](int i) {
    if (mode == Upsampling::bilinear_edge || grid == 1) return std::clamp(i, 0, grid - 1);
    return i < 0 ? -i : i >= grid ? 2 * (grid - 1) - i : i;
  };
  i0 = outside(static_cast<int>(f));
  i1 = outside(static_cast<int>(f) + 1);
  w1 = s - f;
  w0 = 1.0 - w1;
}

// Plane k (0: kept, 1..K: colour k) of sample s at full resolution, in double.
inline SaliencyMap ref_plane(const MaskSample& s, int k, int H, int W, const MaskOptions& o) {
  const int ch = (H + o.grid_h - 1) / o.grid_h, cw = (W + o.grid_w - 1) / o.grid_w;
  SaliencyMap out(H, W);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      int a0, a1, b0, b1;
      double wa0, wa1, wb0, wb1;
      ref_axis(y + s.dy, o.grid_h, ch, o.upsampling, a0, a1, wa0, wa1);
      ref_axis(x + s.dx, o.grid_w, cw, o.upsampling, b0, b1, wb0, wb1);
      auto is = [&](int r, int c) { return s.cells[static_cast<std::size_t>(r * o.grid_w + c)] == k ? 1.0 : 0.0; };
      out(y, x) = wa0 * (wb0 * is(a0, b0) + wb1 * is(a0, b1)) + wa1 * (wb0 * is(a1, b0) + wb1 * is(a1, b1));
    }
  return out;
}

inline std::vector<SaliencyMap> ref_planes(const MaskSample& s, int K, int H, int W, const MaskOptions& o) {
  std::vector<SaliencyMap> p;
  for (int k = 0; k <= K; ++k) p.push_back(ref_plane(s, k, H, W, o));
  return p;
}

inline std::vector<mcrise::Color> test_colors(int K, int C) {
  std::vector<mcrise::Color> colors;
  for (int k = 0; k < K; ++k) {
    mcrise::Color c;
    for (int j = 0; j < C; ++j) c.push_back(static_cast<float>(0.5 + 0.5 * std::sin(1.7 * k + 2.3 * j + 0.4)));
    colors.push_back(c);
  }
  return colors;
}

inline double max_abs_diff(const Image& a, const Image& b) {
  double e = 0;
  for (std::size_t i = 0; i < a.size(); ++i) e = std::max(e, static_cast<double>(std::abs(a.data()[i] - b.data()[i])));
  return e;
}

// A linear model with two classes, scores in double: every image value counts.
struct LinearModel {
  Eigen::MatrixXd operator()(const mcrise::ImageBatch& b) const {
    Eigen::MatrixXd out(b.size(), 2);
    for (int i = 0; i < b.size(); ++i) {
      double s0 = 0, s1 = 0;
      for (int y = 0; y < b.height(); ++y)
        for (int x = 0; x < b.width(); ++x)
          for (int c = 0; c < b.channels(); ++c) {
            const double v = b(i, y, x, c);
            s0 += v * std::sin(0.31 * y + 0.17 * x + c);
            s1 += v * ((y < b.height() / 2) == (c == 0) ? 1.0 : -0.5);
          }
      out(i, 0) = s0 / static_cast<double>(b.height() * b.width());
      out(i, 1) = s1 / static_cast<double>(b.height() * b.width());
    }
    return out;
  }
  double score(const Image& im, int cls) const {
    mcrise::ImageBatch one(1, im.height(), im.width(), im.channels());
    mcrise::detail::copy_into_batch(im, one, 0);
    return (*this)(one)(0, cls);
  }
};

// Plain reference estimators: per class, Σ_n M_n·plane_k(n) at full resolution.
struct RefSums {
  std::vector<std::vector<SaliencyMap>> plane_sums;  // [class slot][plane]
  std::vector<double> totals;                        // [class slot] Σ M_n
  double max_abs_score = 0;
};

RefSums ref_sums(const Image& img, int K, const MaskOptions& o, std::int64_t N, const std::vector<int>& classes,
                 const std::vector<mcrise::Color>& colors) {
  const int H = img.height(), W = img.width();
  const MaskGenerator gen(H, W, K, o);
  LinearModel model;
  RefSums r;
  r.plane_sums.assign(classes.size(), std::vector<SaliencyMap>(static_cast<std::size_t>(K + 1), SaliencyMap::Zero(H, W)));
  r.totals.assign(classes.size(), 0.0);
  for (std::int64_t n = 0; n < N; ++n) {
    const MaskSample s = gen.sample(static_cast<std::uint64_t>(n));
    const auto planes = ref_planes(s, K, H, W, o);
    const Image pert = test::reference_perturb(img, planes, colors);
    for (std::size_t j = 0; j < classes.size(); ++j) {
      const double m = model.score(pert, classes[j]);
      r.max_abs_score = std::max(r.max_abs_score, std::abs(m));
      for (int k = 0; k <= K; ++k) r.plane_sums[j][static_cast<std::size_t>(k)] += m * planes[static_cast<std::size_t>(k)];
      r.totals[j] += m;
    }
  }
  return r;
}

inline double max_abs_diff(const SaliencyMap& a, const SaliencyMap& b) { return (a - b).cwiseAbs().maxCoeff(); }

}  // namespace reference
}  // namespace test
