#pragma once
/// @file rise.hpp
/// @brief RISE (Petsiuk et al. 2018; paper eq. 2) and debiased RISE (paper eq. 5).

#include <mcrise/accumulator.hpp>
#include <mcrise/callbacks.hpp>
#include <mcrise/classifier.hpp>
#include <mcrise/image.hpp>
#include <mcrise/masks.hpp>
#include <mcrise/perturb.hpp>
#include <mcrise/detail/driver.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace mcrise {

/// @brief Options of rise() and debiased_rise(); defaults are the paper's (§5.1).
struct RiseOptions {
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
};

/// @brief Maps of rise() or debiased_rise(), one H x W map per target class.
struct SaliencyResult {
  std::vector<int> classes;          ///< the target classes, in order
  std::vector<SaliencyMap> maps;     ///< maps[j] is the map of classes[j], H x W
  Eigen::VectorXd scores;            ///< the model's L scores on the unperturbed image
  std::int64_t masks_used = 0;       ///< N actually used (less than n_masks if a callback stopped the run)
  bool complete = false;             ///< true if all n_masks were used

  /// @brief The map of class `cls`.
  /// @throws std::invalid_argument if `cls` was not a target class.
  const SaliencyMap& map(int cls) const {
    const auto it = std::find(classes.begin(), classes.end(), cls);
    if (it == classes.end())
      throw std::invalid_argument("mcrise::SaliencyResult::map(): class " + std::to_string(cls) +
                                  " was not a target class");
    return maps[static_cast<std::size_t>(it - classes.begin())];
  }
};

namespace detail {

enum class RiseKind { plain, debiased };

template <class Classifier, class... Callbacks>
SaliencyResult run_rise(Classifier& model, const Image& img, const RiseOptions& opt, RiseKind kind, const char* where,
                        const char* task, Callbacks&... callbacks) {
  validate_sampling_options(img, opt, where);
  ClassifierRunner<Classifier> run(model, where);
  SaliencyResult res;
  res.classes = resolve_classes(run, img, opt.layout, opt.classes, res.scores, where);
  const MaskGenerator gen(img.height(), img.width(), 1, mask_options(opt), where);
  const Perturber perturb(img, gen, {Color(static_cast<std::size_t>(img.channels()), 0.0f)}, where);
  RiseAccumulator acc(gen, res.classes);
  res.masks_used = run_masks(run, gen, perturb, acc, opt.n_masks, opt.batch_size, opt.threads, opt.layout,
                             img.channels(), task, callbacks...);
  res.complete = res.masks_used == opt.n_masks;
  for (int c : res.classes) res.maps.push_back(kind == RiseKind::plain ? acc.rise(c) : acc.debiased(c));
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
/// @return one H x W map per target class, values in the model's score range
/// @throws std::invalid_argument for options out of range (before any model call) or a class
///         index >= L (after the one call on the unperturbed image); std::runtime_error for a
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
