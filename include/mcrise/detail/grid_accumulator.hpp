#pragma once
/// @file detail/grid_accumulator.hpp
/// @brief The engine of RiseAccumulator and McRiseAccumulator: per shift, per plane, per grid
///        cell, per target class, Σ_n M_n·[cell state == plane] (grid_sums.hpp), or the samples
///        themselves (kept_samples.hpp), plus the batch-means groups (batch_means.hpp).

#include <mcrise/image.hpp>
#include <mcrise/masks.hpp>
#include <mcrise/detail/batch_means.hpp>
#include <mcrise/detail/checks.hpp>
#include <mcrise/detail/file.hpp>
#include <mcrise/detail/grid_sums.hpp>
#include <mcrise/detail/kept_samples.hpp>
#include <mcrise/detail/thread_pool.hpp>
#include <mcrise/detail/upsample.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mcrise {

namespace detail {

/// FNV-1a 64 of data[0..n), going on from the hash `h` (the offset basis: a fresh hash).
inline std::uint64_t fnv1a64(const void* data, std::size_t n, std::uint64_t h = 0xcbf29ce484222325ULL) noexcept {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) h = (h ^ bytes[i]) * 0x100000001b3ULL;
  return h;
}

/// Per shift, per plane, per grid cell, per target class: Σ_n M_n·[cell state == plane], in the
/// lane-block table of GridSums. `colour_planes` false keeps only plane 0 (the kept cells), all
/// that RISE needs.
///
/// Kept samples: when the caller says how many samples it will add (`expected_samples`), there
/// are no standard errors, and the samples themselves (KeptSamples::bytes_per_sample) take less
/// memory than the sums (P·shifts·cells·T·8 bytes), the samples are kept instead and the sums are
/// built one lane block at a time when maps are asked for (see kept_samples.hpp). With many
/// classes and N below about shifts·cells·P this is much less memory and no streaming through a
/// large table. Adding more samples than expected builds the sums from the kept ones and goes on
/// with the sums.
class GridAccumulator {
 public:
  GridAccumulator(const MaskGenerator& gen, std::vector<int> classes, const char* where, int se_groups,
                  bool colour_planes, int threads, std::int64_t expected_samples = 0)
      : geo_(gen.geometry()),
        planes_(gen.num_colors() + 1),
        p_mask_(gen.mask_probability()),
        source_(gen.fingerprint()),
        seed_(gen.seed()),
        sampler_(static_cast<int>(gen.sampler())),
        classes_(std::move(classes)),
        up_(geo_) {
    require(where, !classes_.empty(), "no target classes given");
    for (int c : classes_) require(where, c >= 0, "class index must be >= 0, got ", c);
    const std::size_t T = classes_.size();
    contiguous_ = true;
    for (std::size_t j = 1; j < T; ++j)
      contiguous_ = contiguous_ && static_cast<long long>(classes_[j]) == static_cast<long long>(classes_[0]) +
                                                                            static_cast<long long>(j);
    // RISE and debiased RISE read only the kept plane; MC-RISE reads all K + 1.
    L_.slots = T;
    L_.cells = static_cast<std::size_t>(geo_.cells());
    L_.shifts = static_cast<std::size_t>(geo_.shifts_h()) * static_cast<std::size_t>(geo_.shifts_w());
    L_.planes = colour_planes ? planes_ : 1;
    check_se_groups(se_groups, where);
    require(where, expected_samples >= 0, "expected_samples must be >= 0, got ", expected_samples);
    check_threads(threads, where);
    // Kept samples when they take less memory than the sums (see the class comment).
    const double table_bytes = static_cast<double>(L_.stride()) * static_cast<double>(L_.shifts) * 8.0;
    const double kept_bytes =
        static_cast<double>(expected_samples) * static_cast<double>(KeptSamples::bytes_per_sample(L_));
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
    if (keep_)
      kept_.start(static_cast<std::size_t>(expected_samples), L_, threads_);  // on `threads` threads when large
    else
      assign_zeros(sums_, L_.size(), threads_);
    totals_.assign(T, 0.0);
    groups_.start(se_groups, static_cast<std::uint64_t>(gen.block_size()), L_, geo_.shifts_w(), threads_);
    serial_.reserve(T, contiguous_, groups_.groups > 0);
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
      keep_scores(&s, 1, scores, 0, kept_.size(), 0, classes_.size(), serial_);
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
      const std::size_t n0 = kept_.size();
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

  /// Adds the samples of `o` (the same generator, classes and groups; see RiseAccumulator::merge).
  void merge(const GridAccumulator& o, const char* where) {
    const bool same = o.geo_.height == geo_.height && o.geo_.width == geo_.width && o.geo_.grid_h == geo_.grid_h &&
                      o.geo_.grid_w == geo_.grid_w && o.geo_.upsampling == geo_.upsampling &&
                      o.geo_.random_shift == geo_.random_shift && o.planes_ == planes_ && o.p_mask_ == p_mask_ &&
                      o.classes_ == classes_ && o.groups_.groups == groups_.groups &&
                      o.groups_.block == groups_.block && o.L_.planes == L_.planes;
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
    groups_.merge(o.groups_);
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
    KeptSamples::Scratch kept;
    kept_.block_sums(L_, slot, 1, *kept_.index(L_, planes_), plane, kept);  // this slot's lane alone
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
      constexpr std::size_t lanes = GridSums::lanes;
      const std::shared_ptr<const KeptSamples::Index> ix = kept_.index(L_, planes_);
      const std::size_t b0 = j0 / lanes, blocks = (j1 - 1) / lanes + 1 - b0;
      const int parts = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(resolve_threads(threads_)), blocks));
      std::vector<KeptSamples::Scratch> kept(static_cast<std::size_t>(parts));
      std::vector<ShiftUpsampler::Scratch> scratch(static_cast<std::size_t>(parts));
      auto block = [&](int b, int worker) {
        // The block's slots within [j0, j1): only their lanes are summed.
        const std::size_t first = (b0 + static_cast<std::size_t>(b)) * lanes;
        const std::size_t lo = std::max(first, j0), hi = std::min(first + L_.block_width(first), j1);
        auto& k = kept[static_cast<std::size_t>(worker)];
        kept_.block_sums(L_, lo, hi - lo, *ix, plane, k);
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
      const auto [a, b] = GridSums::slot_range(p, parts, j0, j1);
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

  /// Σ_{n in group g} M_n·m_n^plane(λ) into `out` (H x W; batch-means group g, 0 <= g < se_groups()),
  /// from the shifts the group's samples used.
  void group_plane_sum(std::size_t slot, int g, int plane, SaliencyMap& out, ShiftUpsampler::Scratch& scratch) const {
    const std::size_t width = L_.block_width(slot), per_shift = static_cast<std::size_t>(L_.planes) * L_.cells * width;
    const float* base = groups_.sums.data() + static_cast<std::size_t>(g) * L_.size() +
                        L_.offset(0, static_cast<std::size_t>(plane), 0, slot);
    const unsigned char* used = groups_.used.data() + static_cast<std::size_t>(g) * L_.shifts;
    up_.into(
        [&](int shift, int cell) {
          return base[static_cast<std::size_t>(shift) * per_shift + static_cast<std::size_t>(cell) * width];
        },
        [used](int shift) { return used[shift] != 0; }, scratch, out);
  }
  /// Σ_{n in group g} M_n.
  double group_total(std::size_t slot, int g) const noexcept {
    return groups_.totals[static_cast<std::size_t>(g) * classes_.size() + slot];
  }
  /// Number of samples in group g.
  std::int64_t group_count(int g) const noexcept { return groups_.counts[static_cast<std::size_t>(g)]; }
  /// G, the number of batch-means groups (0: standard errors off).
  int se_groups() const noexcept { return groups_.groups; }
  /// Threads for standard errors and the bulk maps (0: all cores).
  int threads() const noexcept { return threads_; }
  void set_threads(int threads) noexcept { threads_ = threads < 0 ? 1 : std::min(threads, max_threads); }

  /// Throws std::logic_error unless standard errors can be computed.
  void require_groups(const char* where) const {
    require_samples(where);
    if (groups_.groups == 0) throw std::logic_error(std::string(where) + ": standard errors are off (se_groups = 0)");
  }
  /// Throws std::logic_error unless samples have been added.
  void require_samples(const char* where) const {
    if (count_ == 0) throw std::logic_error(std::string(where) + ": no samples have been added");
  }
  /// Throws std::invalid_argument unless [first, first + count) is a range of target slots.
  void check_range(std::size_t first, std::size_t count, const char* where) const {
    require(where, first <= classes_.size() && count <= classes_.size() - first, "classes [", first, ", ", first,
            " + ", count, ") out of the ", classes_.size(), " target classes");
  }

  /// Version of the state file format written by state() (see docs/checkpoints.md).
  static constexpr std::uint32_t state_version = 1;

  /// The accumulator's state as the bytes of a state file (format in docs/checkpoints.md): the
  /// header fields, the target classes, N, the totals, the grid sums (built from the kept samples
  /// while samples are kept), the group sums, totals and counts, and an FNV-1a 64 checksum.
  /// `kind` names the public accumulator (1 RISE, 2 MC-RISE); `tag` is the caller's fingerprint
  /// of what else the sums depend on (0: none).
  std::vector<unsigned char> state(std::uint64_t kind, std::uint64_t tag, const char* where) const {
    std::vector<double, BufferAllocator<double>> built;
    if (keep_) built = sums_of_kept(*this, where);
    const auto& sums = keep_ ? built : sums_;
    const auto fields = state_fields(kind, tag);
    std::vector<unsigned char> out;
    out.reserve(static_cast<std::size_t>(state_bytes(fields.size())));
    for (unsigned char m : state_magic) out.push_back(m);
    put_u64(out, state_version);
    put_u64(out, state_bytes(fields.size()));
    for (const auto& f : fields) put_u64(out, f.second);
    for (int c : classes_) put_u64(out, static_cast<std::uint64_t>(c));
    put_u64(out, static_cast<std::uint64_t>(count_));
    for (double v : totals_) put_f64(out, v);
    for (double v : sums) put_f64(out, v);
    for (float v : groups_.sums) put_u32(out, bits_of(v));
    for (double v : groups_.totals) put_f64(out, v);
    for (std::int64_t v : groups_.counts) put_u64(out, static_cast<std::uint64_t>(v));
    put_u64(out, fnv1a64(out.data(), out.size()));
    return out;
  }

  /// Replaces the accumulator's state by the state file `bytes` read from `path` (see state()).
  /// Afterwards the accumulator keeps sums, and adding more samples gives bitwise what adding
  /// them to the accumulator that wrote the file would have given.
  /// @throws io_error (function fn) if the file is not a state file, is of another format version,
  ///         is truncated or longer than its header says, or fails its checksum;
  ///         std::invalid_argument (naming `where`) naming the first header field that differs from
  ///         this accumulator's. The accumulator is unchanged then.
  void set_state(const std::vector<unsigned char>& bytes, std::uint64_t kind, std::uint64_t tag,
                 const std::string& path, const char* fn, const char* where) {
    const std::size_t n = bytes.size();
    if (n < 24 || !std::equal(state_magic, state_magic + 8, bytes.begin()))
      throw io_error(fn, path, "not an mcrise accumulator state file (no MCRISEAC magic in its first 8 bytes)");
    const std::uint64_t version = get_u64(bytes.data() + 8);
    if (version != state_version)
      throw io_error(fn, path, "state file format version " + std::to_string(version) + ", this build reads version " +
                                   std::to_string(state_version));
    const std::uint64_t said = get_u64(bytes.data() + 16);
    if (said != n)
      throw io_error(fn, path, "truncated or damaged: the file is " + std::to_string(n) + " bytes, its header says " +
                                   std::to_string(said));
    if (fnv1a64(bytes.data(), n - 8) != get_u64(bytes.data() + n - 8))
      throw io_error(fn, path, "corrupt: the FNV-1a 64 checksum does not match the contents");
    const auto fields = state_fields(kind, tag);
    const unsigned char* p = bytes.data() + 24;
    const auto has = [&](std::size_t k) { return static_cast<std::size_t>(p - bytes.data()) + 8 * k + 8 <= n; };
    require(where, has(fields.size()), "the state file '", path, "' has fewer header fields than this build writes");
    for (const auto& f : fields) {
      const std::uint64_t v = get_u64(p);
      p += 8;
      if (v != f.second)
        fail(where, "the state file '", path, "' was written with another ", f.first, " (",
             describe_field(f.first, v), ") than this accumulator's (", describe_field(f.first, f.second), ")");
    }
    for (std::size_t j = 0; j < classes_.size(); ++j, p += 8)
      if (get_u64(p) != static_cast<std::uint64_t>(classes_[j]))
        fail(where, "the state file '", path, "' was written with other target classes: class ", j, " is ",
             get_u64(p), " there, ", classes_[j], " here");
    if (n != state_bytes(fields.size())) throw io_error(fn, path, "corrupt: the size does not fit its header");
    // Everything is checked: read into fresh storage, then swap in.
    const auto c = static_cast<std::int64_t>(get_u64(p));
    p += 8;
    std::vector<double> totals(totals_.size());
    for (double& v : totals) v = get_f64(p), p += 8;
    std::vector<double, BufferAllocator<double>> sums;
    assign_zeros(sums, L_.size(), threads_);
    for (double& v : sums) v = get_f64(p), p += 8;
    BatchMeans groups = groups_;
    for (float& v : groups.sums) v = float_of(get_u32(p)), p += 4;
    for (double& v : groups.totals) v = get_f64(p), p += 8;
    for (std::int64_t& v : groups.counts) v = static_cast<std::int64_t>(get_u64(p)), p += 8;
    groups.use_all();
    sums_.swap(sums);
    totals_.swap(totals);
    groups_ = std::move(groups);
    count_ = c;
    keep_ = false;
    kept_.clear();
  }

  std::int64_t count() const noexcept { return count_; }
  /// Bytes of the per-shift grid sums and group sums (the bulk of the accumulator's memory).
  std::size_t memory_bytes() const noexcept {
    if (keep_) return kept_.capacity() * KeptSamples::bytes_per_sample(L_);
    return sums_.size() * sizeof(double) + groups_.sums.size() * sizeof(float);
  }
  /// True while samples are kept instead of sums (see the class comment).
  bool keeps_samples() const noexcept { return keep_; }
  /// Number of shifts (dy, dx) of the per-shift grid sums.
  std::size_t shifts() const noexcept { return L_.shifts; }
  double total(std::size_t slot) const noexcept { return totals_[slot]; }
  double mask_probability() const noexcept { return p_mask_; }
  int num_colors() const noexcept { return planes_ - 1; }
  const std::vector<int>& classes() const noexcept { return classes_; }
  const MaskGeometry& geometry() const noexcept { return geo_; }

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
    const double blocks = static_cast<double>((T + GridSums::lanes - 1) / GridSums::lanes);
    const int parts = pool == nullptr ? 1
                                      : static_cast<int>(std::min<double>(
                                            {static_cast<double>(pool->size()), blocks, max_parts}));
    if (parts <= 1) {
      f(std::size_t{0}, T, serial_);
      return;
    }
    std::vector<RowScratch> scratch(static_cast<std::size_t>(parts));
    for (int p = 0; p < parts; ++p) {
      const auto r = L_.lane_aligned_range(p, parts);
      scratch[static_cast<std::size_t>(p)].reserve(r.second - r.first, contiguous_, groups_.groups > 0);
    }
    pool->parallel_for(parts, [&](int p, int) {
      const auto r = L_.lane_aligned_range(p, parts);
      f(r.first, r.second, scratch[static_cast<std::size_t>(p)]);
    });
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

  std::size_t shift_of(const MaskSample& s) const noexcept {
    return static_cast<std::size_t>(s.dy) * static_cast<std::size_t>(geo_.shifts_w()) + static_cast<std::size_t>(s.dx);
  }

  /// Adds target slots [j0, j1) of samples[0..b) (already checked) to the lane-block table (see
  /// GridSums::add_cells). The totals are added in sample order, the grid sums in `order`
  /// (samples stably sorted by shift).
  void add_rows(const MaskSample* s, int b, const int* order, const double* scores, std::ptrdiff_t stride,
                std::size_t j0, std::size_t j1, RowScratch& scratch) noexcept {
    add_totals(s, b, scores, stride, j0, j1, scratch);
    const std::size_t n = j1 - j0;
    std::vector<float>& wf = scratch.wf;
    for (int k = 0; k < b; ++k) {
      const int i = order[k];
      const double* w = target_scores(scores + i * stride, j0, n, scratch);
      const std::size_t shift = shift_of(s[i]);
      L_.add_cells(sums_.data(), shift, s[i].cells.data(), w, j0, n);
      if (groups_.groups == 0) continue;
      const std::size_t g = groups_.group_of(s[i].index);
      for (std::size_t j = 0; j < n; ++j) wf[j] = static_cast<float>(w[j]);
      L_.add_cells(groups_.sums.data() + g * L_.shifts * L_.stride(), shift, s[i].cells.data(), wf.data(), j0, n);
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
      if (groups_.groups == 0) continue;
      const std::size_t g = groups_.group_of(s[i].index);
      for (std::size_t j = 0; j < n; ++j) groups_.totals[g * T + j0 + j] += w[j];
    }
  }

  /// Bytes of the H x W double maps of every stored plane and target class.
  double maps_bytes() const noexcept {
    return static_cast<double>(L_.planes) * static_cast<double>(classes_.size()) * static_cast<double>(geo_.height) *
           static_cast<double>(geo_.width) * 8.0;
  }

  /// Keeps the cells and shifts of samples[0..b) (already checked; the capacity is enough).
  void keep_cells(const MaskSample* s, int b) noexcept {
    for (int i = 0; i < b; ++i) kept_.keep_cells(s[i].cells, shift_of(s[i]));
  }
  /// Keeps the scores of slots [j0, j1) (whole lane blocks) of samples[0..b) as kept samples n0 + i,
  /// and adds their totals; parts of a pool may run side by side.
  void keep_scores(const MaskSample* s, int b, const double* scores, std::ptrdiff_t stride, std::size_t n0,
                   std::size_t j0, std::size_t j1, RowScratch& scratch) noexcept {
    constexpr std::size_t lanes = GridSums::lanes;
    add_totals(s, b, scores, stride, j0, j1, scratch);
    for (int i = 0; i < b; ++i) {
      const double* w = target_scores(scores + i * stride, j0, j1 - j0, scratch);
      for (std::size_t first = j0; first < j1; first += lanes) {
        const double* from = w + (first - j0);
        double* to = kept_.row(L_, first, n0 + static_cast<std::size_t>(i));
        if (L_.block_width(first) == lanes) {
          for (std::size_t l = 0; l < lanes; ++l) to[l] = from[l];  // inline: a memmove call per 64 bytes costs more
        } else {
          std::copy(from, from + L_.block_width(first), to);
        }
      }
    }
  }

  /// Before n more samples are added: true if they are to be kept (there is room for them);
  /// false if the accumulator keeps sums, built here from the kept samples if n more would not fit.
  bool room_to_keep(std::size_t n, const char* where) {
    if (keep_ && kept_.size() + n > kept_.capacity()) build_sums(where);
    if (keep_) kept_.reserve(L_);
    return keep_;
  }

  /// The per-shift sums of the kept samples of `src` (a table of this accumulator's layout),
  /// bitwise those that adding them to sums would have given. Throws std::length_error if
  /// the sums and the maps would exceed the 16 GiB limit of the constructor.
  std::vector<double, BufferAllocator<double>> sums_of_kept(const GridAccumulator& src, const char* where) const {
    const double gib =
        (static_cast<double>(L_.stride()) * static_cast<double>(L_.shifts) * 8.0 + maps_bytes()) / bytes_per_gib;
    if (gib > memory_limit_gib)
      throw std::length_error(std::string(where) + ": past expected_samples (or in a merge) the kept samples need " +
                              "per-shift sums: " + std::to_string(gib) +
                              " GiB with the maps for this image (limit 16 GiB)");
    std::vector<double, BufferAllocator<double>> sums;
    assign_zeros(sums, L_.size(), threads_);
    src.kept_.add_to(sums.data(), L_);
    return sums;
  }

  /// Leaves kept-samples mode: builds the sums from the kept samples and frees them. On
  /// bad_alloc or std::length_error (sums_of_kept) the accumulator is as it was.
  void build_sums(const char* where) {
    auto sums = sums_of_kept(*this, where);
    sums_.swap(sums);
    keep_ = false;
    kept_.clear();
  }

  /// Upsamples lane l of a block table of KeptSamples::block_sums.
  SaliencyMap upsample_table(const std::vector<double>& table, std::size_t width, std::size_t l,
                             ShiftUpsampler::Scratch& scratch) const {
    return upsample_strided(table.data() + l, L_.cells * width, width, scratch);
  }
  /// Upsamples one plane of one class of per-shift grid sums (`sums` points at shift 0).
  template <class T>
  SaliencyMap upsample_sums(const T* sums, std::size_t slot, int plane) const {
    ShiftUpsampler::Scratch scratch;
    return upsample_sums(sums, slot, plane, scratch);
  }
  template <class T>
  SaliencyMap upsample_sums(const T* sums, std::size_t slot, int plane, ShiftUpsampler::Scratch& scratch) const {
    const std::size_t width = L_.block_width(slot);
    return upsample_strided(sums + L_.offset(0, static_cast<std::size_t>(plane), 0, slot),
                            static_cast<std::size_t>(L_.planes) * L_.cells * width, width, scratch);
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

  static constexpr unsigned char state_magic[8] = {'M', 'C', 'R', 'I', 'S', 'E', 'A', 'C'};

  /// The header fields of a state file after magic, version and size, in file order: every
  /// option the sums depend on.
  std::vector<std::pair<const char*, std::uint64_t>> state_fields(std::uint64_t kind, std::uint64_t tag) const {
    return {{"accumulator kind", kind},
            {"image height", static_cast<std::uint64_t>(geo_.height)},
            {"image width", static_cast<std::uint64_t>(geo_.width)},
            {"grid_h", static_cast<std::uint64_t>(geo_.grid_h)},
            {"grid_w", static_cast<std::uint64_t>(geo_.grid_w)},
            {"upsampling", static_cast<std::uint64_t>(geo_.upsampling)},
            {"random_shift", geo_.random_shift ? 1u : 0u},
            {"number of colours", static_cast<std::uint64_t>(planes_ - 1)},
            {"mask_probability", bits_of(p_mask_)},
            {"sampler", static_cast<std::uint64_t>(sampler_)},
            {"sampler block size", groups_.block},
            {"seed", seed_},
            {"generator fingerprint", source_},
            {"stored planes", static_cast<std::uint64_t>(L_.planes)},
            {"se_groups", static_cast<std::uint64_t>(groups_.groups)},
            {"number of target classes", static_cast<std::uint64_t>(classes_.size())},
            {"tag (image, colours and layout of a checkpointed run)", tag}};
  }
  /// Bytes of a state file with `fields` header fields for this accumulator.
  std::uint64_t state_bytes(std::size_t fields) const noexcept {
    const std::uint64_t T = classes_.size(), G = static_cast<std::uint64_t>(groups_.groups);
    return 24 + 8 * fields + 8 * T + 8 + 8 * T + 8 * L_.size() + 4 * G * L_.size() + 8 * G * T + 8 * G + 8;
  }
  /// A field's value for a message: mask_probability as a number, the others as integers.
  static std::string describe_field(const char* name, std::uint64_t v) {
    if (std::string_view(name) == "mask_probability") {
      double d = 0.0;
      std::memcpy(&d, &v, sizeof d);
      return real_str(d);
    }
    return std::to_string(v);
  }
  static std::uint64_t bits_of(double d) noexcept {
    std::uint64_t v = 0;
    std::memcpy(&v, &d, sizeof v);
    return v;
  }
  static std::uint32_t bits_of(float f) noexcept {
    std::uint32_t v = 0;
    std::memcpy(&v, &f, sizeof v);
    return v;
  }
  static float float_of(std::uint32_t v) noexcept {
    float f = 0.0f;
    std::memcpy(&f, &v, sizeof f);
    return f;
  }
  // Little-endian, whatever the host.
  static void put_u64(std::vector<unsigned char>& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
  }
  static void put_u32(std::vector<unsigned char>& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
  }
  static void put_f64(std::vector<unsigned char>& out, double d) { put_u64(out, bits_of(d)); }
  static std::uint64_t get_u64(const unsigned char* p) noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
    return v;
  }
  static std::uint32_t get_u32(const unsigned char* p) noexcept {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(p[i]) << (8 * i);
    return v;
  }
  static double get_f64(const unsigned char* p) noexcept {
    const std::uint64_t v = get_u64(p);
    double d = 0.0;
    std::memcpy(&d, &v, sizeof d);
    return d;
  }
  void count_samples(const MaskSample* s, int b) {
    groups_.count(s, b);
    count_ += b;
  }

  MaskGeometry geo_;
  int planes_;
  double p_mask_;
  std::uint64_t source_;  // the generator's fingerprint(): samples from another generator are refused
  std::uint64_t seed_;    // the generator's seed and sampler, for the state file
  int sampler_;
  std::vector<int> classes_;
  ShiftUpsampler up_;
  GridSums L_;               // the layout of the sums (and of each group's sums)
  bool contiguous_ = false;  // classes_ are c0, c0+1, ...: scores are read in place
  RowScratch serial_;        // add_rows' buffers for all T slots, sized once: add() allocates nothing
  std::vector<int> order_;   // add_batch's samples, stably sorted by shift
  std::vector<double, BufferAllocator<double>> sums_;  // the GridSums table; empty while keep_ is true
  bool keep_ = false;        // kept-samples mode (see the class comment)
  KeptSamples kept_;
  std::vector<double> totals_;
  std::int64_t count_ = 0;
  BatchMeans groups_;        // standard errors
  int threads_ = 1;
};

}  // namespace detail
}  // namespace mcrise
