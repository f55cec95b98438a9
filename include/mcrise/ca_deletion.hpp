#pragma once
/// @file ca_deletion.hpp
/// @brief The CA-deletion (colour-aware deletion) metric of the MC-RISE paper
///        (Hatakeyama et al., ACCV 2020, section 5.2).
///
/// Given K colour saliency maps S(λ,k) (e.g. McRiseResult::map(cls), eq. 9)
/// and their colours c_1..c_K, pixel λ is removed in ascending order of
/// min_k S(λ,k) and filled with colour c_k, k = argmin_k S(λ,k): each pixel
/// becomes the colour that the map says lowers the class score most, the most
/// harmful pixels first. The metric is the area under the confidence curve
/// against the removed fraction (trapezoid rule over 0..1). Lower is better.
/// A fill that is an image (fill.hpp) gives pixel λ its own value F_k(λ).
///
/// With one colour it is exactly deletion() with that colour as the constant
/// substrate and -S as the saliency map.

#include <mcrise/callbacks.hpp>
#include <mcrise/classifier.hpp>
#include <mcrise/deletion.hpp>
#include <mcrise/fill.hpp>
#include <mcrise/detail/metrics/curve.hpp>
#include <mcrise/image.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mcrise {

/// @brief Options of ca_deletion(). The batch buffer (min(batch_size, curve points) images) may take at most 16 GiB.
struct CaDeletionOptions {
  std::optional<std::int64_t> step{};  ///< pixels removed per step, >= 1; unset: the image width W (the last step may be partial)
  int batch_size = 64;                 ///< step images per classifier call, >= 1
  Layout layout = Layout::HWC;         ///< layout of the ImageBatch handed to a batch classifier
  ImageBatch* buffer = nullptr;        ///< optional batch buffer you own and reuse across calls (one call at a time); null: a fresh one
};

/// @brief The CA-deletion metric (MC-RISE paper, section 5.2).
///
/// Step image j is `image` with the min(j*step, HW) pixels of smallest
/// min_k S(λ,k) (ties: lower pixel index first) each replaced by its argmin
/// colour (ties between colours: the lowest k). Returns the curve of the class
/// score against the removed fraction and its trapezoid AUC; lower is better.
///
/// @tparam Classifier either classifier form (see classifier.hpp)
/// @tparam Callbacks callables `cb(const Progress&)` returning void or bool; called after
///         each batch with Progress{"ca_deletion", points done, points total}; true stops the
///         run (see MetricCurve for what a stopped run returns)
/// @param model the black-box classifier, called as an lvalue, never copied
/// @param image H x W x C, in the model's value range
/// @param color_maps K >= 1 maps S(·,k), each H x W, NaN-free (e.g. McRiseResult::map(cls))
/// @param colors the K fills F_k: colours with C finite values in the image's range (e.g.
///        McRiseResult::colors()) or H x W x C finite images, in any mix (McRiseResult::fills()); a
///        removed pixel λ takes F_k(λ) of its argmin colour k
/// @param cls the class to follow, 0 <= cls < L
/// @param options step, batch size, layout (see CaDeletionOptions)
/// @param callbacks progress callbacks, each called as cb(const Progress&) after every batch (true stops the run)
/// @return the curve (ceil(HW/step)+1 points) and its AUC
/// @throws std::invalid_argument, before any model call, for an empty image or one with a
///         NaN / inf pixel, no maps, a number of colours different from the number of maps, a
///         map of the wrong size or with a NaN, a colour with the wrong channel count or a
///         non-finite value, an unknown layout, step < 1, batch_size < 1, a batch buffer over
///         16 GiB, or cls < 0; and for cls >= L after the first model call; std::runtime_error
///         for a bad model answer; the model's exceptions pass through.
template <class Classifier, class... Callbacks>
MetricCurve ca_deletion(Classifier&& model, const Image& image, const std::vector<SaliencyMap>& color_maps,
                        const FillList& colors, int cls, const CaDeletionOptions& options = {},
                        Callbacks&&... callbacks) {
  static_assert(detail::is_classifier_v<Classifier>, "mcrise::ca_deletion: " MCRISE_CLASSIFIER_REQUIREMENT);
  constexpr const char* where = "mcrise::ca_deletion()";
  const std::int64_t step = options.step.value_or(image.width());
  detail::check_metric_options(image, step, options.batch_size, cls, where);
  if (color_maps.empty()) throw std::invalid_argument(std::string(where) + ": no colour maps");
  if (colors.size() != color_maps.size())
    throw std::invalid_argument(std::string(where) + ": " + std::to_string(color_maps.size()) +
                                " colour maps but " + std::to_string(colors.size()) + " colours");
  for (std::size_t k = 0; k < color_maps.size(); ++k) {
    detail::check_metric_map(color_maps[k], image, where, "colour map " + std::to_string(k));
    detail::check_fill(colors[k], image, where, "colour ", k);
  }

  // key(λ) = min_k S(λ,k); the target image holds c_argmin at every pixel.
  const std::size_t P = image.pixels();
  const auto C = static_cast<std::size_t>(image.channels());
  std::vector<double> key(P);
  Image target(image.height(), image.width(), image.channels());
  for (std::size_t p = 0; p < P; ++p) {
    std::size_t best = 0;
    double lo = color_maps[0].data()[p];
    for (std::size_t k = 1; k < color_maps.size(); ++k)
      if (color_maps[k].data()[p] < lo) {
        lo = color_maps[k].data()[p];
        best = k;
      }
    key[p] = lo;
    const Fill& f = colors[best];
    const float* v = f.is_image() ? f.image()->data() + p * C : f.color().data();
    for (std::size_t c = 0; c < C; ++c) target.data()[p * C + c] = f.is_zero() ? 0.0f : v[c];
  }
  const auto order = detail::metric_order(key.data(), static_cast<std::int64_t>(P), false);
  auto data = detail::run_metric_curve(model, image, target, nullptr, order, step, options.batch_size, options.layout, cls,
                                       options.buffer, where, "ca_deletion", callbacks...);
  return detail::make_metric_curve(std::move(data), cls, step);
}

}  // namespace mcrise
