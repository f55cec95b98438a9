#pragma once
/// @file detail/batch_means.hpp
/// @brief Standard errors by batch means: the accumulators' G groups of samples (each a copy of
///        the grid sums, in float) and the standard error computed from the group maps.

#include <mcrise/image.hpp>
#include <mcrise/masks.hpp>
#include <mcrise/detail/grid_sums.hpp>
#include <mcrise/detail/thread_pool.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace mcrise {
namespace detail {

/// The batch-means groups of an accumulator: sample n goes to group (n / B) mod G, B the sampler's
/// block size (1 for independent samples), so a block's correlated samples stay in one group and
/// the groups are independent. A pure function of n: the standard errors do not depend on threads
/// or batches. Each group holds its own per-shift grid sums (in float: they only feed the spread of
/// the group maps, never the maps themselves), target totals and sample count.
struct BatchMeans {
  int groups = 0;            ///< G (0: standard errors off)
  std::uint64_t block = 1;   ///< the generator's block size B
  std::vector<float, BufferAllocator<float>> sums;  ///< [group][lane block][shift][stored plane][cell][lane]
  std::vector<double> totals;                       ///< [group][slot]
  std::vector<std::int64_t> counts;                 ///< [group]

  /// G groups of tables of layout L, cleared on `threads` threads when large.
  void start(int se_groups, std::uint64_t block_size, const GridSums& L, int threads) {
    groups = se_groups;
    block = block_size;
    const auto G = static_cast<std::size_t>(groups);
    assign_zeros(sums, G * L.size(), threads);
    totals.assign(G * L.slots, 0.0);
    counts.assign(G, 0);
  }
  /// Group of sample number n.
  std::size_t group_of(std::uint64_t n) const {
    return static_cast<std::size_t>((n / block) % static_cast<std::uint64_t>(groups));
  }
  /// Counts samples[0..b) in their groups.
  void count(const MaskSample* s, int b) {
    for (int i = 0; i < b; ++i)
      if (groups > 0) ++counts[group_of(s[i].index)];
  }
  /// Adds the groups of another accumulator of the same layout.
  void merge(const BatchMeans& o) {
    for (std::size_t i = 0; i < sums.size(); ++i) sums[i] += o.sums[i];
    for (std::size_t i = 0; i < totals.size(); ++i) totals[i] += o.totals[i];
    for (std::size_t i = 0; i < counts.size(); ++i) counts[i] += o.counts[i];
  }
};

/// Batch-means standard error of a linear estimator: `group_maps(g, n_g)` gives
/// the estimator's maps on the n_g samples of group g alone, `overall` its maps
/// on all N samples (the N_g-weighted mean of the group maps). Per pixel,
///   σ̂² = Σ_g N_g·(S_g - S)² / (G' - 1),   SE = sqrt(σ̂² / N),
/// over the G' non-empty groups; with equal groups this is sd(S_g)/sqrt(G).
/// Fewer than two non-empty groups give +infinity.
template <class Accumulator, class GroupMaps>
std::vector<SaliencyMap> batch_means_se(const Accumulator& acc, const std::vector<SaliencyMap>& overall,
                                        GroupMaps&& group_maps) {
  std::vector<SaliencyMap> var;
  for (const auto& m : overall) var.push_back(SaliencyMap::Zero(m.rows(), m.cols()));
  std::vector<int> groups;  // the non-empty groups, in order
  for (int g = 0; g < acc.se_groups(); ++g)
    if (acc.group_count(g) > 0) groups.push_back(g);
  // Group maps are computed `threads` at a time, in parallel, but always added
  // in group order, so the result is bitwise the same for any thread count.
  const int T = std::max(1, std::min(resolve_threads(acc.threads()), static_cast<int>(groups.size())));
  ThreadPool pool(T);
  std::vector<std::vector<SaliencyMap>> chunk(static_cast<std::size_t>(T));
  for (std::size_t first = 0; first < groups.size(); first += static_cast<std::size_t>(T)) {
    const int count = static_cast<int>(std::min(groups.size() - first, static_cast<std::size_t>(T)));
    pool.parallel_for(count, [&](int i, int) {
      const int g = groups[first + static_cast<std::size_t>(i)];
      chunk[static_cast<std::size_t>(i)] = group_maps(g, static_cast<double>(acc.group_count(g)));
    });
    for (int i = 0; i < count; ++i) {
      const double n = static_cast<double>(acc.group_count(groups[first + static_cast<std::size_t>(i)]));
      const auto& m = chunk[static_cast<std::size_t>(i)];
      for (std::size_t k = 0; k < var.size(); ++k) var[k].array() += n * (m[k] - overall[k]).array().square();
    }
  }
  const int used = static_cast<int>(groups.size());
  for (auto& v : var) {
    if (used < 2)
      v.setConstant(std::numeric_limits<double>::infinity());
    else
      v = (v / (static_cast<double>(used - 1) * static_cast<double>(acc.count()))).cwiseSqrt();
  }
  return var;
}

}  // namespace detail
}  // namespace mcrise
