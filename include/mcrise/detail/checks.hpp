#pragma once
/// @file detail/checks.hpp
/// @brief The library's limits as named constants, and the few helpers that build every
///        bad-input message in one form: "mcrise::fn(): what must be ..., got v".

#include <mcrise/detail/limits.hpp>

#include <Eigen/Core>

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace mcrise {
namespace detail {

inline constexpr int max_threads = 1024;     ///< most threads a user may ask for
inline constexpr int max_se_groups = 1024;   ///< most batch-means groups G
inline constexpr int max_colors = 255;       ///< most mask colours K (a mask cell's state fits a byte)
inline constexpr int max_block_size = 1024;  ///< largest block of a block sampler
/// Most memory one call may ask for at once (batch buffers; accumulators with their maps), in GiB.
inline constexpr double memory_limit_gib = 16.0;
inline constexpr double bytes_per_gib = 1024.0 * 1024.0 * 1024.0;  ///< bytes in one GiB

/// A message part as text: numbers through std::to_string (so a message shows a value as it always
/// has, e.g. 0.500000), strings as they are.
template <class T>
std::string to_text(const T& v) {
  if constexpr (std::is_arithmetic_v<T>)
    return std::to_string(v);
  else
    return std::string(std::string_view(v));
}

/// Throws std::invalid_argument("<where>: <parts...>"). The parts are joined only here, so a
/// check that passes formats nothing; cold and out of line, and taking its parts by value (no
/// loop counter has its address taken), so a check in a loop costs only its test.
template <class... Parts>
[[noreturn, gnu::cold, gnu::noinline]] void fail(std::string_view where, Parts... parts) {
  std::string msg(where);
  msg += ": ";
  (msg += ... += to_text(parts));
  throw std::invalid_argument(msg);
}

/// Throws std::invalid_argument("<where>: <parts...>") unless `cond`.
template <class... Parts>
void require(std::string_view where, bool cond, const Parts&... parts) {
  if (!cond) fail(where, parts...);
}

/// Throws "<where>: <name> must be in [lo, hi], got v" unless lo <= v <= hi.
template <class T>
void require_in(std::string_view where, std::string_view name, T v, T lo, T hi) {
  if (!(v >= lo && v <= hi)) fail(where, name, " must be in [", lo, ", ", hi, "], got ", v);
}

/// Throws "<where>: <name> must be finite and > 0, got v" unless v is.
template <class T>
void require_finite_positive(std::string_view where, std::string_view name, T v) {
  if (!(v > T(0)) || !std::isfinite(v)) fail(where, name, " must be finite and > 0, got ", v);
}

/// Throws "<where>: threads must be in [0, 1024], got N" outside [0, max_threads].
inline void check_threads(int threads, std::string_view where) { require_in(where, "threads", threads, 0, max_threads); }

/// Throws "<where>: <what> has a non-finite value at float index i" if an image (the explained
/// one, or a substrate: anything with data() and size() of floats) has a NaN or inf: it would
/// reach the model and be blamed on it.
template <class Img>
void check_finite(const Img& img, std::string_view where, std::string_view what) {
  for (std::size_t i = 0; i < img.size(); ++i)
    if (!std::isfinite(img.data()[i])) fail(where, what, " has a non-finite value at float index ", i);
}

/// Throws "<where>: map has a non-finite value (NaN|inf) at pixel (y, x)" if a map has one.
template <class Derived>
void check_finite(const Eigen::DenseBase<Derived>& m, std::string_view where) {
  for (Eigen::Index y = 0; y < m.rows(); ++y)
    for (Eigen::Index x = 0; x < m.cols(); ++x)
      if (!std::isfinite(m(y, x)))
        fail(where, "map has a non-finite value (", std::isnan(m(y, x)) ? "NaN" : "inf", ") at pixel (", y, ", ", x,
             ")");
}

/// Throws "<where>: <name...> has c channels but the image has C" or "<where>: <name...> has a
/// non-finite value" unless `color` (a colour: c floats) has `channels` finite values. The name
/// parts say which colour, e.g. ("colour ", k) or ("fill").
template <class Color, class... Name>
void check_color(const Color& color, int channels, std::string_view where, const Name&... name) {
  if (color.size() != static_cast<std::size_t>(channels))
    fail(where, name..., " has ", color.size(), " channels but the image has ", channels);
  for (float v : color)
    if (!std::isfinite(v)) fail(where, name..., " has a non-finite value");
}

/// Throws if `images` images of img's size, the batch buffers a call would allocate, exceed
/// memory_limit_gib: a clear message instead of a bad_alloc deep inside (or gigabytes zeroed
/// first). `why` says what asked for them, e.g. "batch_size 64".
template <class Img>
void check_batch_buffers(std::string_view where, double images, const Img& img, std::string_view why) {
  const double gib = images * static_cast<double>(img.size()) * sizeof(float) / bytes_per_gib;
  if (gib > memory_limit_gib)
    fail(where, why, " needs ", gib, " GiB of batch buffers for this image (limit 16 GiB)");
}

}  // namespace detail
}  // namespace mcrise
