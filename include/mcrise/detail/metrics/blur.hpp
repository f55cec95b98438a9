#pragma once
/// @file detail/metrics/blur.hpp
/// @brief Separable Gaussian blur, the default substrate of the insertion metric.

#include <mcrise/detail/limits.hpp>
#include <mcrise/image.hpp>
#include <mcrise/detail/checks.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string_view>
#include <vector>

namespace mcrise {
namespace detail {

/// The owner of the blur rule (gaussian_blur's sigma, InsertionOptions::blur_sigma): throws
/// "<where>: <name> must be in [0, 1e5] pixels, got v" for a sigma that is negative, above 1e5 or not finite.
inline void check_blur_sigma(double sigma, std::string_view where, std::string_view name) {
  require(where, std::isfinite(sigma) && sigma >= 0.0 && sigma <= 1e5, name, " must be in [0, 1e5] pixels, got ",
          sigma);
}

/// @brief Normalised 1-D Gaussian weights w_{-r..r} ∝ exp(-i² / (2σ²)) with
///        r = ceil(3σ); sigma > 0.
inline std::vector<double> gaussian_kernel(double sigma) {
  const int r = static_cast<int>(std::ceil(3.0 * sigma));
  std::vector<double> w(static_cast<std::size_t>(2 * r + 1));
  double sum = 0.0;
  for (int i = -r; i <= r; ++i) {
    const double v = std::exp(-static_cast<double>(i) * i / (2.0 * sigma * sigma));
    w[static_cast<std::size_t>(i + r)] = v;
    sum += v;
  }
  for (double& v : w) v /= sum;
  return w;
}

/// @brief Gaussian blur of every channel: rows then columns with the kernel of
///        gaussian_kernel(sigma); pixels outside the image repeat the nearest
///        edge pixel (clamp). sigma below min_blur_sigma returns a copy (what the kernel would
///        give: its outer weights underflow to 0; below about 1e-162, 2σ² itself would, and the
///        kernel would be 0/0). sigma must be finite, >= 0.
inline Image gaussian_blur_impl(const Image& img, double sigma) {
  if (sigma < min_blur_sigma || img.empty()) return img;
  const std::vector<double> w = gaussian_kernel(sigma);
  const int r = static_cast<int>(w.size() / 2);
  const int H = img.height(), W = img.width(), C = img.channels();
  Image tmp(H, W, C), out(H, W, C);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < C; ++c) {
        double s = 0.0;
        for (int i = -r; i <= r; ++i) s += w[static_cast<std::size_t>(i + r)] * img(y, std::clamp(x + i, 0, W - 1), c);
        tmp(y, x, c) = static_cast<float>(s);
      }
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < C; ++c) {
        double s = 0.0;
        for (int i = -r; i <= r; ++i) s += w[static_cast<std::size_t>(i + r)] * tmp(std::clamp(y + i, 0, H - 1), x, c);
        out(y, x, c) = static_cast<float>(s);
      }
  return out;
}

}  // namespace detail
}  // namespace mcrise
