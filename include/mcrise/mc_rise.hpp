#pragma once
/// @file mc_rise.hpp
/// @brief MC-RISE (paper §4.2, eq. 9): colour-wise saliency maps.

#include <mcrise/accumulator.hpp>
#include <mcrise/callbacks.hpp>
#include <mcrise/classifier.hpp>
#include <mcrise/colors.hpp>
#include <mcrise/fill.hpp>
#include <mcrise/image.hpp>
#include <mcrise/masks.hpp>
#include <mcrise/perturb.hpp>
#include <mcrise/result.hpp>
#include <mcrise/detail/run/map_cache.hpp>
#include <mcrise/detail/run/explain.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace mcrise {

/// @brief Options of mc_rise(); defaults are the paper's (§5.1).
///
/// Notes. Memory: each target class costs about (K+1)·H·W·(8 + 4·se_groups) bytes of accumulator
/// plus 8·(K+1)·H·W bytes for its maps (less with all_classes' kept samples and with
/// maps_on_demand); a call that would need more than 16 GiB is refused after the first model call.
/// Every sampler draws masks that are marginally the paper's, so the maps stay unbiased; overlap
/// and threads never change a bit of the result. Adaptive stopping (target_relative_se) biases the
/// maps slightly: for an unbiased map run again with n_masks = masks_used, no target and another seed.
struct McRiseOptions {
  std::vector<int> classes{};        ///< target classes, each >= 0; empty: the class the model predicts
  std::int64_t n_masks = 8000;       ///< N, number of masks, >= 1 (the maximum with target_relative_se)
  double mask_probability = 0.5;     ///< p_mask, probability a grid cell is masked, in [1e-6, 1 - 1e-6]
  int grid_h = 8;                    ///< grid rows, in [1, H]
  int grid_w = 8;                    ///< grid columns, in [1, W]
  std::uint64_t seed = 2020;         ///< mask n depends only on (seed, n)
  int batch_size = 64;               ///< images per classifier call, >= 1
  int threads = 0;                   ///< threads for sampling and perturbation, in [0, 1024]; 0: all CPUs this process may use
  Layout layout = Layout::HWC;       ///< layout of the ImageBatch handed to a batch classifier
  Upsampling upsampling = Upsampling::bilinear;  ///< grid -> pixels (see masks.hpp)
  bool random_shift = true;          ///< random (dy, dx) shift of each mask
  std::vector<Color> colors{};       ///< K mask colours, 1 <= K <= 255, C finite values each (image value range); empty: paper_colors()
  /// K mask fills, used instead of colors when not empty (then colors must be empty): each a constant
  /// colour or an H x W x C finite image, in any mix, e.g. {red, green, Fill::blurred(img, 5)}.
  std::vector<Fill> fills{};
  float value_max = 1.0f;            ///< scale of the default colours, finite and > 0: 1 for [0,1] images, 255 for [0,255]
  int se_groups = 16;                ///< G, batch-means groups for the standard errors: 0 (off) or in [2, 1024]
  double target_relative_se = 0.0;   ///< stop once the relative standard error is at most this (needs se_groups); 0: off
  bool overlap = false;              ///< perturb batch b+1 while the model runs on batch b (two batch buffers)
  Sampler sampler = Sampler::automatic;  ///< how the masks are drawn (see Sampler); the result says which was used
  bool all_classes = false;          ///< maps for every class the model returns (classes empty, no standard errors)
  bool maps_on_demand = false;       ///< compute each class's maps when map(cls) first asks (se_groups 0 unless all_classes)
  ImageBatch* buffer = nullptr;      ///< optional batch buffer you own and reuse across calls (one call at a time); null: a fresh one
  std::string checkpoint_path{};     ///< state file to resume from and save to (docs/checkpoints.md); empty: no checkpoints
  std::int64_t checkpoint_every = 1000;  ///< masks between checkpoints, >= 1: saved after the batch that reaches each multiple, and at the end
};

namespace detail {
// One class's maps computed on demand: the K colour maps and the baseline.
using McRiseClassMaps = std::pair<std::vector<SaliencyMap>, SaliencyMap>;
}  // namespace detail

/// @brief Maps of mc_rise(), per target class: K colour maps S(λ,k) and the baseline
///        map; the K raw colour maps are raw = S + baseline (raw_maps()).
struct McRiseResult : ExplanationResult<detail::McRiseClassMaps> {
  std::vector<Color> mask_colors;                  ///< the K colours used (an image fill: its per-channel mean, for legends)
  std::vector<Fill> mask_fills;                    ///< the K fills used (constant colours or images)
  /// color_maps[j][k]: S(λ,k) of classes[j], H x W; empty with maps_on_demand (use map(cls)).
  std::vector<std::vector<SaliencyMap>> color_maps;
  /// baselines[j]: baseline map of classes[j], H x W; empty with maps_on_demand (use baseline(cls)).
  std::vector<SaliencyMap> baselines;
  /// standard_errors[j][k]: SE of color_maps[j][k] (>= 0; +infinity while fewer than 2 groups hold samples);
  /// empty if se_groups = 0
  std::vector<std::vector<SaliencyMap>> standard_errors;

  /// @brief The K MC-RISE maps S(λ,k) of class `cls` (eq. 9), each H x W, signed. With
  ///        maps_on_demand they are computed (with the baseline) on the first call for this class
  ///        (at 224 x 224, K = 5, N = 8,000: about 4 ms) and kept in the result; safe to call from
  ///        several threads at once.
  /// @throws std::invalid_argument if `cls` was not a target class; std::bad_alloc if maps computed
  ///         on demand do not fit in memory (nothing is stored; a later call tries again).
  const std::vector<SaliencyMap>& map(int cls) const {
    if (on_demand_) return lazy(cls, "map").first;
    return color_maps[checked(slot(cls, "map"), color_maps.size(), "map", "colour-map sets")];
  }
  /// @brief The K raw colour maps 1/N Σ K·m^c(λ,k)/p_mask · M_n of class `cls`, computed as
  ///        map(cls)[k] + baseline(cls) (not stored: with all_classes they would double the memory).
  /// @throws std::invalid_argument if `cls` was not a target class; std::bad_alloc as map().
  std::vector<SaliencyMap> raw_maps(int cls) const {
    slot(cls, "raw_maps");  // a target class (else the error names raw_maps, not map)
    std::vector<SaliencyMap> raw = map(cls);
    const SaliencyMap& base = baseline(cls);
    for (auto& m : raw) m += base;
    return raw;
  }
  /// @brief The baseline map 1/N Σ m0(λ)/(1-p_mask) · M_n of class `cls`.
  /// @throws std::invalid_argument if `cls` was not a target class; std::bad_alloc as map().
  const SaliencyMap& baseline(int cls) const {
    if (on_demand_) return lazy(cls, "baseline").second;
    return baselines[checked(slot(cls, "baseline"), baselines.size(), "baseline", "baselines")];
  }
  /// @brief The K standard-error maps of map(cls) (each H x W, >= 0), by batch means over se_groups
  ///        groups. A 95% interval is S(λ,k) ± t_{0.975, G-1}·SE (t = 2.131 for G = 16).
  /// @throws std::invalid_argument if `cls` was not a target class; std::logic_error if se_groups was 0.
  const std::vector<SaliencyMap>& standard_error(int cls) const {
    const std::size_t j = slot(cls, "standard_error");
    if (standard_errors.size() != classes.size())
      throw std::logic_error("mcrise::McRiseResult::standard_error(): standard errors are off (se_groups = 0)");
    return standard_errors[checked(j, standard_errors.size(), "standard_error", "standard-error sets")];
  }
  /// @brief The K mask colours, in the order of the maps.
  const std::vector<Color>& colors() const noexcept { return mask_colors; }
  /// @brief The K fills, in the order of the maps (pass these to ca_deletion() when some are images).
  const std::vector<Fill>& fills() const noexcept { return mask_fills; }

 private:
  std::size_t slot(int cls, const char* fn) const {
    const auto it = std::find(classes.begin(), classes.end(), cls);
    if (it == classes.end())
      throw std::invalid_argument(std::string("mcrise::McRiseResult::") + fn + "(): class " + std::to_string(cls) +
                                  " was not a target class");
    return static_cast<std::size_t>(it - classes.begin());
  }
  // The public `classes` can be edited: a position must still have its maps.
  static std::size_t checked(std::size_t j, std::size_t n, const char* fn, const char* what) {
    return detail::checked_slot(static_cast<std::ptrdiff_t>(j), n, (std::string("mcrise::McRiseResult::") + fn + "()").c_str(),
                                what);
  }

  using ClassMaps = detail::McRiseClassMaps;
  const ClassMaps& lazy(int cls, const char* fn) const {
    slot(cls, fn);  // a target class of this result (throws otherwise)
    const ClassMaps* m = on_demand_->find(cls);
    if (m == nullptr)
      throw std::invalid_argument(std::string("mcrise::McRiseResult::") + fn + "(): class " + std::to_string(cls) +
                                  " was not a target class of the run");
    return *m;
  }
};

namespace detail {

/// The estimator policy of mc_rise() (see detail/run/explain.hpp).
struct McRiseEstimator {
  using Options = McRiseOptions;
  using Result = McRiseResult;
  using Accumulator = McRiseAccumulator;
  static constexpr const char* where = "mcrise::mc_rise()";
  static constexpr const char* task = "mc_rise";

  // The owner of the rules on colors and value_max.
  static std::vector<Fill> fills(const Image& image, const Options& options) {
    if (!options.fills.empty()) {
      require(where, options.colors.empty(), "give colors or fills, not both (got ", options.colors.size(),
              " colours and ", options.fills.size(), " fills)");
      check_fills(options.fills, image, where);
      std::vector<Fill> fills = options.fills;
      for (auto& f : fills)  // a default Fill is zero: C zeros, so that colors() lists a colour
        if (f.is_zero()) f = Color(static_cast<std::size_t>(image.channels()), 0.0f);
      return fills;
    }
    std::vector<Color> colors;
    if (options.colors.empty()) {
      require_finite_positive(where, "value_max", options.value_max);
      require(where, image.channels() == 1 || image.channels() == 3 || image.channels() == 4, "no default colours for ",
              image.channels(), " channels; pass colors");
      colors = paper_colors(image.channels(), options.value_max);
    } else {
      colors = options.colors;
    }
    check_colors(colors, image.channels(), where);
    return std::vector<Fill>(colors.begin(), colors.end());
  }
  static void keep_colors(Result& r, const std::vector<Fill>& fills) {
    r.mask_fills = fills;
    r.mask_colors.clear();
    for (const auto& f : fills) r.mask_colors.push_back(f.representative(0));  // fills() left no zero fill
  }
  static void maps(const Accumulator& acc, Result& r, bool with_baselines) {
    r.baselines.clear();
    r.color_maps = acc.all_maps(with_baselines ? &r.baselines : nullptr);
  }
  static std::vector<SaliencyMap> standard_error(const Accumulator& acc, const Result& r, std::size_t j) {
    return acc.standard_errors(r.classes[j], r.color_maps[j]);
  }
  static double relative_standard_error(const Result& r, std::size_t j) {
    return mcrise::relative_standard_error(r.color_maps[j], r.standard_errors[j]);
  }
  static void defer(Result& res, Accumulator&& acc) {
    ResultAccess::defer_maps<McRiseClassMaps>(res, std::move(acc), [](const Accumulator& a, std::size_t j) {
      // all_maps() hands out the baseline it subtracts: one baseline upsampling, not two.
      std::vector<SaliencyMap> bases;
      auto maps = a.all_maps(j, 1, &bases);
      return McRiseClassMaps{std::move(maps[0]), std::move(bases[0])};
    });
  }
};

}  // namespace detail

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
/// @param callbacks progress callbacks, each called as cb(const Progress&) after every batch (true stops the run)
/// @return per target class the K signed H x W maps S(λ,k), the baseline map and (se_groups > 0)
///         the standard errors; the colours used (colors())
/// @throws std::invalid_argument, before any model call, for options out of range, an empty image
///         or one with a NaN / inf pixel, a colour with the wrong channel count or a non-finite
///         value, more than 255 colours, no colors for an image with other than 1, 3 or 4 channels,
///         or a value_max that is not finite and > 0 (colors empty); after the one call on the
///         unperturbed image, for a class index >= L or target classes whose
///         accumulators and maps would exceed 16 GiB; std::runtime_error for a model answer of the wrong shape or a
///         non-finite score (naming the sample); exceptions thrown by the model pass through.
template <class Classifier, class... Callbacks>
McRiseResult mc_rise(Classifier&& model, const Image& image, const McRiseOptions& options = {},
                     Callbacks&&... callbacks) {
  static_assert(detail::is_classifier_v<Classifier>, "mcrise::mc_rise: " MCRISE_CLASSIFIER_REQUIREMENT);
  return detail::explain<detail::McRiseEstimator>(model, image, options, callbacks...);
}

}  // namespace mcrise
