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
/// see detail/kept_samples.hpp and the constructors' expected_samples.)
///
/// Accumulators are plain sums: two accumulators over disjoint sample ranges
/// merge into the accumulator of the union, so one explanation can be spread
/// across threads, processes or machines (use the same seed and disjoint n).

#include <mcrise/image.hpp>
#include <mcrise/masks.hpp>
#include <mcrise/detail/batch_means.hpp>
#include <mcrise/detail/checks.hpp>
#include <mcrise/detail/file.hpp>
#include <mcrise/detail/grid_accumulator.hpp>
#include <mcrise/detail/thread_pool.hpp>

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

namespace detail {

/// The members RiseAccumulator and McRiseAccumulator share, each forwarding to their GridAccumulator
/// (`Derived` names itself in messages through its add_where and merge_where).
template <class Derived>
class AccumulatorBase {
 public:
  /// @brief Add one sample with the model's scores on its perturbed image.
  /// @param scores all L class scores (every target class must be < L)
  /// @throws std::invalid_argument if a target class is >= L, a target score is not finite, or the
  ///         sample does not fit the generator; std::length_error if it is one more than expected_samples
  ///         and the sums then needed exceed the 16 GiB limit. The accumulator is then left unchanged.
  void add(const MaskSample& sample, const Eigen::Ref<const Eigen::VectorXd>& scores) {
    acc_.add(sample, scores.data(), scores.size(), Derived::add_where);
  }
  /// @brief Add samples[0..n) with the rows of `scores` (row i: the L scores of samples[i]); bitwise the
  ///        same as n calls of add(sample, row). All n are checked before anything is added.
  /// @param pool optional: with many target classes the classes are split over its threads (the
  ///        drivers pass theirs); the result does not depend on it
  /// @throws std::invalid_argument as add(), or if n < 0 or n exceeds samples.size() or scores.rows(); std::length_error as add().
  void add(const std::vector<MaskSample>& samples, int n, const Eigen::Ref<const RowMatrixXd>& scores,
           ThreadPool* pool = nullptr) {
    acc_.add_batch(samples, n, scores, pool, Derived::add_where);
  }
  /// @brief Add the samples of another accumulator (disjoint sample numbers). Kept samples (see
  ///        expected_samples) of either side are first made into sums, so the result is the same bits
  ///        whichever way each side was built, and this accumulator keeps sums from then on.
  /// @throws std::invalid_argument if the two differ in image size, grid, upsampling, shift, number of colours,
  ///         mask_probability, classes, se_groups or sampler block size; std::length_error if kept samples
  ///         would need sums over the 16 GiB limit.
  void merge(const Derived& other) { acc_.merge(static_cast<const AccumulatorBase&>(other).acc_, Derived::merge_where); }
  /// @brief Write the accumulator's state to `path` (format in docs/checkpoints.md: a versioned header
  ///        of every option the sums depend on, N, the sums, the standard-error groups, a checksum),
  ///        atomically: a temporary file in the same folder, flushed to the disk, renamed over `path`,
  ///        and the folder flushed. While samples are kept (see expected_samples), their sums are written.
  /// @param tag optional: your fingerprint of what else the sums depend on (the image, the model); load()
  ///        refuses a file with another tag
  /// @throws io_error if the file cannot be written (its reason names the system's); std::length_error if kept
  ///         samples would need sums over the 16 GiB limit.
  void save(const std::string& path, std::uint64_t tag = 0) const {
    const std::vector<unsigned char> bytes = acc_.state(Derived::state_kind, tag, Derived::save_where);
    detail::write_file_atomic(path, bytes.data(), bytes.size(), Derived::save_fn);
  }
  /// @brief Replace the accumulator's state by the one save() wrote to `path`. The accumulator must be
  ///        built with the same generator options, classes and se_groups (threads and expected_samples may
  ///        differ); afterwards it keeps sums, and adding samples N, N+1, ... gives bitwise the maps of the
  ///        accumulator that wrote the file had it gone on.
  /// @param tag must be the tag the file was saved with
  /// @throws io_error if the file cannot be read, is not a state file, is of another format version, is
  ///         truncated or fails its checksum; std::invalid_argument naming the first field (image size, grid,
  ///         seed, classes, se_groups, ...) that differs from this accumulator's. The accumulator is unchanged then.
  void load(const std::string& path, std::uint64_t tag = 0) {
    acc_.set_state(detail::read_file(path, Derived::load_fn), Derived::state_kind, tag, path, Derived::load_fn,
                   Derived::load_where);
  }
  /// @brief The bytes save() writes (the state file, see docs/checkpoints.md), e.g. to send to another process.
  /// @throws std::length_error if kept samples would need sums over the 16 GiB limit.
  std::vector<unsigned char> to_bytes(std::uint64_t tag = 0) const {
    return acc_.state(Derived::state_kind, tag, Derived::save_where);
  }
  /// @brief As load(), from the bytes of a state file (`name` stands for the file in messages).
  /// @throws as load().
  void from_bytes(const std::vector<unsigned char>& bytes, std::uint64_t tag = 0, const std::string& name = "<bytes>") {
    acc_.set_state(bytes, Derived::state_kind, tag, name, Derived::load_fn, Derived::load_where);
  }
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
  /// @brief G, the number of batch-means groups (0: standard errors off).
  int se_groups() const noexcept { return acc_.se_groups(); }
  /// @brief Threads used to compute standard-error maps and the bulk maps (0: all cores; default 1).
  ///        The result does not depend on it, bit for bit. A negative value means 1, above 1024 means 1024.
  void set_threads(int threads) noexcept { acc_.set_threads(threads); }

 protected:
  template <class... Args>
  explicit AccumulatorBase(Args&&... args) : acc_(std::forward<Args>(args)...) {}
  GridAccumulator acc_;  // the derived estimators read it directly
};

}  // namespace detail

/// @brief Accumulates binary-mask samples into RISE (eq. 2) and debiased RISE
///        (eq. 5) maps for a set of target classes.
class RiseAccumulator : public detail::AccumulatorBase<RiseAccumulator> {
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
      : AccumulatorBase(check_binary(generator), std::move(classes), "mcrise::RiseAccumulator()", se_groups, false,
                        threads, expected_samples) {}

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
    return detail::batch_means_se(acc_, {rise(cls)},
                                  [&](int g, double n, std::vector<SaliencyMap>& out, detail::UpsampleScratch& s) {
                                    out.resize(1);
                                    acc_.group_plane_sum(j, g, 0, out[0], s);
                                    out[0] /= n * keep;
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
    return detail::batch_means_se(acc_, {debiased(cls)},
                                  [&](int g, double n, std::vector<SaliencyMap>& out, detail::UpsampleScratch& s) {
                                    out.resize(1);
                                    SaliencyMap& m = out[0];
                                    acc_.group_plane_sum(j, g, 0, m, s);
                                    m /= n;
                                    m.array() -= keep * acc_.group_total(j, g) / n;
                                    m /= keep * (1.0 - keep);
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
  friend class detail::AccumulatorBase<RiseAccumulator>;
  static constexpr const char* add_where = "mcrise::RiseAccumulator::add()";
  static constexpr const char* merge_where = "mcrise::RiseAccumulator::merge()";
  static constexpr std::uint64_t state_kind = 1;
  static constexpr const char* save_where = "mcrise::RiseAccumulator::save()";
  static constexpr const char* save_fn = "RiseAccumulator::save";
  static constexpr const char* load_where = "mcrise::RiseAccumulator::load()";
  static constexpr const char* load_fn = "RiseAccumulator::load";
};

/// @brief Accumulates colour-mask samples into MC-RISE maps (eq. 9): the raw
///        colour maps and the baseline map are kept as separate sums.
class McRiseAccumulator : public detail::AccumulatorBase<McRiseAccumulator> {
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
      : AccumulatorBase(generator, std::move(classes), "mcrise::McRiseAccumulator()", se_groups, true, threads,
                        expected_samples) {}

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
  /// @param first index into classes() of the first class
  /// @param count number of classes, first + count <= classes().size()
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
  /// @param cls a target class
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
    // The group maps in out[0..K), the group's baseline in out[K]: the expressions of maps(), in place.
    return detail::batch_means_se(acc_, maps,
                                  [&](int g, double n, std::vector<SaliencyMap>& out, detail::UpsampleScratch& s) {
                                    out.resize(static_cast<std::size_t>(K) + 1);
                                    SaliencyMap& base = out[static_cast<std::size_t>(K)];
                                    acc_.group_plane_sum(j, g, 0, base, s);
                                    base /= n * (1.0 - p);
                                    for (int k = 1; k <= K; ++k) {
                                      SaliencyMap& m = out[static_cast<std::size_t>(k - 1)];
                                      acc_.group_plane_sum(j, g, k, m, s);
                                      m = m * (K / (n * p)) - base;
                                    }
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
  friend class detail::AccumulatorBase<McRiseAccumulator>;
  static constexpr const char* add_where = "mcrise::McRiseAccumulator::add()";
  static constexpr const char* merge_where = "mcrise::McRiseAccumulator::merge()";
  static constexpr std::uint64_t state_kind = 2;
  static constexpr const char* save_where = "mcrise::McRiseAccumulator::save()";
  static constexpr const char* save_fn = "McRiseAccumulator::save";
  static constexpr const char* load_where = "mcrise::McRiseAccumulator::load()";
  static constexpr const char* load_fn = "McRiseAccumulator::load";
};

}  // namespace mcrise
