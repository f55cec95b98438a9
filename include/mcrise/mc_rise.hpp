#pragma once
/// @file mc_rise.hpp
/// @brief MC-RISE (paper §4.2, eq. 9): colour-wise saliency maps.

#include <mcrise/accumulator.hpp>
#include <mcrise/callbacks.hpp>
#include <mcrise/classifier.hpp>
#include <mcrise/image.hpp>
#include <mcrise/masks.hpp>
#include <mcrise/perturb.hpp>
#include <mcrise/detail/driver.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcrise {

/// @brief The paper's five mask colours (§5.1) for an image with `channels`
///        channels whose values go up to `value_max`: red, green, blue, white,
///        black. With 4 channels the 4th (alpha) is value_max; with 1 channel
///        (grey) the colours are white and black.
/// @throws std::invalid_argument for another channel count or a value_max that is not finite and > 0.
inline std::vector<Color> paper_colors(int channels = 3, float value_max = 1.0f) {
  if (!(value_max > 0.0f) || !std::isfinite(value_max))
    throw std::invalid_argument("mcrise::paper_colors(): value_max must be finite and > 0, got " +
                                std::to_string(value_max));
  const float v = value_max;
  if (channels == 1) return {{v}, {0.0f}};
  if (channels != 3 && channels != 4)
    throw std::invalid_argument("mcrise::paper_colors(): default colours exist for 1, 3 or 4 channels, got " +
                                std::to_string(channels) + "; pass McRiseOptions::colors");
  std::vector<Color> c{{v, 0, 0}, {0, v, 0}, {0, 0, v}, {v, v, v}, {0, 0, 0}};
  if (channels == 4)
    for (auto& x : c) x.push_back(v);
  return c;
}

/// @brief Names of paper_colors(): "red", "green", "blue", "white", "black" (or "white", "black" for 1 channel).
inline std::vector<std::string> paper_color_names(int channels = 3) {
  if (channels == 1) return {"white", "black"};
  return {"red", "green", "blue", "white", "black"};
}

/// @brief Options of mc_rise(); defaults are the paper's (§5.1).
struct McRiseOptions {
  std::vector<int> classes{};        ///< target classes; empty: the class the model predicts for the image
  std::int64_t n_masks = 8000;       ///< N, number of masks, >= 1
  double mask_probability = 0.5;     ///< p_mask, probability a grid cell is masked, in (0, 1)
  int grid_h = 8;                    ///< grid rows, in [1, H]
  int grid_w = 8;                    ///< grid columns, in [1, W]
  std::uint64_t seed = 2020;         ///< mask n depends only on (seed, n)
  int batch_size = 64;               ///< images per classifier call, >= 1
  int threads = 0;                   ///< threads for sampling and perturbation; 0: all cores
  Layout layout = Layout::HWC;       ///< layout of the ImageBatch handed to a batch classifier
  Upsampling upsampling = Upsampling::bilinear;  ///< grid -> pixels (see masks.hpp)
  bool random_shift = true;          ///< random (dy, dx) shift of each mask
  std::vector<Color> colors{};       ///< K mask colours (C values each, image value range); empty: paper_colors()
  float value_max = 1.0f;            ///< scale of the default colours: 1 for [0,1] images, 255 for [0,255]
};

/// @brief Maps of mc_rise(), per target class: K colour maps S(λ,k), the K raw
///        colour maps and the baseline map (S = raw - baseline).
struct McRiseResult {
  std::vector<int> classes;                        ///< the target classes, in order
  std::vector<Color> mask_colors;                  ///< the K colours used
  std::vector<std::vector<SaliencyMap>> maps_;     ///< [class slot][k], H x W
  std::vector<std::vector<SaliencyMap>> raw_;      ///< [class slot][k], H x W
  std::vector<SaliencyMap> baseline_;              ///< [class slot], H x W
  Eigen::VectorXd scores;                          ///< the model's L scores on the unperturbed image
  std::int64_t masks_used = 0;                     ///< N actually used (less if a callback stopped the run)
  bool complete = false;                           ///< true if all n_masks were used

  /// @brief The K MC-RISE maps S(λ,k) of class `cls` (eq. 9), each H x W, signed.
  /// @throws std::invalid_argument if `cls` was not a target class.
  const std::vector<SaliencyMap>& map(int cls) const { return maps_[slot(cls, "map")]; }
  /// @brief The K raw colour maps 1/N Σ K·m^c(λ,k)/p_mask · M_n of class `cls`.
  /// @throws std::invalid_argument if `cls` was not a target class.
  const std::vector<SaliencyMap>& raw_maps(int cls) const { return raw_[slot(cls, "raw_maps")]; }
  /// @brief The baseline map 1/N Σ m0(λ)/(1-p_mask) · M_n of class `cls`.
  /// @throws std::invalid_argument if `cls` was not a target class.
  const SaliencyMap& baseline(int cls) const { return baseline_[slot(cls, "baseline")]; }
  /// @brief The K mask colours, in the order of the maps.
  const std::vector<Color>& colors() const noexcept { return mask_colors; }

 private:
  std::size_t slot(int cls, const char* fn) const {
    const auto it = std::find(classes.begin(), classes.end(), cls);
    if (it == classes.end())
      throw std::invalid_argument(std::string("mcrise::McRiseResult::") + fn + "(): class " + std::to_string(cls) +
                                  " was not a target class");
    return static_cast<std::size_t>(it - classes.begin());
  }
};

/// @brief MC-RISE colour saliency maps (paper eq. 9):
///        S(λ,k) = 1/N Σ_n (K·m^c_n(λ,k)/p_mask - m0_n(λ)/(1-p_mask)) · M_n,
///        an unbiased estimate of E[M | λ masked with colour k] - E[M | λ kept] (eq. 8).
///        Negative: painting λ with colour k lowers the score (λ's own colour matters);
///        positive: colour k at λ would raise it; near zero for every k: λ is irrelevant.
/// @tparam Classifier a callable in either classifier form (see classifier.hpp / README#classifier)
/// @tparam Callbacks callables `(const Progress&)` returning void or bool (true stops the run)
/// @param model the black-box model; called only from this thread
/// @param image H x W x C, in the model's value range
/// @param options see McRiseOptions
/// @throws std::invalid_argument for options out of range (before any model call), a colour
///         with the wrong channel count, or a class index >= L (after the one call on the
///         unperturbed image); std::runtime_error for a model answer of the wrong shape or a
///         non-finite score (naming the sample); exceptions thrown by the model pass through.
template <class Classifier, class... Callbacks>
McRiseResult mc_rise(Classifier&& model, const Image& image, const McRiseOptions& options = {},
                     Callbacks&&... callbacks) {
  static_assert(detail::is_classifier_v<Classifier>, "mcrise::mc_rise: " MCRISE_CLASSIFIER_REQUIREMENT);
  constexpr const char* where = "mcrise::mc_rise()";
  detail::validate_sampling_options(image, options, where);
  McRiseResult res;
  if (options.colors.empty()) {
    if (!(options.value_max > 0.0f) || !std::isfinite(options.value_max))
      throw std::invalid_argument(std::string(where) + ": value_max must be finite and > 0, got " +
                                  std::to_string(options.value_max));
    if (image.channels() != 1 && image.channels() != 3 && image.channels() != 4)
      throw std::invalid_argument(std::string(where) + ": no default colours for " +
                                  std::to_string(image.channels()) + " channels; pass colors");
    res.mask_colors = paper_colors(image.channels(), options.value_max);
  } else {
    res.mask_colors = options.colors;
  }
  if (res.mask_colors.size() > 255)
    throw std::invalid_argument(std::string(where) + ": at most 255 colours, got " +
                                std::to_string(res.mask_colors.size()));
  for (std::size_t k = 0; k < res.mask_colors.size(); ++k) {
    if (static_cast<int>(res.mask_colors[k].size()) != image.channels())
      throw std::invalid_argument(std::string(where) + ": colour " + std::to_string(k) + " has " +
                                  std::to_string(res.mask_colors[k].size()) + " channels but the image has " +
                                  std::to_string(image.channels()));
    for (float v : res.mask_colors[k])
      if (!std::isfinite(v))
        throw std::invalid_argument(std::string(where) + ": colour " + std::to_string(k) + " has a non-finite value");
  }
  using Model = std::remove_reference_t<Classifier>;
  detail::ClassifierRunner<Model> run(model, where);
  res.classes = detail::resolve_classes(run, image, options.layout, options.classes, res.scores, where);
  const MaskGenerator gen(image.height(), image.width(), static_cast<int>(res.mask_colors.size()),
                          detail::mask_options(options), where);
  const Perturber perturb(image, gen, res.mask_colors, where);
  McRiseAccumulator acc(gen, res.classes);
  res.masks_used = detail::run_masks(run, gen, perturb, acc, options.n_masks, options.batch_size, options.threads,
                                     options.layout, image.channels(), "mc_rise", callbacks...);
  res.complete = res.masks_used == options.n_masks;
  for (int c : res.classes) {
    res.raw_.push_back(acc.raw_maps(c));
    res.baseline_.push_back(acc.baseline(c));
    auto s = res.raw_.back();
    for (auto& m : s) m -= res.baseline_.back();
    res.maps_.push_back(std::move(s));
  }
  return res;
}

}  // namespace mcrise
