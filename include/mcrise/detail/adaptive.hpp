#pragma once
/// @file detail/adaptive.hpp
/// @brief Standard-error options shared by rise(), debiased_rise() and
///        mc_rise(), and the internal callback that stops a run once the
///        maps are precise enough.

#include <mcrise/callbacks.hpp>
#include <mcrise/detail/checks.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

namespace mcrise {
namespace detail {

/// Checks se_groups and target_relative_se of a driver's options; throws
/// std::invalid_argument naming `where`, the option and the value.
template <class Options>
void validate_precision_options(const Options& o, const char* where) {
  require(where, o.se_groups == 0 || (o.se_groups >= 2 && o.se_groups <= max_se_groups),
          "se_groups must be 0 (off) or in [2, ", max_se_groups, "], got ", o.se_groups);
  require(where, o.target_relative_se >= 0.0 && std::isfinite(o.target_relative_se),
          "target_relative_se must be finite and >= 0 (0: off), got ", o.target_relative_se);
  require(where, !(o.target_relative_se > 0.0 && o.se_groups == 0),
          "target_relative_se needs standard errors, but se_groups is 0");
  require(where, !(o.maps_on_demand && !o.all_classes && o.se_groups != 0),
          "maps_on_demand computes no standard errors: set se_groups = 0 (got ", o.se_groups, ")");
}

/// The adaptive-stopping callback. After a batch it measures the relative
/// standard error (through `measure()`, which computes the maps and their
/// standard errors from the accumulator) and asks the run to stop once it is
/// <= target. `groups` is the number of samples in one round of the G groups
/// (G, or G·B with a block sampler). It measures at the first batch boundary
/// at or past 10 rounds, then at the first boundary at or past 10% more
/// samples than the last measurement (and at least one more round): O(log N)
/// measurements, each costing about G·(planes) upsamplings, and at most ~10%
/// plus one batch more samples than needed. Batch boundaries need not fall on
/// whole rounds: batch means weight each group by its sample count.
template <class Measure>
class AdaptiveStop {
 public:
  AdaptiveStop(double target, int groups, Measure measure)
      : target_(target), groups_(groups), measure_(std::move(measure)), next_(10 * static_cast<std::int64_t>(groups)) {}

  bool operator()(const Progress& p) {
    if (target_ <= 0.0 || groups_ < 2 || p.done < next_) return false;
    const double rel = measure_();
    const std::int64_t G = groups_;
    const auto grown = static_cast<std::int64_t>(std::ceil(static_cast<double>(p.done) * 1.1));
    next_ = std::max(p.done + G, grown);
    return rel <= target_;
  }

 private:
  double target_;
  int groups_;
  Measure measure_;
  std::int64_t next_;
};

template <class Measure>
AdaptiveStop<Measure> make_adaptive_stop(double target, int groups, Measure measure) {
  return AdaptiveStop<Measure>(target, groups, std::move(measure));
}

}  // namespace detail
}  // namespace mcrise
