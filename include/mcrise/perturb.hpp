#pragma once
/// @file perturb.hpp
/// @brief Writes perturbed images straight into a batch buffer.
///
/// RISE: i'(λ) = i(λ)·m(λ). MC-RISE: i'(λ) = i(λ)·m0(λ) + Σ_k c_k·m^c(λ, k)
/// (paper §4.2). Both are one formula with K fill colours (RISE: K = 1, the
/// fill is zero). The full-resolution planes are never stored: each row of the
/// perturbed image is interpolated from two grid rows that were first
/// interpolated along x, so the cost per pixel is a few multiply-adds.

#include <mcrise/image.hpp>
#include <mcrise/masks.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcrise {

/// @brief Applies mask samples of one MaskGenerator to one image.
class Perturber {
 public:
  /// @brief Per-thread working memory for operator(); default-constructed, grown on first use.
  struct Scratch {
    std::vector<float> keep_rows;   ///< grid_h x W: m0 interpolated along x
    std::vector<float> color_rows;  ///< grid_h x C x W: Σ_k c_k m^c interpolated along x
    std::vector<float> m0;          ///< W
  };

  /// @param image the image to explain, H x W x C (must match the generator's H x W)
  /// @param generator the mask distribution (its K must equal fills.size())
  /// @param fills K colours, each with C values in the image's value range
  ///        (RISE: one all-zero colour)
  /// @throws std::invalid_argument on a size, count or channel mismatch.
  Perturber(const Image& image, const MaskGenerator& generator, std::vector<Color> fills,
            const char* where = "mcrise::Perturber()")
      : gen_(generator), H_(image.height()), W_(image.width()), C_(image.channels()) {
    const auto& g = generator.geometry();
    if (H_ != g.height || W_ != g.width)
      throw std::invalid_argument(std::string(where) + ": image is " + std::to_string(H_) + " x " +
                                  std::to_string(W_) + " but the masks are " + std::to_string(g.height) + " x " +
                                  std::to_string(g.width));
    if (static_cast<int>(fills.size()) != generator.num_colors())
      throw std::invalid_argument(std::string(where) + ": " + std::to_string(fills.size()) +
                                  " colours given for masks with " + std::to_string(generator.num_colors()));
    // state 0 (kept) contributes no fill; state k contributes colour k.
    fill_.assign(static_cast<std::size_t>((generator.num_colors() + 1) * C_), 0.0f);
    for (std::size_t k = 0; k < fills.size(); ++k) {
      if (static_cast<int>(fills[k].size()) != C_)
        throw std::invalid_argument(std::string(where) + ": colour " + std::to_string(k) + " has " +
                                    std::to_string(fills[k].size()) + " channels but the image has " +
                                    std::to_string(C_));
      for (int c = 0; c < C_; ++c) {
        fill_[(k + 1) * static_cast<std::size_t>(C_) + static_cast<std::size_t>(c)] = fills[k][static_cast<std::size_t>(c)];
        any_fill_ = any_fill_ || fills[k][static_cast<std::size_t>(c)] != 0.0f;
      }
    }
    planar_.resize(image.size());
    for (int c = 0; c < C_; ++c)
      for (int y = 0; y < H_; ++y)
        for (int x = 0; x < W_; ++x) planar_[index(c, y, x)] = image(y, x, c);
  }

  /// @brief Write the perturbed image of sample `s` to `dst` (H*W*C floats) in `layout`.
  void operator()(const MaskSample& s, float* dst, Layout layout, Scratch& scratch) const {
    const auto& g = gen_.geometry();
    const auto& rw = gen_.row_weights();
    const auto& cwt = gen_.col_weights();
    const std::size_t W = static_cast<std::size_t>(W_), C = static_cast<std::size_t>(C_);
    scratch.keep_rows.resize(static_cast<std::size_t>(g.grid_h) * W);
    scratch.color_rows.resize(any_fill_ ? static_cast<std::size_t>(g.grid_h) * C * W : 0);
    scratch.m0.resize(W);

    // Pass 1, along x: for each grid row, the kept fraction and the fill colour at every column.
    for (int r = 0; r < g.grid_h; ++r) {
      const std::uint8_t* row = s.cells.data() + static_cast<std::size_t>(r * g.grid_w);
      float* keep = scratch.keep_rows.data() + static_cast<std::size_t>(r) * W;
      for (std::size_t x = 0; x < W; ++x) {
        const std::size_t v = x + static_cast<std::size_t>(s.dx);
        const std::uint8_t a = row[cwt.i0[v]], b = row[cwt.i1[v]];
        keep[x] = (a == 0 ? cwt.w0[v] : 0.0f) + (b == 0 ? cwt.w1[v] : 0.0f);
      }
      if (!any_fill_) continue;
      for (std::size_t c = 0; c < C; ++c) {
        float* col = scratch.color_rows.data() + (static_cast<std::size_t>(r) * C + c) * W;
        for (std::size_t x = 0; x < W; ++x) {
          const std::size_t v = x + static_cast<std::size_t>(s.dx);
          col[x] = cwt.w0[v] * fill_[row[cwt.i0[v]] * C + c] + cwt.w1[v] * fill_[row[cwt.i1[v]] * C + c];
        }
      }
    }

    // Pass 2, along y: blend two interpolated grid rows, then i·m0 + fill.
    for (int y = 0; y < H_; ++y) {
      const auto u = static_cast<std::size_t>(y + s.dy);
      const float a = rw.w0[u], b = rw.w1[u];
      const auto r0 = static_cast<std::size_t>(rw.i0[u]), r1 = static_cast<std::size_t>(rw.i1[u]);
      const float* k0 = scratch.keep_rows.data() + r0 * W;
      const float* k1 = scratch.keep_rows.data() + r1 * W;
      float* m0 = scratch.m0.data();
      for (std::size_t x = 0; x < W; ++x) m0[x] = a * k0[x] + b * k1[x];
      for (std::size_t c = 0; c < C; ++c) {
        const float* src = planar_.data() + index(static_cast<int>(c), y, 0);
        float* out;
        std::size_t stride;
        if (layout == Layout::CHW) {
          out = dst + (c * static_cast<std::size_t>(H_) + static_cast<std::size_t>(y)) * W;
          stride = 1;
        } else {
          out = dst + static_cast<std::size_t>(y) * W * C + c;
          stride = C;
        }
        if (any_fill_) {
          const float* f0 = scratch.color_rows.data() + (r0 * C + c) * W;
          const float* f1 = scratch.color_rows.data() + (r1 * C + c) * W;
          for (std::size_t x = 0; x < W; ++x) out[x * stride] = src[x] * m0[x] + (a * f0[x] + b * f1[x]);
        } else {
          for (std::size_t x = 0; x < W; ++x) out[x * stride] = src[x] * m0[x];
        }
      }
    }
  }

  /// @brief The perturbed image of sample `s` as an Image (convenience; allocates).
  /// @throws std::invalid_argument if the sample does not fit the generator.
  Image operator()(const MaskSample& s) const {
    gen_.check_sample(s, "mcrise::Perturber::operator()");
    Image out(H_, W_, C_);
    Scratch scratch;
    (*this)(s, out.data(), Layout::HWC, scratch);
    return out;
  }

  /// @brief The generator this perturber applies.
  const MaskGenerator& generator() const noexcept { return gen_; }

 private:
  std::size_t index(int c, int y, int x) const noexcept {
    return (static_cast<std::size_t>(c) * static_cast<std::size_t>(H_) + static_cast<std::size_t>(y)) *
               static_cast<std::size_t>(W_) +
           static_cast<std::size_t>(x);
  }

  const MaskGenerator& gen_;
  int H_, W_, C_;
  std::vector<float> fill_;    // (K+1) x C, row 0 zero
  std::vector<float> planar_;  // C x H x W copy of the image
  bool any_fill_ = false;
};

}  // namespace mcrise
