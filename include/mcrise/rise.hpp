#pragma once
/// @file rise.hpp
/// @brief RISE (Petsiuk et al. 2018; paper eq. 2) and debiased RISE (paper eq. 5).

#include <mcrise/accumulator.hpp>
#include <mcrise/callbacks.hpp>
#include <mcrise/classifier.hpp>
#include <mcrise/image.hpp>
#include <mcrise/masks.hpp>
#include <mcrise/perturb.hpp>
#include <mcrise/detail/adaptive.hpp>
#include <mcrise/detail/driver.hpp>
#include <mcrise/detail/map_cache.hpp>

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
struct RiseOptions {
  /// Target classes; empty: the class the model predicts for the image. Each target class costs
  /// memory for its accumulator: about P·H·W·(8 + 4·se_groups) bytes (P = 1 plane for RISE, K+1 for
  /// MC-RISE), e.g. 22 MB for MC-RISE at 224 x 224 with the defaults, 450 MB at 1024 x 1024, plus
  /// 8·P·H·W bytes for its maps (the 16 GiB limit counts both).
  std::vector<int> classes{};
  std::int64_t n_masks = 8000;       ///< N, number of masks, >= 1
  double mask_probability = 0.5;     ///< p_mask, probability a grid cell is masked, in [1e-6, 1 - 1e-6]
  int grid_h = 8;                    ///< grid rows, in [1, H]
  int grid_w = 8;                    ///< grid columns, in [1, W]
  std::uint64_t seed = 2020;         ///< mask n depends only on (seed, n)
  int batch_size = 64;               ///< images per classifier call, >= 1
  int threads = 0;                   ///< threads for sampling and perturbation, in [0, 1024]; 0: all CPUs this process may use (affinity, cgroup quota)
  Layout layout = Layout::HWC;       ///< layout of the ImageBatch handed to a batch classifier
  Upsampling upsampling = Upsampling::bilinear;  ///< grid -> pixels (see masks.hpp)
  bool random_shift = true;          ///< random (dy, dx) shift of each mask
  /// G, batch-means groups for the standard-error maps: 0 (off) or in [2, 1024]. Sample n goes to
  /// group (n / B) mod G, B the sampler's block size (1 for independent masks). Memory: G float copies of the per-shift grid sums, per class; at 224 x 224 with
  /// an 8 x 8 grid that is 28·28 shifts x 64 cells x 4 B = 0.2 MB per group, 3.2 MB for G = 16.
  int se_groups = 16;
  /// Adaptive stopping: stop as soon as the relative standard error (see SaliencyResult) is at most
  /// this, using n_masks as the maximum; 0: off (always n_masks). Must be finite and >= 0; needs se_groups >= 2.
  /// The stop depends on the maps, so they are slightly biased (a run tends to stop when its largest
  /// |S| came out large; README "How far to trust the stop"): for an unbiased map, run again with
  /// n_masks = masks_used, no target and another seed.
  double target_relative_se = 0.0;
  /// Overlap the perturbation of batch b+1 with the model's call on batch b (two batch buffers,
  /// so twice the batch memory). Worth it when the model is slow per call, e.g. a GPU; results are
  /// identical either way. The model is still called only from the calling thread.
  bool overlap = false;
  /// How the masks are drawn (see mcrise::Sampler in masks.hpp). Default automatic: the balanced
  /// block sampler where it exists for this mask_probability and K, else independent (the paper's
  /// i.i.d. masks). Either way every mask is marginally the paper's, so the maps stay unbiased; the
  /// balanced sampler needs 2x-500x fewer masks for the same error (README#samplers). The result's
  /// `sampler` says which was used. With a block sampler, standard-error groups hold whole blocks (sample n goes
  /// to group (n / B) mod G); adaptive stopping checks at batch boundaries, so its last block may be partial.
  Sampler sampler = Sampler::automatic;
  /// Maps for every class the model returns (`classes` must then be empty): one run, the
  /// same masks and model calls as for one class. No standard errors are computed (se_groups
  /// is not used, though it must still be valid; target_relative_se must be 0): they would cost
  /// se_groups times the memory.
  /// Memory: at most about 8 bytes x (H·W + shifts·cells) per class, e.g. 0.8 GB for 1000 classes
  /// at 224 x 224; less with small N (kept samples) and with maps_on_demand (only the maps read;
  /// 1000 classes, N = 8,000: about 66 MB) (README#many-classes).
  bool all_classes = false;
  /// Compute each class's map when map(cls) first asks for it (on the calling thread), instead of
  /// every map at the end of the run: `maps` stays empty, and the result keeps the run's sums (or
  /// kept samples, README#many-classes) to compute them from. The maps are bitwise the same. For
  /// all_classes this saves the time and memory of the maps nobody looks at (224 x 224, 1000
  /// classes, N = 8,000: 64 MB kept instead of 400 MB of maps). No standard errors: se_groups
  /// must be 0 unless all_classes (which ignores it).
  bool maps_on_demand = false;
  /// Optional batch buffer that you own and reuse across calls: the perturbed images are written
  /// into it (it is reshaped, keeping its memory when large enough), which saves the page faults of
  /// a fresh buffer, about 20 ms per call at 224 x 224 with batch 64 (README#performance). Null: a
  /// fresh buffer per call. With overlap the second buffer is still fresh. One buffer must not
  /// serve two calls at the same time.
  ImageBatch* buffer = nullptr;
};

/// @brief Maps of rise() or debiased_rise(), one H x W map per target class.
struct SaliencyResult {
  std::vector<int> classes;          ///< the target classes, in order
  /// maps[j] is the map of classes[j], H x W; empty with maps_on_demand (use map(cls)).
  std::vector<SaliencyMap> maps;
  Eigen::VectorXd scores;            ///< the model's L scores on the unperturbed image
  std::int64_t masks_used = 0;       ///< N actually used, <= n_masks (less if the target was reached or a callback stopped the run)
  /// true if the run reached its goal: it used all n_masks, or target_reached. false only if a
  /// user callback stopped it early before the target was reached.
  bool complete = false;
  /// standard_errors[j] is the standard error of maps[j] (H x W, >= 0; +infinity while fewer than 2
  /// groups hold samples, e.g. after an early stop) by batch means over
  /// se_groups groups; empty if se_groups = 0. A 95% interval is map ± t_{0.975, G-1}·SE
  /// (t = 2.131 for G = 16, 2.040 for G = 32).
  std::vector<SaliencyMap> standard_errors;
  /// relative_standard_errors[j] = max_λ SE_j(λ) / max_λ |S_j(λ)| (see mcrise::relative_standard_error); empty if off.
  std::vector<double> relative_standard_errors;
  /// The summary precision: the largest relative_standard_errors[j] over the classes; NaN if se_groups = 0.
  double relative_standard_error = std::numeric_limits<double>::quiet_NaN();
  int se_groups = 0;                 ///< G used for the standard errors (0: off)
  /// true if target_relative_se > 0 and the reported relative_standard_error is <= it.
  bool target_reached = false;
  /// The sampler actually used (independent or balanced; automatic resolved).
  Sampler sampler = Sampler::independent;
  /// true if the maps are computed on demand (maps_on_demand; `maps` is then empty).
  bool on_demand() const noexcept { return on_demand_ != nullptr; }

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

 private:
  friend struct detail::ResultAccess;
  // maps_on_demand: the maps of the run's classes, computed from the run's accumulator when asked.
  // Shared by copies of the result (the maps are the same).
  std::shared_ptr<const detail::ClassCache<SaliencyMap>> on_demand_;
};

namespace detail {

enum class RiseKind { plain, debiased };

template <class Classifier, class... Callbacks>
SaliencyResult run_rise(Classifier& model, const Image& img, const RiseOptions& opt, RiseKind kind, const char* where,
                        const char* task, Callbacks&... callbacks) {
  validate_sampling_options(img, opt, where);
  validate_precision_options(opt, where);
  MaskOptions mopt = mask_options(opt);
  mopt.sampler = opt.sampler;
  const MaskGenerator gen(img.height(), img.width(), 1, mopt, where);  // checks the sampler before any model call
  ClassifierRunner<Classifier> run(model, where);
  SaliencyResult res;
  res.sampler = gen.sampler();
  res.classes = resolve_classes(run, img, opt.layout, opt.classes, opt.all_classes, res.scores, where);
  const Perturber perturb(img, gen, {Color(static_cast<std::size_t>(img.channels()), 0.0f)}, where);
  const int se_groups = opt.all_classes ? 0 : opt.se_groups;
  // Without standard errors the run's N is known: the accumulator may keep the samples (see RiseAccumulator).
  RiseAccumulator acc(gen, res.classes, se_groups, opt.threads, se_groups == 0 ? opt.n_masks : 0);
  // Maps, standard errors and relative standard errors of every class, from the samples so far.
  auto measure = [&](SaliencyResult& r) {
    r.maps = kind == RiseKind::plain ? acc.rise_maps() : acc.debiased_maps();
    r.standard_errors.clear();
    r.relative_standard_errors.clear();
    double worst = 0.0;
    for (std::size_t j = 0; j < r.classes.size() && se_groups != 0; ++j) {
      const int c = r.classes[j];
      r.standard_errors.push_back(kind == RiseKind::plain ? acc.rise_standard_error(c)
                                                          : acc.debiased_standard_error(c));
      r.relative_standard_errors.push_back(relative_standard_error({r.maps[j]}, {r.standard_errors.back()}));
      worst = std::max(worst, r.relative_standard_errors.back());
    }
    r.relative_standard_error = se_groups == 0 ? std::numeric_limits<double>::quiet_NaN() : worst;
    return r.relative_standard_error;
  };
  auto stop = make_adaptive_stop(opt.target_relative_se, se_groups * gen.block_size(), [&] {
    SaliencyResult probe;
    probe.classes = res.classes;
    return measure(probe);
  });
  const std::int64_t window =
      driver_window(acc, run.num_classes(), opt.batch_size, opt.n_masks, opt.target_relative_se > 0.0);
  res.masks_used = run_masks_pipelined(run, gen, perturb, acc, opt.n_masks, opt.batch_size, opt.threads, opt.layout,
                                       img.channels(), opt.overlap, opt.buffer, window, task, callbacks..., stop);
  if (opt.maps_on_demand && acc.count() > 0) {
    ResultAccess::defer_maps<SaliencyMap>(res, std::move(acc), [kind](const RiseAccumulator& a, std::size_t j) {
      return std::move((kind == RiseKind::plain ? a.rise_maps(j, 1) : a.debiased_maps(j, 1))[0]);
    });
  } else {
    measure(res);
  }
  res.se_groups = se_groups;
  res.target_reached = opt.target_relative_se > 0.0 && res.relative_standard_error <= opt.target_relative_se;
  res.complete = res.masks_used == opt.n_masks || res.target_reached;
  return res;
}

}  // namespace detail

/// @brief RISE saliency maps (paper eq. 2): S(λ) = 1/N Σ_n m_n(λ)/p_keep · M_n,
///        an estimate of E[M(i ⊙ m) | m(λ) = 1] (eq. 1). Masked pixels become 0.
/// @tparam Classifier a callable in either classifier form (see classifier.hpp / README#classifier)
/// @tparam Callbacks callables `(const Progress&)` returning void or bool (true stops the run)
/// @param model the black-box model; called only from this thread
/// @param image H x W x C, in the model's value range
/// @param options see RiseOptions
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
  return detail::run_rise(model, image, options, detail::RiseKind::plain, "mcrise::rise()", "rise", callbacks...);
}

/// @brief Debiased RISE maps (paper eq. 5): S(λ) = 1/N Σ_n (m_n(λ) - p_keep)/(p_keep(1-p_keep)) · M_n,
///        an unbiased estimate of E[M | m(λ)=1] - E[M | m(λ)=0] (eq. 3). Zero in expectation
///        wherever the model ignores the image (Proposition 1), for every mask_probability.
/// @tparam Classifier a callable in either classifier form (see classifier.hpp / README#classifier)
/// @tparam Callbacks callables `(const Progress&)` returning void or bool (true stops the run)
/// @param model the black-box model; called only from this thread
/// @param image H x W x C, in the model's value range
/// @param options see RiseOptions
/// @return one signed H x W map per target class
/// @throws as rise().
template <class Classifier, class... Callbacks>
SaliencyResult debiased_rise(Classifier&& model, const Image& image, const RiseOptions& options = {},
                             Callbacks&&... callbacks) {
  static_assert(detail::is_classifier_v<Classifier>, "mcrise::debiased_rise: " MCRISE_CLASSIFIER_REQUIREMENT);
  return detail::run_rise(model, image, options, detail::RiseKind::debiased, "mcrise::debiased_rise()",
                          "debiased_rise", callbacks...);
}

}  // namespace mcrise
