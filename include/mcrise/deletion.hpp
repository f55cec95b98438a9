#pragma once
/// @file deletion.hpp
/// @brief The deletion and insertion faithfulness metrics of RISE (Petsiuk et
///        al., BMVC 2018), the curve they return, the Gaussian-blur substrate,
///        and summarize_metric() for the mean and standard error over a set
///        of images (a table like Table 1 of the MC-RISE paper).
///
/// Both metrics order the H*W pixels by decreasing saliency (ties: lower pixel
/// index y*W + x first) and process `step` of them per step. Deletion starts
/// from the image and replaces processed pixels by a substrate (default: the
/// constant 0); insertion starts from a substrate (default: a Gaussian-blurred
/// copy of the image) and reveals processed pixels of the image. Each of the
/// ceil(HW/step)+1 step images goes through the classifier; the curve is the
/// score of the chosen class against the removed (revealed) fraction, and the
/// metric is its area by the trapezoid rule over fractions 0..1. A faithful
/// map gives a low deletion AUC and a high insertion AUC.

#include <mcrise/callbacks.hpp>
#include <mcrise/classifier.hpp>
#include <mcrise/detail/metrics/blur.hpp>
#include <mcrise/detail/metrics/curve.hpp>
#include <mcrise/image.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace mcrise {

/// @brief The confidence curve of a deletion, insertion or CA-deletion run
///        and the trapezoid area under it (over fractions 0 .. fractions.back()).
///
/// Point j (j = 0 .. ceil(HW/step)) is the step image with min(j*step, HW)
/// pixels processed. If a callback stopped the run early, `complete` is false,
/// the vectors hold only the points evaluated before the stop (always whole
/// batches, at least the first), and `auc` is the trapezoid area over that
/// prefix only, i.e. over fractions 0 .. fractions.back().
struct MetricCurve {
  int cls = 0;                      ///< the class whose score the curve follows
  std::int64_t step = 0;            ///< pixels processed per step (>= 1)
  std::vector<double> fractions;    ///< processed fraction of each point, 0 .. 1, non-decreasing
  std::vector<double> confidences;  ///< model score of `cls` on each step image
  double auc = 0.0;                 ///< trapezoid area of confidences over fractions
  bool complete = false;            ///< true when every point was evaluated

  /// @brief The AUC, so that `double auc = mcrise::deletion(...)` reads naturally.
  operator double() const noexcept { return auc; }
};

/// @brief Options of deletion(). The batch buffer (min(batch_size, curve points) images) may take at most 16 GiB.
struct DeletionOptions {
  std::optional<std::int64_t> step{};  ///< pixels removed per step, >= 1; unset: the image width W (the last step may be partial)
  int batch_size = 64;                 ///< step images per classifier call, >= 1
  Layout layout = Layout::HWC;         ///< layout of the ImageBatch handed to a batch classifier
  Color fill{};                        ///< colour a removed pixel becomes (C finite values); empty: 0; ignored with a substrate
  Image substrate{};                   ///< H x W x C finite image: removed pixel λ becomes substrate(λ); empty: use `fill`
  ImageBatch* buffer = nullptr;        ///< optional batch buffer you own and reuse across calls (one call at a time); null: a fresh one
};

/// @brief Options of insertion(). The batch buffer (min(batch_size, curve points) images) may take at most 16 GiB.
struct InsertionOptions {
  std::optional<std::int64_t> step{};  ///< pixels revealed per step, >= 1; unset: the image width W
  int batch_size = 64;                 ///< step images per classifier call, >= 1
  Layout layout = Layout::HWC;         ///< layout of the ImageBatch handed to a batch classifier
  double blur_sigma = 5.0;             ///< Gaussian blur (pixels) of the default substrate, in [0, 1e5]; 0: no blur
  Image substrate{};                   ///< H x W x C finite image to start from instead of the blurred copy
  ImageBatch* buffer = nullptr;        ///< optional batch buffer you own and reuse across calls (one call at a time); null: a fresh one
};

/// @brief Gaussian blur of every channel of an image, the default insertion substrate.
///
/// Separable: rows, then columns, with weights w_i ∝ exp(-i²/(2σ²)) for
/// |i| <= ceil(3σ), normalised to sum 1; pixels outside the image repeat the
/// nearest edge pixel. A constant image stays constant.
/// @param image H x W x C
/// @param sigma standard deviation in pixels, in [0, 1e5]; below 0.025 (detail::min_blur_sigma, where the
///        kernel's outer weights underflow to 0) it returns a copy
/// @return the blurred H x W x C image
/// @throws std::invalid_argument for a sigma that is negative, above 1e5 or not finite.
inline Image gaussian_blur(const Image& image, double sigma) {
  detail::check_blur_sigma(sigma, "mcrise::gaussian_blur()", "sigma");
  return detail::gaussian_blur_impl(image, sigma);
}

namespace detail {

inline MetricCurve make_metric_curve(CurveData&& data, int cls, std::int64_t step) {
  MetricCurve curve;
  curve.cls = cls;
  curve.step = step;
  curve.auc = trapezoid_auc(data.fractions, data.confidences);
  curve.fractions = std::move(data.fractions);
  curve.confidences = std::move(data.confidences);
  curve.complete = data.complete;
  return curve;
}

inline void check_substrate(const Image& substrate, const Image& img, const char* where) {
  if (substrate.height() != img.height() || substrate.width() != img.width() ||
      substrate.channels() != img.channels())
    throw std::invalid_argument(std::string(where) + ": the substrate is " + std::to_string(substrate.height()) +
                                " x " + std::to_string(substrate.width()) + " x " +
                                std::to_string(substrate.channels()) + " but the image is " +
                                std::to_string(img.height()) + " x " + std::to_string(img.width()) + " x " +
                                std::to_string(img.channels()));
  check_finite(substrate, where, "the substrate");
}

}  // namespace detail

/// @brief The deletion metric (RISE): remove pixels in order of decreasing
///        saliency onto a substrate and integrate the class score.
///
/// Step image j is `image` with its min(j*step, HW) most salient pixels
/// replaced by the substrate (ties: lower pixel index first). The AUC of the
/// score against the removed fraction, trapezoid rule over 0..1, is lower for
/// a map that finds the pixels the model relies on.
///
/// @tparam Classifier either classifier form (see classifier.hpp)
/// @tparam Callbacks callables `cb(const Progress&)` returning void or bool; called after
///         each batch with Progress{"deletion", points done, points total}; true stops the run
///         (see MetricCurve for what a stopped run returns)
/// @param model the black-box classifier, called as an lvalue, never copied
/// @param image H x W x C, in the model's value range
/// @param map H x W saliency map (higher = more important), NaN-free
/// @param cls the class to follow, 0 <= cls < L
/// @param options step, batch size, layout, substrate (see DeletionOptions)
/// @param callbacks progress callbacks, each called as cb(const Progress&) after every batch (true stops the run)
/// @return the curve (ceil(HW/step)+1 points) and its AUC
/// @throws std::invalid_argument, before any model call, for an empty image or one with a
///         NaN / inf pixel, a map or substrate of the wrong size, a NaN in the map, a fill colour
///         with the wrong channel count or a non-finite value, a non-finite substrate value, an
///         unknown layout, step < 1, batch_size < 1, a batch buffer over 16 GiB, or cls < 0; and
///         for cls >= L after the first model call; std::runtime_error for a bad model answer;
///         the model's exceptions pass through.
template <class Classifier, class... Callbacks>
MetricCurve deletion(Classifier&& model, const Image& image, const SaliencyMap& map, int cls,
                     const DeletionOptions& options = {}, Callbacks&&... callbacks) {
  static_assert(detail::is_classifier_v<Classifier>, "mcrise::deletion: " MCRISE_CLASSIFIER_REQUIREMENT);
  constexpr const char* where = "mcrise::deletion()";
  const std::int64_t step = options.step.value_or(image.width());
  detail::check_metric_options(image, step, options.batch_size, cls, where);
  detail::check_metric_map(map, image, where, "the saliency map");
  // Without a substrate every removed pixel takes one colour (default 0): no target image is built.
  Color fill;
  if (options.substrate.empty()) {
    if (!options.fill.empty()) detail::check_color(options.fill, image.channels(), where, "the fill colour");
    fill = options.fill.empty() ? Color(static_cast<std::size_t>(image.channels()), 0.0f) : options.fill;
  } else {
    detail::check_substrate(options.substrate, image, where);
  }
  const auto order = detail::metric_order(map.data(), static_cast<std::int64_t>(image.pixels()), true);
  auto data = detail::run_metric_curve(model, image, options.substrate, options.substrate.empty() ? &fill : nullptr,
                                       order, step, options.batch_size, options.layout, cls,
                                       options.buffer, where, "deletion", callbacks...);
  return detail::make_metric_curve(std::move(data), cls, step);
}

/// @brief The insertion metric (RISE): start from a substrate and reveal the
///        image's pixels in order of decreasing saliency.
///
/// Step image j is the substrate (default: gaussian_blur(image, blur_sigma))
/// with the min(j*step, HW) most salient pixels of `image` restored (ties:
/// lower pixel index first). The AUC of the score against the revealed
/// fraction, trapezoid rule over 0..1, is higher for a faithful map.
///
/// @tparam Classifier either classifier form (see classifier.hpp)
/// @tparam Callbacks as for deletion(), with Progress::task "insertion"
/// @param model the black-box classifier, called as an lvalue, never copied
/// @param image H x W x C, in the model's value range
/// @param map H x W saliency map (higher = more important), NaN-free
/// @param cls the class to follow, 0 <= cls < L
/// @param options step, batch size, layout, blur sigma or substrate (see InsertionOptions)
/// @param callbacks progress callbacks, each called as cb(const Progress&) after every batch (true stops the run)
/// @return the curve (ceil(HW/step)+1 points) and its AUC
/// @throws std::invalid_argument, before any model call, for an empty image or one with a
///         NaN / inf pixel, a map or substrate of the wrong size, a NaN in the map, a non-finite
///         substrate value, a blur_sigma outside [0, 1e5] (checked only without a substrate), an
///         unknown layout, step < 1, batch_size < 1, a batch buffer over 16 GiB, or cls < 0; and
///         for cls >= L after the first model call; std::runtime_error for a bad model answer;
///         the model's exceptions pass through.
template <class Classifier, class... Callbacks>
MetricCurve insertion(Classifier&& model, const Image& image, const SaliencyMap& map, int cls,
                      const InsertionOptions& options = {}, Callbacks&&... callbacks) {
  static_assert(detail::is_classifier_v<Classifier>, "mcrise::insertion: " MCRISE_CLASSIFIER_REQUIREMENT);
  constexpr const char* where = "mcrise::insertion()";
  const std::int64_t step = options.step.value_or(image.width());
  detail::check_metric_options(image, step, options.batch_size, cls, where);
  detail::check_metric_map(map, image, where, "the saliency map");
  Image blurred;
  if (options.substrate.empty()) {
    detail::check_blur_sigma(options.blur_sigma, where, "blur_sigma");
    blurred = detail::gaussian_blur_impl(image, options.blur_sigma);
  } else {
    detail::check_substrate(options.substrate, image, where);
  }
  const Image& start = options.substrate.empty() ? blurred : options.substrate;
  const auto order = detail::metric_order(map.data(), static_cast<std::int64_t>(image.pixels()), true);
  auto data = detail::run_metric_curve(model, start, image, nullptr, order, step, options.batch_size, options.layout, cls,
                                       options.buffer, where, "insertion", callbacks...);
  return detail::make_metric_curve(std::move(data), cls, step);
}

/// @brief Mean and spread of a metric over a set of images (one row of a
///        table like Table 1 of the MC-RISE paper).
struct MetricSummary {
  std::size_t count = 0;        ///< number of images n
  double mean = 0.0;            ///< (1/n) Σ x_i
  double std_dev = 0.0;         ///< sample standard deviation sqrt(Σ (x_i - mean)² / (n - 1)); NaN for n = 1
  double standard_error = 0.0;  ///< std_dev / sqrt(n), the standard error of the mean; NaN for n = 1
};

/// @brief Mean, sample standard deviation and standard error of per-image scores.
/// @param scores one metric value per image (e.g. each MetricCurve::auc), n >= 1, all finite
/// @return the summary; std_dev and standard_error are NaN when n = 1
/// @throws std::invalid_argument for an empty list, a non-finite score, or finite scores whose sum or spread
///         overflows a double.
inline MetricSummary summarize_metric(const std::vector<double>& scores) {
  if (scores.empty()) throw std::invalid_argument("mcrise::summarize_metric(): no scores");
  MetricSummary s;
  s.count = scores.size();
  double sum = 0.0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (!std::isfinite(scores[i]))
      throw std::invalid_argument("mcrise::summarize_metric(): score " + std::to_string(i) + " is not finite (" +
                                  std::to_string(scores[i]) + ")");
    sum += scores[i];
  }
  const double n = static_cast<double>(scores.size());
  s.mean = sum / n;
  if (!std::isfinite(s.mean))
    throw std::invalid_argument("mcrise::summarize_metric(): the scores' sum overflows a double (mean " +
                                detail::real_str(s.mean) + ")");
  if (scores.size() < 2) {
    s.std_dev = s.standard_error = std::nan("");
    return s;
  }
  double ss = 0.0;
  for (double x : scores) ss += (x - s.mean) * (x - s.mean);
  s.std_dev = std::sqrt(ss / (n - 1.0));
  s.standard_error = s.std_dev / std::sqrt(n);
  if (!std::isfinite(s.mean) || !std::isfinite(s.std_dev))  // finite scores whose sums overflow a double
    throw std::invalid_argument("mcrise::summarize_metric(): the scores' sum or spread overflows a double (mean " +
                                detail::real_str(s.mean) + ", std_dev " + detail::real_str(s.std_dev) + ")");
  return s;
}

/// @brief summarize_metric() of the AUCs of a set of curves.
/// @param curves one curve per image, n >= 1
/// @throws std::invalid_argument for an empty list or a non-finite AUC.
inline MetricSummary summarize_metric(const std::vector<MetricCurve>& curves) {
  std::vector<double> aucs;
  aucs.reserve(curves.size());
  for (const auto& c : curves) aucs.push_back(c.auc);
  return summarize_metric(aucs);
}

}  // namespace mcrise
