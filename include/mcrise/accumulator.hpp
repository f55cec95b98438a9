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
/// The planes are upsampled once, when a map is asked for.
///
/// Accumulators are plain sums: two accumulators over disjoint sample ranges
/// merge into the accumulator of the union, so one explanation can be spread
/// across threads, processes or machines (use the same seed and disjoint n).

#include <mcrise/image.hpp>
#include <mcrise/masks.hpp>
#include <mcrise/detail/thread_pool.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcrise {
namespace detail {

/// Per class, per shift, per plane, per grid cell: Σ_n M_n·[cell state == plane].
class GridAccumulator {
 public:
  GridAccumulator(const MaskGenerator& gen, std::vector<int> classes, const char* where, int se_groups = 0)
      : geo_(gen.geometry()),
        planes_(gen.num_colors() + 1),
        p_mask_(gen.mask_probability()),
        classes_(std::move(classes)),
        rows_(geo_.grid_h, geo_.cell_h, geo_.upsampling),
        cols_(geo_.grid_w, geo_.cell_w, geo_.upsampling) {
    if (classes_.empty()) throw std::invalid_argument(std::string(where) + ": no target classes given");
    for (int c : classes_)
      if (c < 0) throw std::invalid_argument(std::string(where) + ": class index must be >= 0, got " + std::to_string(c));
    shift_stride_ = static_cast<std::size_t>(planes_) * static_cast<std::size_t>(geo_.cells());
    class_stride_ = shift_stride_ * static_cast<std::size_t>(geo_.shifts_h()) * static_cast<std::size_t>(geo_.shifts_w());
    if (se_groups != 0 && (se_groups < 2 || se_groups > max_se_groups))
      throw std::invalid_argument(std::string(where) + ": se_groups must be 0 (off) or in [2, " +
                                  std::to_string(max_se_groups) + "], got " + std::to_string(se_groups));
    // A clear error instead of a bad_alloc deep inside: 8 bytes per sum, 4 per group sum.
    const double gib = static_cast<double>(class_stride_) * static_cast<double>(classes_.size()) *
                       (8.0 + 4.0 * se_groups) / (1024.0 * 1024.0 * 1024.0);
    if (gib > 16.0)
      throw std::invalid_argument(std::string(where) + ": " + std::to_string(classes_.size()) +
                                  " target classes with se_groups = " + std::to_string(se_groups) + " need " +
                                  std::to_string(gib) + " GiB of accumulators for this image (limit 16 GiB)");
    sums_.assign(class_stride_ * classes_.size(), 0.0);
    totals_.assign(classes_.size(), 0.0);
    groups_ = se_groups;
    block_ = static_cast<std::uint64_t>(gen.block_size());
    const auto G = static_cast<std::size_t>(groups_);
    group_sums_.assign(G * class_stride_ * classes_.size(), 0.0f);
    group_totals_.assign(G * classes_.size(), 0.0);
    group_counts_.assign(G, 0);
  }

  /// Largest number of batch-means groups.
  static constexpr int max_se_groups = 1024;

  /// Add sample `s` whose model scores (all L classes) are `scores[0..L)`.
  /// Everything is checked before anything is added, so a refused sample
  /// leaves the accumulator as it was.
  void add(const MaskSample& s, const double* scores, long long num_scores, const char* where) {
    bool fits = s.cells.size() == static_cast<std::size_t>(geo_.cells()) && s.dy >= 0 && s.dy < geo_.shifts_h() &&
                s.dx >= 0 && s.dx < geo_.shifts_w();
    for (auto c : s.cells) fits = fits && c < planes_;
    if (!fits)
      throw std::invalid_argument(std::string(where) + ": mask sample " + std::to_string(s.index) +
                                  " does not fit this accumulator's generator");
    for (int cls : classes_) {
      if (cls >= num_scores)
        throw std::invalid_argument(std::string(where) + ": class " + std::to_string(cls) +
                                    " is out of range: the model returns " + std::to_string(num_scores) + " scores");
      if (!std::isfinite(scores[cls]))
        throw std::invalid_argument(std::string(where) + ": the score of class " + std::to_string(cls) + " for sample " +
                                    std::to_string(s.index) + " is not finite (" + std::to_string(scores[cls]) + ")");
    }
    const auto shift = static_cast<std::size_t>(s.dy * geo_.shifts_w() + s.dx);
    const std::size_t cells = static_cast<std::size_t>(geo_.cells());
    for (std::size_t j = 0; j < classes_.size(); ++j) {
      const double w = scores[classes_[j]];
      double* base = sums_.data() + j * class_stride_ + shift * shift_stride_;
      for (std::size_t c = 0; c < cells; ++c) base[s.cells[c] * cells + c] += w;
      totals_[j] += w;
    }
    if (groups_ > 0) {
      // Batch means: sample n belongs to group (n / B) mod G, B the sampler's block size
      // (1 for independent samples: n mod G), so a block's correlated samples stay in one
      // group and the groups are independent. A pure function of n, so
      // the groups (and the standard errors) do not depend on threads or batches.
      const auto g = static_cast<std::size_t>((s.index / block_) % static_cast<std::uint64_t>(groups_));
      for (std::size_t j = 0; j < classes_.size(); ++j) {
        const double w = scores[classes_[j]];
        const auto wf = static_cast<float>(w);
        float* base = group_sums_.data() + (g * classes_.size() + j) * class_stride_ + shift * shift_stride_;
        for (std::size_t c = 0; c < cells; ++c) base[s.cells[c] * cells + c] += wf;
        group_totals_[g * classes_.size() + j] += w;
      }
      ++group_counts_[g];
    }
    ++count_;
  }

  void merge(const GridAccumulator& o, const char* where) {
    const bool same = o.geo_.height == geo_.height && o.geo_.width == geo_.width && o.geo_.grid_h == geo_.grid_h &&
                      o.geo_.grid_w == geo_.grid_w && o.geo_.upsampling == geo_.upsampling &&
                      o.geo_.random_shift == geo_.random_shift && o.planes_ == planes_ && o.p_mask_ == p_mask_ &&
                      o.classes_ == classes_ && o.groups_ == groups_ && o.block_ == block_;
    if (!same)
      throw std::invalid_argument(std::string(where) +
                                  ": the accumulators differ in image size, grid, colours, mask_probability, classes, "
                                  "se_groups or sampler block size");
    for (std::size_t i = 0; i < sums_.size(); ++i) sums_[i] += o.sums_[i];
    for (std::size_t i = 0; i < totals_.size(); ++i) totals_[i] += o.totals_[i];
    for (std::size_t i = 0; i < group_sums_.size(); ++i) group_sums_[i] += o.group_sums_[i];
    for (std::size_t i = 0; i < group_totals_.size(); ++i) group_totals_[i] += o.group_totals_[i];
    for (std::size_t i = 0; i < group_counts_.size(); ++i) group_counts_[i] += o.group_counts_[i];
    count_ += o.count_;
  }

  /// Slot of class `cls` in this accumulator.
  std::size_t slot(int cls, const char* where) const {
    const auto it = std::find(classes_.begin(), classes_.end(), cls);
    if (it == classes_.end())
      throw std::invalid_argument(std::string(where) + ": class " + std::to_string(cls) + " was not a target class");
    return static_cast<std::size_t>(it - classes_.begin());
  }

  /// Σ_n M_n·m_n^plane(λ): H x W, upsampled from the per-shift grid sums.
  SaliencyMap plane_sum(std::size_t slot, int plane) const {
    return upsample_sums(sums_.data() + slot * class_stride_, plane);
  }

  /// Σ_{n in group g} M_n·m_n^plane(λ): H x W (batch-means group g, 0 <= g < se_groups()).
  SaliencyMap group_plane_sum(std::size_t slot, int g, int plane) const {
    const auto G = static_cast<std::size_t>(g);
    return upsample_sums(group_sums_.data() + (G * classes_.size() + slot) * class_stride_, plane);
  }
  /// Σ_{n in group g} M_n.
  double group_total(std::size_t slot, int g) const noexcept {
    return group_totals_[static_cast<std::size_t>(g) * classes_.size() + slot];
  }
  /// Number of samples in group g.
  std::int64_t group_count(int g) const noexcept { return group_counts_[static_cast<std::size_t>(g)]; }
  /// G, the number of batch-means groups (0: standard errors off).
  int se_groups() const noexcept { return groups_; }
  /// Threads for computing standard errors (0: all cores).
  int threads() const noexcept { return threads_; }
  void set_threads(int threads) noexcept { threads_ = threads < 0 ? 1 : threads; }

  /// Throws std::logic_error unless standard errors can be computed.
  void require_groups(const char* where) const {
    require_samples(where);
    if (groups_ == 0)
      throw std::logic_error(std::string(where) + ": standard errors are off (se_groups = 0)");
  }

 private:
  /// Upsamples one plane of a class's per-shift grid sums (`a` points at the class's block).
  template <class T>
  SaliencyMap upsample_sums(const T* class_block, int plane) const {
    const int H = geo_.height, W = geo_.width, gh = geo_.grid_h, gw = geo_.grid_w;
    SaliencyMap out = SaliencyMap::Zero(H, W);
    Eigen::MatrixXd t(gh, W);  // grid rows interpolated along x, summed over dx
    const std::size_t cells = static_cast<std::size_t>(geo_.cells());
    for (int dy = 0; dy < geo_.shifts_h(); ++dy) {
      t.setZero();
      bool any = false;
      for (int dx = 0; dx < geo_.shifts_w(); ++dx) {
        const T* a = class_block + static_cast<std::size_t>(dy * geo_.shifts_w() + dx) * shift_stride_ +
                     static_cast<std::size_t>(plane) * cells;
        if (std::all_of(a, a + cells, [](T v) { return v == T(0); })) continue;
        any = true;
        for (int r = 0; r < gh; ++r) {
          const T* row = a + static_cast<std::size_t>(r * gw);
          for (int x = 0; x < W; ++x) {
            const auto v = static_cast<std::size_t>(x + dx);
            t(r, x) += cols_.w0[v] * static_cast<double>(row[cols_.i0[v]]) +
                       cols_.w1[v] * static_cast<double>(row[cols_.i1[v]]);
          }
        }
      }
      if (!any) continue;
      for (int y = 0; y < H; ++y) {
        const auto u = static_cast<std::size_t>(y + dy);
        out.row(y) += static_cast<double>(rows_.w0[u]) * t.row(rows_.i0[u]) +
                      static_cast<double>(rows_.w1[u]) * t.row(rows_.i1[u]);
      }
    }
    return out;
  }

 public:
  std::int64_t count() const noexcept { return count_; }
  double total(std::size_t slot) const noexcept { return totals_[slot]; }
  double mask_probability() const noexcept { return p_mask_; }
  int num_colors() const noexcept { return planes_ - 1; }
  const std::vector<int>& classes() const noexcept { return classes_; }
  const MaskGeometry& geometry() const noexcept { return geo_; }

  void require_samples(const char* where) const {
    if (count_ == 0) throw std::logic_error(std::string(where) + ": no samples have been added");
  }

 private:
  MaskGeometry geo_;
  int planes_;
  double p_mask_;
  std::vector<int> classes_;
  AxisWeights rows_, cols_;
  std::size_t shift_stride_ = 0, class_stride_ = 0;
  std::vector<double> sums_;
  std::vector<double> totals_;
  std::int64_t count_ = 0;
  // Batch means (standard errors): G copies of the per-shift grid sums, in float
  // (they only feed the spread of the group maps, never the maps themselves).
  int groups_ = 0;
  std::uint64_t block_ = 1;  // the generator's block size B: sample n is in group (n / B) mod G
  int threads_ = 1;
  std::vector<float> group_sums_;      // [group][class][shift][plane][cell]
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
/// @throws std::invalid_argument if the counts or shapes differ, or there is no map.
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
  /// @throws std::invalid_argument for K != 1, no class, a negative class or a bad se_groups.
  RiseAccumulator(const MaskGenerator& generator, std::vector<int> classes, int se_groups = 0)
      : acc_(check_binary(generator), std::move(classes), "mcrise::RiseAccumulator()", se_groups) {}

  /// @brief Add one sample with the model's scores on its perturbed image.
  /// @param scores all L class scores (every target class must be < L)
  /// @throws std::invalid_argument if a target class is >= L, a target score is not finite, or the
  ///         sample does not fit the generator; the accumulator is then left unchanged.
  void add(const MaskSample& sample, const Eigen::Ref<const Eigen::VectorXd>& scores) {
    acc_.add(sample, scores.data(), scores.size(), "mcrise::RiseAccumulator::add()");
  }
  /// @brief Add the samples of another accumulator (disjoint sample numbers).
  /// @throws std::invalid_argument if the two differ in geometry, probability or classes.
  void merge(const RiseAccumulator& other) { acc_.merge(other.acc_, "mcrise::RiseAccumulator::merge()"); }
  /// @brief Number of samples N added so far.
  std::int64_t count() const noexcept { return acc_.count(); }
  /// @brief The target classes, in order.
  const std::vector<int>& classes() const noexcept { return acc_.classes(); }

  /// @brief RISE (eq. 2): S(λ) = 1/N Σ_n m_n(λ)/p_keep · M_n, p_keep = 1 - p_mask. H x W.
  /// @throws std::invalid_argument for a class not accumulated; std::logic_error if N = 0.
  SaliencyMap rise(int cls) const {
    acc_.require_samples("mcrise::RiseAccumulator::rise()");
    const double keep = 1.0 - acc_.mask_probability();
    return acc_.plane_sum(acc_.slot(cls, "mcrise::RiseAccumulator::rise()"), 0) / (static_cast<double>(count()) * keep);
  }

  /// @brief Debiased RISE (eq. 5): S(λ) = 1/N Σ_n (m_n(λ) - p_keep)/(p_keep(1 - p_keep)) · M_n. H x W.
  /// @throws std::invalid_argument for a class not accumulated; std::logic_error if N = 0.
  SaliencyMap debiased(int cls) const {
    acc_.require_samples("mcrise::RiseAccumulator::debiased()");
    const std::size_t j = acc_.slot(cls, "mcrise::RiseAccumulator::debiased()");
    const double keep = 1.0 - acc_.mask_probability(), n = static_cast<double>(count());
    SaliencyMap s = acc_.plane_sum(j, 0) / n;
    s.array() -= keep * acc_.total(j) / n;
    return s / (keep * (1.0 - keep));
  }

  /// @brief G, the number of batch-means groups (0: standard errors off).
  int se_groups() const noexcept { return acc_.se_groups(); }
  /// @brief Threads used to compute standard-error maps (0: all cores; default 1).
  ///        The result does not depend on it, bit for bit.
  void set_threads(int threads) noexcept { acc_.set_threads(threads); }

  /// @brief Standard error of rise(cls) by batch means over the G groups (see
  ///        batch_means_se in the source): sd of the group maps / sqrt(G) for equal groups. H x W, >= 0.
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

  /// @brief Standard error of debiased(cls) by batch means over the G groups. H x W, >= 0.
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
  /// @throws std::invalid_argument for no class, a negative class or a bad se_groups.
  McRiseAccumulator(const MaskGenerator& generator, std::vector<int> classes, int se_groups = 0)
      : acc_(generator, std::move(classes), "mcrise::McRiseAccumulator()", se_groups) {}

  /// @brief Add one sample with the model's scores on its perturbed image.
  /// @param scores all L class scores (every target class must be < L)
  /// @throws std::invalid_argument if a target class is >= L, a target score is not finite, or the
  ///         sample does not fit the generator; the accumulator is then left unchanged.
  void add(const MaskSample& sample, const Eigen::Ref<const Eigen::VectorXd>& scores) {
    acc_.add(sample, scores.data(), scores.size(), "mcrise::McRiseAccumulator::add()");
  }
  /// @brief Add the samples of another accumulator (disjoint sample numbers).
  /// @throws std::invalid_argument if the two differ in geometry, colours, probability or classes.
  void merge(const McRiseAccumulator& other) { acc_.merge(other.acc_, "mcrise::McRiseAccumulator::merge()"); }
  /// @brief Number of samples N added so far.
  std::int64_t count() const noexcept { return acc_.count(); }
  /// @brief The target classes, in order.
  const std::vector<int>& classes() const noexcept { return acc_.classes(); }
  /// @brief K, the number of mask colours.
  int num_colors() const noexcept { return acc_.num_colors(); }

  /// @brief Raw colour maps: for k = 1..K, 1/N Σ_n K·m^c_n(λ,k)/p_mask · M_n (K maps, H x W).
  /// @throws std::invalid_argument for a class not accumulated; std::logic_error if N = 0.
  std::vector<SaliencyMap> raw_maps(int cls) const {
    acc_.require_samples("mcrise::McRiseAccumulator::raw_maps()");
    const std::size_t j = acc_.slot(cls, "mcrise::McRiseAccumulator::raw_maps()");
    const double scale = acc_.num_colors() / (static_cast<double>(count()) * acc_.mask_probability());
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
    return acc_.plane_sum(j, 0) / (static_cast<double>(count()) * (1.0 - acc_.mask_probability()));
  }

  /// @brief MC-RISE maps (eq. 9): S(λ,k) = raw_k(λ) - baseline(λ), K maps H x W.
  /// @throws std::invalid_argument for a class not accumulated; std::logic_error if N = 0.
  std::vector<SaliencyMap> maps(int cls) const {
    auto raw = raw_maps(cls);
    const SaliencyMap base = baseline(cls);
    for (auto& m : raw) m -= base;
    return raw;
  }

  /// @brief G, the number of batch-means groups (0: standard errors off).
  int se_groups() const noexcept { return acc_.se_groups(); }
  /// @brief Threads used to compute standard-error maps (0: all cores; default 1).
  ///        The result does not depend on it, bit for bit.
  void set_threads(int threads) noexcept { acc_.set_threads(threads); }

  /// @brief Standard errors of maps(cls) by batch means over the G groups: K maps H x W, >= 0.
  ///        The group maps are raw_k - baseline of each group, so the correlation of the two
  ///        terms of eq. 9 is accounted for. A 95% interval is S(λ,k) ± t_{0.975, G-1}·SE.
  /// @throws std::invalid_argument for a class not accumulated; std::logic_error if N = 0 or se_groups = 0.
  std::vector<SaliencyMap> standard_errors(int cls) const {
    constexpr const char* where = "mcrise::McRiseAccumulator::standard_errors()";
    acc_.require_groups(where);
    return standard_errors(cls, maps(cls));
  }

  /// @brief As standard_errors(cls), given the class's maps(cls) (saves recomputing them).
  /// @throws as standard_errors(cls); std::invalid_argument if `maps` is not K maps.
  std::vector<SaliencyMap> standard_errors(int cls, const std::vector<SaliencyMap>& maps) const {
    constexpr const char* where = "mcrise::McRiseAccumulator::standard_errors()";
    acc_.require_groups(where);
    const std::size_t j = acc_.slot(cls, where);
    const int K = acc_.num_colors();
    if (static_cast<int>(maps.size()) != K)
      throw std::invalid_argument(std::string(where) + ": needs the K = " + std::to_string(K) + " maps, got " +
                                  std::to_string(maps.size()));
    const double p = acc_.mask_probability();
    return detail::batch_means_se(acc_, maps, [&](int g, double n) {
      const SaliencyMap base = acc_.group_plane_sum(j, g, 0) / (n * (1.0 - p));
      std::vector<SaliencyMap> out;
      for (int k = 1; k <= K; ++k) out.push_back(acc_.group_plane_sum(j, g, k) * (K / (n * p)) - base);
      return out;
    });
  }

 private:
  detail::GridAccumulator acc_;
};

}  // namespace mcrise
