#pragma once
/// @file mc_rise.hpp
/// @brief MC-RISE (paper §4.2, eq. 9): colour-wise saliency maps.

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

/// @brief The paper's five mask colours (§5.1) for an image with `channels`
///        channels whose values go up to `value_max`: red, green, blue, white,
///        black. With 4 channels the 4th (alpha) is value_max; with 1 channel
///        (grey) the colours are white and black.
/// @throws std::invalid_argument for another channel count or a value_max that is not finite and > 0.
inline std::vector<Color> paper_colors(int channels = 3, float value_max = 1.0f) {
  detail::require_finite_positive("mcrise::paper_colors()", "value_max", value_max);
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
/// @throws std::invalid_argument for a channel count other than 1, 3 or 4, as paper_colors() does.
inline std::vector<std::string> paper_color_names(int channels = 3) {
  if (channels == 1) return {"white", "black"};
  if (channels != 3 && channels != 4)
    throw std::invalid_argument("mcrise::paper_color_names(): default colours exist for 1, 3 or 4 channels, got " +
                                std::to_string(channels));
  return {"red", "green", "blue", "white", "black"};
}

/// @brief Options of mc_rise(); defaults are the paper's (§5.1).
struct McRiseOptions {
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
  std::vector<Color> colors{};       ///< K mask colours, 1 <= K <= 255, C finite values each (image value range); empty: paper_colors()
  float value_max = 1.0f;            ///< scale of the default colours, finite and > 0: 1 for [0,1] images, 255 for [0,255]
  /// G, batch-means groups for the standard-error maps: 0 (off) or in [2, 1024]. Sample n goes to
  /// group (n / B) mod G, B the sampler's block size (1 for independent masks). Memory: G float copies of the per-shift grid sums, per class; at 224 x 224 with
  /// an 8 x 8 grid and K = 5 that is 28·28 shifts x 6 planes x 64 cells x 4 B = 1.2 MB per group,
  /// 19 MB for G = 16.
  int se_groups = 16;
  /// Adaptive stopping: stop as soon as the relative standard error (see McRiseResult) is at most
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
  /// Memory: at most about 8 bytes x (K+1) x (H·W + shifts·cells) per class, e.g. 4.8 GB for 1000
  /// classes at 224 x 224 with K = 5; less with small N (kept samples) and with maps_on_demand (only
  /// the maps read; 1000 classes, N = 8,000: about 67 MB) (README#many-classes).
  bool all_classes = false;
  /// Compute each class's maps when map(cls), baseline(cls) or raw_maps(cls) first asks for them
  /// (on the calling thread), instead of every map at the end of the run: color_maps and baselines
  /// stay empty, and the result keeps the run's sums (or kept samples, README#many-classes) to
  /// compute them from. The maps are bitwise the same. For all_classes this saves the time and
  /// memory of the maps nobody looks at (224 x 224, K = 5, 1000 classes, N = 8,000: 64 MB kept
  /// instead of 2.4 GB of maps). No standard errors: se_groups must be 0 unless all_classes
  /// (which ignores it).
  bool maps_on_demand = false;
  /// Optional batch buffer that you own and reuse across calls: the perturbed images are written
  /// into it (it is reshaped, keeping its memory when large enough), which saves the page faults of
  /// a fresh buffer, about 20 ms per call at 224 x 224 with batch 64 (README#performance). Null: a
  /// fresh buffer per call. With overlap the second buffer is still fresh. One buffer must not
  /// serve two calls at the same time.
  ImageBatch* buffer = nullptr;
};

/// @brief Maps of mc_rise(), per target class: K colour maps S(λ,k) and the baseline
///        map; the K raw colour maps are raw = S + baseline (raw_maps()).
struct McRiseResult {
  std::vector<int> classes;                        ///< the target classes, in order
  std::vector<Color> mask_colors;                  ///< the K colours used
  /// color_maps[j][k]: S(λ,k) of classes[j], H x W; empty with maps_on_demand (use map(cls)).
  std::vector<std::vector<SaliencyMap>> color_maps;
  /// baselines[j]: baseline map of classes[j], H x W; empty with maps_on_demand (use baseline(cls)).
  std::vector<SaliencyMap> baselines;
  Eigen::VectorXd scores;                          ///< the model's L scores on the unperturbed image
  std::int64_t masks_used = 0;                     ///< N actually used, <= n_masks (less if the target was reached or a callback stopped the run)
  /// true if the run reached its goal: it used all n_masks, or target_reached. false only if a
  /// user callback stopped it early before the target was reached.
  bool complete = false;
  /// standard_errors[j][k]: SE of color_maps[j][k] (>= 0; +infinity while fewer than 2 groups hold samples);
  /// empty if se_groups = 0
  std::vector<std::vector<SaliencyMap>> standard_errors;
  /// relative_standard_errors[j] = max over k, λ of SE / max over k, λ of |S(λ,k)| for classes[j]; empty if off.
  std::vector<double> relative_standard_errors;
  /// The summary precision: the largest relative_standard_errors[j] over the classes; NaN if se_groups = 0.
  double relative_standard_error = std::numeric_limits<double>::quiet_NaN();
  int se_groups = 0;                               ///< G used for the standard errors (0: off)
  /// true if target_relative_se > 0 and the reported relative_standard_error is <= it.
  bool target_reached = false;
  /// The sampler actually used (independent or balanced; automatic resolved).
  Sampler sampler = Sampler::independent;

  /// true if the maps are computed on demand (maps_on_demand; color_maps and baselines are then empty).
  bool on_demand() const noexcept { return on_demand_ != nullptr; }

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

 private:
  std::size_t slot(int cls, const char* fn) const {
    const auto it = std::find(classes.begin(), classes.end(), cls);
    if (it == classes.end())
      throw std::invalid_argument(std::string("mcrise::McRiseResult::") + fn + "(): class " + std::to_string(cls) +
                                  " was not a target class");
    return static_cast<std::size_t>(it - classes.begin());
  }
  static std::size_t checked(std::size_t j, std::size_t n, const char* fn, const char* what) {
    return detail::checked_slot(static_cast<std::ptrdiff_t>(j), n, (std::string("mcrise::McRiseResult::") + fn + "()").c_str(),
                                what);
  }

  friend struct detail::ResultAccess;
  // maps_on_demand: (color maps, baseline) of the run's classes, computed from the run's
  // accumulator when asked. Shared by copies of the result (the maps are the same).
  using ClassMaps = std::pair<std::vector<SaliencyMap>, SaliencyMap>;
  std::shared_ptr<const detail::ClassCache<ClassMaps>> on_demand_;
  const ClassMaps& lazy(int cls, const char* fn) const {
    slot(cls, fn);  // a target class of this result (throws otherwise)
    const ClassMaps* m = on_demand_->find(cls);
    if (m == nullptr)
      throw std::invalid_argument(std::string("mcrise::McRiseResult::") + fn + "(): class " + std::to_string(cls) +
                                  " was not a target class of the run");
    return *m;
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
  constexpr const char* where = "mcrise::mc_rise()";
  detail::validate_sampling_options(image, options, where);
  detail::validate_precision_options(options, where);
  McRiseResult res;
  if (options.colors.empty()) {
    detail::require_finite_positive(where, "value_max", options.value_max);
    detail::require(where, image.channels() == 1 || image.channels() == 3 || image.channels() == 4,
                    "no default colours for ", image.channels(), " channels; pass colors");
    res.mask_colors = paper_colors(image.channels(), options.value_max);
  } else {
    res.mask_colors = options.colors;
  }
  detail::require(where, res.mask_colors.size() <= std::size_t{detail::max_colors}, "at most ", detail::max_colors,
                  " colours, got ", res.mask_colors.size());
  for (std::size_t k = 0; k < res.mask_colors.size(); ++k) {
    detail::require(where, static_cast<int>(res.mask_colors[k].size()) == image.channels(), "colour ", k, " has ",
                    res.mask_colors[k].size(), " channels but the image has ", image.channels());
    for (float v : res.mask_colors[k]) detail::require(where, std::isfinite(v), "colour ", k, " has a non-finite value");
  }
  MaskOptions mopt = detail::mask_options(options);
  mopt.sampler = options.sampler;
  // Constructed before any model call, so a sampler that does not fit is refused first.
  const MaskGenerator gen(image.height(), image.width(), static_cast<int>(res.mask_colors.size()), mopt, where);
  res.sampler = gen.sampler();
  using Model = std::remove_reference_t<Classifier>;
  detail::ClassifierRunner<Model> run(model, where);
  res.classes = detail::resolve_classes(run, image, options.layout, options.classes, options.all_classes, res.scores,
                                       where);
  const Perturber perturb(image, gen, res.mask_colors, where);
  const int se_groups = options.all_classes ? 0 : options.se_groups;
  // Without standard errors the run's N is known: the accumulator may keep the samples (see RiseAccumulator).
  McRiseAccumulator acc(gen, res.classes, se_groups, options.threads, se_groups == 0 ? options.n_masks : 0);
  // Maps and standard errors of every class from the samples so far; returns the worst relative SE.
  auto measure = [&](McRiseResult& r, bool keep_baselines) {
    r.baselines.clear();
    r.color_maps = acc.all_maps(keep_baselines ? &r.baselines : nullptr);
    r.standard_errors.clear();
    r.relative_standard_errors.clear();
    double worst = 0.0;
    for (std::size_t j = 0; j < r.classes.size() && se_groups != 0; ++j) {
      r.standard_errors.push_back(acc.standard_errors(r.classes[j], r.color_maps[j]));
      r.relative_standard_errors.push_back(relative_standard_error(r.color_maps[j], r.standard_errors.back()));
      worst = std::max(worst, r.relative_standard_errors.back());
    }
    r.relative_standard_error = se_groups == 0 ? std::numeric_limits<double>::quiet_NaN() : worst;
    return r.relative_standard_error;
  };
  auto stop = detail::make_adaptive_stop(options.target_relative_se, se_groups * gen.block_size(), [&] {
    McRiseResult probe;
    probe.classes = res.classes;
    return measure(probe, false);
  });
  const std::int64_t window = detail::driver_window(acc, run.num_classes(), options.batch_size, options.n_masks,
                                                    options.target_relative_se > 0.0);
  res.masks_used = detail::run_masks_pipelined(run, gen, perturb, acc, options.n_masks, options.batch_size,
                                               options.threads, options.layout, image.channels(), options.overlap,
                                               options.buffer, window, "mc_rise", callbacks..., stop);
  if (options.maps_on_demand && acc.count() > 0) {
    using ClassMaps = std::pair<std::vector<SaliencyMap>, SaliencyMap>;
    detail::ResultAccess::defer_maps<ClassMaps>(res, std::move(acc), [](const McRiseAccumulator& a, std::size_t j) {
      // all_maps() hands out the baseline it subtracts: one baseline upsampling, not two.
      std::vector<SaliencyMap> bases;
      auto maps = a.all_maps(j, 1, &bases);
      return ClassMaps{std::move(maps[0]), std::move(bases[0])};
    });
  } else {
    measure(res, true);
  }
  res.se_groups = se_groups;
  res.target_reached =
      options.target_relative_se > 0.0 && res.relative_standard_error <= options.target_relative_se;
  res.complete = res.masks_used == options.n_masks || res.target_reached;
  return res;
}

}  // namespace mcrise
