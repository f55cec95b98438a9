#pragma once
/// @file detail/kept_samples.hpp
/// @brief The accumulators' kept-sample mode: with many classes and a known, small N the samples
///        themselves (cells, shift, target scores) take less memory than the grid sums, so they are
///        kept, and the sums are built one lane block at a time, in a small table that stays in
///        cache, when maps are asked for. Each sum sees the same additions in the same order as
///        in the sums (samples of one shift in sample order), so the maps are bitwise the same.

#include <mcrise/image.hpp>
#include <mcrise/detail/grid_sums.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace mcrise {
namespace detail {

/// The kept samples of an accumulator whose sums would have the layout `L` (passed to the calls).
class KeptSamples {
 public:
  /// The kept samples in shift order (order()) and, for the k-th of them, the cells whose
  /// state is `plane`: list[plane][start[plane][k] .. start[plane][k + 1]), for the stored planes
  /// (plane 0 only for RISE). At most 4·cells + 8·(P + 1) bytes per sample (bytes_per_sample()).
  struct Index {
    std::vector<std::size_t> order;
    std::vector<std::vector<std::size_t>> start;
    std::vector<std::vector<std::uint32_t>> list;
  };
  /// Working memory of block_sums (one per thread).
  struct Scratch {
    std::vector<double> table, ordered;
  };

  /// Bytes of one kept sample: its T target scores, its cell states and its shift, and at most
  /// 4·cells + 8·(P + 1) more for its part of the index built when maps are asked for.
  static std::size_t bytes_per_sample(const GridSums& L) noexcept {
    const std::size_t P = static_cast<std::size_t>(L.planes);
    return L.slots * sizeof(double) + L.cells + sizeof(std::uint32_t) + L.cells * sizeof(std::uint32_t) +
           (P + 1) * sizeof(std::size_t);
  }

  /// Room for `capacity` samples: the scores cleared on `threads` threads when large, and the cells
  /// and shifts reserved.
  void start(std::size_t capacity, const GridSums& L, int threads) {
    capacity_ = capacity;
    assign_zeros(scores_, capacity_ * L.slots, threads);
    reserve(L);
  }
  /// Makes sure the kept cells and shifts have room for capacity() samples (a copy of the
  /// accumulator holds only what is used), before anything is added: a bad_alloc changes nothing.
  void reserve(const GridSums& L) {
    cells_.reserve(capacity_ * L.cells);
    shift_.reserve(capacity_);
  }
  /// Frees every kept sample (the accumulator goes on with sums).
  void clear() {
    capacity_ = 0;
    decltype(scores_)().swap(scores_);
    std::vector<std::uint8_t>().swap(cells_);
    std::vector<std::uint32_t>().swap(shift_);
    index_ = IndexCache();
  }

  std::size_t size() const noexcept { return shift_.size(); }
  std::size_t capacity() const noexcept { return capacity_; }

  /// Keeps the cells of a sample at shift `shift` (within the capacity reserve() made sure of: no allocation).
  void keep_cells(const std::vector<std::uint8_t>& cells, std::size_t shift) noexcept {
    cells_.insert(cells_.end(), cells.begin(), cells.end());
    shift_.push_back(static_cast<std::uint32_t>(shift));
  }

  /// Kept scores of sample i in the lane block that starts at slot `first`: L.block_width(first) values.
  /// Layout [lane block][sample][lane]: a block's maps read 64 bytes per sample, from one
  /// contiguous region (samples are read in shift order, not in the order they were kept).
  double* row(const GridSums& L, std::size_t first, std::size_t i) noexcept {
    return scores_.data() + first * capacity_ + i * L.block_width(first);
  }
  const double* row(const GridSums& L, std::size_t first, std::size_t i) const noexcept {
    return scores_.data() + first * capacity_ + i * L.block_width(first);
  }

  /// The kept samples in shift order, each shift's samples in the order they were added (a
  /// counting sort: the order in which add_batch adds the grid sums).
  std::vector<std::size_t> order(const GridSums& L) const {
    const std::size_t N = shift_.size();
    std::vector<std::size_t> first(L.shifts + 1, 0), order(N);
    for (std::size_t i = 0; i < N; ++i) ++first[shift_[i] + 1];
    for (std::size_t k = 0; k < L.shifts; ++k) first[k + 1] += first[k];
    for (std::size_t i = 0; i < N; ++i) order[first[shift_[i]]++] = i;
    return order;
  }

  /// Adds the kept samples (in shift order) to `sums` (a table of layout L): the grid sums of
  /// add_batch, without the totals.
  void add_to(double* sums, const GridSums& L) const {
    const auto ord = order(L);
    for (std::size_t first = 0; first < L.slots; first += GridSums::lanes)
      for (std::size_t i : ord)
        L.add_cells(sums, shift_[i], cells_.data() + i * L.cells, row(L, first, i), first, L.block_width(first));
  }

  /// The Index of the samples kept so far, built on the first call after samples were added
  /// and shared by later calls (maps of one class at a time would each rebuild it: O(N·cells)).
  /// `states` is K + 1, the cell states a sample may hold.
  std::shared_ptr<const Index> index(const GridSums& L, int states) const {
    std::lock_guard<std::mutex> lock(index_.mutex);
    if (!index_.index || index_.index->order.size() != shift_.size())
      index_.index = std::make_shared<const Index>(make_index(L, static_cast<std::size_t>(states)));
    return index_.index;
  }

  /// The sums of one plane (its cells in `ix`) for slots [j0, j0 + width), all in one lane block,
  /// built in scratch.table ([shift][cell][lane], the layout of one plane of a block of the sums
  /// when the range is the whole block). Each sum gets the additions of add_cells in the same
  /// order, so it is bitwise the same, whatever the range.
  void block_sums(const GridSums& L, std::size_t j0, std::size_t width, const Index& ix, int plane,
                  Scratch& scratch) const {
    constexpr std::size_t lanes = GridSums::lanes;
    const std::vector<std::size_t>& order = ix.order;
    const std::vector<std::uint32_t>& list = ix.list[static_cast<std::size_t>(plane)];
    const std::vector<std::size_t>& start = ix.start[static_cast<std::size_t>(plane)];
    const std::size_t cells = L.cells;
    const std::size_t first = j0 / lanes * lanes, l0 = j0 - first;
    std::vector<double>& table = scratch.table;
    table.assign(L.shifts * cells * width, 0.0);
    // The range's scores in shift order first: independent loads, many in flight at once
    // (read in the add loop below, each would wait for its cache miss).
    std::vector<double>& ordered = scratch.ordered;
    ordered.resize(order.size() * width);
    for (std::size_t k = 0; k < order.size(); ++k) {
      const double* w = row(L, first, order[k]) + l0;
      for (std::size_t l = 0; l < width; ++l) ordered[k * width + l] = w[l];
    }
    for (std::size_t k = 0; k < order.size(); ++k) {
      const std::size_t i = order[k];
      const double* w = ordered.data() + k * width;
      double* base = table.data() + shift_[i] * cells * width;
      if (width == lanes) {
        // Eigen's fixed-size packets: GCC leaves the plain 8-lane loop scalar here.
        using Lanes = Eigen::Matrix<double, static_cast<int>(lanes), 1>;
        const Lanes v = Eigen::Map<const Lanes>(w);
        for (std::size_t p = start[k]; p < start[k + 1]; ++p) Eigen::Map<Lanes>(base + list[p] * lanes) += v;
      } else {
        for (std::size_t p = start[k]; p < start[k + 1]; ++p) {
          double* d = base + list[p] * width;
          for (std::size_t l = 0; l < width; ++l) d[l] += w[l];
        }
      }
    }
  }

 private:
  Index make_index(const GridSums& L, std::size_t states) const {
    const std::size_t cells = L.cells, P = static_cast<std::size_t>(L.planes);
    Index ix;
    ix.order = order(L);
    const std::size_t N = ix.order.size();
    std::vector<std::size_t> count(states, 0);
    for (std::size_t i = 0; i < N * cells; ++i) ++count[cells_[i]];
    ix.start.assign(P, std::vector<std::size_t>(N + 1, 0));
    ix.list.resize(P);
    for (std::size_t p = 0; p < P; ++p) ix.list[p].resize(count[p]);
    // Branch-free (a branch on a random cell state would be mispredicted half the time): every
    // cell is written, a cell of a state that is not stored to a dummy that is never advanced.
    std::uint32_t dummy = 0;
    std::vector<std::uint32_t*> to(states, &dummy);
    std::vector<std::size_t> step(states, 0);
    for (std::size_t p = 0; p < P; ++p) to[p] = ix.list[p].data(), step[p] = 1;
    for (std::size_t k = 0; k < N; ++k) {
      for (std::size_t p = 0; p < P; ++p) ix.start[p][k] = static_cast<std::size_t>(to[p] - ix.list[p].data());
      const std::uint8_t* st = cells_.data() + ix.order[k] * cells;
      for (std::size_t c = 0; c < cells; ++c) {
        *to[st[c]] = static_cast<std::uint32_t>(c);
        to[st[c]] += step[st[c]];
      }
    }
    for (std::size_t p = 0; p < P; ++p) ix.start[p][N] = count[p];
    return ix;
  }

  /// index()'s cache: emptied by copies and assignments (it would describe other samples).
  struct IndexCache {
    std::mutex mutex;
    std::shared_ptr<const Index> index;
    IndexCache() = default;
    IndexCache(const IndexCache&) noexcept {}
    IndexCache& operator=(const IndexCache&) noexcept {
      std::lock_guard<std::mutex> lock(mutex);
      index.reset();
      return *this;
    }
  };

  std::size_t capacity_ = 0;                             // samples that fit before the sums are built
  std::vector<double, BufferAllocator<double>> scores_;  // [lane block][sample][lane] (row)
  std::vector<std::uint8_t> cells_;                      // [sample][cell] states
  std::vector<std::uint32_t> shift_;                     // [sample] shift dy·shifts_w + dx
  mutable IndexCache index_;                             // index(), built when maps are asked for
};

}  // namespace detail
}  // namespace mcrise
