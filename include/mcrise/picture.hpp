#pragma once
/// @file picture.hpp
/// @brief Picture: an 8-bit RGB raster, what colour maps, overlays and
///        figures produce and what save_png() writes; to_picture() and to_image()
///        convert between it and an Image.

#include <mcrise/image.hpp>
#include <mcrise/detail/checks.hpp>

#include <mcrise/detail/limits.hpp>

#include <algorithm>
#include <cmath>
#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcrise {

/// @brief One 8-bit RGB colour, {r, g, b}, each 0..255.
using Rgb = std::array<std::uint8_t, 3>;

/// @brief An axis-aligned rectangle of pixels: columns [x, x + w), rows [y, y + h).
struct Rect {
  int x = 0;  ///< left column
  int y = 0;  ///< top row
  int w = 0;  ///< width in pixels
  int h = 0;  ///< height in pixels

  /// @brief True if pixel (px, py) (column, row) lies inside.
  bool contains(int px, int py) const noexcept { return px >= x && px < x + w && py >= y && py < y + h; }
};

/// @brief An H x W RGB image with 8 bits per channel, stored row-major and
///        pixel-interleaved (`data()[(y * W + x) * 3 + c]`).
class Picture {
 public:
  /// @brief An empty 0 x 0 picture.
  Picture() = default;

  /// @brief A picture of the given size filled with one colour.
  /// @param height rows, in [0, 32768] (detail::max_picture_side)
  /// @param width columns, in [0, 32768]
  /// @param fill colour of every pixel (default white)
  /// @throws std::invalid_argument on a negative size or a side over 32768, before any allocation.
  Picture(int height, int width, Rgb fill = Rgb{255, 255, 255}) : height_(height), width_(width) {
    if (height < 0 || width < 0 || height > detail::max_picture_side || width > detail::max_picture_side)
      throw std::invalid_argument("mcrise::Picture(): size must be in [0, " + std::to_string(detail::max_picture_side) +
                                  "] x [0, " + std::to_string(detail::max_picture_side) + "], got " +
                                  std::to_string(height) + " x " + std::to_string(width));
    data_.resize(pixels() * 3);
    for (std::size_t i = 0; i < pixels(); ++i)
      for (std::size_t c = 0; c < 3; ++c) data_[i * 3 + c] = fill[c];
  }

  /// @brief Rows.
  int height() const noexcept { return height_; }
  /// @brief Columns.
  int width() const noexcept { return width_; }
  /// @brief H * W.
  std::size_t pixels() const noexcept {
    return static_cast<std::size_t>(height_) * static_cast<std::size_t>(width_);
  }
  /// @brief True for a 0-pixel picture.
  bool empty() const noexcept { return data_.empty(); }

  /// @brief Contiguous RGB bytes, H * W * 3.
  std::uint8_t* data() noexcept { return data_.data(); }
  /// @brief Contiguous RGB bytes, H * W * 3.
  const std::uint8_t* data() const noexcept { return data_.data(); }

  /// @brief Colour of pixel (y, x); no bounds check.
  Rgb at(int y, int x) const noexcept {
    const std::size_t i = index(y, x);
    return Rgb{data_[i], data_[i + 1], data_[i + 2]};
  }
  /// @brief Set pixel (y, x); silently ignores pixels outside the picture
  ///        (drawing code clips through this).
  void set(int y, int x, Rgb c) noexcept {
    if (y < 0 || x < 0 || y >= height_ || x >= width_) return;
    const std::size_t i = index(y, x);
    data_[i] = c[0];
    data_[i + 1] = c[1];
    data_[i + 2] = c[2];
  }
  /// @brief Fill a rectangle (clipped to the picture) with one colour; the cost is that of the
  ///        visible part, whatever the rectangle's size.
  void fill(const Rect& r, Rgb c) noexcept {
    const auto clip = [](long long v, int hi) { return static_cast<int>(std::clamp<long long>(v, 0, hi)); };
    const int y0 = clip(r.y, height_), y1 = clip(static_cast<long long>(r.y) + r.h, height_);
    const int x0 = clip(r.x, width_), x1 = clip(static_cast<long long>(r.x) + r.w, width_);
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) set(y, x, c);
  }
  /// @brief Copy `src` with its top-left corner at (y, x), clipped to this picture (any offset:
  ///        the visible part is found in 64-bit arithmetic, so far offsets paste nothing).
  void paste(const Picture& src, int y, int x) noexcept {
    const auto clip = [](long long v, long long hi) { return static_cast<int>(std::clamp<long long>(v, 0, hi)); };
    const int sy0 = clip(-static_cast<long long>(y), src.height());
    const int sy1 = clip(static_cast<long long>(height_) - y, src.height());
    const int sx0 = clip(-static_cast<long long>(x), src.width());
    const int sx1 = clip(static_cast<long long>(width_) - x, src.width());
    for (int sy = sy0; sy < sy1; ++sy)
      for (int sx = sx0; sx < sx1; ++sx) set(y + sy, x + sx, src.at(sy, sx));
  }

  /// @brief Exact equality of size and every byte.
  friend bool operator==(const Picture& a, const Picture& b) {
    return a.height_ == b.height_ && a.width_ == b.width_ && a.data_ == b.data_;
  }
  /// @brief Negation of ==.
  friend bool operator!=(const Picture& a, const Picture& b) { return !(a == b); }

 private:
  std::size_t index(int y, int x) const noexcept {
    return (static_cast<std::size_t>(y) * static_cast<std::size_t>(width_) + static_cast<std::size_t>(x)) * 3;
  }

  int height_ = 0;
  int width_ = 0;
  std::vector<std::uint8_t> data_;
};

namespace detail {

/// Value v of an image whose full intensity is value_max as a byte: round(255 * v / value_max),
/// clamped to 0..255 (NaN -> 0).
inline std::uint8_t to_byte(float v, float value_max) noexcept {
  const float t = v / value_max;
  if (!(t > 0.0f)) return 0;  // also NaN -> 0
  if (t >= 1.0f) return 255;
  return static_cast<std::uint8_t>(std::lround(t * 255.0f));
}

}  // namespace detail

/// @brief Convert an Image to an 8-bit Picture: value v becomes
///        round(255 * v / value_max), clamped to 0..255 (NaN -> 0).
/// @param img H x W x C image with C = 1 (grey, replicated), 3 (RGB) or 4 (alpha dropped)
/// @param value_max value of a full-intensity channel, > 0
/// @throws std::invalid_argument on an empty image, another channel count or a value_max not finite or <= 0.
inline Picture to_picture(const Image& img, float value_max = 1.0f) {
  detail::require_finite_positive("mcrise::to_picture()", "value_max", value_max);
  if (img.empty()) throw std::invalid_argument("mcrise::to_picture(): the image is empty");
  const int C = img.channels();
  if (C != 1 && C != 3 && C != 4)
    throw std::invalid_argument("mcrise::to_picture(): image must have 1, 3 or 4 channels, got " + std::to_string(C));
  Picture out(img.height(), img.width());
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x) {
      const float* p = img.pixel(y, x);
      if (C == 1) {
        const std::uint8_t g = detail::to_byte(p[0], value_max);
        out.set(y, x, Rgb{g, g, g});
      } else {
        out.set(y, x, Rgb{detail::to_byte(p[0], value_max), detail::to_byte(p[1], value_max),
                          detail::to_byte(p[2], value_max)});
      }
    }
  return out;
}

/// @brief Convert a Picture to an RGB Image with values in [0, value_max].
/// @param pic the picture
/// @param value_max value of 255, > 0
/// @throws std::invalid_argument if value_max is not finite or <= 0.
inline Image to_image(const Picture& pic, float value_max = 1.0f) {
  detail::require_finite_positive("mcrise::to_image()", "value_max", value_max);
  Image out(pic.height(), pic.width(), 3);
  for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = static_cast<float>(pic.data()[i]) * value_max / 255.0f;
  return out;
}

}  // namespace mcrise
