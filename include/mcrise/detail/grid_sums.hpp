#pragma once
/// @file detail/grid_sums.hpp
/// @brief The lane-block table of the accumulators' per-shift grid sums: its layout, and the
///        vector add that puts one sample's weights into it.

#include <mcrise/image.hpp>
#include <mcrise/detail/thread_pool.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace mcrise {
namespace detail {

/// Makes v n zeros. Tables of 16 MiB or more are cleared on `threads` threads (0: all cores):
/// most of that time is the kernel handing out fresh pages, which parallelises.
/// A table that needs a fresh allocation of at least BufferAllocator::fresh_pages_bytes is not
/// cleared at all: its pages come zero from the kernel on their first touch, so a run pays for the
/// part of the table its samples write (a few shifts for a few hundred masks), not for all of it.
/// `sparse`: such a fresh table keeps small pages (Linux), even when it is large enough for
/// transparent huge pages: a table that short runs write at scattered places (a batch-means group
/// writes only the shifts of its own samples) then costs one 4 KiB page per place written, not a
/// 2 MiB page cleared for each.
template <class T>
void assign_zeros(std::vector<T, BufferAllocator<T>>& v, std::size_t n, int threads, bool sparse = false) {
  if (v.capacity() < n && BufferAllocator<T>::fresh_zeros(n)) {
    std::vector<T, BufferAllocator<T>>().swap(v);  // the old table goes first: memory stays flat
    v.reserve(n);
    v.resize(n);  // BufferAllocator: elements left as the kernel gave them, zero
#if MCRISE_FRESH_PAGES && defined(MADV_NOHUGEPAGE)
    if (sparse) (void)::madvise(v.data(), n * sizeof(T), MADV_NOHUGEPAGE);
#else
    (void)sparse;
#endif
    return;
  }
  v.clear();
  v.resize(n);
  const int parts = n * sizeof(T) < (std::size_t{16} << 20) ? 1 : resolve_threads(threads);
  auto clear = [&v, n, parts](int p, int) {
    const std::size_t P = static_cast<std::size_t>(parts), q = static_cast<std::size_t>(p);
    std::fill(v.data() + n * q / P, v.data() + n * (q + 1) / P, T(0));
  };
  if (parts <= 1) {
    clear(0, 0);
  } else {
    ThreadPool pool(parts);
    pool.parallel_for(parts, clear);
  }
}

/// Per shift, per plane, per grid cell, per target slot: where Σ_n M_n·[cell state == plane] lives.
///
/// Layout: the target slots in blocks of `lanes` (8; the last one may be narrower), each block
/// [shift][plane][cell][lane]. Adding a sample is a short vector add per cell in every block
/// (one shift's part of a block is contiguous), and a block's maps read the block front to back.
/// One copy of the table is stride()·shifts values (the sums, or one batch-means group's).
struct GridSums {
  static constexpr std::size_t lanes = 8;  ///< slots per block
  std::size_t slots = 0;                   ///< T, the target slots
  std::size_t cells = 0;                   ///< grid cells
  std::size_t shifts = 0;                  ///< distinct shifts (dy, dx)
  int planes = 0;                          ///< stored planes: all K + 1, or only plane 0 for binary masks

  /// Sums per shift over all blocks (P·cells·T).
  std::size_t stride() const noexcept { return static_cast<std::size_t>(planes) * cells * slots; }
  /// Values in one copy of the table.
  std::size_t size() const noexcept { return stride() * shifts; }

  /// Width of the block that holds slot j.
  std::size_t block_width(std::size_t j) const noexcept { return std::min(lanes, slots - j / lanes * lanes); }
  /// Offset of (shift, plane, cell, slot j) in one copy of the table.
  std::size_t offset(std::size_t shift, std::size_t plane, std::size_t cell, std::size_t j) const noexcept {
    const std::size_t first = j / lanes * lanes, width = block_width(j);
    const std::size_t P = static_cast<std::size_t>(planes);
    return first * shifts * P * cells + ((shift * P + plane) * cells + cell) * width + (j - first);
  }

  /// Target slots [first, second) of part p when the slots [j0, j1) are split into `parts`
  /// contiguous ranges.
  static std::pair<std::size_t, std::size_t> slot_range(int p, int parts, std::size_t j0, std::size_t j1) noexcept {
    const std::size_t n = j1 - j0, P = static_cast<std::size_t>(parts), q = static_cast<std::size_t>(p);
    return {j0 + n * q / P, j0 + n * (q + 1) / P};
  }
  /// slot_range of all slots with inner boundaries rounded down to whole lane blocks, so that no
  /// two parts write the same block (some parts may be empty when there are few blocks).
  std::pair<std::size_t, std::size_t> lane_aligned_range(int p, int parts) const noexcept {
    const std::size_t T = slots;
    const auto r = slot_range(p, parts, 0, T);
    auto down = [T](std::size_t j) { return j == T ? T : j / lanes * lanes; };
    return {down(r.first), down(r.second)};
  }

  /// Adds w[0..n) to the slots [j0, j0 + n) of every stored-plane cell of a sample whose cell
  /// states are state_of[0..cells) (at its shift), in one copy of the table `base` (the sums or one
  /// group's float sums). j0 is a block start (0, or a lane_aligned_range start). Block by block:
  /// a full block's weights stay in registers while its cells are updated.
  template <class Dst, class Src>
  void add_cells(Dst* base, std::size_t shift, const std::uint8_t* state_of, const Src* w, std::size_t j0,
                 std::size_t n) const noexcept {
    const std::size_t j1 = j0 + n;
    for (std::size_t first = j0; first < j1; first += lanes) {
      const std::size_t width = block_width(first), used = std::min(j1 - first, width);
      Dst* blk = base + offset(shift, 0, 0, first);
      const Src* wb = w + (first - j0);  // the weights of this block's slots
      if (used == lanes) {
        // Eigen's fixed-size packets: GCC leaves the plain 8-lane loop scalar.
        using Lanes = Eigen::Matrix<Dst, static_cast<int>(lanes), 1>;
        const Lanes v = Eigen::Map<const Eigen::Matrix<Src, static_cast<int>(lanes), 1>>(wb).template cast<Dst>();
        for (std::size_t c = 0; c < cells; ++c) {
          const int state = state_of[c];
          if (state >= planes) continue;
          Eigen::Map<Lanes>(blk + (static_cast<std::size_t>(state) * cells + c) * lanes) += v;
        }
      } else {
        for (std::size_t c = 0; c < cells; ++c) {
          const int state = state_of[c];
          if (state >= planes) continue;
          Dst* d = blk + (static_cast<std::size_t>(state) * cells + c) * width;
          for (std::size_t k = 0; k < used; ++k) d[k] += wb[k];
        }
      }
    }
  }
};

}  // namespace detail
}  // namespace mcrise
