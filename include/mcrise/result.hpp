#pragma once
/// @file result.hpp
/// @brief What every explanation's result holds besides its maps: the classes, the scores, how
///        many masks were used, the precision reached and the sampler.

#include <mcrise/masks.hpp>
#include <mcrise/detail/run/map_cache.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

namespace mcrise {

/// @brief The fields SaliencyResult and McRiseResult share.
/// @tparam ClassMaps what one class's maps are when computed on demand (maps_on_demand)
template <class ClassMaps>
struct ExplanationResult {
  std::vector<int> classes;          ///< the target classes, in order
  Eigen::VectorXd scores;            ///< the model's L scores on the unperturbed image
  std::int64_t masks_used = 0;       ///< N actually used, <= n_masks (less if the target was reached or a callback stopped the run)
  /// true if the run reached its goal: it used all n_masks, or target_reached. false only if a
  /// user callback stopped it early before the target was reached.
  bool complete = false;
  /// relative_standard_errors[j] = max SE / max |S| over the maps of classes[j] (see
  /// mcrise::relative_standard_error); empty if se_groups = 0.
  std::vector<double> relative_standard_errors;
  /// The summary precision: the largest relative_standard_errors[j] over the classes; NaN if se_groups = 0.
  double relative_standard_error = std::numeric_limits<double>::quiet_NaN();
  int se_groups = 0;                 ///< G used for the standard errors (0: off)
  /// true if target_relative_se > 0 and the reported relative_standard_error is <= it.
  bool target_reached = false;
  /// The sampler actually used (independent or balanced; automatic resolved).
  Sampler sampler = Sampler::independent;

  /// @brief true if the maps are computed on demand (maps_on_demand; the map fields are then empty).
  bool on_demand() const noexcept { return on_demand_ != nullptr; }

 protected:
  friend struct detail::ResultAccess;
  /// maps_on_demand: the maps of the run's classes, computed from the run's accumulator when asked;
  /// shared by copies of the result (the maps are the same). Null otherwise.
  std::shared_ptr<const detail::ClassCache<ClassMaps>> on_demand_;
};

}  // namespace mcrise
