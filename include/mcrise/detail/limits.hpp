#pragma once
/// @file detail/limits.hpp
/// @brief The limits that keep every size computation of mcrise representable and every
///        result finite, and the one checked multiplication that sizes every buffer.

#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mcrise {
namespace detail {

/// Largest buffer one mcrise object allocates: 16 GiB (images, batches, pictures; the drivers'
/// batch buffers and accumulators have the same limit). Larger requests are refused before any
/// allocation, so a size that cannot be allocated fails with a message instead of bad_alloc.
inline constexpr std::uint64_t max_buffer_bytes = std::uint64_t{16} << 30;

/// Largest side of a Picture and of every size a rendering function takes (panel_size, a colour
/// bar's height and thickness, a curve plot's width and height): 2^15 pixels. A figure adds a
/// few hundred such sizes at most, so its coordinates stay far inside an int.
inline constexpr int max_picture_side = 1 << 15;

/// Largest text_scale of the rendering functions (letters of 7·64 = 448 pixels).
inline constexpr int max_text_scale = 64;

/// Largest number of ticks on a colour bar.
inline constexpr int max_ticks = 1024;

/// Bounds on mask_probability p. The estimators weigh scores by K/p and 1/(1 - p): with p in
/// [1e-6, 1 - 1e-6] and K <= 255 a weight is at most 2.55e8, so weights times |scores| <= 1e18
/// (max_abs_score) times any sample count stay far below the largest double, and a cell is still
/// masked (or kept) about once per 10^6 masks. p closer to 0 or 1 gives maps without information
/// and, near 1e-300, weights that overflow: refused.
inline constexpr double min_mask_probability = 1e-6;
/// See min_mask_probability.
inline constexpr double max_mask_probability = 1.0 - 1e-6;

/// Largest |score| a model may return. The standard errors sum scores per group in float
/// (largest 3.4e38): with at most 2^63 samples, 2^63 x 1e18 = 9.2e36 stays finite, and so do the
/// double sums, weights included (see min_mask_probability). Larger scores are refused, naming
/// the sample, like non-finite ones.
inline constexpr double max_abs_score = 1e18;

/// Smallest positive blur sigma that blurs: below 0.025 px the Gaussian's outer weights
/// exp(-1/(2 sigma^2)) are below the smallest double, so the kernel is exactly [1]; mcrise then
/// returns a copy instead of dividing by an underflowed 2 sigma^2 (a NaN blur).
inline constexpr double min_blur_sigma = 0.025;

/// @brief Number of elements of a buffer of shape dims[0] x dims[1] x ... of elem_size bytes
///        each, checked: every dim must be >= 0 (callers check their own lower bounds first) and
///        the product times elem_size at most max_buffer_bytes, without overflow.
/// @param where the calling function, e.g. "mcrise::Image()"
/// @param what the buffer, e.g. "image" ("image 65536 x 65536 x 3 of 4-byte values ...")
/// @throws std::invalid_argument "<where>: <what> d0 x d1 ... of N-byte values is over the 16 GiB
///         limit of one buffer" (or "... has a negative size") otherwise.
inline std::size_t checked_count(const char* where, const char* what, std::initializer_list<long long> dims,
                                 std::size_t elem_size) {
  auto shape = [&] {
    std::string s;
    for (long long d : dims) s += (s.empty() ? "" : " x ") + std::to_string(d);
    return s;
  };
  std::uint64_t n = 1;
  bool over = false;
  for (long long d : dims) {
    if (d < 0)
      throw std::invalid_argument(std::string(where) + ": " + what + " " + shape() + " has a negative size");
    const auto u = static_cast<std::uint64_t>(d);
    if (u != 0 && n > max_buffer_bytes / u) over = true;  // n * u would pass the limit (or wrap)
    n = over ? n : n * u;
  }
  if (!over && n > max_buffer_bytes / elem_size) over = true;
  // A zero extent anywhere makes an empty buffer, whatever the others.
  for (long long d : dims) over = over && d != 0;
  if (over)
    throw std::invalid_argument(std::string(where) + ": " + what + " " + shape() + " of " + std::to_string(elem_size) +
                                "-byte values is over the 16 GiB limit of one buffer");
  for (long long d : dims)
    if (d == 0) return 0;
  return static_cast<std::size_t>(n);
}

/// @brief v in %g form ("1e-300", "0.5", "inf"): unlike std::to_string, tiny and huge values stay readable.
inline std::string real_str(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

/// @brief Throws std::invalid_argument "<where>: mask_probability must be in [1e-06, 0.999999], got p"
///        unless min_mask_probability <= p <= max_mask_probability (NaN is refused).
inline void check_mask_probability(std::string_view where, double p) {
  if (!(p >= min_mask_probability && p <= max_mask_probability))
    throw std::invalid_argument(std::string(where) + ": mask_probability must be in [" + real_str(min_mask_probability) + ", " +
                                real_str(max_mask_probability) + "], got " + real_str(p));
}

/// @brief Position j of a class in a result's public `classes`, checked against the n entries of
///        the vector it indexes (the fields are the user's and can be edited).
/// @throws std::logic_error "<where>: the result's classes no longer match its <what> (class at position j, n <what>)".
inline std::size_t checked_slot(std::ptrdiff_t j, std::size_t n, const char* where, const char* what) {
  if (j < 0 || static_cast<std::size_t>(j) >= n)
    throw std::logic_error(std::string(where) + ": the result's classes no longer match its " + what + " (class at position " +
                           std::to_string(j) + ", " + std::to_string(n) + " " + what + "); was `classes` edited?");
  return static_cast<std::size_t>(j);
}

}  // namespace detail
}  // namespace mcrise
