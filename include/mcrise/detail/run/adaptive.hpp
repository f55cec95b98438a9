#pragma once
/// @file detail/run/adaptive.hpp
/// @brief The internal callback that stops a run once the maps are precise enough
///        (target_relative_se).

#include <mcrise/callbacks.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace mcrise {
namespace detail {

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

  /// A run resumed at `start` (a checkpoint's count, one of the run's batch boundaries; its
  /// batches hold `batch` samples): the schedule becomes what it was just before the boundary at
  /// `start`, so that calling operator() there measures if and only if the whole run did.
  void resume(std::int64_t start, std::int64_t batch) {
    for (std::int64_t d = batch; d < start && batch > 0; d += batch)
      if (d >= next_) next_ = std::max(d + groups_, static_cast<std::int64_t>(std::ceil(static_cast<double>(d) * 1.1)));
  }

  /// The sample count at or past which operator() measures next (the largest count if never).
  std::int64_t next_measurement() const noexcept {
    return target_ <= 0.0 || groups_ < 2 ? std::numeric_limits<std::int64_t>::max() : next_;
  }

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
