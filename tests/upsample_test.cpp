// The shift upsampler (detail/upsample.hpp) against the direct sum over shifts of every
// upsampled grid (reference.hpp).
#include "reference.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace test::reference;

TEST_CASE("the second-difference upsampler equals the direct sum over shifts of every upsampled grid",
          "[perf][upsample]") {
  // Sizes with 1 and 2 rows or columns (the recurrence's start), grids of one cell, grids that
  // do not divide the image, no shift, both upsampling modes; random values, some shifts empty.
  struct Case {
    int H, W, gh, gw;
    bool shift;
  };
  const std::vector<Case> cases = {{1, 1, 1, 1, true},   {1, 7, 1, 3, true},  {2, 2, 2, 1, true},
                                   {3, 2, 2, 2, false},  {37, 53, 5, 7, true}, {37, 53, 37, 53, true},
                                   {16, 16, 8, 8, true}, {40, 24, 1, 1, true}, {29, 31, 4, 6, false},
                                   {301, 20, 150, 7, true}};  // knots 1/300 of a pixel from a sample point
  std::uint64_t state = 12345;
  auto uniform = [&state] {  // a small LCG: the values only need to be arbitrary
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / 9007199254740992.0 - 0.5;
  };
  for (const auto& cs : cases)
    for (auto mode : {Upsampling::bilinear, Upsampling::bilinear_edge, Upsampling::nearest}) {
      MaskOptions o;
      o.grid_h = cs.gh;
      o.grid_w = cs.gw;
      o.random_shift = cs.shift;
      o.upsampling = mode;
      const auto g = mcrise::MaskGeometry::make(cs.H, cs.W, o, "test");
      const int shifts = g.shifts_h() * g.shifts_w(), cells = g.cells();
      std::vector<double> sums(static_cast<std::size_t>(shifts * cells));
      for (std::size_t i = 0; i < sums.size(); ++i) sums[i] = (i / static_cast<std::size_t>(cells)) % 3 == 1 ? 0.0 : uniform();
      const SaliencyMap fast = mcrise::detail::ShiftUpsampler(g)(
          [&](int shift, int cell) { return sums[static_cast<std::size_t>(shift * cells + cell)]; });
      SaliencyMap ref = SaliencyMap::Zero(cs.H, cs.W);
      for (int dy = 0; dy < g.shifts_h(); ++dy)
        for (int dx = 0; dx < g.shifts_w(); ++dx)
          for (int y = 0; y < cs.H; ++y)
            for (int x = 0; x < cs.W; ++x) {
              int a0, a1, b0, b1;
              double wa0, wa1, wb0, wb1;
              ref_axis(y + dy, cs.gh, g.cell_h, mode, a0, a1, wa0, wa1);
              ref_axis(x + dx, cs.gw, g.cell_w, mode, b0, b1, wb0, wb1);
              const double* a = sums.data() + static_cast<std::size_t>((dy * g.shifts_w() + dx) * cells);
              auto at = [&](int r, int c) { return a[r * cs.gw + c]; };
              ref(y, x) += wa0 * (wb0 * at(a0, b0) + wb1 * at(a0, b1)) + wa1 * (wb0 * at(a1, b0) + wb1 * at(a1, b1));
            }
      INFO(cs.H << " x " << cs.W << ", grid " << cs.gh << " x " << cs.gw << ", shift " << cs.shift << ", "
                << static_cast<int>(mode));
      // Double rounding only: the recurrence adds O(H² + W²) roundings of values of size ~shifts.
      CHECK(max_abs_diff(fast, ref) <= 1e-12 * static_cast<double>(shifts) * (cs.H * cs.H + cs.W * cs.W + 1));
      CHECK(ref.cwiseAbs().maxCoeff() > 0.0);
    }
}

TEST_CASE("the upsampler gives the same bits with AVX2 and the baseline, and when it skips unused shifts",
          "[perf][upsample][dispatch]") {
  // into() reads only the shifts read(shift) allows; the skipped ones must be all zero, and the
  // result is then bitwise that of reading them. Both instruction-set variants (detail/dispatch.hpp)
  // add the same products in the same order, without FMA.
  struct Case {
    int H, W, gh, gw;
  };
  std::uint64_t state = 777;
  auto uniform = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / 9007199254740992.0 - 0.5;
  };
  for (const Case cs : {Case{37, 53, 5, 7}, Case{64, 48, 8, 8}, Case{3, 2, 2, 2}, Case{29, 31, 4, 6}})
    for (auto mode : {Upsampling::bilinear, Upsampling::nearest}) {
      MaskOptions o;
      o.grid_h = cs.gh;
      o.grid_w = cs.gw;
      o.upsampling = mode;
      const auto g = mcrise::MaskGeometry::make(cs.H, cs.W, o, "test");
      const int shifts = g.shifts_h() * g.shifts_w(), cells = g.cells();
      // Most shifts used, some not (a batch-means group of a short run uses few); shift 0 unused.
      std::vector<char> used(static_cast<std::size_t>(shifts));
      std::vector<double> sums(static_cast<std::size_t>(shifts * cells), 0.0);
      for (int s = 1; s < shifts; ++s) {
        used[static_cast<std::size_t>(s)] = s == shifts - 1 || uniform() > 0.3;
        if (used[static_cast<std::size_t>(s)])
          for (int c = 0; c < cells; ++c) sums[static_cast<std::size_t>(s * cells + c)] = uniform();
      }
      const mcrise::detail::ShiftUpsampler up(g);
      bool read_unused = false;
      auto value = [&](int shift, int cell) {
        read_unused = read_unused || !used[static_cast<std::size_t>(shift)];
        return sums[static_cast<std::size_t>(shift * cells + cell)];
      };
      INFO(cs.H << " x " << cs.W << ", grid " << cs.gh << " x " << cs.gw << ", " << static_cast<int>(mode));
      mcrise::detail::ShiftUpsampler::Scratch scratch;
      const SaliencyMap all = up(value, scratch);
      CHECK(read_unused);
      CHECK(all.cwiseAbs().maxCoeff() > 0.0);
      // Into a map of another size, then into the same map again (reused, no allocation).
      SaliencyMap skipped(1, 1);
      for (int round = 0; round < 2; ++round) {
        read_unused = false;
        up.into(value, [&](int shift) { return used[static_cast<std::size_t>(shift)] != 0; }, scratch, skipped);
        CHECK_FALSE(read_unused);
        CHECK(skipped == all);
      }
      if (mcrise::detail::current_isa() == mcrise::detail::Isa::avx2) {
        const mcrise::detail::ForceIsa force(mcrise::detail::Isa::baseline);
        CHECK(up(value) == all);
      } else {
        WARN("this CPU or build has no AVX2 variant: only the baseline runs");
      }
    }
}
