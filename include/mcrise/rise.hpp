#pragma once
/// @file rise.hpp
/// @brief RISE (Petsiuk et al. 2018; paper eq. 2) and debiased RISE (paper eq. 5).

#include <mcrise/accumulator.hpp>
#include <mcrise/callbacks.hpp>
#include <mcrise/classifier.hpp>
#include <mcrise/fill.hpp>
#include <mcrise/image.hpp>
#include <mcrise/masks.hpp>
#include <mcrise/perturb.hpp>
#include <mcrise/result.hpp>
#include <mcrise/detail/run/map_cache.hpp>
#include <mcrise/detail/run/explain.hpp>

#include <Eigen/Core>

#include <algorithm>
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

/// @brief Options of rise() and debiased_rise(); defaults are the paper's (§5.1).
///
/// Notes. Memory: each target class costs about H·W·(8 + 4·se_groups) bytes of accumulator plus
/// 8·H·W bytes for its map (less with all_classes' kept samples and with maps_on_demand); a call
/// that would need more than 16 GiB is refused after the first model call. Every sampler draws
/// masks that are marginally the paper's, so the maps stay unbiased; overlap and threads never
/// change a bit of the result. Adaptive stopping (target_relative_se) biases the maps slightly:
/// for an unbiased map run again with n_masks = masks_used, no target and another seed.
struct RiseOptions {
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
  int se_groups = 16;                ///< G, batch-means groups for the standard errors: 0 (off) or in [2, 1024]
  double target_relative_se = 0.0;   ///< stop once the relative standard error is at most this (needs se_groups); 0: off
  bool overlap = false;              ///< perturb batch b+1 while the model runs on batch b (two batch buffers)
  Sampler sampler = Sampler::automatic;  ///< how the masks are drawn (see Sampler); the result says which was used
  bool all_classes = false;          ///< maps for every class the model returns (classes empty, no standard errors)
  bool maps_on_demand = false;       ///< compute each class's map when map(cls) first asks (se_groups 0 unless all_classes)
  ImageBatch* buffer = nullptr;      ///< optional batch buffer you own and reuse across calls (one call at a time); null: a fresh one
  std::string checkpoint_path{};     ///< state file to resume from and save to (docs/checkpoints.md); empty: no checkpoints
  std::int64_t checkpoint_every = 1000;  ///< masks between checkpoints, >= 1: saved after the batch that reaches each multiple, and at the end
  /// What masked pixels show: i' = i·m + F·(1 − m). Default zero (i' = i·m, the paper's RISE); a
  /// constant colour (C finite values) or an H x W x C finite image, e.g. Fill::blurred(img, 5).
  Fill fill{};
};

/// @brief Maps of rise() or debiased_rise(), one H x W map per target class.
struct SaliencyResult : ExplanationResult<SaliencyMap> {
  /// maps[j] is the map of classes[j], H x W; empty with maps_on_demand (use map(cls)).
  std::vector<SaliencyMap> maps;
  /// standard_errors[j] is the standard error of maps[j] (H x W, >= 0; +infinity while fewer than 2
  /// groups hold samples, e.g. after an early stop) by batch means over se_groups groups; empty if
  /// se_groups = 0. A 95% interval is map ± t_{0.975, G-1}·SE (t = 2.131 for G = 16, 2.040 for G = 32).
  std::vector<SaliencyMap> standard_errors;

  /// @brief The map of class `cls` (H x W). With maps_on_demand it is computed on the first call
  ///        for this class (at 224 x 224, N = 8,000: under 1 ms) and kept in the result; safe to
  ///        call from several threads at once.
  /// @throws std::invalid_argument if `cls` was not a target class; std::bad_alloc if a map
  ///         computed on demand does not fit in memory (nothing is stored; a later call tries again);
  ///         std::logic_error if `classes` was edited so that cls's position has no map.
  const SaliencyMap& map(int cls) const {
    const auto it = std::find(classes.begin(), classes.end(), cls);
    if (it != classes.end()) {
      if (!on_demand_)
        return maps[detail::checked_slot(it - classes.begin(), maps.size(), "mcrise::SaliencyResult::map()", "maps")];
      if (const SaliencyMap* m = on_demand_->find(cls)) return *m;  // null: not a class of the run
    }
    throw std::invalid_argument("mcrise::SaliencyResult::map(): class " + std::to_string(cls) +
                                " was not a target class");
  }

  /// @brief The standard-error map of class `cls` (H x W, >= 0).
  /// @throws std::invalid_argument if `cls` was not a target class; std::logic_error if se_groups was 0.
  const SaliencyMap& standard_error(int cls) const {
    const auto it = std::find(classes.begin(), classes.end(), cls);
    if (it == classes.end())
      throw std::invalid_argument("mcrise::SaliencyResult::standard_error(): class " + std::to_string(cls) +
                                  " was not a target class");
    if (standard_errors.size() != classes.size())
      throw std::logic_error("mcrise::SaliencyResult::standard_error(): standard errors are off (se_groups = 0)");
    return standard_errors[detail::checked_slot(it - classes.begin(), standard_errors.size(),
                                                "mcrise::SaliencyResult::standard_error()", "standard-error maps")];
  }
};

namespace detail {

enum class RiseKind { plain, debiased };

/// The estimator policy of rise() and debiased_rise() (see detail/run/explain.hpp).
template <RiseKind kind>
struct RiseEstimator {
  using Options = RiseOptions;
  using Result = SaliencyResult;
  using Accumulator = RiseAccumulator;
  static constexpr const char* where = kind == RiseKind::plain ? "mcrise::rise()" : "mcrise::debiased_rise()";
  static constexpr const char* task = kind == RiseKind::plain ? "rise" : "debiased_rise";

  // The owner of the rule on fill (checked before any model call).
  static std::vector<Fill> fills(const Image& img, const Options& o) {
    check_fill(o.fill, img, where, "fill");
    return {o.fill};
  }
  static void keep_colors(Result&, const std::vector<Fill>&) {}
  static void maps(const Accumulator& acc, Result& r, bool) {
    r.maps = kind == RiseKind::plain ? acc.rise_maps() : acc.debiased_maps();
  }
  static SaliencyMap standard_error(const Accumulator& acc, const Result& r, std::size_t j) {
    return kind == RiseKind::plain ? acc.rise_standard_error(r.classes[j]) : acc.debiased_standard_error(r.classes[j]);
  }
  static double relative_standard_error(const Result& r, std::size_t j) {
    return mcrise::relative_standard_error({r.maps[j]}, {r.standard_errors[j]});
  }
  static void defer(Result& res, Accumulator&& acc) {
    ResultAccess::defer_maps<SaliencyMap>(res, std::move(acc), [](const Accumulator& a, std::size_t j) {
      return std::move((kind == RiseKind::plain ? a.rise_maps(j, 1) : a.debiased_maps(j, 1))[0]);
    });
  }
};

}  // namespace detail

/// @brief RISE saliency maps (paper eq. 2): S(λ) = 1/N Σ_n m_n(λ)/p_keep · M_n,
///        an estimate of E[M(i ⊙ m) | m(λ) = 1] (eq. 1). Masked pixels become 0.
/// @tparam Classifier a callable in either classifier form (see classifier.hpp / README#classifier)
/// @tparam Callbacks callables `(const Progress&)` returning void or bool (true stops the run)
/// @param model the black-box model; called only from this thread
/// @param image H x W x C, in the model's value range
/// @param options see RiseOptions
/// @param callbacks progress callbacks, each called as cb(const Progress&) after every batch (true stops the run)
/// @return one H x W map per target class. Its expectation is a conditional mean score, so it lies
///         in the model's score range; an estimate from N masks lies within [0, max score / p_keep]
///         for non-negative scores (a kept pixel of a single mask shows M / p_keep) and comes close
///         to the score range only as N grows
/// @throws std::invalid_argument for options out of range or an empty image or one with a NaN /
///         inf pixel (before any model call), or a class
///         index >= L or target classes whose accumulators and maps would exceed 16 GiB (both
///         after the one call on the unperturbed image); std::runtime_error for a
///         model answer of the wrong shape or a non-finite score (naming the sample); exceptions
///         thrown by the model pass through unchanged.
template <class Classifier, class... Callbacks>
SaliencyResult rise(Classifier&& model, const Image& image, const RiseOptions& options = {},
                    Callbacks&&... callbacks) {
  static_assert(detail::is_classifier_v<Classifier>, "mcrise::rise: " MCRISE_CLASSIFIER_REQUIREMENT);
  return detail::explain<detail::RiseEstimator<detail::RiseKind::plain>>(model, image, options, callbacks...);
}

/// @brief Debiased RISE maps (paper eq. 5): S(λ) = 1/N Σ_n (m_n(λ) - p_keep)/(p_keep(1-p_keep)) · M_n,
///        an unbiased estimate of E[M | m(λ)=1] - E[M | m(λ)=0] (eq. 3). Zero in expectation
///        wherever the model ignores the image (Proposition 1), for every mask_probability.
/// @tparam Classifier a callable in either classifier form (see classifier.hpp / README#classifier)
/// @tparam Callbacks callables `(const Progress&)` returning void or bool (true stops the run)
/// @param model the black-box model; called only from this thread
/// @param image H x W x C, in the model's value range
/// @param options see RiseOptions
/// @param callbacks progress callbacks, each called as cb(const Progress&) after every batch (true stops the run)
/// @return one signed H x W map per target class
/// @throws as rise().
template <class Classifier, class... Callbacks>
SaliencyResult debiased_rise(Classifier&& model, const Image& image, const RiseOptions& options = {},
                             Callbacks&&... callbacks) {
  static_assert(detail::is_classifier_v<Classifier>, "mcrise::debiased_rise: " MCRISE_CLASSIFIER_REQUIREMENT);
  return detail::explain<detail::RiseEstimator<detail::RiseKind::debiased>>(model, image, options, callbacks...);
}

}  // namespace mcrise
