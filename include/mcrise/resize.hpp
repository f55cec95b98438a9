#pragma once
/// @file resize.hpp
/// @brief Bring an image to a model's input size: bilinear resize, centre crop, and both
///        (resize_and_crop, torchvision's Resize + CenterCrop).

#include <mcrise/image.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace mcrise {

namespace detail {

/// The rows y0 .. y0 + rows - 1 and columns x0 .. x0 + cols - 1 of img resized to full_h x full_w
/// (see resize(); each output pixel depends only on its own coordinates, so a window is exactly
/// the crop of the whole). The full size may exceed an int; the window must be inside it.
inline Image resize_window(const Image& img, std::int64_t full_h, std::int64_t full_w, std::int64_t y0,
                           std::int64_t x0, int rows, int cols) {
  const int H = img.height(), W = img.width(), C = img.channels();
  Image out(rows, cols, C);
  struct Tap {
    int i0, i1;
    float t;
  };
  auto taps = [](std::int64_t first, int count, std::int64_t n_out, int n_in) {
    std::vector<Tap> v(static_cast<std::size_t>(count));
    const double scale = static_cast<double>(n_in) / static_cast<double>(n_out);
    for (int k = 0; k < count; ++k) {
      double s = (static_cast<double>(first + k) + 0.5) * scale - 0.5;
      s = std::min(std::max(s, 0.0), static_cast<double>(n_in - 1));
      const int i0 = static_cast<int>(std::floor(s));
      const int i1 = std::min(i0 + 1, n_in - 1);
      v[static_cast<std::size_t>(k)] = Tap{i0, i1, static_cast<float>(s - i0)};
    }
    return v;
  };
  const auto ty = taps(y0, rows, full_h, H), tx = taps(x0, cols, full_w, W);
  for (int i = 0; i < rows; ++i) {
    const Tap& a = ty[static_cast<std::size_t>(i)];
    for (int j = 0; j < cols; ++j) {
      const Tap& b = tx[static_cast<std::size_t>(j)];
      const float* p00 = img.pixel(a.i0, b.i0);
      const float* p01 = img.pixel(a.i0, b.i1);
      const float* p10 = img.pixel(a.i1, b.i0);
      const float* p11 = img.pixel(a.i1, b.i1);
      float* q = out.pixel(i, j);
      for (int c = 0; c < C; ++c) {
        const float top = p00[c] + (p01[c] - p00[c]) * b.t;
        const float bot = p10[c] + (p11[c] - p10[c]) * b.t;
        q[c] = top + (bot - top) * a.t;
      }
    }
  }
  return out;
}

}  // namespace detail

/// @brief Bilinear resize to height x width (every channel).
///
/// Convention (pixel centres, as OpenCV INTER_LINEAR and PyTorch
/// `align_corners=False`): output pixel (i, j) has its centre at source
/// coordinates y = (i + 0.5) * H / height - 0.5, x = (j + 0.5) * W / width - 0.5;
/// the value there is the bilinear blend of the 4 surrounding source pixels,
/// coordinates outside [0, H-1] x [0, W-1] clamped to the edge. Resizing to the
/// same size returns the image unchanged; halving averages 2 x 2 blocks.
/// There is no anti-aliasing: for shrink factors above 2 it samples.
/// @param img source image, non-empty
/// @param height output rows, >= 1
/// @param width output columns, >= 1
/// @return height x width x C image
/// @throws std::invalid_argument on an empty image or a size < 1.
inline Image resize(const Image& img, int height, int width) {
  if (img.empty()) throw std::invalid_argument("mcrise::resize(): image is empty");
  if (height < 1 || width < 1)
    throw std::invalid_argument("mcrise::resize(): size must be >= 1, got " + std::to_string(height) + " x " +
                                std::to_string(width));
  return detail::resize_window(img, height, width, 0, 0, height, width);
}

/// @brief Cut the central height x width window out of an image.
///
/// The window starts at row (H - height) / 2 and column (W - width) / 2
/// (integer division: when the margin is odd, the extra pixel is left at the
/// bottom / right).
/// @param img source image
/// @param height rows to keep, 1 <= height <= H
/// @param width columns to keep, 1 <= width <= W
/// @return height x width x C image
/// @throws std::invalid_argument if the window does not fit.
inline Image centre_crop(const Image& img, int height, int width) {
  if (height < 1 || width < 1 || height > img.height() || width > img.width())
    throw std::invalid_argument("mcrise::centre_crop(): crop " + std::to_string(height) + " x " +
                                std::to_string(width) + " does not fit in image " + std::to_string(img.height()) +
                                " x " + std::to_string(img.width()));
  const int y0 = (img.height() - height) / 2, x0 = (img.width() - width) / 2, C = img.channels();
  Image out(height, width, C);
  for (int y = 0; y < height; ++y) {
    const float* src = img.pixel(y0 + y, x0);
    std::copy(src, src + static_cast<std::ptrdiff_t>(width) * C, out.pixel(y, 0));
  }
  return out;
}

/// @brief Bring an image to a model's input size without distorting it:
///        resize (bilinear, see resize()) so that it covers height x width
///        with its aspect ratio kept, then centre_crop() the excess
///        (torchvision's Resize + CenterCrop). Only the kept window is computed, so
///        the cost is that of the output whatever the aspect ratio.
/// @param img source image, non-empty
/// @param height model input rows, >= 1
/// @param width model input columns, >= 1
/// @return height x width x C image
/// @throws std::invalid_argument on an empty image or a size < 1.
inline Image resize_and_crop(const Image& img, int height, int width) {
  if (img.empty()) throw std::invalid_argument("mcrise::resize_and_crop(): image is empty");
  if (height < 1 || width < 1)
    throw std::invalid_argument("mcrise::resize_and_crop(): size must be >= 1, got " + std::to_string(height) +
                                " x " + std::to_string(width));
  const double s = std::max(static_cast<double>(height) / img.height(), static_cast<double>(width) / img.width());
  // The resized size can be huge (a 1 x 1000 strip to 1000 x 1 is 1000 x 10^6): only the window
  // that centre_crop would keep is computed.
  const std::int64_t rh = std::max<std::int64_t>(height, std::llround(img.height() * s));
  const std::int64_t rw = std::max<std::int64_t>(width, std::llround(img.width() * s));
  if (rh == img.height() && rw == img.width()) return centre_crop(img, height, width);
  return detail::resize_window(img, rh, rw, (rh - height) / 2, (rw - width) / 2, height, width);
}

/// @brief center_crop(): the same function as centre_crop(), in American spelling.
/// @throws std::invalid_argument if the window does not fit.
inline Image center_crop(const Image& img, int height, int width) { return centre_crop(img, height, width); }

}  // namespace mcrise
