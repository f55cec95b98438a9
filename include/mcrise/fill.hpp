#pragma once
/// @file fill.hpp
/// @brief What a masked region is filled with: a constant colour or a whole image.
///
/// RISE perturbs i' = i·m + F·(1 − m) and MC-RISE i' = i·m0 + Σ_k F_k ⊙ m^c(k),
/// where each fill F is either a constant colour (the same C values at every
/// pixel) or an image of the explained image's size (a blurred copy, a mean
/// image, noise, an inpainting): then pixel λ of the fill region takes F(λ).
/// The estimators depend on the masks only, never on the fills.

#include <mcrise/image.hpp>
#include <mcrise/detail/checks.hpp>
#include <mcrise/detail/metrics/blur.hpp>

#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcrise {

/// @brief A mask fill: a constant colour, or an image of the explained image's size.
///
/// A Color converts implicitly, so `Fill f = Color{1, 0, 0};`, `std::vector<Fill>{red, green}` and
/// `{{1, 0, 0}, Fill::blurred(img, 5)}` work. A default-constructed Fill is zero in every channel (RISE's i·m). An image fill is
/// shared, not copied, when a Fill is copied.
class Fill {
 public:
  /// @brief The zero fill (C zeros, whatever the image's channel count C).
  Fill() = default;

  /// @brief A constant colour: C values in the image's value range (checked against the image where used).
  Fill(Color color) : color_(std::move(color)), name_("colour") {}  // NOLINT: implicit by design

  /// @brief A constant colour written out, e.g. `Fill{1, 0, 0}`, and inside lists: `{{1, 0, 0}, blur}`.
  Fill(std::initializer_list<float> color) : Fill(Color(color)) {}

  /// @brief An image fill: pixel λ of a filled region takes image(λ).
  /// @param image H x W x C, the explained image's size (checked where used)
  /// @param name what figures and messages call it, e.g. "mean image"
  explicit Fill(Image image, std::string name = "image")
      : image_(std::make_shared<const Image>(std::move(image))), name_(std::move(name)) {}

  /// @brief The image blurred with a Gaussian of standard deviation `sigma` pixels (the blur of
  ///        gaussian_blur(): separable, r = ⌈3σ⌉, edge pixels repeated), named "blur:σ" (e.g. "blur:5").
  /// @param image the image to explain, H x W x C
  /// @param sigma blur radius in pixels, in [0, 1e5] (0: an unblurred copy)
  /// @throws std::invalid_argument "mcrise::Fill::blurred(): sigma must be in [0, 1e5] pixels, got v".
  static Fill blurred(const Image& image, double sigma) {
    detail::check_blur_sigma(sigma, "mcrise::Fill::blurred()", "sigma");
    std::ostringstream name;
    name << "blur:" << sigma;
    return Fill(detail::gaussian_blur_impl(image, sigma), name.str());
  }

  /// @brief Whether this fill is an image (else a constant colour, or zero).
  bool is_image() const noexcept { return image_ != nullptr; }
  /// @brief Whether this is the default zero fill.
  bool is_zero() const noexcept { return !image_ && color_.empty(); }
  /// @brief The constant colour (empty for the zero fill and for an image fill).
  const Color& color() const noexcept { return color_; }
  /// @brief The image of an image fill (nullptr otherwise).
  const Image* image() const noexcept { return image_.get(); }
  /// @brief "colour" for a constant colour, "zero" for the zero fill, else the image fill's name.
  const std::string& name() const noexcept { return is_zero() ? zero_name() : name_; }

  /// @brief The colour this fill stands for in a legend or a colour list: the constant colour, C zeros
  ///        for the zero fill, or an image fill's per-channel mean.
  /// @param channels C, the explained image's channel count
  Color representative(int channels) const {
    if (!image_) return color_.empty() ? Color(static_cast<std::size_t>(channels), 0.0f) : color_;
    const auto C = static_cast<std::size_t>(image_->channels());
    std::vector<double> sum(C, 0.0);
    for (std::size_t i = 0; i < image_->size(); ++i) sum[i % C] += image_->data()[i];
    Color mean(C);
    const double n = static_cast<double>(image_->size() / (C == 0 ? 1 : C));
    for (std::size_t c = 0; c < C; ++c) mean[c] = static_cast<float>(n > 0 ? sum[c] / n : 0.0);
    return mean;
  }

 private:
  static const std::string& zero_name() {
    static const std::string z = "zero";
    return z;
  }
  Color color_;
  std::shared_ptr<const Image> image_;
  std::string name_ = "zero";
};

/// @brief A list of fills as a parameter: built from colours (`r.colors()`, `{red, black}`) or from
///        fills (`r.fills()`, `{red, Fill::blurred(img, 5)}`), so one function takes either.
class FillList {
 public:
  /// @brief No fills.
  FillList() = default;
  /// @brief Fills from a braced list of colours or fills.
  FillList(std::initializer_list<Fill> fills) : fills_(fills) {}
  /// @brief Fills from colours.
  FillList(const std::vector<Color>& colors) : fills_(colors.begin(), colors.end()) {}  // NOLINT: implicit by design
  /// @brief Fills from fills.
  FillList(std::vector<Fill> fills) : fills_(std::move(fills)) {}  // NOLINT: implicit by design
  /// @brief The fills.
  const std::vector<Fill>& fills() const noexcept { return fills_; }
  /// @brief Number of fills.
  std::size_t size() const noexcept { return fills_.size(); }
  /// @brief Fill k, 0 <= k < size().
  const Fill& operator[](std::size_t k) const { return fills_[k]; }

 private:
  std::vector<Fill> fills_;
};

namespace detail {

/// The owner of the fill rules: a constant fill has the image's C finite values; an image fill is
/// the image's H x W x C and finite everywhere. Throws "<where>: fill k has c channels but the image
/// has C", "<where>: fill k ('blur:5') is h x w x c but the image is H x W x C", "<where>: fill k
/// ('mean') has a non-finite value at pixel (y, x)". `name` names the fill in the message, e.g.
/// ("fill ", k) or ("fill").
template <class... Name>
void check_fill(const Fill& fill, const Image& image, std::string_view where, const Name&... name) {
  if (fill.is_zero()) return;
  if (!fill.is_image()) {
    check_color(fill.color(), image.channels(), where, name...);
    return;
  }
  const Image& f = *fill.image();
  if (f.height() != image.height() || f.width() != image.width() || f.channels() != image.channels())
    fail(where, name..., " ('", fill.name(), "') is ", f.height(), " x ", f.width(), " x ", f.channels(),
         " but the image is ", image.height(), " x ", image.width(), " x ", image.channels());
  const auto C = static_cast<std::size_t>(f.channels()), W = static_cast<std::size_t>(f.width());
  for (std::size_t i = 0; i < f.size(); ++i)
    if (!std::isfinite(f.data()[i]))
      fail(where, name..., " ('", fill.name(), "') has a non-finite value at pixel (", i / C / W, ", ", i / C % W,
           ")");
}

/// The owner of the rules on a list of fills (MC-RISE's colours): at most max_colors fills, each
/// checked by check_fill, named "fill k".
inline void check_fills(const std::vector<Fill>& fills, const Image& image, std::string_view where) {
  require(where, fills.size() <= std::size_t{max_colors}, "at most ", max_colors, " fills, got ", fills.size());
  for (std::size_t k = 0; k < fills.size(); ++k) check_fill(fills[k], image, where, "fill ", k);
}

}  // namespace detail
}  // namespace mcrise
