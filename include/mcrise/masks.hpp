#pragma once
/// @file masks.hpp
/// @brief Mask generators: binary masks (RISE) and colour masks (MC-RISE).
///
/// A mask sample is a low-resolution grid of `grid_h x grid_w` cells plus a
/// shift (dy, dx). Each cell is kept with probability 1 - mask_probability;
/// otherwise it is masked, with colour k drawn uniformly from 1..K (a binary
/// RISE mask is the case K = 1 with the colour black). Sample n is a pure
/// function of (seed, n).
///
/// ## Upsampling convention (paper §3, Remark 1; README "What is computed")
/// Cell size `ch = ceil(H / grid_h)`, `cw = ceil(W / grid_w)`. The grid is
/// upsampled to a canvas of `(grid_h + 1)·ch x (grid_w + 1)·cw` pixels and the
/// image sees the H x W window whose top-left corner is (dy, dx), with
/// `0 <= dy < ch`, `0 <= dx < cw` drawn uniformly (or (0,0) without shift).
/// - bilinear (default): pixel-centre sampling. Canvas row u reads grid row
///   coordinate `s = (u + 0.5)·grid_h / ((grid_h + 1)·ch) - 0.5`, linearly
///   interpolated between rows a = floor(s) and a + 1. A row index outside
///   [0, grid_h - 1] is mirrored about the outer cell centre: row -1 reads row 1
///   and row grid_h reads row grid_h - 2 (a grid of one row reads row 0). This is
///   scikit-image's `resize(order=1, mode='reflect', anti_aliasing=False)`, the
///   RISE reference code's upsampling: the same grid and shift give its mask to
///   float rounding. Columns alike.
/// - bilinear_edge: the same, but an index outside [0, grid_h - 1] is clamped
///   to it (the edge cell repeats outward; scikit-image's mode='edge'). It
///   differs from bilinear only in the half cell next to each side of the canvas.
/// - nearest: canvas row u takes grid row `min(u / ch, grid_h - 1)`. With
///   random_shift = false and cell size 1 the masks are exactly the grid, the
///   setting in which the paper's definitions (eq. 1, 3, 8) are exact.
/// Upsampling is linear with weights that sum to one, so at every pixel the
/// planes m0 (kept) and m^c(k) (colour k) are in [0,1] and sum to 1.

#include <mcrise/image.hpp>
#include <mcrise/detail/checks.hpp>
#include <mcrise/detail/random.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mcrise {

/// @brief How the low-resolution grid is brought to image resolution.
enum class Upsampling {
  bilinear,      ///< RISE's smooth masks (paper §3), mirrored at the border as the RISE reference code; the default
  nearest,       ///< blocky masks; exact binary masks with cell size 1
  bilinear_edge  ///< bilinear with the edge cell repeated outward at the border
};

/// @brief How the samples of a run are drawn. Every sampler keeps each sample
///        marginally distributed exactly as the paper's (every cell masked with
///        probability mask_probability independently of the other cells, a
///        masked cell's colour uniform over 1..K, the shift uniform), so every
///        estimator stays unbiased; they differ in how samples are coupled.
///
/// A block sampler draws samples in blocks of B = MaskGenerator::block_size()
/// consecutive numbers: block b = n / B draws its shared randomness from
/// (seed, b) and member j = n % B is a pure function of (seed, n), so results
/// stay bitwise identical across threads and batch sizes. A partial last block
/// (n_masks not a multiple of B) is still unbiased, sample by sample.
enum class Sampler {
  /// The paper's: every sample drawn independently (B = 1).
  independent,
  /// Exactly balanced blocks: the B members share one shift, and across them
  /// each cell is masked exactly p·B times and takes each of the K colours
  /// exactly p·B/K times, in an independent uniformly random order per cell.
  /// B is the smallest block size (<= 1024) for which p·B is a multiple of K:
  /// B = 2 for binary masks at p = 0.5 (each mask followed by its complement,
  /// i.e. antithetic pairs), B = 2K for K colours at p = 0.5. Then at every pixel
  /// the block's estimator weights sum to zero, so the part of the variance due
  /// to the model's mean score cancels exactly. Needs p·B to be a multiple of K
  /// for some B <= 1024 (e.g. p = 0.3 with K = 5: B = 50); throws otherwise.
  /// Measured (README, "Samplers"): 2x to 500x fewer model calls for the
  /// same error. (Colour stratification alone, K members sharing one spatial
  /// pattern, was measured too and needed 1.2x to 1.9x more calls: not offered.)
  balanced,
  /// balanced where a block exists (p·B a multiple of K for some B <= 1024:
  /// every p with at most two decimals when K <= 10, for instance), else independent. The
  /// default of rise(), debiased_rise() and mc_rise(); MaskGenerator::sampler()
  /// and the results say which one was used.
  automatic
};

namespace detail {
/// Tag of the parts' constructors that take options already checked (by the driver's one check).
struct Checked {};
/// The drivers' access to those constructors (defined in detail/run/parts.hpp).
struct PartsAccess;
}  // namespace detail

/// @brief The random parts of a mask distribution.
struct MaskOptions {
  int grid_h = 8;                              ///< grid rows, 1 <= grid_h <= H
  int grid_w = 8;                              ///< grid columns, 1 <= grid_w <= W
  double mask_probability = 0.5;               ///< p_mask: probability a cell is masked, in [1e-6, 1 - 1e-6]
  std::uint64_t seed = 2020;                   ///< sample n depends only on (seed, n)
  Upsampling upsampling = Upsampling::bilinear;///< grid -> pixels
  bool random_shift = true;                    ///< draw (dy, dx); false: always (0, 0)
  Sampler sampler = Sampler::independent;      ///< how samples are coupled (see Sampler)

  /// @brief The owner of every rule on these options, for an H x W image and K colours: the
  ///        image is not empty and no side exceeds MaskGeometry::max_side, the grid fits in it,
  ///        the grid has at most INT_MAX cells, the upsampling and sampler are known,
  ///        mask_probability is in [1e-6, 1 - 1e-6] (detail::min_mask_probability), K is in [1, 255],
  ///        and a balanced sampler has a block size for (mask_probability, K). MaskGenerator and
  ///        every driver call it, before any model call.
  /// @param height image rows H; @param width image columns W; @param num_colors K
  /// @param where the function named in the message, e.g. "mcrise::mc_rise()"
  /// @throws std::invalid_argument ("<where>: grid_h must be in [1, H] (the image height), got v", ...).
  void check(int height, int width, int num_colors, std::string_view where) const;
};

/// @brief One sample of a mask distribution, at grid resolution.
struct MaskSample {
  std::uint64_t index = 0;          ///< the sample number n it was drawn for
  int dy = 0;                       ///< vertical shift, 0 <= dy < cell_h
  int dx = 0;                       ///< horizontal shift, 0 <= dx < cell_w
  std::vector<std::uint8_t> cells;  ///< grid_h x grid_w, row-major: 0 kept, k in 1..K masked with colour k
  /// MaskGenerator::fingerprint() of the generator that drew it (0: not drawn by a generator, e.g.
  /// built by hand); the accumulators refuse a sample whose fingerprint is not their generator's.
  std::uint64_t source = 0;
};

/// @brief Sizes shared by the generator, the perturber and the accumulators.
struct MaskGeometry {
  int height = 0;       ///< image rows H
  int width = 0;        ///< image columns W
  int grid_h = 0;       ///< grid rows
  int grid_w = 0;       ///< grid columns
  int cell_h = 0;       ///< ceil(H / grid_h)
  int cell_w = 0;       ///< ceil(W / grid_w)
  Upsampling upsampling = Upsampling::bilinear;  ///< how the grid is brought to pixels
  bool random_shift = true;                      ///< whether samples are shifted by (dy, dx)

  /// Number of distinct vertical shifts (cell_h, or 1 without shift).
  int shifts_h() const noexcept { return random_shift ? cell_h : 1; }
  /// Number of distinct horizontal shifts (cell_w, or 1 without shift).
  int shifts_w() const noexcept { return random_shift ? cell_w : 1; }
  /// Number of grid cells.
  int cells() const noexcept { return grid_h * grid_w; }  // check() refuses grids of more than INT_MAX cells

  /// Largest image side, 2^29 pixels: the upsampling canvas, (grid + 1)·cell < 2·side + 2, fits an int.
  static constexpr int max_side = 1 << 29;

  /// @brief Geometry of an H x W image under `opt`.
  /// @throws std::invalid_argument (message starts with `where`) for an empty
  ///         image, an unknown upsampling, a side over max_side, or a grid outside 1..H x 1..W.
  static MaskGeometry make(int height, int width, const MaskOptions& opt, std::string_view where) {
    check(height, width, opt, where);
    return build(height, width, opt);
  }

  /// @brief The owner of the geometry rules of make(); MaskOptions::check calls it.
  /// @throws std::invalid_argument as make().
  static void check(int height, int width, const MaskOptions& opt, std::string_view where) {
    detail::require(where, height >= 1 && width >= 1, "the image is empty (", height, " x ", width, ")");
    detail::require(where,
                    opt.upsampling == Upsampling::bilinear || opt.upsampling == Upsampling::nearest ||
                        opt.upsampling == Upsampling::bilinear_edge,
                    "unknown upsampling ", static_cast<int>(opt.upsampling));
    // The canvas, up to about twice a side, must fit an int.
    detail::require(where, height <= max_side && width <= max_side, "image sides must be at most ", max_side,
                    ", got ", height, " x ", width);
    detail::require(where, opt.grid_h >= 1 && opt.grid_h <= height, "grid_h must be in [1, ", height,
                    "] (the image height), got ", opt.grid_h);
    detail::require(where, opt.grid_w >= 1 && opt.grid_w <= width, "grid_w must be in [1, ", width,
                    "] (the image width), got ", opt.grid_w);
    detail::require(where, static_cast<long long>(opt.grid_h) * opt.grid_w <= std::numeric_limits<int>::max(),
                    "the grid must have at most ", std::numeric_limits<int>::max(), " cells, got ", opt.grid_h, " x ",
                    opt.grid_w);
  }

 private:
  friend class MaskGenerator;
  // The geometry of options that check() accepted.
  static MaskGeometry build(int height, int width, const MaskOptions& opt) noexcept {
    MaskGeometry g;
    g.height = height;
    g.width = width;
    g.grid_h = opt.grid_h;
    g.grid_w = opt.grid_w;
    g.cell_h = (height + opt.grid_h - 1) / opt.grid_h;
    g.cell_w = (width + opt.grid_w - 1) / opt.grid_w;
    g.upsampling = opt.upsampling;
    g.random_shift = opt.random_shift;
    return g;
  }
};

namespace detail {

/// Block samplers (MaskGenerator::sample): blocks of at least this many members are drawn whole
/// and kept per thread (shorter ones cost little to draw member by member).
inline constexpr int min_cached_block = 4;
/// The most cell states (members x cells) a thread keeps of one block: 4 KiB, in place (no heap
/// allocation, so a call allocates the same whatever ran before it on the thread); e.g. blocks of
/// up to 64 members on an 8 x 8 grid. Larger blocks are drawn member by member.
inline constexpr std::uint64_t max_cached_block_states = 4096;
/// True: every block member is drawn alone (tests compare the two ways; not for concurrent use).
inline std::atomic<bool> block_cache_off{false};

/// The cell states of every member of the last block a thread drew whole: member j's state of
/// cell c at states[j·cells + c]. Valid for the block number, seed and sampler parameters it holds.
struct BlockStates {
  std::uint64_t seed = 0;   ///< the generator's seed
  std::uint64_t block = 0;  ///< the block number b = n / B
  int size = 0;             ///< B
  int masked = 0;           ///< masked members per cell
  int colors = 0;           ///< K
  std::size_t cells = 0;    ///< grid cells
  bool valid = false;       ///< false until filled (and while being filled)
  std::uint8_t states[max_cached_block_states];  ///< [member][cell]
};
/// This thread's BlockStates.
inline BlockStates& thread_block_states() {
  static thread_local BlockStates states;
  return states;
}

/// @brief Interpolation weights of one axis: canvas position u reads grid
///        indices i0[u] <= i1[u] with weights w0[u], w1[u] (w0 + w1 = 1), in float
///        for the perturber and exactly (d0, d1, double) for the accumulators.
///        Both index tables are non-decreasing in u.
struct AxisWeights {
  std::vector<int> i0, i1;
  std::vector<float> w0, w1;
  std::vector<double> d0, d1;

  AxisWeights(int grid, int cell, Upsampling mode) {
    const int canvas = (grid + 1) * cell;
    i0.resize(static_cast<std::size_t>(canvas));
    i1 = i0;
    w0.resize(static_cast<std::size_t>(canvas));
    w1 = w0;
    d0.resize(static_cast<std::size_t>(canvas));
    d1 = d0;
    for (int u = 0; u < canvas; ++u) {
      const auto k = static_cast<std::size_t>(u);
      if (mode == Upsampling::nearest) {
        i0[k] = i1[k] = std::min(u / cell, grid - 1);
        w0[k] = 1.0f;
        w1[k] = 0.0f;
        d0[k] = 1.0;
        d1[k] = 0.0;
        continue;
      }
      const double s = (u + 0.5) * grid / static_cast<double>(canvas) - 0.5;
      const double f = std::floor(s);
      const double t = s - f;
      const int a = static_cast<int>(f);  // in [-1, grid - 1]: s is in (-0.5, grid - 0.5)
      if (mode == Upsampling::bilinear_edge) {
        i0[k] = std::clamp(a, 0, grid - 1);
        i1[k] = std::clamp(a + 1, 0, grid - 1);
        d0[k] = 1.0 - t;
        d1[k] = t;
      } else {
        // Mirror about the outer cell centres; an index past one end is one step out at most.
        auto mirror = [grid](int i) { return grid == 1 ? 0 : i < 0 ? -i : i > grid - 1 ? 2 * (grid - 1) - i : i; };
        const int j0 = mirror(a), j1 = mirror(a + 1);
        // Keep i0 <= i1 (the perturber and the upsampler rely on monotone tables): at either
        // border the two indices come out swapped, so swap them back with their weights.
        const bool swap = j0 > j1;
        i0[k] = swap ? j1 : j0;
        i1[k] = swap ? j0 : j1;
        d0[k] = swap ? t : 1.0 - t;
        d1[k] = swap ? 1.0 - t : t;
      }
      w0[k] = static_cast<float>(d0[k]);
      w1[k] = static_cast<float>(d1[k]);
    }
  }
};

}  // namespace detail

/// @brief Draws mask samples with K colours (K = 1: binary RISE masks) and
///        brings them to full resolution on request.
class MaskGenerator {
 public:
  /// @param height image rows H, in [1, MaskGeometry::max_side]
  /// @param width image columns W, in [1, MaskGeometry::max_side]
  /// @param num_colors K, in [1, 255] (1 for binary masks)
  /// @param opt grid, mask_probability in [1e-6, 1 - 1e-6], seed, upsampling, shift, sampler
  /// @throws std::invalid_argument for any value out of range, an unknown sampler, or a balanced
  ///         sampler whose mask_probability has no block size (see Sampler and MaskOptions::check).
  MaskGenerator(int height, int width, int num_colors, const MaskOptions& opt = {})
      : MaskGenerator(height, width, num_colors, opt, "mcrise::MaskGenerator()") {}

  /// Largest block of a block sampler.
  static constexpr int max_block_size = detail::max_block_size;

  /// @brief B of the balanced sampler for mask probability p and K colours: the
  ///        smallest B in [2, 1024] with p·B = m a multiple of K (to 1e-9: then the members'
  ///        masking probability m/B differs from p by less than 1e-9), or 0 if none.
  static int balanced_block_size(double p, int num_colors) noexcept {
    if (num_colors < 1 || !(p > 0.0 && p < 1.0)) return 0;
    for (int b = 2; b <= max_block_size; ++b) {
      const double pb = p * b;
      const double m = std::round(pb);
      if (std::abs(pb - m) <= 1e-9 && m >= 1 && m < b && static_cast<int>(m) % num_colors == 0) return b;
    }
    return 0;
  }

  /// @brief Sample n, written into `out` (reuses its storage); a pure function of (seed, n).
  void sample(std::uint64_t n, MaskSample& out) const {
    if (sampler_ != Sampler::independent) {
      sample_block_member(n, out);
      return;
    }
    detail::CounterRng rng(seed_, n);
    out.index = n;
    out.source = fingerprint_;
    out.dy = geometry_.random_shift ? static_cast<int>(rng.below(static_cast<std::uint32_t>(geometry_.cell_h))) : 0;
    out.dx = geometry_.random_shift ? static_cast<int>(rng.below(static_cast<std::uint32_t>(geometry_.cell_w))) : 0;
    out.cells.resize(static_cast<std::size_t>(geometry_.cells()));
    const auto K = static_cast<std::uint32_t>(num_colors_);
    for (auto& c : out.cells) {
      const bool masked = rng.uniform() < p_mask_;
      c = !masked ? 0 : static_cast<std::uint8_t>(K == 1 ? 1 : 1 + rng.below(K));
    }
  }

  /// @brief Sample n.
  MaskSample sample(std::uint64_t n) const {
    MaskSample s;
    sample(n, s);
    return s;
  }

  /// @brief Full-resolution plane `k` of a sample: k = 0 gives m0 (the kept
  ///        fraction of each pixel), k in 1..K gives m^c(λ, k).
  /// @return H x W, values in [0, 1]
  /// @throws std::invalid_argument if k is not in [0, K], the sample does not fit this generator, or the
  ///         plane would take more than 16 GiB.
  SaliencyMap plane(const MaskSample& s, int k) const {
    check_sample(s, "mcrise::MaskGenerator::plane()");
    if (k < 0 || k > num_colors_)
      throw std::invalid_argument("mcrise::MaskGenerator::plane(): plane must be in [0, " +
                                  std::to_string(num_colors_) + "], got " + std::to_string(k));
    (void)detail::checked_count("mcrise::MaskGenerator::plane()", "plane", {geometry_.height, geometry_.width},
                                sizeof(double));
    SaliencyMap out(geometry_.height, geometry_.width);
    const int gw = geometry_.grid_w;
    auto is_k = [&](int r, int c) { return s.cells[static_cast<std::size_t>(r * gw + c)] == k ? 1.0 : 0.0; };
    for (int y = 0; y < geometry_.height; ++y) {
      const auto u = static_cast<std::size_t>(y + s.dy);
      for (int x = 0; x < geometry_.width; ++x) {
        const auto v = static_cast<std::size_t>(x + s.dx);
        const double top = cols_.w0[v] * is_k(rows_.i0[u], cols_.i0[v]) + cols_.w1[v] * is_k(rows_.i0[u], cols_.i1[v]);
        const double bot = cols_.w0[v] * is_k(rows_.i1[u], cols_.i0[v]) + cols_.w1[v] * is_k(rows_.i1[u], cols_.i1[v]);
        out(y, x) = rows_.w0[u] * top + rows_.w1[u] * bot;
      }
    }
    return out;
  }

  /// @brief All K + 1 planes of a sample: [m0, m^c(1), ..., m^c(K)], each H x W; they sum to 1 per pixel.
  /// @throws std::invalid_argument if the sample does not fit this generator.
  std::vector<SaliencyMap> planes(const MaskSample& s) const {
    std::vector<SaliencyMap> out;
    for (int k = 0; k <= num_colors_; ++k) out.push_back(plane(s, k));
    return out;
  }

  /// @brief Image size, grid and shift ranges.
  const MaskGeometry& geometry() const noexcept { return geometry_; }
  /// @brief K, the number of mask colours (1 for binary masks).
  int num_colors() const noexcept { return num_colors_; }
  /// @brief p_mask.
  double mask_probability() const noexcept { return p_mask_; }
  /// @brief The seed samples are drawn from.
  std::uint64_t seed() const noexcept { return seed_; }
  /// @brief The sampler.
  Sampler sampler() const noexcept { return sampler_; }
  /// @brief B, the number of consecutive samples that are drawn together (1 for independent).
  int block_size() const noexcept { return block_; }
  /// @brief A hash of the options that a sample's distribution depends on (image size, grid,
  ///        upsampling, shift, K, mask_probability, block size; not the seed), never 0. Every
  ///        sample drawn carries it in MaskSample::source.
  std::uint64_t fingerprint() const noexcept { return fingerprint_; }
  /// @brief Row interpolation table over the canvas (internal use).
  const detail::AxisWeights& row_weights() const noexcept { return rows_; }
  /// @brief Column interpolation table over the canvas (internal use).
  const detail::AxisWeights& col_weights() const noexcept { return cols_; }

  /// @brief Throws std::invalid_argument if `s` has the wrong cell count, a
  ///        shift out of range or a colour above K.
  void check_sample(const MaskSample& s, const char* where) const {
    bool ok = s.cells.size() == static_cast<std::size_t>(geometry_.cells()) && s.dy >= 0 &&
              s.dy < geometry_.shifts_h() && s.dx >= 0 && s.dx < geometry_.shifts_w();
    for (auto c : s.cells) ok = ok && c <= num_colors_;
    if (!ok) throw std::invalid_argument(std::string(where) + ": the mask sample does not fit this generator");
  }

 private:
  friend struct detail::PartsAccess;
  friend class BinaryMaskGenerator;
  friend class ColorMaskGenerator;

  // The public constructor's, with `where` naming the class in messages (for the named generators).
  MaskGenerator(int height, int width, int num_colors, const MaskOptions& opt, std::string_view where)
      : MaskGenerator((opt.check(height, width, num_colors, where), detail::Checked{}), height, width, num_colors,
                      opt) {}

  // Member j = n mod B of block b = n / B. The block's randomness comes from
  // streams keyed by (seed, b): one for the shift, one per cell, so each cell's
  // states across the block are independent of the other cells'.
  void sample_block_member(std::uint64_t n, MaskSample& out) const {
    const auto B = static_cast<std::uint64_t>(block_);
    const std::uint64_t b = n / B;
    const auto j = static_cast<std::uint32_t>(n % B);
    const std::uint64_t key = detail::mix64(detail::mix64(seed_ ^ 0x5A3C9E1B7D2F4680ULL) ^ b);
    out.index = n;
    out.source = fingerprint_;
    {
      detail::CounterRng rng(key, ~std::uint64_t{0});
      out.dy = geometry_.random_shift ? static_cast<int>(rng.below(static_cast<std::uint32_t>(geometry_.cell_h))) : 0;
      out.dx = geometry_.random_shift ? static_cast<int>(rng.below(static_cast<std::uint32_t>(geometry_.cell_w))) : 0;
    }
    const auto cells = static_cast<std::size_t>(geometry_.cells());
    out.cells.resize(cells);
    // Member j's state of a cell is position j of a sequence of draws, so it costs j + 1 draws
    // alone; the states of all B members cost B. This thread keeps the last block it drew whole
    // (the drivers' threads take the members of a batch in turns, so each uses about B / threads
    // of every block), where blocks are long enough for that to pay.
    if (block_ >= detail::min_cached_block && B * cells <= detail::max_cached_block_states &&
        !detail::block_cache_off.load(std::memory_order_relaxed)) {
      detail::BlockStates& c = detail::thread_block_states();
      if (!c.valid || c.seed != seed_ || c.block != b || c.size != block_ || c.masked != block_masked_ ||
          c.colors != num_colors_ || c.cells != cells) {
        c.valid = false;
        for (std::size_t cell = 0; cell < cells; ++cell)
          cell_states(key, cell, static_cast<std::uint32_t>(B - 1),
                      [&](std::uint32_t i, std::uint8_t state) { c.states[i * cells + cell] = state; });
        c.seed = seed_;
        c.block = b;
        c.size = block_;
        c.masked = block_masked_;
        c.colors = num_colors_;
        c.cells = cells;
        c.valid = true;
      }
      std::copy_n(c.states + j * cells, cells, out.cells.data());
      return;
    }
    for (std::size_t cell = 0; cell < cells; ++cell)
      cell_states(key, cell, j, [&](std::uint32_t, std::uint8_t state) { out.cells[cell] = state; });
  }

  // f(i, state) for positions i = 0..last of a uniformly random arrangement of the multiset
  // {state 0 x (B - m), colour k x m/K for k = 1..K} of one cell of the block with key `key`,
  // drawn sequentially without replacement.
  template <class F>
  void cell_states(std::uint64_t key, std::size_t cell, std::uint32_t last, F&& f) const {
    detail::CounterRng rng(key, cell);
    const auto K = static_cast<std::uint32_t>(num_colors_);
    std::uint32_t left = static_cast<std::uint32_t>(block_);
    std::uint32_t kept = static_cast<std::uint32_t>(block_ - block_masked_);
    std::uint32_t per[256];
    for (std::uint32_t k = 1; k <= K; ++k) per[k] = static_cast<std::uint32_t>(block_masked_) / K;
    for (std::uint32_t i = 0; i <= last; ++i, --left) {
      std::uint32_t r = rng.below(left);
      if (r < kept) {
        --kept;
        f(i, std::uint8_t{0});
        continue;
      }
      r -= kept;
      std::uint32_t k = 1;
      while (r >= per[k]) r -= per[k++];
      --per[k];
      f(i, static_cast<std::uint8_t>(k));
    }
  }

  // Options that MaskOptions::check accepted: no second check (the drivers check once, naming themselves).
  MaskGenerator(detail::Checked, int height, int width, int num_colors, const MaskOptions& opt)
      : geometry_(MaskGeometry::build(height, width, opt)),
        num_colors_(num_colors),
        p_mask_(opt.mask_probability),
        seed_(opt.seed),
        rows_(opt.grid_h, geometry_.cell_h, opt.upsampling),
        cols_(opt.grid_w, geometry_.cell_w, opt.upsampling),
        sampler_(opt.sampler) {
    const int balanced_block = balanced_block_size(opt.mask_probability, num_colors);
    if (sampler_ == Sampler::automatic) sampler_ = balanced_block > 0 ? Sampler::balanced : Sampler::independent;
    block_ = sampler_ == Sampler::balanced ? balanced_block : 1;
    block_masked_ = sampler_ == Sampler::balanced ? static_cast<int>(std::round(opt.mask_probability * block_)) : 0;
    // Everything a sample's distribution depends on, except the seed (any seed draws the same
    // distribution): the geometry, K, p (its bits) and the block size B.
    std::uint64_t f = 0x6D63726973654D47ULL;
    std::uint64_t p_bits = 0;
    static_assert(sizeof p_bits == sizeof p_mask_, "double is 64-bit");
    std::memcpy(&p_bits, &p_mask_, sizeof p_bits);
    for (std::uint64_t v : {static_cast<std::uint64_t>(geometry_.height), static_cast<std::uint64_t>(geometry_.width),
                            static_cast<std::uint64_t>(geometry_.grid_h), static_cast<std::uint64_t>(geometry_.grid_w),
                            static_cast<std::uint64_t>(geometry_.upsampling), std::uint64_t{geometry_.random_shift},
                            static_cast<std::uint64_t>(num_colors_), p_bits, static_cast<std::uint64_t>(block_)})
      f = detail::mix64(f ^ v);
    fingerprint_ = f | 1;  // never 0, which marks a sample built by hand
  }

  MaskGeometry geometry_;
  int num_colors_;
  double p_mask_;
  std::uint64_t seed_;
  detail::AxisWeights rows_, cols_;
  Sampler sampler_ = Sampler::independent;
  int block_ = 0;         // B
  int block_masked_ = 0;  // m = p·B, masked members per cell and block (balanced)
  std::uint64_t fingerprint_ = 0;
};

/// @brief RISE's binary masks: each cell kept (1) with probability 1 - p_mask.
///        `mask(s)` is the full-resolution m(λ) in [0,1] (= plane 0).
class BinaryMaskGenerator : public MaskGenerator {
 public:
  /// @param height image rows H >= 1; @param width image columns W >= 1; @param opt see MaskOptions.
  /// @throws std::invalid_argument for any value out of range.
  BinaryMaskGenerator(int height, int width, const MaskOptions& opt = {})
      : MaskGenerator(height, width, 1, opt, "mcrise::BinaryMaskGenerator()") {}
  /// @brief The full-resolution mask m(λ): H x W in [0, 1] (1 = kept).
  /// @throws std::invalid_argument if the sample does not fit this generator.
  SaliencyMap mask(const MaskSample& s) const { return plane(s, 0); }
};

/// @brief MC-RISE's colour masks with K colours (paper §4.2, eq. 6-7).
class ColorMaskGenerator : public MaskGenerator {
 public:
  /// @param height image rows H >= 1; @param width image columns W >= 1;
  /// @param num_colors K, in [1, 255]; @param opt see MaskOptions.
  /// @throws std::invalid_argument for any value out of range.
  ColorMaskGenerator(int height, int width, int num_colors, const MaskOptions& opt = {})
      : MaskGenerator(height, width, num_colors, opt, "mcrise::ColorMaskGenerator()") {}
};

inline void MaskOptions::check(int height, int width, int num_colors, std::string_view where) const {
  MaskGeometry::check(height, width, *this, where);
  detail::check_mask_probability(where, mask_probability);
  detail::require_in(where, "the number of colours", num_colors, 1, detail::max_colors);
  if (sampler == Sampler::balanced)
    detail::require(where, MaskGenerator::balanced_block_size(mask_probability, num_colors) > 0,
                    "sampler balanced needs mask_probability·B to be a multiple of K = ", num_colors,
                    " for some block size B <= ", detail::max_block_size,
                    " (e.g. 0.5, 0.25, 0.3), got mask_probability ", mask_probability);
  else
    detail::require(where, sampler == Sampler::independent || sampler == Sampler::automatic, "unknown sampler ",
                    static_cast<int>(sampler));
}

}  // namespace mcrise
