#pragma once
/// @file detail/batch_means.hpp
/// @brief Standard errors by batch means: the accumulators' G groups of samples (each a copy of
///        the grid sums, in float) and the standard error computed from the group maps.

#include <mcrise/image.hpp>
#include <mcrise/masks.hpp>
#include <mcrise/detail/grid_sums.hpp>
#include <mcrise/detail/thread_pool.hpp>
#include <mcrise/detail/upsample.hpp>

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
/// the group maps, never the maps themselves), target totals and sample count, and which of its
/// shifts any sample used: a group of a few hundred samples uses a few of the shifts, and its maps
/// then read only those (the others are zero), never the pages of the rest of its table.
struct BatchMeans {
  int groups = 0;            ///< G (0: standard errors off)
  std::uint64_t block = 1;   ///< the generator's block size B
  int shifts_w = 1;          ///< shifts per shift row, for the shift number dy·shifts_w + dx
  std::vector<float, BufferAllocator<float>> sums;  ///< [group][lane block][shift][stored plane][cell][lane]
  std::vector<double> totals;                       ///< [group][slot]
  std::vector<std::int64_t> counts;                 ///< [group]
  /// [group][shift]: 0 if that group's sums at that shift are all zero (no sample used it), else 1.
  std::vector<unsigned char> used;

  /// G groups of tables of layout L, cleared on `threads` threads when large; `row` shifts per
  /// shift row. Fresh tables keep small pages while a shift's sums take at most 64 KiB (up to about
  /// 40 target classes of MC-RISE, K = 5, 8 x 8 grid): a group of a short run writes a few of its
  /// shifts, and a huge page would be cleared whole for each.
  void start(int se_groups, std::uint64_t block_size, const GridSums& L, int row, int threads) {
    groups = se_groups;
    block = block_size;
    shifts_w = row;
    const auto G = static_cast<std::size_t>(groups);
    assign_zeros(sums, G * L.size(), threads, L.stride() * sizeof(float) <= (std::size_t{64} << 10));
    totals.assign(G * L.slots, 0.0);
    counts.assign(G, 0);
    used.assign(G * L.shifts, 0);
  }
  /// Group of sample number n.
  std::size_t group_of(std::uint64_t n) const {
    return static_cast<std::size_t>((n / block) % static_cast<std::uint64_t>(groups));
  }
  /// Counts samples[0..b) in their groups, and marks their shifts used.
  void count(const MaskSample* s, int b) {
    if (groups == 0) return;
    const std::size_t shifts = used.size() / static_cast<std::size_t>(groups);
    for (int i = 0; i < b; ++i) {
      const std::size_t g = group_of(s[i].index);
      ++counts[g];
      used[g * shifts + static_cast<std::size_t>(s[i].dy) * static_cast<std::size_t>(shifts_w) +
           static_cast<std::size_t>(s[i].dx)] = 1;
    }
  }
  /// Marks every shift of every group used (sums that came from elsewhere, e.g. a state file).
  void use_all() { std::fill(used.begin(), used.end(), static_cast<unsigned char>(1)); }
  /// Adds the groups of another accumulator of the same layout.
  void merge(const BatchMeans& o) {
    for (std::size_t i = 0; i < sums.size(); ++i) sums[i] += o.sums[i];
    for (std::size_t i = 0; i < totals.size(); ++i) totals[i] += o.totals[i];
    for (std::size_t i = 0; i < counts.size(); ++i) counts[i] += o.counts[i];
    for (std::size_t i = 0; i < used.size(); ++i) used[i] = static_cast<unsigned char>(used[i] | o.used[i]);
  }
};

/// Batch-means standard error of a linear estimator: `group_maps(g, n_g, maps, scratch)` puts into
/// maps[0..K) (K = overall.size(); it may hold more, as working space, and keeps them from call to
/// call) the estimator's maps on the n_g samples of group g alone, computing them with the
/// upsampling working memory `scratch`; `overall` holds its maps on all N samples (the
/// N_g-weighted mean of the group maps). Per pixel,
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
  // Group maps are computed `threads` at a time, in parallel, then added in group order, the
  // pixel rows split over the threads: every pixel sees the same additions in the same order, so
  // the result is bitwise the same for any thread count. The maps and the working memory are
  // reused from chunk to chunk.
  const int T = std::max(1, std::min(resolve_threads(acc.threads()), static_cast<int>(groups.size())));
  ThreadPool pool(T);
  std::vector<std::vector<SaliencyMap>> chunk(static_cast<std::size_t>(T));
  std::vector<ShiftUpsampler::Scratch> scratch(static_cast<std::size_t>(T));
  const Eigen::Index rows = overall.empty() ? 0 : overall[0].rows();
  for (std::size_t first = 0; first < groups.size(); first += static_cast<std::size_t>(T)) {
    const int count = static_cast<int>(std::min(groups.size() - first, static_cast<std::size_t>(T)));
    auto n_of = [&](int i) { return static_cast<double>(acc.group_count(groups[first + static_cast<std::size_t>(i)])); };
    pool.parallel_for(count, [&](int i, int worker) {
      group_maps(groups[first + static_cast<std::size_t>(i)], n_of(i), chunk[static_cast<std::size_t>(i)],
                 scratch[static_cast<std::size_t>(worker)]);
    });
    pool.parallel_for(T, [&](int p, int) {
      const Eigen::Index r0 = rows * p / T, r1 = rows * (p + 1) / T;
      for (std::size_t k = 0; k < var.size(); ++k) {
        auto v = var[k].middleRows(r0, r1 - r0).array();
        const auto o = overall[k].middleRows(r0, r1 - r0).array();
        for (int i = 0; i < count; ++i)
          v += n_of(i) * (chunk[static_cast<std::size_t>(i)][k].middleRows(r0, r1 - r0).array() - o).square();
      }
    });
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
