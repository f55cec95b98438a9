#pragma once
/// @file accumulator.hpp
/// @brief Streaming, mergeable Monte-Carlo accumulators for RISE, debiased
///        RISE and MC-RISE.
///
/// Every estimator of the paper is a weighted sum Σ_n M_n·m_n^k(λ) of the
/// full-resolution planes of the masks (m0 = kept fraction, m^c(k) = colour k),
/// with the model score M_n of the target class as weight. Upsampling and
/// shifting are linear, so these sums are kept at grid resolution, one grid
/// per shift (dy, dx): adding a sample costs grid_h·grid_w additions per class,
/// whatever the image size, and memory never grows with the number of masks.
/// The planes are upsampled once, when a map is asked for. (With many classes
/// and a known, small N the samples themselves can be smaller than those sums:
/// see GridAccumulator's kept samples and the constructors' expected_samples.)
///
/// Accumulators are plain sums: two accumulators over disjoint sample ranges
/// merge into the accumulator of the union, so one explanation can be spread
/// across threads, processes or machines (use the same seed and disjoint n).

#include <mcrise/image.hpp>
#include <mcrise/masks.hpp>
#include <mcrise/detail/checks.hpp>
#include <mcrise/detail/thread_pool.hpp>
#include <mcrise/detail/upsample.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mcrise {

/// Row-major double matrix: the scores of a batch, one row of L per image.
using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

namespace detail {

/// Makes v n zeros. Tables of 16 MiB or more are cleared on `threads` threads (0: all cores):
/// most of that time is the kernel handing out fresh pages, which parallelises.
template <class T>
void assign_zeros(std::vector<T, BufferAllocator<T>>& v, std::size_t n, int threads) {
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

/// Per shift, per plane, per grid cell, per target class: Σ_n M_n·[cell state == plane].
/// `colour_planes` false keeps only plane 0 (the kept cells), all that RISE needs.
///
/// Layout: the target slots in blocks of `lanes` (8; the last one may be narrower), each block
/// [shift][plane][cell][lane]. Adding a sample is a short vector add per cell in every block
/// (one shift's part of a block is contiguous), and a block's maps read the block front to back.
///
/// Kept samples: when the caller says how many samples it will add (`expected_samples`), there
/// are no standard errors, and the samples themselves (cells, shift, target scores, and their part
/// of the index built for the maps: T·8 + 5·cells + 8·P + 12 bytes each) take less memory than
/// the sums (P·shifts·cells·T·8 bytes), the samples are
/// kept instead and the sums are built one lane block at a time when maps are asked for, in a
/// small table that stays in cache. With many classes and N below about shifts·cells·P this is
/// much less memory (MC-RISE, 1000 classes, N = 8,000: 65 MB instead of 2.4 GB) and no streaming
/// through a large table. Each sum sees the same additions in the same order (samples of one
/// shift in sample order), so the maps are bitwise those of the sums. Adding more samples than
/// expected builds the sums from the kept ones and goes on with the sums.
class GridAccumulator {
 public:
  GridAccumulator(const MaskGenerator& gen, std::vector<int> classes, const char* where, int se_groups,
                  bool colour_planes, int threads, std::int64_t expected_samples = 0)
      : geo_(gen.geometry()),
        planes_(gen.num_colors() + 1),
        p_mask_(gen.mask_probability()),
        source_(gen.fingerprint()),
        classes_(std::move(classes)),
        up_(geo_) {
    require(where, !classes_.empty(), "no target classes given");
    for (int c : classes_) require(where, c >= 0, "class index must be >= 0, got ", c);
    // RISE and debiased RISE read only the kept plane; MC-RISE reads all K + 1.
    stored_planes_ = colour_planes ? planes_ : 1;
    const std::size_t T = classes_.size();
    contiguous_ = true;
    for (std::size_t j = 1; j < T; ++j)
      contiguous_ = contiguous_ && static_cast<long long>(classes_[j]) == static_cast<long long>(classes_[0]) +
                                                                            static_cast<long long>(j);
    shift_stride_ = static_cast<std::size_t>(stored_planes_) * static_cast<std::size_t>(geo_.cells()) * T;
    shifts_ = static_cast<std::size_t>(geo_.shifts_h()) * static_cast<std::size_t>(geo_.shifts_w());
    check_se_groups(se_groups, where);
    require(where, expected_samples >= 0, "expected_samples must be >= 0, got ", expected_samples);
    check_threads(threads, where);
    // Kept samples when they take less memory than the sums (see the class comment).
    const double table_bytes = static_cast<double>(shift_stride_) * static_cast<double>(shifts_) * 8.0;
    const double kept_bytes = static_cast<double>(expected_samples) * static_cast<double>(kept_sample_bytes());
    keep_ = expected_samples > 0 && se_groups == 0 && kept_bytes < table_bytes;
    // A clear error instead of a bad_alloc deep inside (or after the whole run): 8 bytes per sum,
    // 4 per group sum (or the kept samples), and the H x W double maps the result will hold (one
    // per stored plane and class).
    const double maps = maps_bytes();
    const double store = keep_ ? kept_bytes : table_bytes * (1.0 + 0.5 * se_groups);
    const double gib = (store + maps) / bytes_per_gib;
    require(where, gib <= memory_limit_gib, classes_.size(), " target classes with se_groups = ", se_groups, " need ",
            gib, " GiB of accumulators and maps for this image (limit 16 GiB)");
    set_threads(threads);
    if (keep_) {
      kept_capacity_ = static_cast<std::size_t>(expected_samples);
      assign_zeros(kept_scores_, kept_capacity_ * T, threads_);  // on `threads` threads when large
      reserve_kept();
    } else {
      assign_zeros(sums_, shift_stride_ * shifts_, threads_);
    }
    totals_.assign(T, 0.0);
    groups_ = se_groups;
    block_ = static_cast<std::uint64_t>(gen.block_size());
    const auto G = static_cast<std::size_t>(groups_);
    assign_zeros(group_sums_, G * shift_stride_ * shifts_, threads_);
    group_totals_.assign(G * T, 0.0);
    group_counts_.assign(G, 0);
    serial_.reserve(T, contiguous_, groups_ > 0);
  }

  /// Largest number of batch-means groups.
  static constexpr int max_se_groups = detail::max_se_groups;

  /// The owner of the se_groups rule: throws "<where>: se_groups must be 0 (off) or in [2, 1024], got G".
  static void check_se_groups(int se_groups, std::string_view where) {
    require(where, se_groups == 0 || (se_groups >= 2 && se_groups <= max_se_groups),
            "se_groups must be 0 (off) or in [2, ", max_se_groups, "], got ", se_groups);
  }

  /// Add sample `s` whose model scores (all L classes) are `scores[0..L)`.
  /// Everything is checked before anything is added, so a refused sample
  /// leaves the accumulator as it was.
  void add(const MaskSample& s, const double* scores, long long num_scores, const char* where) {
    check(s, scores, num_scores, where);
    if (room_to_keep(1, where)) {
      keep_scores(&s, 1, scores, 0, kept_shift_.size(), 0, classes_.size(), serial_);
      keep_cells(&s, 1);
    } else {
      const int first = 0;
      add_rows(&s, 1, &first, scores, 0, 0, classes_.size(), serial_);
    }
    count_samples(&s, 1);
  }

  /// Add samples[0..b) whose scores are the rows scores + i·stride (L each): bitwise the
  /// same as b calls of add(). All samples are checked first. With a pool and many target
  /// classes, the classes are split into ranges, one per thread; every sum still sees the
  /// samples in order, so the result does not depend on the pool. The grid sums are added
  /// shift by shift (samples of one shift in their order: each sum belongs to one shift, so
  /// it sees the same additions in the same order), so a large batch over a large table
  /// updates each shift's block while it is in cache.
  void add_batch(const std::vector<MaskSample>& samples, int b, const Eigen::Ref<const RowMatrixXd>& score_rows,
                 ThreadPool* pool, const char* where) {
    require(where, b >= 0 && static_cast<std::size_t>(b) <= samples.size() && b <= score_rows.rows(), "asked to add ",
            b, " samples but ", samples.size(), " samples and ", score_rows.rows(), " score rows are given");
    const MaskSample* s = samples.data();
    const double* scores = score_rows.data();
    const std::ptrdiff_t stride = score_rows.outerStride();
    for (int i = 0; i < b; ++i) check(s[i], scores + i * stride, score_rows.cols(), where);
    const std::size_t T = classes_.size();
    if (room_to_keep(static_cast<std::size_t>(b), where)) {
      // Copies of b·T scores into fresh pages: split over the pool when that is 2^14 copies or more.
      const std::size_t n0 = kept_shift_.size();
      by_lane_blocks(pool, static_cast<double>(b) * static_cast<double>(T) / 16384.0,
                     [&](std::size_t j0, std::size_t j1, RowScratch& scratch) {
                       keep_scores(s, b, scores, stride, n0, j0, j1, scratch);
                     });
      keep_cells(s, b);
      count_samples(s, b);
      return;
    }
    // Allocated before anything is added: a bad_alloc leaves the sums as they were.
    order_.resize(static_cast<std::size_t>(b));
    for (int i = 0; i < b; ++i) order_[static_cast<std::size_t>(i)] = i;
    std::stable_sort(order_.begin(), order_.end(), [&](int x, int y) { return shift_of(s[x]) < shift_of(s[y]); });
    const int* order = order_.data();
    // Waking a thread costs about as much as 2^16 additions; split only when each gets far more.
    const double work = static_cast<double>(b) * static_cast<double>(geo_.cells()) * static_cast<double>(T);
    by_lane_blocks(pool, work / 262144.0, [&](std::size_t j0, std::size_t j1, RowScratch& scratch) {
      add_rows(s, b, order, scores, stride, j0, j1, scratch);
    });
    count_samples(s, b);
  }

 private:
  // Per-thread buffers of add_rows: the gathered target scores (unless contiguous) and their floats.
  struct RowScratch {
    std::vector<double> gathered;
    std::vector<float> wf;
    void reserve(std::size_t n, bool contiguous, bool groups) {
      gathered.resize(contiguous ? 0 : n);
      wf.resize(groups ? n : 0);
    }
  };

  /// Runs f(j0, j1, scratch) over all target slots: at once, or split over the pool into at most
  /// `max_parts` ranges of whole lane blocks (lane_aligned_range), each with its own scratch.
  /// The scratch is allocated before anything runs, so a bad_alloc changes nothing.
  template <class F>
  void by_lane_blocks(ThreadPool* pool, double max_parts, F&& f) {
    const std::size_t T = classes_.size();
    const double blocks = static_cast<double>((T + lanes - 1) / lanes);
    const int parts = pool == nullptr ? 1
                                      : static_cast<int>(std::min<double>(
                                            {static_cast<double>(pool->size()), blocks, max_parts}));
    if (parts <= 1) {
      f(std::size_t{0}, T, serial_);
      return;
    }
    std::vector<RowScratch> scratch(static_cast<std::size_t>(parts));
    for (int p = 0; p < parts; ++p) {
      const auto r = lane_aligned_range(p, parts);
      scratch[static_cast<std::size_t>(p)].reserve(r.second - r.first, contiguous_, groups_ > 0);
    }
    pool->parallel_for(parts, [&](int p, int) {
      const auto r = lane_aligned_range(p, parts);
      f(r.first, r.second, scratch[static_cast<std::size_t>(p)]);
    });
  }

  /// Target slots [first, second) of part p when the slots [j0, j1) (default: all T) are split
  /// into `parts` contiguous ranges.
  std::pair<std::size_t, std::size_t> slot_range(int p, int parts, std::size_t j0 = 0,
                                                 std::size_t j1 = npos) const noexcept {
    if (j1 == npos) j1 = classes_.size();
    const std::size_t n = j1 - j0, P = static_cast<std::size_t>(parts), q = static_cast<std::size_t>(p);
    return {j0 + n * q / P, j0 + n * (q + 1) / P};
  }
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  /// slot_range with inner boundaries rounded down to whole lane blocks, so that no two parts
  /// write the same block (some parts may be empty when there are few blocks).
  std::pair<std::size_t, std::size_t> lane_aligned_range(int p, int parts) const noexcept {
    const std::size_t T = classes_.size();
    const auto r = slot_range(p, parts);
    auto down = [T](std::size_t j) { return j == T ? T : j / lanes * lanes; };
    return {down(r.first), down(r.second)};
  }

  /// Slots per block of the layout (see the class comment).
  static constexpr std::size_t lanes = 8;
  /// Width of the block that holds slot j.
  std::size_t block_width(std::size_t j) const noexcept {
    return std::min(lanes, classes_.size() - j / lanes * lanes);
  }
  /// Offset of (shift, plane, cell, slot j) in one copy of the sums (the sums, or one group's).
  std::size_t offset(std::size_t shift, std::size_t plane, std::size_t cell, std::size_t j) const noexcept {
    const std::size_t first = j / lanes * lanes, width = block_width(j), cells = static_cast<std::size_t>(geo_.cells());
    const std::size_t P = static_cast<std::size_t>(stored_planes_);
    return first * shifts_ * P * cells + ((shift * P + plane) * cells + cell) * width + (j - first);
  }

  /// Adds w[0..n) to the slots [j0, j0 + n) of every stored-plane cell of a sample whose cell
  /// states are state_of[0..cells()) (at its shift), in one copy of the sums `base` (the sums or one
  /// group's float sums). j0 is a block start (0, or a lane_aligned_range start). Block by block:
  /// a full block's weights stay in registers while its cells are updated.
  template <class Dst, class Src>
  void add_cells(Dst* base, std::size_t shift, const std::uint8_t* state_of, const Src* w, std::size_t j0,
                 std::size_t n) const noexcept {
    const std::size_t cells = static_cast<std::size_t>(geo_.cells()), j1 = j0 + n;
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
          if (state >= stored_planes_) continue;
          Eigen::Map<Lanes>(blk + (static_cast<std::size_t>(state) * cells + c) * lanes) += v;
        }
      } else {
        for (std::size_t c = 0; c < cells; ++c) {
          const int state = state_of[c];
          if (state >= stored_planes_) continue;
          Dst* d = blk + (static_cast<std::size_t>(state) * cells + c) * width;
          for (std::size_t k = 0; k < used; ++k) d[k] += wb[k];
        }
      }
    }
  }

  void check(const MaskSample& s, const double* scores, long long num_scores, const char* where) const {
    bool fits = s.cells.size() == static_cast<std::size_t>(geo_.cells()) && s.dy >= 0 && s.dy < geo_.shifts_h() &&
                s.dx >= 0 && s.dx < geo_.shifts_w();
    for (auto c : s.cells) fits = fits && c < planes_;
    if (!fits) fail(where, "mask sample ", s.index, " does not fit this accumulator's generator");
    if (s.source != 0 && s.source != source_)
      fail(where, "mask sample ", s.index,
           " comes from a generator with other options than this accumulator's (image size, grid, upsampling, shift, "
           "colours, mask_probability or sampler block size)");
    for (int cls : classes_) {
      if (cls >= num_scores) fail(where, "class ", cls, " is out of range: the model returns ", num_scores, " scores");
      if (!std::isfinite(scores[cls]))
        fail(where, "the score of class ", cls, " for sample ", s.index, " is not finite (", scores[cls], ")");
      if (std::abs(scores[cls]) > max_abs_score)  // the sums (float ones for the standard errors) must stay finite
        fail(where, "the score of class ", cls, " for sample ", s.index, " has magnitude over ", real_str(max_abs_score),
             " (", real_str(scores[cls]), ")");
    }
  }

  /// Batch-means group of sample n: (n / B) mod G, B the sampler's block size (1 for
  /// independent samples), so a block's correlated samples stay in one group and the groups
  /// are independent. A pure function of n: the standard errors do not depend on threads or batches.
  std::size_t group_of(const MaskSample& s) const {
    return static_cast<std::size_t>((s.index / block_) % static_cast<std::uint64_t>(groups_));
  }

  std::size_t shift_of(const MaskSample& s) const noexcept {
    return static_cast<std::size_t>(s.dy) * static_cast<std::size_t>(geo_.shifts_w()) + static_cast<std::size_t>(s.dx);
  }

  /// Adds target slots [j0, j1) of samples[0..b) (already checked) to the lane-block layout (see
  /// the class comment and add_cells). The totals are added in sample order, the grid sums in
  /// `order` (samples stably sorted by shift).
  void add_rows(const MaskSample* s, int b, const int* order, const double* scores, std::ptrdiff_t stride,
                std::size_t j0, std::size_t j1, RowScratch& scratch) noexcept {
    add_totals(s, b, scores, stride, j0, j1, scratch);
    const std::size_t n = j1 - j0;
    std::vector<float>& wf = scratch.wf;
    for (int k = 0; k < b; ++k) {
      const int i = order[k];
      const double* w = target_scores(scores + i * stride, j0, n, scratch);
      const std::size_t shift = shift_of(s[i]);
      add_cells(sums_.data(), shift, s[i].cells.data(), w, j0, n);
      if (groups_ == 0) continue;
      const std::size_t g = group_of(s[i]);
      for (std::size_t j = 0; j < n; ++j) wf[j] = static_cast<float>(w[j]);
      add_cells(group_sums_.data() + g * shifts_ * shift_stride_, shift, s[i].cells.data(), wf.data(), j0, n);
    }
  }

  /// The scores of target slots [j0, j0 + n) in a row of L scores: in place if the classes are
  /// contiguous, else gathered into the scratch.
  const double* target_scores(const double* row, std::size_t j0, std::size_t n, RowScratch& scratch) const noexcept {
    if (contiguous_) return row + classes_[0] + j0;
    for (std::size_t j = 0; j < n; ++j) scratch.gathered[j] = row[classes_[j0 + j]];
    return scratch.gathered.data();
  }

  /// Adds the target scores of slots [j0, j1) of samples[0..b) to the totals (and group totals), in sample order.
  void add_totals(const MaskSample* s, int b, const double* scores, std::ptrdiff_t stride, std::size_t j0,
                  std::size_t j1, RowScratch& scratch) noexcept {
    const std::size_t T = classes_.size(), n = j1 - j0;
    for (int i = 0; i < b; ++i) {
      const double* w = target_scores(scores + i * stride, j0, n, scratch);
      for (std::size_t j = 0; j < n; ++j) totals_[j0 + j] += w[j];
      if (groups_ == 0) continue;
      const std::size_t g = group_of(s[i]);
      for (std::size_t j = 0; j < n; ++j) group_totals_[g * T + j0 + j] += w[j];
    }
  }

  /// Bytes of the H x W double maps of every stored plane and target class.
  double maps_bytes() const noexcept {
    return static_cast<double>(stored_planes_) * static_cast<double>(classes_.size()) *
           static_cast<double>(geo_.height) * static_cast<double>(geo_.width) * 8.0;
  }

  /// Bytes of one kept sample: its T target scores, its cell states and its shift, and at most
  /// 4·cells + 8·(P + 1) more for its part of the index built when maps are asked for (KeptIndex).
  std::size_t kept_sample_bytes() const noexcept {
    const std::size_t cells = static_cast<std::size_t>(geo_.cells()), P = static_cast<std::size_t>(stored_planes_);
    return classes_.size() * sizeof(double) + cells + sizeof(std::uint32_t) + cells * sizeof(std::uint32_t) +
           (P + 1) * sizeof(std::size_t);
  }

  /// Keeps samples[0..b) (already checked; the capacity is enough) and adds their totals:
  /// the cells and shifts here, the scores and totals of slots [j0, j1) (whole lane blocks) in
  /// keep_scores(), which parts of a pool may run side by side.
  void keep_cells(const MaskSample* s, int b) noexcept {
    for (int i = 0; i < b; ++i) {  // within the capacity reserve_kept() made sure of: no allocation
      kept_cells_.insert(kept_cells_.end(), s[i].cells.begin(), s[i].cells.end());
      kept_shift_.push_back(static_cast<std::uint32_t>(shift_of(s[i])));
    }
  }
  void keep_scores(const MaskSample* s, int b, const double* scores, std::ptrdiff_t stride, std::size_t n0,
                   std::size_t j0, std::size_t j1, RowScratch& scratch) noexcept {
    add_totals(s, b, scores, stride, j0, j1, scratch);
    for (int i = 0; i < b; ++i) {
      const double* w = target_scores(scores + i * stride, j0, j1 - j0, scratch);
      for (std::size_t first = j0; first < j1; first += lanes) {
        const double* from = w + (first - j0);
        double* to = kept_row(first, n0 + static_cast<std::size_t>(i));
        if (block_width(first) == lanes) {
          for (std::size_t l = 0; l < lanes; ++l) to[l] = from[l];  // inline: a memmove call per 64 bytes costs more
        } else {
          std::copy(from, from + block_width(first), to);
        }
      }
    }
  }

  /// Makes sure the kept cells and shifts have room for kept_capacity_ samples (a copy of the
  /// accumulator holds only what is used), before anything is added: a bad_alloc changes nothing.
  void reserve_kept() {
    kept_cells_.reserve(kept_capacity_ * static_cast<std::size_t>(geo_.cells()));
    kept_shift_.reserve(kept_capacity_);
  }

  /// Before n more samples are added: true if they are to be kept (there is room for them);
  /// false if the accumulator keeps sums, built here from the kept samples if n more would not fit.
  bool room_to_keep(std::size_t n, const char* where) {
    if (keep_ && kept_shift_.size() + n > kept_capacity_) build_sums(where);
    if (keep_) reserve_kept();
    return keep_;
  }

  /// Kept scores of sample i in the lane block that starts at slot `first`: block_width(first) values.
  /// Layout [lane block][sample][lane]: a block's maps read 64 bytes per sample, from one
  /// contiguous region (samples are read in shift order, not in the order they were kept).
  double* kept_row(std::size_t first, std::size_t i) noexcept {
    return kept_scores_.data() + first * kept_capacity_ + i * block_width(first);
  }
  const double* kept_row(std::size_t first, std::size_t i) const noexcept {
    return kept_scores_.data() + first * kept_capacity_ + i * block_width(first);
  }

  /// The kept samples in shift order, each shift's samples in the order they were added (a
  /// counting sort: the order in which add_batch adds the grid sums).
  std::vector<std::size_t> kept_order() const {
    const std::size_t N = kept_shift_.size();
    std::vector<std::size_t> first(shifts_ + 1, 0), order(N);
    for (std::size_t i = 0; i < N; ++i) ++first[kept_shift_[i] + 1];
    for (std::size_t k = 0; k < shifts_; ++k) first[k + 1] += first[k];
    for (std::size_t i = 0; i < N; ++i) order[first[kept_shift_[i]]++] = i;
    return order;
  }

  /// Adds the kept samples of `src` (in shift order) to the sums: the grid sums of add_batch, without the totals.
  void add_kept(const GridAccumulator& src, std::vector<double, BufferAllocator<double>>& sums) const {
    const std::size_t T = classes_.size(), cells = static_cast<std::size_t>(geo_.cells());
    const auto order = src.kept_order();
    for (std::size_t first = 0; first < T; first += lanes)
      for (std::size_t i : order)
        add_cells(sums.data(), src.kept_shift_[i], src.kept_cells_.data() + i * cells, src.kept_row(first, i), first,
                  block_width(first));
  }

  /// The per-shift sums of the kept samples of `src` (a table of this accumulator's layout),
  /// bitwise those that adding them to sums would have given. Throws std::length_error if
  /// the sums and the maps would exceed the 16 GiB limit of the constructor.
  std::vector<double, BufferAllocator<double>> sums_of_kept(const GridAccumulator& src, const char* where) const {
    const double gib = (static_cast<double>(shift_stride_) * static_cast<double>(shifts_) * 8.0 + maps_bytes()) /
                       bytes_per_gib;
    if (gib > memory_limit_gib)
      throw std::length_error(std::string(where) + ": past expected_samples (or in a merge) the kept samples need " +
                              "per-shift sums: " + std::to_string(gib) +
                              " GiB with the maps for this image (limit 16 GiB)");
    std::vector<double, BufferAllocator<double>> sums;
    assign_zeros(sums, shift_stride_ * shifts_, threads_);
    add_kept(src, sums);
    return sums;
  }

  /// Leaves kept-samples mode: builds the sums from the kept samples and frees them. On
  /// bad_alloc or std::length_error (sums_of_kept) the accumulator is as it was.
  void build_sums(const char* where) {
    auto sums = sums_of_kept(*this, where);
    sums_.swap(sums);
    keep_ = false;
    kept_capacity_ = 0;
    decltype(kept_scores_)().swap(kept_scores_);
    std::vector<std::uint8_t>().swap(kept_cells_);
    std::vector<std::uint32_t>().swap(kept_shift_);
    index_ = IndexCache();
  }

  /// The kept samples in shift order (kept_order) and, for the k-th of them, the cells whose
  /// state is `plane`: list[plane][start[plane][k] .. start[plane][k + 1]), for the stored planes
  /// (plane 0 only for RISE). At most 4·cells + 8·(P + 1) bytes per sample (kept_sample_bytes()).
  struct KeptIndex {
    std::vector<std::size_t> order;
    std::vector<std::vector<std::size_t>> start;
    std::vector<std::vector<std::uint32_t>> list;
  };
  KeptIndex make_kept_index() const {
    const std::size_t cells = static_cast<std::size_t>(geo_.cells()), P = static_cast<std::size_t>(stored_planes_);
    const std::size_t states = static_cast<std::size_t>(planes_);
    KeptIndex ix;
    ix.order = kept_order();
    const std::size_t N = ix.order.size();
    std::vector<std::size_t> count(states, 0);
    for (std::size_t i = 0; i < N * cells; ++i) ++count[kept_cells_[i]];
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
      const std::uint8_t* st = kept_cells_.data() + ix.order[k] * cells;
      for (std::size_t c = 0; c < cells; ++c) {
        *to[st[c]] = static_cast<std::uint32_t>(c);
        to[st[c]] += step[st[c]];
      }
    }
    for (std::size_t p = 0; p < P; ++p) ix.start[p][N] = count[p];
    return ix;
  }
  /// The KeptIndex of the samples kept so far, built on the first call after samples were added
  /// and shared by later calls (maps of one class at a time would each rebuild it: O(N·cells)).
  std::shared_ptr<const KeptIndex> kept_index() const {
    std::lock_guard<std::mutex> lock(index_.mutex);
    if (!index_.index || index_.index->order.size() != kept_shift_.size())
      index_.index = std::make_shared<const KeptIndex>(make_kept_index());
    return index_.index;
  }
  /// kept_index()'s cache: emptied by copies and assignments (it would describe other samples).
  struct IndexCache {
    std::mutex mutex;
    std::shared_ptr<const KeptIndex> index;
    IndexCache() = default;
    IndexCache(const IndexCache&) noexcept {}
    IndexCache& operator=(const IndexCache&) noexcept {
      std::lock_guard<std::mutex> lock(mutex);
      index.reset();
      return *this;
    }
  };

  /// Working memory of kept_block_sums (one per thread).
  struct KeptScratch {
    std::vector<double> table, ordered;
  };

  /// Kept-samples mode: the sums of one plane (its cells in `ix`) for slots [j0, j0 + width),
  /// all in one lane block, built in scratch.table ([shift][cell][lane], the layout of one plane
  /// of a block of the sums when the range is the whole block). Each sum gets the additions of
  /// add_cells in the same order, so it is bitwise the same, whatever the range.
  void kept_block_sums(std::size_t j0, std::size_t width, const KeptIndex& ix, int plane,
                       KeptScratch& scratch) const {
    const std::vector<std::size_t>& order = ix.order;
    const std::vector<std::uint32_t>& list = ix.list[static_cast<std::size_t>(plane)];
    const std::vector<std::size_t>& start = ix.start[static_cast<std::size_t>(plane)];
    const std::size_t cells = static_cast<std::size_t>(geo_.cells());
    const std::size_t first = j0 / lanes * lanes, l0 = j0 - first;
    std::vector<double>& table = scratch.table;
    table.assign(shifts_ * cells * width, 0.0);
    // The range's scores in shift order first: independent loads, many in flight at once
    // (read in the add loop below, each would wait for its cache miss).
    std::vector<double>& ordered = scratch.ordered;
    ordered.resize(order.size() * width);
    for (std::size_t k = 0; k < order.size(); ++k) {
      const double* w = kept_row(first, order[k]) + l0;
      for (std::size_t l = 0; l < width; ++l) ordered[k * width + l] = w[l];
    }
    for (std::size_t k = 0; k < order.size(); ++k) {
      const std::size_t i = order[k];
      const double* w = ordered.data() + k * width;
      double* base = table.data() + kept_shift_[i] * cells * width;
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

  /// Upsamples lane l of a block table of kept_block_sums().
  SaliencyMap upsample_table(const std::vector<double>& table, std::size_t width, std::size_t l,
                             ShiftUpsampler::Scratch& scratch) const {
    return upsample_strided(table.data() + l, static_cast<std::size_t>(geo_.cells()) * width, width, scratch);
  }

  void count_samples(const MaskSample* s, int b) {
    for (int i = 0; i < b; ++i)
      if (groups_ > 0) ++group_counts_[group_of(s[i])];
    count_ += b;
  }

 public:
  void merge(const GridAccumulator& o, const char* where) {
    const bool same = o.geo_.height == geo_.height && o.geo_.width == geo_.width && o.geo_.grid_h == geo_.grid_h &&
                      o.geo_.grid_w == geo_.grid_w && o.geo_.upsampling == geo_.upsampling &&
                      o.geo_.random_shift == geo_.random_shift && o.planes_ == planes_ && o.p_mask_ == p_mask_ &&
                      o.classes_ == classes_ && o.groups_ == groups_ && o.block_ == block_ &&
                      o.stored_planes_ == stored_planes_;
    require(where, same,
            "the accumulators differ in image size, grid, upsampling, shift, colours, mask_probability, classes, "
            "se_groups or sampler block size");
    // Kept samples are first made into sums, so the result is the same whichever way either
    // side was kept: the sums of this side plus the sums of the other, bitwise.
    const bool theirs_kept = o.keep_;
    std::vector<double, BufferAllocator<double>> theirs;
    if (theirs_kept) theirs = sums_of_kept(o, where);
    if (keep_) build_sums(where);
    const std::vector<double, BufferAllocator<double>>& add = theirs_kept ? theirs : o.sums_;
    for (std::size_t i = 0; i < sums_.size(); ++i) sums_[i] += add[i];
    for (std::size_t i = 0; i < totals_.size(); ++i) totals_[i] += o.totals_[i];
    for (std::size_t i = 0; i < group_sums_.size(); ++i) group_sums_[i] += o.group_sums_[i];
    for (std::size_t i = 0; i < group_totals_.size(); ++i) group_totals_[i] += o.group_totals_[i];
    for (std::size_t i = 0; i < group_counts_.size(); ++i) group_counts_[i] += o.group_counts_[i];
    count_ += o.count_;
  }

  /// Slot of class `cls` in this accumulator.
  std::size_t slot(int cls, const char* where) const {
    const auto it = std::find(classes_.begin(), classes_.end(), cls);
    require(where, it != classes_.end(), "class ", cls, " was not a target class");
    return static_cast<std::size_t>(it - classes_.begin());
  }

  /// Σ_n M_n·m_n^plane(λ): H x W, upsampled from the per-shift grid sums.
  SaliencyMap plane_sum(std::size_t slot, int plane) const {
    if (!keep_) return upsample_sums(sums_.data(), slot, plane);
    KeptScratch kept;
    kept_block_sums(slot, 1, *kept_index(), plane, kept);  // this slot's lane alone
    ShiftUpsampler::Scratch scratch;
    return upsample_table(kept.table, 1, 0, scratch);
  }

  /// plane_sum(j, plane) for the target slots j in [j0, j1), in slot order (out[j - j0]), computed
  /// on threads() threads (bitwise the same for any thread count and any range). `f(j, map)` is
  /// then applied to each map on the same thread, so the caller can scale it in place. A lane
  /// block's maps are computed one after the other, while the block is in cache.
  template <class Finish>
  std::vector<SaliencyMap> plane_sums(int plane, std::size_t j0, std::size_t j1, Finish f) const {
    std::vector<SaliencyMap> out(j1 - j0);
    if (j0 >= j1) return out;
    if (keep_) {
      // One lane block at a time per thread: its table is built from the kept samples, then upsampled.
      const std::shared_ptr<const KeptIndex> ix = kept_index();
      const std::size_t b0 = j0 / lanes, blocks = (j1 - 1) / lanes + 1 - b0;
      const int parts = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(resolve_threads(threads_)), blocks));
      std::vector<KeptScratch> kept(static_cast<std::size_t>(parts));
      std::vector<ShiftUpsampler::Scratch> scratch(static_cast<std::size_t>(parts));
      auto block = [&](int b, int worker) {
        // The block's slots within [j0, j1): only their lanes are summed.
        const std::size_t first = (b0 + static_cast<std::size_t>(b)) * lanes;
        const std::size_t lo = std::max(first, j0), hi = std::min(first + block_width(first), j1);
        auto& k = kept[static_cast<std::size_t>(worker)];
        kept_block_sums(lo, hi - lo, *ix, plane, k);
        for (std::size_t j = lo; j < hi; ++j) {
          out[j - j0] = upsample_table(k.table, hi - lo, j - lo, scratch[static_cast<std::size_t>(worker)]);
          f(j, out[j - j0]);
        }
      };
      if (parts <= 1) {
        for (std::size_t b = 0; b < blocks; ++b) block(static_cast<int>(b), 0);
      } else {
        ThreadPool pool(parts);
        pool.parallel_for(static_cast<int>(blocks), block);
      }
      return out;
    }
    const std::size_t n = j1 - j0;
    const int parts = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(resolve_threads(threads_)), n));
    auto work = [&](int p, int) {
      const auto [a, b] = slot_range(p, parts, j0, j1);
      ShiftUpsampler::Scratch up_scratch;
      for (std::size_t j = a; j < b; ++j) {
        out[j - j0] = upsample_sums(sums_.data(), j, plane, up_scratch);
        f(j, out[j - j0]);
      }
    };
    if (parts <= 1) {
      work(0, 0);
    } else {
      ThreadPool pool(parts);
      pool.parallel_for(parts, work);
    }
    return out;
  }

  /// Σ_{n in group g} M_n·m_n^plane(λ): H x W (batch-means group g, 0 <= g < se_groups()).
  SaliencyMap group_plane_sum(std::size_t slot, int g, int plane) const {
    return upsample_sums(group_sums_.data() + static_cast<std::size_t>(g) * shifts_ * shift_stride_, slot, plane);
  }
  /// Σ_{n in group g} M_n.
  double group_total(std::size_t slot, int g) const noexcept {
    return group_totals_[static_cast<std::size_t>(g) * classes_.size() + slot];
  }
  /// Number of samples in group g.
  std::int64_t group_count(int g) const noexcept { return group_counts_[static_cast<std::size_t>(g)]; }
  /// G, the number of batch-means groups (0: standard errors off).
  int se_groups() const noexcept { return groups_; }
  /// Threads for standard errors and the bulk maps (0: all cores).
  int threads() const noexcept { return threads_; }
  void set_threads(int threads) noexcept { threads_ = threads < 0 ? 1 : std::min(threads, max_threads); }

  /// Throws std::logic_error unless standard errors can be computed.
  void require_groups(const char* where) const {
    require_samples(where);
    if (groups_ == 0)
      throw std::logic_error(std::string(where) + ": standard errors are off (se_groups = 0)");
  }

 private:
  /// Upsamples one plane of one class of per-shift grid sums (`sums` points at shift 0).
  template <class T>
  SaliencyMap upsample_sums(const T* sums, std::size_t slot, int plane) const {
    ShiftUpsampler::Scratch scratch;
    return upsample_sums(sums, slot, plane, scratch);
  }
  template <class T>
  SaliencyMap upsample_sums(const T* sums, std::size_t slot, int plane, ShiftUpsampler::Scratch& scratch) const {
    const std::size_t cells = static_cast<std::size_t>(geo_.cells()), width = block_width(slot);
    return upsample_strided(sums + offset(0, static_cast<std::size_t>(plane), 0, slot),
                            static_cast<std::size_t>(stored_planes_) * cells * width, width, scratch);
  }
  /// Upsamples the grid sums at base[shift·per_shift + cell·per_cell] (one plane of one slot).
  template <class T>
  SaliencyMap upsample_strided(const T* base, std::size_t per_shift, std::size_t per_cell,
                               ShiftUpsampler::Scratch& scratch) const {
    return up_(
        [&](int shift, int cell) {
          return base[static_cast<std::size_t>(shift) * per_shift + static_cast<std::size_t>(cell) * per_cell];
        },
        scratch);
  }

 public:
  std::int64_t count() const noexcept { return count_; }
  /// Bytes of the per-shift grid sums and group sums (the bulk of the accumulator's memory).
  std::size_t memory_bytes() const noexcept {
    if (keep_) return kept_capacity_ * kept_sample_bytes();
    return sums_.size() * sizeof(double) + group_sums_.size() * sizeof(float);
  }
  /// True while samples are kept instead of sums (see the class comment).
  bool keeps_samples() const noexcept { return keep_; }
  /// Number of shifts (dy, dx) of the per-shift grid sums.
  std::size_t shifts() const noexcept { return shifts_; }
  double total(std::size_t slot) const noexcept { return totals_[slot]; }
  double mask_probability() const noexcept { return p_mask_; }
  int num_colors() const noexcept { return planes_ - 1; }
  const std::vector<int>& classes() const noexcept { return classes_; }
  const MaskGeometry& geometry() const noexcept { return geo_; }

  /// Throws std::invalid_argument unless [first, first + count) is a range of target slots.
  void check_range(std::size_t first, std::size_t count, const char* where) const {
    require(where, first <= classes_.size() && count <= classes_.size() - first, "classes [", first, ", ", first,
            " + ", count, ") out of the ", classes_.size(), " target classes");
  }

  void require_samples(const char* where) const {
    if (count_ == 0) throw std::logic_error(std::string(where) + ": no samples have been added");
  }

 private:
  MaskGeometry geo_;
  int planes_;
  double p_mask_;
  std::uint64_t source_;  // the generator's fingerprint(): samples from another generator are refused
  std::vector<int> classes_;
  ShiftUpsampler up_;
  int stored_planes_ = 0;    // planes kept in the sums: all K+1, or only plane 0 for binary masks
  bool contiguous_ = false;  // classes_ are c0, c0+1, ...: scores are read in place
  RowScratch serial_;        // add_rows' buffers for all T slots, sized once: add() allocates nothing
  std::vector<int> order_;   // add_batch's samples, stably sorted by shift
  std::size_t shift_stride_ = 0;  // sums per shift over all blocks (P·cells·T): one copy is shift_stride_·shifts_
  std::size_t shifts_ = 0;
  std::vector<double, BufferAllocator<double>> sums_;  // [lane block][shift][stored plane][cell][lane] (see the class comment)
  // Kept-samples mode (see the class comment): sums_ is empty while keep_ is true.
  bool keep_ = false;
  std::size_t kept_capacity_ = 0;                             // samples that fit before build_sums()
  std::vector<double, BufferAllocator<double>> kept_scores_;  // [lane block][sample][lane] (kept_row)
  std::vector<std::uint8_t> kept_cells_;                      // [sample][cell] states
  std::vector<std::uint32_t> kept_shift_;                     // [sample] shift dy·shifts_w + dx
  mutable IndexCache index_;                                  // kept_index(), built when maps are asked for
  std::vector<double> totals_;
  std::int64_t count_ = 0;
  // Batch means (standard errors): G copies of the per-shift grid sums, in float
  // (they only feed the spread of the group maps, never the maps themselves).
  int groups_ = 0;
  std::uint64_t block_ = 1;  // the generator's block size B: sample n is in group (n / B) mod G
  int threads_ = 1;
  std::vector<float, BufferAllocator<float>> group_sums_;  // [group][lane block][shift][stored plane][cell][lane]
  std::vector<double> group_totals_;   // [group][class]
  std::vector<std::int64_t> group_counts_;
};

/// Batch-means standard error of a linear estimator: `group_maps(g, n_g)` gives
/// the estimator's maps on the n_g samples of group g alone, `overall` its maps
/// on all N samples (the N_g-weighted mean of the group maps). Per pixel,
///   σ̂² = Σ_g N_g·(S_g - S)² / (G' - 1),   SE = sqrt(σ̂² / N),
/// over the G' non-empty groups; with equal groups this is sd(S_g)/sqrt(G).
/// Fewer than two non-empty groups give +infinity.
template <class GroupMaps>
std::vector<SaliencyMap> batch_means_se(const GridAccumulator& acc, const std::vector<SaliencyMap>& overall,
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

/// @brief The summary precision of a set of maps: the largest standard error
///        over all pixels (and all maps) divided by the largest |map value|.
/// @param maps one or more maps, each H x W (e.g. the K MC-RISE maps of one class)
/// @param standard_errors their standard-error maps, same count and shapes
/// @return max SE / max |S|, >= 0; 0 if both are 0, +infinity if only the maps are 0
/// @throws std::invalid_argument if the counts or shapes differ, there is no map, a map has a NaN or inf,
///         or a standard-error map has a NaN.
inline double relative_standard_error(const std::vector<SaliencyMap>& maps,
                                      const std::vector<SaliencyMap>& standard_errors) {
  if (maps.empty() || maps.size() != standard_errors.size())
    throw std::invalid_argument("mcrise::relative_standard_error(): needs as many standard-error maps as maps (" +
                                std::to_string(maps.size()) + " maps, " + std::to_string(standard_errors.size()) +
                                " standard-error maps)");
  double top = 0.0, se = 0.0;
  for (std::size_t k = 0; k < maps.size(); ++k) {
    if (maps[k].rows() != standard_errors[k].rows() || maps[k].cols() != standard_errors[k].cols())
      throw std::invalid_argument("mcrise::relative_standard_error(): map " + std::to_string(k) +
                                  " and its standard-error map differ in shape");
    if (maps[k].size() == 0) continue;
    // The maps must be finite; a standard error may be +inf (fewer than 2 groups), never NaN.
    if (!maps[k].allFinite() || standard_errors[k].hasNaN())
      throw std::invalid_argument("mcrise::relative_standard_error(): map " + std::to_string(k) +
                                  " has a NaN or inf, or its standard-error map a NaN");
    top = std::max(top, maps[k].cwiseAbs().maxCoeff());
    se = std::max(se, standard_errors[k].maxCoeff());
  }
  if (top == 0.0) return se == 0.0 ? 0.0 : std::numeric_limits<double>::infinity();
  return se / top;
}

/// @brief Accumulates binary-mask samples into RISE (eq. 2) and debiased RISE
///        (eq. 5) maps for a set of target classes.
class RiseAccumulator {
 public:
  /// @param generator the binary mask distribution the samples come from (K must be 1)
  /// @param classes target class indices, >= 0, non-empty
  /// @param se_groups G, batch-means groups for standard errors: 0 (off) or in [2, 1024];
  ///        sample n goes to group (n / B) mod G, B = generator.block_size(). Costs G float copies of the per-shift grid sums.
  /// @param threads threads that clear the sums when they are large (16 MiB or more, e.g. many
  ///        classes) and compute the bulk maps and standard errors: see set_threads() (0: all cores)
  /// @param expected_samples optional: how many samples will be added (0: unknown). With se_groups = 0,
  ///        if keeping the samples themselves (T·8 + 5·cells + 8·P + 12 bytes each, P the stored planes, with the index
  ///        built when maps are asked for) takes less memory than the
  ///        sums, they are kept instead and the sums are built one block of 8 classes at a time when
  ///        maps are asked for: much faster and leaner for many classes (see memory_bytes()). The maps
  ///        are bitwise the same; adding more samples than expected builds the sums then. While samples
  ///        are kept, each one-class call (rise(c), debiased(c)) passes over all of them: for many
  ///        classes use rise_maps() / debiased_maps(), which do 8 classes per pass.
  /// @throws std::invalid_argument for K != 1, no class, a negative class, a bad se_groups, threads
  ///         outside [0, 1024], a negative expected_samples, or target classes whose sums (or kept
  ///         samples) and maps would exceed 16 GiB.
  RiseAccumulator(const MaskGenerator& generator, std::vector<int> classes, int se_groups = 0, int threads = 1,
                  std::int64_t expected_samples = 0)
      : acc_(check_binary(generator), std::move(classes), "mcrise::RiseAccumulator()", se_groups, false, threads,
             expected_samples) {}

  /// @brief Add one sample with the model's scores on its perturbed image.
  /// @param scores all L class scores (every target class must be < L)
  /// @throws std::invalid_argument if a target class is >= L, a target score is not finite, or the
  ///         sample does not fit the generator; std::length_error if it is one more than expected_samples
  ///         and the sums then needed exceed the 16 GiB limit. The accumulator is then left unchanged.
  void add(const MaskSample& sample, const Eigen::Ref<const Eigen::VectorXd>& scores) {
    acc_.add(sample, scores.data(), scores.size(), "mcrise::RiseAccumulator::add()");
  }
  /// @brief Add samples[0..n) with the rows of `scores` (row i: the L scores of samples[i]); bitwise the
  ///        same as n calls of add(sample, row). All n are checked before anything is added.
  /// @param pool optional: with many target classes the classes are split over its threads (the
  ///        drivers pass theirs); the result does not depend on it
  /// @throws std::invalid_argument as add(), or if n < 0 or n exceeds samples.size() or scores.rows(); std::length_error as add().
  void add(const std::vector<MaskSample>& samples, int n, const Eigen::Ref<const RowMatrixXd>& scores,
           detail::ThreadPool* pool = nullptr) {
    acc_.add_batch(samples, n, scores, pool, "mcrise::RiseAccumulator::add()");
  }
  /// @brief Add the samples of another accumulator (disjoint sample numbers). Kept samples (see
  ///        expected_samples) of either side are first made into sums, so the result is the same bits
  ///        whichever way each side was built, and this accumulator keeps sums from then on.
  /// @throws std::invalid_argument if the two differ in image size, grid, upsampling, shift, mask_probability,
  ///         classes, se_groups or sampler block size; std::length_error if kept samples would need sums
  ///         over the 16 GiB limit.
  void merge(const RiseAccumulator& other) { acc_.merge(other.acc_, "mcrise::RiseAccumulator::merge()"); }
  /// @brief Number of samples N added so far.
  std::int64_t count() const noexcept { return acc_.count(); }
  /// @brief Bytes held by the grid sums (8 per sum) and standard-error group sums (4 per sum): about
  ///        P·shifts·cells·T·(8 + 4·se_groups), P the stored planes, T the target classes. Never grows with N.
  ///        While samples are kept (see the constructor's expected_samples): expected_samples·(T·8 + 5·cells + 8·P + 12),
  ///        less than the sums would take.
  std::size_t memory_bytes() const noexcept { return acc_.memory_bytes(); }
  /// @brief True while the samples are kept instead of sums (see the constructor's expected_samples).
  bool keeps_samples() const noexcept { return acc_.keeps_samples(); }
  /// @brief Number of random shifts (dy, dx) the sums are kept for (cell_h·cell_w, or 1 without random shift).
  std::size_t shifts() const noexcept { return acc_.shifts(); }
  /// @brief The target classes, in order.
  const std::vector<int>& classes() const noexcept { return acc_.classes(); }

  /// @brief RISE (eq. 2): S(λ) = 1/N Σ_n m_n(λ)/p_keep · M_n, p_keep = 1 - p_mask. H x W.
  /// @throws std::invalid_argument for a class not accumulated; std::logic_error if N = 0.
  SaliencyMap rise(int cls) const {
    acc_.require_samples("mcrise::RiseAccumulator::rise()");
    return acc_.plane_sum(acc_.slot(cls, "mcrise::RiseAccumulator::rise()"), 0) / rise_divisor();
  }

  /// @brief Debiased RISE (eq. 5): S(λ) = 1/N Σ_n (m_n(λ) - p_keep)/(p_keep(1 - p_keep)) · M_n. H x W.
  /// @throws std::invalid_argument for a class not accumulated; std::logic_error if N = 0.
  SaliencyMap debiased(int cls) const {
    acc_.require_samples("mcrise::RiseAccumulator::debiased()");
    const std::size_t j = acc_.slot(cls, "mcrise::RiseAccumulator::debiased()");
    const double keep = 1.0 - acc_.mask_probability(), n = static_cast<double>(count());
    SaliencyMap s = acc_.plane_sum(j, 0);
    debiased_in_place(s, j, keep, n);
    return s;
  }

  /// @brief rise(c) of every target class c, in the order of classes(), computed on
  ///        set_threads() threads; bitwise equal to calling rise(c) one by one.
  /// @throws std::logic_error if N = 0.
  std::vector<SaliencyMap> rise_maps() const { return rise_maps(0, classes().size()); }
  /// @brief rise(c) of the target classes classes()[first .. first + count), in that order: as
  ///        rise_maps(), for a part of the classes at a time (bounded memory; 8 classes per pass
  ///        over kept samples, so ranges that start at a multiple of 8 waste nothing).
  /// @throws std::invalid_argument if first + count > classes().size(); std::logic_error if N = 0.
  std::vector<SaliencyMap> rise_maps(std::size_t first, std::size_t count) const {
    constexpr const char* where = "mcrise::RiseAccumulator::rise_maps()";
    acc_.require_samples(where);
    acc_.check_range(first, count, where);
    const double div = rise_divisor();
    return acc_.plane_sums(0, first, first + count, [div](std::size_t, SaliencyMap& m) { m /= div; });
  }

  /// @brief debiased(c) of every target class c, in the order of classes(), computed on
  ///        set_threads() threads; bitwise equal to calling debiased(c) one by one.
  /// @throws std::logic_error if N = 0.
  std::vector<SaliencyMap> debiased_maps() const { return debiased_maps(0, classes().size()); }
  /// @brief debiased(c) of the target classes classes()[first .. first + count), in that order
  ///        (see rise_maps(first, count)).
  /// @throws std::invalid_argument if first + count > classes().size(); std::logic_error if N = 0.
  std::vector<SaliencyMap> debiased_maps(std::size_t first, std::size_t count) const {
    constexpr const char* where = "mcrise::RiseAccumulator::debiased_maps()";
    acc_.require_samples(where);
    acc_.check_range(first, count, where);
    const double keep = 1.0 - acc_.mask_probability(), n = static_cast<double>(this->count());
    return acc_.plane_sums(0, first, first + count,
                           [&](std::size_t j, SaliencyMap& m) { debiased_in_place(m, j, keep, n); });
  }

  /// @brief G, the number of batch-means groups (0: standard errors off).
  int se_groups() const noexcept { return acc_.se_groups(); }
  /// @brief Threads used to compute standard-error maps and the bulk maps (0: all cores; default 1).
  ///        The result does not depend on it, bit for bit. A negative value means 1, above 1024 means 1024.
  void set_threads(int threads) noexcept { acc_.set_threads(threads); }

  /// @brief Standard error of rise(cls) by batch means over the G groups (see
  ///        batch_means_se in the source): sd of the group maps / sqrt(G) for equal groups. H x W, >= 0
  ///        (+infinity while fewer than 2 groups hold samples).
  ///        A 95% interval is rise(cls) ± t_{0.975, G-1}·SE.
  /// @throws std::invalid_argument for a class not accumulated; std::logic_error if N = 0 or se_groups = 0.
  SaliencyMap rise_standard_error(int cls) const {
    constexpr const char* where = "mcrise::RiseAccumulator::rise_standard_error()";
    acc_.require_groups(where);
    const std::size_t j = acc_.slot(cls, where);
    const double keep = 1.0 - acc_.mask_probability();
    return detail::batch_means_se(acc_, {rise(cls)}, [&](int g, double n) {
      return std::vector<SaliencyMap>{acc_.group_plane_sum(j, g, 0) / (n * keep)};
    })[0];
  }

  /// @brief Standard error of debiased(cls) by batch means over the G groups. H x W, >= 0
  ///        (+infinity while fewer than 2 groups hold samples).
  /// @throws std::invalid_argument for a class not accumulated; std::logic_error if N = 0 or se_groups = 0.
  SaliencyMap debiased_standard_error(int cls) const {
    constexpr const char* where = "mcrise::RiseAccumulator::debiased_standard_error()";
    acc_.require_groups(where);
    const std::size_t j = acc_.slot(cls, where);
    const double keep = 1.0 - acc_.mask_probability();
    return detail::batch_means_se(acc_, {debiased(cls)}, [&](int g, double n) {
      SaliencyMap s = acc_.group_plane_sum(j, g, 0) / n;
      s.array() -= keep * acc_.group_total(j, g) / n;
      return std::vector<SaliencyMap>{s / (keep * (1.0 - keep))};
    })[0];
  }

 private:
  // Eq. 2's N·p_keep.
  double rise_divisor() const noexcept { return static_cast<double>(count()) * (1.0 - acc_.mask_probability()); }
  // Eq. 5 from the kept-plane sum of slot j, in place (no second H x W map for each class).
  void debiased_in_place(SaliencyMap& s, std::size_t j, double keep, double n) const {
    const double mean = keep * acc_.total(j) / n, div = keep * (1.0 - keep);
    s.array() = (s.array() / n - mean) / div;  // one pass, the same three roundings per pixel
  }
  static const MaskGenerator& check_binary(const MaskGenerator& g) {
    if (g.num_colors() != 1)
      throw std::invalid_argument("mcrise::RiseAccumulator(): needs binary masks (1 colour), got " +
                                  std::to_string(g.num_colors()) + " colours");
    return g;
  }
  detail::GridAccumulator acc_;
};

/// @brief Accumulates colour-mask samples into MC-RISE maps (eq. 9): the raw
///        colour maps and the baseline map are kept as separate sums.
class McRiseAccumulator {
 public:
  /// @param generator the colour mask distribution the samples come from (K colours)
  /// @param classes target class indices, >= 0, non-empty
  /// @param se_groups G, batch-means groups for standard errors: 0 (off) or in [2, 1024];
  ///        sample n goes to group (n / B) mod G, B = generator.block_size(). Costs G float copies of the per-shift grid sums.
  /// @param threads threads that clear the sums when they are large (16 MiB or more, e.g. many
  ///        classes) and compute all_maps() and standard errors: see set_threads() (0: all cores)
  /// @param expected_samples optional: how many samples will be added (0: unknown); see RiseAccumulator
  ///        (for many classes use all_maps(), which does 8 classes per pass over the kept samples).
  /// @throws std::invalid_argument for no class, a negative class, a bad se_groups, threads outside
  ///         [0, 1024], a negative expected_samples, or target classes whose sums (or kept samples)
  ///         and maps would exceed 16 GiB.
  McRiseAccumulator(const MaskGenerator& generator, std::vector<int> classes, int se_groups = 0, int threads = 1,
                    std::int64_t expected_samples = 0)
      : acc_(generator, std::move(classes), "mcrise::McRiseAccumulator()", se_groups, true, threads,
             expected_samples) {}

  /// @brief Add one sample with the model's scores on its perturbed image.
  /// @param scores all L class scores (every target class must be < L)
  /// @throws std::invalid_argument if a target class is >= L, a target score is not finite, or the
  ///         sample does not fit the generator; std::length_error if it is one more than expected_samples
  ///         and the sums then needed exceed the 16 GiB limit. The accumulator is then left unchanged.
  void add(const MaskSample& sample, const Eigen::Ref<const Eigen::VectorXd>& scores) {
    acc_.add(sample, scores.data(), scores.size(), "mcrise::McRiseAccumulator::add()");
  }
  /// @brief Add samples[0..n) with the rows of `scores` (row i: the L scores of samples[i]); bitwise the
  ///        same as n calls of add(sample, row). All n are checked before anything is added.
  /// @param pool optional: with many target classes the classes are split over its threads (the
  ///        drivers pass theirs); the result does not depend on it
  /// @throws std::invalid_argument as add(), or if n < 0 or n exceeds samples.size() or scores.rows(); std::length_error as add().
  void add(const std::vector<MaskSample>& samples, int n, const Eigen::Ref<const RowMatrixXd>& scores,
           detail::ThreadPool* pool = nullptr) {
    acc_.add_batch(samples, n, scores, pool, "mcrise::McRiseAccumulator::add()");
  }
  /// @brief Add the samples of another accumulator (disjoint sample numbers). Kept samples of either
  ///        side are first made into sums (see RiseAccumulator::merge).
  /// @throws std::invalid_argument if the two differ in image size, grid, upsampling, shift, number of colours,
  ///         mask_probability, classes, se_groups or sampler block size; std::length_error if kept samples
  ///         would need sums over the 16 GiB limit.
  void merge(const McRiseAccumulator& other) { acc_.merge(other.acc_, "mcrise::McRiseAccumulator::merge()"); }
  /// @brief Number of samples N added so far.
  std::int64_t count() const noexcept { return acc_.count(); }
  /// @brief Bytes held by the grid sums (8 per sum) and standard-error group sums (4 per sum): about
  ///        P·shifts·cells·T·(8 + 4·se_groups), P the stored planes, T the target classes. Never grows with N.
  ///        While samples are kept (see the constructor's expected_samples): expected_samples·(T·8 + 5·cells + 8·P + 12),
  ///        less than the sums would take.
  std::size_t memory_bytes() const noexcept { return acc_.memory_bytes(); }
  /// @brief True while the samples are kept instead of sums (see the constructor's expected_samples).
  bool keeps_samples() const noexcept { return acc_.keeps_samples(); }
  /// @brief Number of random shifts (dy, dx) the sums are kept for (cell_h·cell_w, or 1 without random shift).
  std::size_t shifts() const noexcept { return acc_.shifts(); }
  /// @brief The target classes, in order.
  const std::vector<int>& classes() const noexcept { return acc_.classes(); }
  /// @brief K, the number of mask colours.
  int num_colors() const noexcept { return acc_.num_colors(); }

  /// @brief Raw colour maps: for k = 1..K, 1/N Σ_n K·m^c_n(λ,k)/p_mask · M_n (K maps, H x W).
  /// @throws std::invalid_argument for a class not accumulated; std::logic_error if N = 0.
  std::vector<SaliencyMap> raw_maps(int cls) const {
    acc_.require_samples("mcrise::McRiseAccumulator::raw_maps()");
    const std::size_t j = acc_.slot(cls, "mcrise::McRiseAccumulator::raw_maps()");
    const double scale = raw_scale();
    std::vector<SaliencyMap> out;
    for (int k = 1; k <= acc_.num_colors(); ++k) out.push_back(acc_.plane_sum(j, k) * scale);
    return out;
  }

  /// @brief Baseline map: 1/N Σ_n m0_n(λ)/(1 - p_mask) · M_n (H x W), the estimate of
  ///        E[M | pixel kept], subtracted from every raw map.
  /// @throws std::invalid_argument for a class not accumulated; std::logic_error if N = 0.
  SaliencyMap baseline(int cls) const {
    acc_.require_samples("mcrise::McRiseAccumulator::baseline()");
    const std::size_t j = acc_.slot(cls, "mcrise::McRiseAccumulator::baseline()");
    return acc_.plane_sum(j, 0) / baseline_divisor();
  }

  /// @brief MC-RISE maps (eq. 9): S(λ,k) = raw_k(λ) - baseline(λ), K maps H x W.
  /// @throws std::invalid_argument for a class not accumulated; std::logic_error if N = 0.
  std::vector<SaliencyMap> maps(int cls) const {
    auto raw = raw_maps(cls);
    const SaliencyMap base = baseline(cls);
    for (auto& m : raw) m -= base;
    return raw;
  }

  /// @brief maps(c) of every target class c, in the order of classes(), computed on
  ///        set_threads() threads; bitwise equal to calling maps(c) one by one.
  /// @param baselines if not null, receives baseline(c) of every target class, in order
  /// @throws std::logic_error if N = 0.
  std::vector<std::vector<SaliencyMap>> all_maps(std::vector<SaliencyMap>* baselines = nullptr) const {
    return all_maps(0, classes().size(), baselines);
  }
  /// @brief maps(c) of the target classes classes()[first .. first + count), in that order: as
  ///        all_maps(), for a part of the classes at a time (bounded memory; 8 classes per pass
  ///        over kept samples, so ranges that start at a multiple of 8 waste nothing).
  /// @param baselines if not null, receives baseline(c) of the same classes, in order
  /// @throws std::invalid_argument if first + count > classes().size(); std::logic_error if N = 0.
  std::vector<std::vector<SaliencyMap>> all_maps(std::size_t first, std::size_t count,
                                                 std::vector<SaliencyMap>* baselines = nullptr) const {
    constexpr const char* where = "mcrise::McRiseAccumulator::all_maps()";
    acc_.require_samples(where);
    acc_.check_range(first, count, where);
    const int K = acc_.num_colors();
    const double base_div = baseline_divisor(), scale = raw_scale();
    auto base = acc_.plane_sums(0, first, first + count, [base_div](std::size_t, SaliencyMap& m) { m /= base_div; });
    std::vector<std::vector<SaliencyMap>> out(base.size());
    for (int k = 1; k <= K; ++k) {
      auto raw = acc_.plane_sums(k, first, first + count, [&](std::size_t j, SaliencyMap& m) {
        // Two statements, as in raw_maps() and maps(): one expression could be contracted to an
        // FMA (-ffp-contract=fast with -mfma / on aarch64) and differ from maps(c) in the last bit.
        m *= scale;
        m -= base[j - first];
      });
      for (std::size_t j = 0; j < raw.size(); ++j) out[j].push_back(std::move(raw[j]));
    }
    if (baselines != nullptr) *baselines = std::move(base);
    return out;
  }

  /// @brief G, the number of batch-means groups (0: standard errors off).
  int se_groups() const noexcept { return acc_.se_groups(); }
  /// @brief Threads used to compute standard-error maps and all_maps() (0: all cores; default 1).
  ///        The result does not depend on it, bit for bit. A negative value means 1, above 1024 means 1024.
  void set_threads(int threads) noexcept { acc_.set_threads(threads); }

  /// @brief Standard errors of maps(cls) by batch means over the G groups: K maps H x W, >= 0
  ///        (+infinity while fewer than 2 groups hold samples).
  ///        The group maps are raw_k - baseline of each group, so the correlation of the two
  ///        terms of eq. 9 is accounted for. A 95% interval is S(λ,k) ± t_{0.975, G-1}·SE.
  /// @throws std::invalid_argument for a class not accumulated; std::logic_error if N = 0 or se_groups = 0.
  std::vector<SaliencyMap> standard_errors(int cls) const {
    constexpr const char* where = "mcrise::McRiseAccumulator::standard_errors()";
    acc_.require_groups(where);
    return standard_errors(cls, maps(cls));
  }

  /// @brief As standard_errors(cls), given the class's maps(cls) (saves recomputing them).
  /// @param maps must be maps(cls): K maps, H x W
  /// @throws as standard_errors(cls); std::invalid_argument if `maps` is not K maps of H x W.
  std::vector<SaliencyMap> standard_errors(int cls, const std::vector<SaliencyMap>& maps) const {
    constexpr const char* where = "mcrise::McRiseAccumulator::standard_errors()";
    acc_.require_groups(where);
    const std::size_t j = acc_.slot(cls, where);
    const int K = acc_.num_colors();
    detail::require(where, static_cast<int>(maps.size()) == K, "needs the K = ", K, " maps, got ", maps.size());
    const int H = acc_.geometry().height, W = acc_.geometry().width;
    for (std::size_t k = 0; k < maps.size(); ++k)
      detail::require(where, maps[k].rows() == H && maps[k].cols() == W, "map ", k, " is ", maps[k].rows(), " x ",
                      maps[k].cols(), " but the image is ", H, " x ", W);
    const double p = acc_.mask_probability();
    return detail::batch_means_se(acc_, maps, [&](int g, double n) {
      const SaliencyMap base = acc_.group_plane_sum(j, g, 0) / (n * (1.0 - p));
      std::vector<SaliencyMap> out;
      for (int k = 1; k <= K; ++k) out.push_back(acc_.group_plane_sum(j, g, k) * (K / (n * p)) - base);
      return out;
    });
  }

 private:
  // Eq. 9's factors: raw maps K/(N·p_mask), baseline 1/(N·(1 - p_mask)) (as a divisor).
  double raw_scale() const noexcept {
    return acc_.num_colors() / (static_cast<double>(count()) * acc_.mask_probability());
  }
  double baseline_divisor() const noexcept {
    return static_cast<double>(count()) * (1.0 - acc_.mask_probability());
  }
  detail::GridAccumulator acc_;
};

}  // namespace mcrise
