#pragma once
/// @file vlfeat/quickshift.hpp
/// @brief Quick shift superpixels (Vedaldi and Soatto, "Quick Shift and Kernel Methods for Mode
///        Seeking", ECCV 2008) for lime(), with the parameters and rules of scikit-image's
///        `quickshift`, which the `lime` package uses (kernel_size 4, max_dist 200, ratio 0.2).
///        Optional component: needs VLFeat (Debian package libvlfeat-dev) and the CMake target
///        mcrise::vlfeat.
///
/// What is computed, for an H x W image:
///  1. Features: the image converted from sRGB to CIE Lab (D65, as scikit-image's rgb2lab; values
///     first divided by value_max), each channel multiplied by `ratio`; the pixel's row and
///     column are the two spatial features.
///  2. Density: E(p) = Σ_q exp(-‖f_p - f_q‖² / (2σ²)) over the pixels q of the square window
///     |Δrow|, |Δcol| <= ceil(3σ), ‖·‖ the joint colour-and-position distance, σ = kernel_size.
///     VLFeat's vl_quickshift computes this (the same Parzen estimate as scikit-image's). As
///     scikit-image does, a tiny Gaussian term (standard deviation 1e-5, drawn from `seed` and the
///     pixel) is added to break the ties of flat regions.
///  3. Links: each pixel's parent is the nearest pixel (joint distance) of higher density within
///     the same square window; a pixel with none, or whose parent is farther than max_dist, is a
///     root. Superpixels are the trees, labelled 0 .. S-1 in the order of their roots (row-major).
///
/// Step 3 is scikit-image's rule, done here: VLFeat's own link step searches a window of
/// ±ceil(max_dist) pixels and links only within distance max_dist, so with the package's
/// max_dist = 200 it would link across the whole image and leave a handful of segments. What
/// still differs from scikit-image: the tie-breaking noise is drawn from another generator (so
/// flat regions split at other places), and sums run in another order (last-bit differences).

#if !__has_include(<vl/quickshift.h>)
#error "mcrise/vlfeat/quickshift.hpp needs VLFeat's C library: apt-get install libvlfeat-dev, and link the CMake target mcrise::vlfeat"
#endif

#include <mcrise/image.hpp>
#include <mcrise/segments.hpp>
#include <mcrise/detail/random.hpp>

#include <vl/quickshift.h>  // declarations are extern "C" under C++ (VL_EXPORT)

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcrise {

/// @brief Options of quickshift_segments(); defaults are those the `lime` package passes to
///        scikit-image's quickshift.
struct QuickshiftOptions {
  double kernel_size = 4.0;    ///< σ of the Gaussian density kernel, in pixels, finite and >= 1 (window ±ceil(3σ))
  double max_dist = 200.0;     ///< links longer than this joint distance are cut (more segments), finite and >= 0
  double ratio = 0.2;          ///< weight of colour against position, finite, in [0, 1]
  bool convert_to_lab = true;  ///< convert sRGB to CIE Lab first (needs 3 channels); false: use the values as they are
  float value_max = 1.0f;      ///< the image's white (1 for [0, 1], 255 for [0, 255]), finite and > 0; used by the Lab conversion
  std::uint64_t seed = 42;     ///< the tie-breaking noise depends only on (seed, pixel)
};

namespace detail {

/// CIE Lab (D65 white, 2° observer) of one sRGB colour with channels in [0, 1], as scikit-image's
/// rgb2lab: sRGB decoding, the sRGB-to-XYZ matrix, then the CIE 1976 L*a*b* formulas.
inline void srgb_to_lab(double r, double g, double b, double lab[3]) {
  auto linear = [](double c) { return c > 0.04045 ? std::pow((c + 0.055) / 1.055, 2.4) : c / 12.92; };
  r = linear(r);
  g = linear(g);
  b = linear(b);
  const double X = (0.412453 * r + 0.357580 * g + 0.180423 * b) / 0.95047;
  const double Y = (0.212671 * r + 0.715160 * g + 0.072169 * b) / 1.0;
  const double Z = (0.019334 * r + 0.119193 * g + 0.950227 * b) / 1.08883;
  auto f = [](double t) { return t > 0.008856 ? std::cbrt(t) : 7.787 * t + 16.0 / 116.0; };
  const double fx = f(X), fy = f(Y), fz = f(Z);
  lab[0] = 116.0 * fy - 16.0;
  lab[1] = 500.0 * (fx - fy);
  lab[2] = 200.0 * (fy - fz);
}

/// A standard normal number from the counter-based stream of (seed, n) (Box-Muller).
inline double counter_normal(std::uint64_t seed, std::uint64_t n) {
  CounterRng rng(seed, n);
  const double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();  // u1 in (0, 1]
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace detail

/// @brief Quick shift superpixels of an image, scikit-image's algorithm with the density from
///        VLFeat (see the file comment for the steps and the differences).
/// @param image H x W x C, finite values; C = 3 (sRGB in [0, value_max]) when convert_to_lab
/// @param options see QuickshiftOptions
/// @return H x W labels 0 .. S-1, every label used, each superpixel a tree of links (links span
///         up to ceil(3·kernel_size) rows and columns, so a superpixel is not always connected)
/// @throws std::invalid_argument for an empty image or one with a non-finite value, options out of
///         range, or convert_to_lab with C != 3; std::bad_alloc if VLFeat cannot allocate.
inline SegmentMap quickshift_segments(const Image& image, const QuickshiftOptions& options = {}) {
  const std::string w = "mcrise::quickshift_segments()";
  const auto& o = options;
  if (image.empty()) throw std::invalid_argument(w + ": the image is empty");
  for (std::size_t i = 0; i < image.size(); ++i)
    if (!std::isfinite(image.data()[i]))
      throw std::invalid_argument(w + ": the image has a non-finite value at float index " + std::to_string(i));
  if (!(o.kernel_size >= 1.0) || !std::isfinite(o.kernel_size))
    throw std::invalid_argument(w + ": kernel_size must be finite and >= 1, got " + std::to_string(o.kernel_size));
  if (!(o.max_dist >= 0.0) || !std::isfinite(o.max_dist))
    throw std::invalid_argument(w + ": max_dist must be finite and >= 0, got " + std::to_string(o.max_dist));
  if (!(o.ratio >= 0.0 && o.ratio <= 1.0))
    throw std::invalid_argument(w + ": ratio must be in [0, 1], got " + std::to_string(o.ratio));
  if (!(o.value_max > 0.0f) || !std::isfinite(o.value_max))
    throw std::invalid_argument(w + ": value_max must be finite and > 0, got " + std::to_string(o.value_max));
  if (o.convert_to_lab && image.channels() != 3)
    throw std::invalid_argument(w + ": convert_to_lab needs 3 channels (sRGB), got " +
                                std::to_string(image.channels()) + "; set convert_to_lab = false");

  const int H = image.height(), W = image.width(), K = image.channels();
  const std::size_t P = image.pixels();
  // Features in VLFeat's column-major layout: channel k of (row, col) at row + H·col + H·W·k.
  std::vector<double> f(P * static_cast<std::size_t>(K));
  auto at = [H, P](int row, int col, int k) {
    return static_cast<std::size_t>(row) + static_cast<std::size_t>(H) * static_cast<std::size_t>(col) +
           P * static_cast<std::size_t>(k);
  };
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      if (o.convert_to_lab) {
        double lab[3];
        const double s = 1.0 / static_cast<double>(o.value_max);
        detail::srgb_to_lab(image(y, x, 0) * s, image(y, x, 1) * s, image(y, x, 2) * s, lab);
        for (int k = 0; k < 3; ++k) f[at(y, x, k)] = o.ratio * lab[k];
      } else {
        for (int k = 0; k < K; ++k) f[at(y, x, k)] = o.ratio * static_cast<double>(image(y, x, k));
      }
    }

  // Density by VLFeat. Its link step is not used (see the file comment): a max_dist of 1 keeps its
  // window at ±1 pixel, so it costs little.
  std::vector<double> density(P);
  {
    std::unique_ptr<VlQS, void (*)(VlQS*)> q(vl_quickshift_new(f.data(), H, W, K), vl_quickshift_delete);
    if (!q) throw std::bad_alloc();
    vl_quickshift_set_kernel_size(q.get(), o.kernel_size);
    vl_quickshift_set_max_dist(q.get(), 1.0);
    vl_quickshift_process(q.get());
    const double* E = vl_quickshift_get_density(q.get());
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) {
        const std::size_t p = static_cast<std::size_t>(y) * static_cast<std::size_t>(W) + static_cast<std::size_t>(x);
        density[p] = E[at(y, x, 0)] + 1e-5 * detail::counter_normal(o.seed, p);
      }
  }

  // Links: the nearest pixel of higher density in the window, cut beyond max_dist (row-major indices).
  const int R = static_cast<int>(std::ceil(3.0 * o.kernel_size));
  std::vector<std::size_t> parent(P);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const std::size_t p = static_cast<std::size_t>(y) * static_cast<std::size_t>(W) + static_cast<std::size_t>(x);
      parent[p] = p;
      double closest = std::numeric_limits<double>::max();
      for (int v = std::max(y - R, 0); v <= std::min(y + R, H - 1); ++v)
        for (int u = std::max(x - R, 0); u <= std::min(x + R, W - 1); ++u) {
          const std::size_t q = static_cast<std::size_t>(v) * static_cast<std::size_t>(W) + static_cast<std::size_t>(u);
          if (!(density[q] > density[p])) continue;
          double d = static_cast<double>((v - y) * (v - y) + (u - x) * (u - x));
          for (int k = 0; k < K; ++k) {
            const double t = f[at(y, x, k)] - f[at(v, u, k)];
            d += t * t;
          }
          if (d < closest) {
            closest = d;
            parent[p] = q;
          }
        }
      if (parent[p] != p && std::sqrt(closest) > o.max_dist) parent[p] = p;
    }

  // Trees -> labels, numbered in the row-major order of their roots. Parents have strictly higher
  // density, so following them ends at a root.
  std::vector<int> label(P, -1);
  int S = 0;
  for (std::size_t p = 0; p < P; ++p)
    if (parent[p] == p) label[p] = S++;
  SegmentMap seg(H, W);
  std::vector<std::size_t> path;
  for (std::size_t p = 0; p < P; ++p) {
    std::size_t r = p;
    path.clear();
    while (label[r] < 0) {
      path.push_back(r);
      r = parent[r];
    }
    for (std::size_t q : path) label[q] = label[r];
    seg.data()[p] = label[p];
  }
  return seg;
}

}  // namespace mcrise
