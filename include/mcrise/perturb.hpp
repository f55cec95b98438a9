#pragma once
/// @file perturb.hpp
/// @brief Writes perturbed images straight into a batch buffer.
///
/// RISE: i'(λ) = i(λ)·m(λ) + F(λ)·(1 − m(λ)). MC-RISE: i'(λ) = i(λ)·m0(λ) +
/// Σ_k F_k(λ)·m^c(λ, k) (paper §4.2). Both are one formula with K fills (RISE:
/// K = 1, the fill is zero by default); a fill is a constant colour c_k or an
/// image (fill.hpp). The full-resolution planes are never stored: each row of the
/// perturbed image is interpolated from two grid rows that were first
/// interpolated along x, so the cost per pixel is a few multiply-adds. Image
/// fills add one more pass over the row: the (up to four) cells a pixel reads,
/// each weighting its fill image's value there.

#include <mcrise/fill.hpp>
#include <mcrise/image.hpp>
#include <mcrise/masks.hpp>
#include <mcrise/detail/dispatch.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcrise {
namespace detail {

/// The owner of the mask-colour rules (mc_rise's colors, the Perturber's fills): at most
/// max_colors colours, each with `channels` finite values. Throws "<where>: at most 255 colours,
/// got n", "<where>: colour k has c channels but the image has C" or "<where>: colour k has a
/// non-finite value".
inline void check_colors(const std::vector<Color>& colors, int channels, std::string_view where) {
  require(where, colors.size() <= std::size_t{max_colors}, "at most ", max_colors, " colours, got ", colors.size());
  for (std::size_t k = 0; k < colors.size(); ++k) check_color(colors[k], channels, where, "colour ", k);
}

}  // namespace detail

/// @brief Applies mask samples of one MaskGenerator to one image.
///
/// Both layouts compute every output value with the same expression,
/// `i·(a·k0 + b·k1) + (a·f0 + b·f1)`, so HWC and CHW batches hold bitwise
/// identical values. For HWC the x-interpolated rows are stored channel-
/// interleaved (W·C floats per grid row), so the per-row loop of pass 2 is one
/// contiguous, vectorisable sweep over W·C floats.
class Perturber {
 public:
  /// @brief Per-thread working memory for operator(); default-constructed, grown on first use.
  struct Scratch {
    std::vector<float> keep_rows;   ///< grid_h x W (CHW) or grid_h x W·C (HWC): m0 interpolated along x
    std::vector<float> color_rows;  ///< grid_h x C x W (CHW) or grid_h x W·C (HWC): Σ_k c_k m^c interpolated along x
  };

  /// @brief Prepares the perturbation of `image` by the masks of `generator`.
  /// @param image the image to explain, H x W x C (must match the generator's H x W)
  /// @param generator the mask distribution (its K must equal fills.size()); kept by reference,
  ///        so it must outlive the Perturber (do not pass a temporary)
  /// @param fills K fills (a vector of colours, of fills, or a braced list of either): constant
  ///        colours with C finite values in the image's value range, or finite H x W x C images
  ///        (RISE: one all-zero colour)
  /// @throws std::invalid_argument on a size, count or channel mismatch, or a non-finite value.
  Perturber(const Image& image, const MaskGenerator& generator, const FillList& fills)
      : Perturber((check(image, generator, fills, "mcrise::Perturber()"), detail::Checked{}), image, generator,
                  fills.fills()) {}

  /// @brief Refused at compile time: the Perturber keeps a reference to its generator,
  ///        which must outlive it, so a temporary generator is not accepted.
  Perturber(const Image& image, MaskGenerator&& generator, const FillList& fills) = delete;

  /// @brief The rules of the constructor: the image is the generator's H x W, there is one fill per
  ///        mask colour, and each fill is a colour with the image's C finite values or a finite image
  ///        of the image's size (see detail::check_fill).
  /// @param image the image to perturb, H x W x C
  /// @param generator the mask generator whose masks will be applied
  /// @param fills one fill per mask colour: a colour of C finite values or a finite H x W x C image
  /// @param where the function named in the message, e.g. "mcrise::mc_rise()"
  /// @throws std::invalid_argument as the constructor, naming the fill: "<where>: fill 1 has 2 channels
  ///         but the image has 3", "<where>: fill 5 ('blur:5') is 8 x 8 x 3 but the image is ...".
  static void check(const Image& image, const MaskGenerator& generator, const FillList& fills,
                    std::string_view where) {
    const auto& g = generator.geometry();
    detail::require(where, image.height() == g.height && image.width() == g.width, "image is ", image.height(), " x ",
                    image.width(), " but the masks are ", g.height, " x ", g.width);
    detail::require(where, static_cast<int>(fills.size()) == generator.num_colors(), fills.size(),
                    " fills given for masks with ", generator.num_colors(), " colours");
    detail::check_fills(fills.fills(), image, where);
  }

  /// @brief Write the perturbed image of sample `s` to `dst` (H*W*C floats) in `layout`.
  /// @param s a sample of the generator (generator.sample(n))
  /// @param dst the destination image, H*W*C floats
  /// @param layout HWC or CHW
  /// @param scratch working memory, one per thread
  /// @throws std::invalid_argument if the sample does not fit the generator or the layout is unknown.
  void operator()(const MaskSample& s, float* dst, Layout layout, Scratch& scratch) const {
    (*this)(s, dst, layout, scratch, 0, H_);
  }

  /// @brief Write rows [y0, y1) of the perturbed image of sample `s` into `dst`
  ///        (the start of the whole H*W*C image, in `layout`); other rows are
  ///        untouched. Disjoint row ranges may be written by different threads,
  ///        each with its own Scratch; the values equal those of a whole-image call.
  /// @param s a sample of the generator (generator.sample(n))
  /// @param dst the destination image, H*W*C floats
  /// @param layout HWC or CHW
  /// @param scratch working memory, one per thread
  /// @param y0 first row, 0 <= y0 <= y1
  /// @param y1 one past the last row, y1 <= H
  /// @throws std::invalid_argument if the sample does not fit the generator, the layout is unknown or
  ///         the rows are out of range (checked up front, a few dozen comparisons: a sample from another
  ///         generator must not be read out of bounds).
  void operator()(const MaskSample& s, float* dst, Layout layout, Scratch& scratch, int y0, int y1) const {
    gen_.check_sample(s, "mcrise::Perturber::operator()");
    detail::check_layout(layout, "mcrise::Perturber::operator()");
    if (y0 < 0 || y1 > H_ || y0 > y1)
      throw std::invalid_argument("mcrise::Perturber::operator(): rows [" + std::to_string(y0) + ", " +
                                  std::to_string(y1) + ") are not within [0, " + std::to_string(H_) + "]");
    if (y0 >= y1) return;
    const auto& g = gen_.geometry();
    const auto& rw = gen_.row_weights();
    const std::size_t W = static_cast<std::size_t>(W_), C = static_cast<std::size_t>(C_);
    const std::size_t row_len = W * C;  // floats per grid row, both layouts
    scratch.keep_rows.resize(static_cast<std::size_t>(g.grid_h) * (layout == Layout::HWC ? row_len : W));
    scratch.color_rows.resize(any_fill_ ? static_cast<std::size_t>(g.grid_h) * row_len : 0);
    // Only the grid rows that rows [y0, y1) read (the row tables are non-decreasing in u).
    const int r_lo = rw.i0[static_cast<std::size_t>(y0 + s.dy)];
    const int r_hi = rw.i1[static_cast<std::size_t>(y1 - 1 + s.dy)];
    for (int r = r_lo; r <= r_hi; ++r) interpolate_row(s, r, layout, scratch);

    // Pass 2, along y: blend two interpolated grid rows, then i·m0 + fill.
    for (int y = y0; y < y1; ++y) {
      const auto u = static_cast<std::size_t>(y + s.dy);
      const float a = rw.w0[u], b = rw.w1[u];
      const auto r0 = static_cast<std::size_t>(rw.i0[u]), r1 = static_cast<std::size_t>(rw.i1[u]);
      if (layout == Layout::HWC) {
        const float* k0 = scratch.keep_rows.data() + r0 * row_len;
        const float* k1 = scratch.keep_rows.data() + r1 * row_len;
        const float* src = interleaved_.data() + static_cast<std::size_t>(y) * row_len;
        float* out = dst + static_cast<std::size_t>(y) * row_len;
        if (any_fill_)
          blend_fill(out, src, k0, k1, scratch.color_rows.data() + r0 * row_len,
                     scratch.color_rows.data() + r1 * row_len, a, b, row_len);
        else
          blend(out, src, k0, k1, a, b, row_len);
        continue;
      }
      const float* k0 = scratch.keep_rows.data() + r0 * W;
      const float* k1 = scratch.keep_rows.data() + r1 * W;
      for (std::size_t c = 0; c < C; ++c) {
        const float* src = planar_.data() + index(static_cast<int>(c), y, 0);
        float* out = dst + (c * static_cast<std::size_t>(H_) + static_cast<std::size_t>(y)) * W;
        if (any_fill_)
          blend_fill(out, src, k0, k1, scratch.color_rows.data() + (r0 * C + c) * W,
                     scratch.color_rows.data() + (r1 * C + c) * W, a, b, W);
        else
          blend(out, src, k0, k1, a, b, W);
      }
    }
    if (!image_fills_.empty()) add_image_fills(s, dst, layout, y0, y1);
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
  friend struct detail::PartsAccess;

  // Arguments that check() accepted.
  Perturber(detail::Checked, const Image& image, const MaskGenerator& generator, const std::vector<Fill>& fills)
      : gen_(generator), H_(image.height()), W_(image.width()), C_(image.channels()) {
    // state 0 (kept) contributes no fill; state k contributes colour k, or (image fill) nothing
    // here and its image in add_image_fills().
    fill_.assign(static_cast<std::size_t>((generator.num_colors() + 1) * C_), 0.0f);
    image_of_state_.assign(static_cast<std::size_t>(generator.num_colors() + 1), -1);
    for (std::size_t k = 0; k < fills.size(); ++k) {
      if (fills[k].is_image()) {
        image_of_state_[k + 1] = static_cast<int>(image_fills_.size());
        image_fills_.push_back(fills[k]);
        continue;
      }
      if (fills[k].is_zero()) continue;
      for (int c = 0; c < C_; ++c) {
        const float v = fills[k].color()[static_cast<std::size_t>(c)];
        fill_[(k + 1) * static_cast<std::size_t>(C_) + static_cast<std::size_t>(c)] = v;
        any_fill_ = any_fill_ || v != 0.0f;
      }
    }
    // run_end_[v]: the first canvas column after v that reads other grid columns than v.
    const auto& cwt = generator.col_weights();
    run_end_.resize(cwt.i0.size());
    for (std::size_t v = cwt.i0.size(); v-- > 0;) {
      const bool last = v + 1 == cwt.i0.size() || cwt.i0[v + 1] != cwt.i0[v] || cwt.i1[v + 1] != cwt.i1[v];
      run_end_[v] = last ? static_cast<int>(v + 1) : run_end_[v + 1];
    }
    interleaved_.assign(image.data(), image.data() + image.size());
    planar_.resize(image.size());
    for (int c = 0; c < C_; ++c)
      for (int y = 0; y < H_; ++y)
        for (int x = 0; x < W_; ++x) planar_[index(c, y, x)] = image(y, x, c);
  }

  // out = src·(a·k0 + b·k1): the RISE case (every fill is zero).
  static void blend(float* out, const float* src, const float* k0, const float* k1, float a, float b,
                    std::size_t n) noexcept {
    if (detail::current_isa() == detail::Isa::avx2)
      blend_kernel_avx2(out, src, k0, k1, nullptr, nullptr, a, b, n);
    else
      blend_kernel(out, src, k0, k1, nullptr, nullptr, a, b, n);
  }
  // out = src·(a·k0 + b·k1) + (a·f0 + b·f1): i·m0 + Σ_k c_k·m^c(k).
  static void blend_fill(float* out, const float* src, const float* k0, const float* k1, const float* f0,
                         const float* f1, float a, float b, std::size_t n) noexcept {
    if (detail::current_isa() == detail::Isa::avx2)
      blend_kernel_avx2(out, src, k0, k1, f0, f1, a, b, n);
    else
      blend_kernel(out, src, k0, k1, f0, f1, a, b, n);
  }
  // Both loops, compiled for the baseline and (below) for AVX2: the same expression, so the same
  // bits (see detail/dispatch.hpp). f0 == nullptr: no fill.
  MCRISE_ALWAYS_INLINE static void blend_kernel(float* __restrict out, const float* __restrict src,
                                                const float* __restrict k0, const float* __restrict k1,
                                                const float* __restrict f0, const float* __restrict f1, float a,
                                                float b, std::size_t n) noexcept {
    if (f0 == nullptr)
      for (std::size_t i = 0; i < n; ++i) out[i] = src[i] * (a * k0[i] + b * k1[i]);
    else
      for (std::size_t i = 0; i < n; ++i) out[i] = src[i] * (a * k0[i] + b * k1[i]) + (a * f0[i] + b * f1[i]);
  }
  MCRISE_TARGET_AVX2 static void blend_kernel_avx2(float* out, const float* src, const float* k0, const float* k1,
                                                   const float* f0, const float* f1, float a, float b,
                                                   std::size_t n) noexcept {
    blend_kernel(out, src, k0, k1, f0, f1, a, b, n);
  }

  // Pass 1 of one grid row for columns [x0, x1), all of which read the grid columns of x0 (so the
  // cells p, q and their fills are the same): FixedC channels, or C_rt when FixedC is 0. HWC (not
  // Planar): keep and col interleaved per channel, m0 repeated; CHW (Planar): keep one value per
  // column, col C planes of W. Without per-column look-ups the loops vectorise.
  template <std::size_t FixedC, bool Planar>
  MCRISE_ALWAYS_INLINE static void interpolate_run(std::uint8_t p, std::uint8_t q, const float* w0, const float* w1,
                                                   const float* fill, float* __restrict keep, float* __restrict col,
                                                   std::size_t x0, std::size_t x1, std::size_t W,
                                                   std::size_t C_rt) noexcept {
    const std::size_t C = FixedC != 0 ? FixedC : C_rt;
    const bool keep0 = p == 0, keep1 = q == 0;
    const float* fp = fill + p * C;
    const float* fq = fill + q * C;
    for (std::size_t x = x0; x < x1; ++x) {
      const float m0 = (keep0 ? w0[x] : 0.0f) + (keep1 ? w1[x] : 0.0f);
      if (Planar)
        keep[x] = m0;
      else
        for (std::size_t c = 0; c < C; ++c) keep[x * C + c] = m0;
    }
    if (col == nullptr) return;
    if (Planar) {
      for (std::size_t c = 0; c < C; ++c)
        for (std::size_t x = x0; x < x1; ++x) col[c * W + x] = w0[x] * fp[c] + w1[x] * fq[c];
    } else {
      for (std::size_t x = x0; x < x1; ++x)
        for (std::size_t c = 0; c < C; ++c) col[x * C + c] = w0[x] * fp[c] + w1[x] * fq[c];
    }
  }
  // Pass 1 of one grid row, run by run (columns that read the same two grid columns).
  template <std::size_t FixedC, bool Planar>
  MCRISE_ALWAYS_INLINE static void interpolate_kernel(const std::uint8_t* row, const int* i0, const int* i1,
                                                      const float* w0, const float* w1, const int* run_end,
                                                      std::size_t dx, const float* fill, float* keep, float* col,
                                                      std::size_t W, std::size_t C_rt) noexcept {
    for (std::size_t x = 0; x < W;) {
      const std::size_t end = std::min(W, static_cast<std::size_t>(run_end[x]) - dx);
      interpolate_run<FixedC, Planar>(row[i0[x]], row[i1[x]], w0, w1, fill, keep, col, x, end, W, C_rt);
      x = end;
    }
  }
  template <std::size_t FixedC, bool Planar>
  MCRISE_TARGET_AVX2 static void interpolate_avx2(const std::uint8_t* row, const int* i0, const int* i1,
                                                  const float* w0, const float* w1, const int* run_end, std::size_t dx,
                                                  const float* fill, float* keep, float* col, std::size_t W,
                                                  std::size_t C_rt) noexcept {
    interpolate_kernel<FixedC, Planar>(row, i0, i1, w0, w1, run_end, dx, fill, keep, col, W, C_rt);
  }
  // Pass 1 of one grid row, baseline or AVX2: the same expressions, the same bits (detail/dispatch.hpp).
  template <std::size_t FixedC, bool Planar>
  static void interpolate(const std::uint8_t* row, const int* i0, const int* i1, const float* w0, const float* w1,
                          const int* run_end, std::size_t dx, const float* fill, float* keep, float* col,
                          std::size_t W, std::size_t C_rt) noexcept {
    if (detail::current_isa() == detail::Isa::avx2)
      interpolate_avx2<FixedC, Planar>(row, i0, i1, w0, w1, run_end, dx, fill, keep, col, W, C_rt);
    else
      interpolate_kernel<FixedC, Planar>(row, i0, i1, w0, w1, run_end, dx, fill, keep, col, W, C_rt);
  }

  // Pass 1, along x, for grid row r: the kept fraction m0 and the fill colour
  // Σ_k c_k·m^c(k) at every column (HWC: interleaved per channel, m0 repeated; CHW: m0 once,
  // the colour as C planes).
  void interpolate_row(const MaskSample& s, int r, Layout layout, Scratch& scratch) const {
    const auto& cwt = gen_.col_weights();
    const std::size_t W = static_cast<std::size_t>(W_), C = static_cast<std::size_t>(C_);
    const std::uint8_t* row = s.cells.data() + static_cast<std::size_t>(r * gen_.geometry().grid_w);
    const std::size_t dx = static_cast<std::size_t>(s.dx);
    const int* i0 = cwt.i0.data() + dx;
    const int* i1 = cwt.i1.data() + dx;
    const float* w0 = cwt.w0.data() + dx;
    const float* w1 = cwt.w1.data() + dx;
    const int* run_end = run_end_.data() + dx;
    const float* fill = fill_.data();
    const auto ru = static_cast<std::size_t>(r);
    float* col = any_fill_ ? scratch.color_rows.data() + ru * W * C : nullptr;
    if (layout == Layout::HWC) {
      float* keep = scratch.keep_rows.data() + ru * W * C;
      if (C == 3)  // RGB: the channel loops unrolled, the same expressions
        interpolate<3, false>(row, i0, i1, w0, w1, run_end, dx, fill, keep, col, W, C);
      else
        interpolate<0, false>(row, i0, i1, w0, w1, run_end, dx, fill, keep, col, W, C);
      return;
    }
    interpolate<0, true>(row, i0, i1, w0, w1, run_end, dx, fill, scratch.keep_rows.data() + ru * W, col, W, C);
  }

  // Adds Σ_k F_k(λ)·m^c(λ, k) over the image fills k to rows [y0, y1): per pixel, each of the four
  // cells it reads (rows r0, r1 with weights a, b; columns with w0, w1) whose colour is an image
  // fill adds its weight times that image's value. Every value is a function of the pixel alone,
  // so rows written by different threads or batches are bitwise those of a whole-image call.
  void add_image_fills(const MaskSample& s, float* dst, Layout layout, int y0, int y1) const {
    const auto& rw = gen_.row_weights();
    const auto& cwt = gen_.col_weights();
    const auto gw = static_cast<std::size_t>(gen_.geometry().grid_w);
    const std::size_t W = static_cast<std::size_t>(W_), C = static_cast<std::size_t>(C_), H = static_cast<std::size_t>(H_);
    for (int y = y0; y < y1; ++y) {
      const auto u = static_cast<std::size_t>(y + s.dy);
      const float ry[2] = {rw.w0[u], rw.w1[u]};
      const std::uint8_t* rows[2] = {s.cells.data() + static_cast<std::size_t>(rw.i0[u]) * gw,
                                     s.cells.data() + static_cast<std::size_t>(rw.i1[u]) * gw};
      for (std::size_t x = 0; x < W; ++x) {
        const auto v = x + static_cast<std::size_t>(s.dx);
        const float cx[2] = {cwt.w0[v], cwt.w1[v]};
        const int cols[2] = {cwt.i0[v], cwt.i1[v]};
        for (int i = 0; i < 2; ++i)
          for (int j = 0; j < 2; ++j) {
            const int f = image_of_state_[rows[i][cols[j]]];
            if (f < 0) continue;
            const float w = ry[i] * cx[j];
            const float* src = image_fills_[static_cast<std::size_t>(f)].image()->data() +
                               (static_cast<std::size_t>(y) * W + x) * C;
            for (std::size_t c = 0; c < C; ++c) {
              float& out = layout == Layout::HWC ? dst[(static_cast<std::size_t>(y) * W + x) * C + c]
                                                 : dst[(c * H + static_cast<std::size_t>(y)) * W + x];
              out += w * src[c];
            }
          }
      }
    }
  }

  std::size_t index(int c, int y, int x) const noexcept {
    return (static_cast<std::size_t>(c) * static_cast<std::size_t>(H_) + static_cast<std::size_t>(y)) *
               static_cast<std::size_t>(W_) +
           static_cast<std::size_t>(x);
  }

  const MaskGenerator& gen_;
  int H_, W_, C_;
  std::vector<float> fill_;         // (K+1) x C, row 0 zero
  std::vector<int> run_end_;        // per canvas column: where its run of equal grid columns ends
  std::vector<float> interleaved_;  // H x W x C copy of the image (HWC output)
  std::vector<float> planar_;       // C x H x W copy of the image (CHW output)
  bool any_fill_ = false;
  std::vector<Fill> image_fills_;    // the image fills, in colour order
  std::vector<int> image_of_state_;  // K+1: index into image_fills_ of state k's fill, -1 if constant
};

}  // namespace mcrise
