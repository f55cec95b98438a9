// Mask generators and the perturber: distribution, upsampling convention,
// determinism, and the fast perturbation against the plane-by-plane reference.
#include "support.hpp"

#include <mcrise/detail/random.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

using mcrise::MaskGenerator;
using mcrise::MaskOptions;

TEST_CASE("mask planes are in [0,1] and sum to one at every pixel", "[masks]") {
  for (auto up : {mcrise::Upsampling::bilinear, mcrise::Upsampling::bilinear_edge, mcrise::Upsampling::nearest}) {
    MaskOptions o;
    o.grid_h = 5;
    o.grid_w = 7;
    o.upsampling = up;
    MaskGenerator gen(37, 53, 4, o);
    CHECK(gen.geometry().cell_h == 8);
    CHECK(gen.geometry().cell_w == 8);
    for (std::uint64_t n = 0; n < 20; ++n) {
      const auto planes = gen.planes(gen.sample(n));
      REQUIRE(planes.size() == 5);
      mcrise::SaliencyMap sum = mcrise::SaliencyMap::Zero(37, 53);
      for (const auto& p : planes) {
        CHECK(p.minCoeff() >= 0.0);
        CHECK(p.maxCoeff() <= 1.0 + 1e-6);
        sum += p;
      }
      CHECK((sum.array() - 1.0).abs().maxCoeff() < 1e-6);
    }
  }
}

TEST_CASE("sample n is a pure function of (seed, n)", "[masks]") {
  MaskOptions o;
  o.seed = 7;
  MaskGenerator a(32, 32, 5, o), b(32, 32, 5, o);
  const auto s1 = a.sample(123456789);
  const auto s2 = b.sample(123456789);
  CHECK(s1.cells == s2.cells);
  CHECK(s1.dy == s2.dy);
  CHECK(s1.dx == s2.dx);
  CHECK(a.sample(1).cells != a.sample(2).cells);
  o.seed = 8;
  MaskGenerator c(32, 32, 5, o);
  CHECK(c.sample(123456789).cells != s1.cells);
}

TEST_CASE("cells are masked with probability p_mask and colours are uniform", "[masks]") {
  for (double p : {0.3, 0.5, 0.7}) {
    MaskOptions o;
    o.mask_probability = p;
    const int K = 3;
    MaskGenerator gen(16, 16, K, o);
    std::vector<double> count(K + 1, 0.0);
    std::vector<double> shift(gen.geometry().cell_h, 0.0);
    const int N = 4000;
    for (int n = 0; n < N; ++n) {
      const auto s = gen.sample(static_cast<std::uint64_t>(n));
      for (auto c : s.cells) count[c] += 1;
      shift[static_cast<std::size_t>(s.dy)] += 1;
    }
    const double total = N * 64.0;
    // Each frequency is a mean of Bernoulli draws; 5 standard errors.
    const double q0 = 1 - p;
    CHECK(std::abs(count[0] / total - q0) < 5 * std::sqrt(q0 * (1 - q0) / total));
    for (int k = 1; k <= K; ++k) {
      const double q = p / K;
      CHECK(std::abs(count[static_cast<std::size_t>(k)] / total - q) < 5 * std::sqrt(q * (1 - q) / total));
    }
    for (double c : shift) {
      const double q = 1.0 / gen.geometry().cell_h;
      CHECK(std::abs(c / N - q) < 5 * std::sqrt(q * (1 - q) / N));
    }
  }
}

TEST_CASE("the shift (dy, dx) is uniform over [0, cell_h) x [0, cell_w) jointly, for both samplers", "[masks]") {
  // A non-square image, so that cell_h != cell_w (a dx drawn over cell_h values, or dy and dx
  // drawn alike, is seen). Block samplers share one shift per block: one member per block counts.
  for (auto sampler : {mcrise::Sampler::independent, mcrise::Sampler::balanced}) {
    for (auto [H, W] : {std::pair<int, int>{16, 40}, {40, 16}}) {
      MaskOptions o;
      o.sampler = sampler;
      const MaskGenerator gen(H, W, 2, o);  // 8 x 8 grid: cells 2 x 5 or 5 x 2
      const int ch = gen.geometry().cell_h, cw = gen.geometry().cell_w;
      REQUIRE(ch * cw == 10);
      const int N = 6000;
      const auto B = static_cast<std::uint64_t>(gen.block_size());
      std::vector<double> joint(static_cast<std::size_t>(ch * cw), 0.0);
      for (int n = 0; n < N; ++n) {
        const auto s = gen.sample(static_cast<std::uint64_t>(n) * B + (B - 1));
        REQUIRE((s.dy >= 0 && s.dy < ch && s.dx >= 0 && s.dx < cw));
        joint[static_cast<std::size_t>(s.dy * cw + s.dx)] += 1;
      }
      const double q = 1.0 / (ch * cw);
      for (double c : joint) {
        INFO("sampler " << static_cast<int>(sampler) << ", " << H << " x " << W << ", frequency " << c / N);
        CHECK(std::abs(c / N - q) < 5 * std::sqrt(q * (1 - q) / N));  // 5 standard errors
      }
    }
  }
}

TEST_CASE("colour and shift draws are exactly uniform: every 16-bit input enumerated", "[masks][random]") {
  // Rng::below runs multiply_shift_below on 32-bit words; the same code on 16-bit words can be
  // checked over every input: each result must be reached by exactly floor(2^16 / k) inputs.
  for (std::uint32_t k : {1u, 2u, 3u, 5u, 6u, 7u, 28u, 100u, 255u, 641u, 1000u, 1024u, 4097u, 65535u}) {
    std::vector<std::uint32_t> hits(k, 0);
    std::uint32_t refused = 0;
    bool in_range = true;
    for (std::uint32_t x = 0; x < 65536u; ++x) {
      std::uint16_t r = 0;
      if (mcrise::detail::multiply_shift_below<std::uint16_t, std::uint32_t>(static_cast<std::uint16_t>(x),
                                                                             static_cast<std::uint16_t>(k), r)) {
        in_range = in_range && r < k;
        if (r < k) ++hits[r];
      } else {
        ++refused;
      }
    }
    INFO("k = " << k);
    CHECK(in_range);
    CHECK(refused == 65536u % k);
    CHECK(*std::min_element(hits.begin(), hits.end()) == 65536u / k);
    CHECK(*std::max_element(hits.begin(), hits.end()) == 65536u / k);
  }
  // The 32-bit form: a result below k, and the same stream gives the same draws.
  mcrise::detail::CounterRng a(7, 3), b(7, 3);
  for (std::uint32_t k = 1; k < 2000; k += 37) {
    const std::uint32_t r = a.below(k);
    CHECK(r < k);
    CHECK(r == b.below(k));
  }
}

TEST_CASE("nearest upsampling without shift and cell size 1 reproduces the grid", "[masks]") {
  MaskOptions o;
  o.grid_h = 3;
  o.grid_w = 4;
  o.upsampling = mcrise::Upsampling::nearest;
  o.random_shift = false;
  MaskGenerator gen(3, 4, 2, o);
  for (std::uint64_t n = 0; n < 10; ++n) {
    const auto s = gen.sample(n);
    CHECK(s.dy == 0);
    CHECK(s.dx == 0);
    const auto planes = gen.planes(s);
    for (int y = 0; y < 3; ++y)
      for (int x = 0; x < 4; ++x)
        for (int k = 0; k <= 2; ++k)
          CHECK(planes[static_cast<std::size_t>(k)](y, x) == (s.cells[static_cast<std::size_t>(y * 4 + x)] == k ? 1.0 : 0.0));
  }
}

TEST_CASE("bilinear upsampling follows the documented pixel-centre convention", "[masks]") {
  // One grid row of 2 cells, cell width 4: canvas of 12 columns; column u reads
  // s = (u + 0.5) * 2 / 12 - 0.5, which is in (-0.5, 0.75] on the 8 columns seen without shift.
  // Kept cell 0 has weight 1 - s on [0, 1]; left of its centre (s < 0) the mirrored grid reads
  // cell 1 at -1, so bilinear gives 1 - |s| there, while bilinear_edge clamps s to 0 and gives 1.
  for (auto mode : {mcrise::Upsampling::bilinear, mcrise::Upsampling::bilinear_edge}) {
    MaskOptions o;
    o.grid_h = 1;
    o.grid_w = 2;
    o.random_shift = false;
    o.upsampling = mode;
    MaskGenerator gen(1, 8, 1, o);
    mcrise::MaskSample s;
    s.cells = {0, 1};  // left kept, right masked
    const auto m0 = gen.plane(s, 0);
    for (int x = 0; x < 8; ++x) {
      const double pos = (x + 0.5) * 2.0 / 12.0 - 0.5;
      const double want = mode == mcrise::Upsampling::bilinear ? 1.0 - std::abs(pos) : 1.0 - std::max(pos, 0.0);
      INFO("column " << x << ", mode " << static_cast<int>(mode));
      CHECK(m0(0, x) == Approx(want).margin(1e-6));
    }
  }
}

TEST_CASE("bilinear upsampling with a shift follows the documented formula in both axes", "[masks]") {
  // The weights written out from the README's formula, independently of the library's tables:
  // canvas row u reads s = (u + 0.5)·grid / ((grid + 1)·cell) - 0.5, between rows floor(s) and
  // floor(s) + 1, each mirrored about the outer cell centre (-1 -> 1, grid -> grid - 2).
  auto weight = [](int u, int i, int grid, int cell) {
    const double s = (u + 0.5) * grid / static_cast<double>((grid + 1) * cell) - 0.5;
    const double a = std::floor(s), t = s - a;
    auto mirror = [grid](int j) { return j < 0 ? -j : j >= grid ? 2 * grid - 2 - j : j; };
    const int lo = mirror(static_cast<int>(a)), hi = mirror(static_cast<int>(a) + 1);
    return (lo == i ? 1.0 - t : 0.0) + (hi == i ? t : 0.0);
  };
  const int H = 13, W = 11, K = 2;
  MaskOptions o;
  o.grid_h = 3;  // cell 5 x 3, neither grid divides the image
  o.grid_w = 4;
  const MaskGenerator gen(H, W, K, o);
  const auto& g = gen.geometry();
  REQUIRE(g.cell_h == 5);
  REQUIRE(g.cell_w == 3);
  mcrise::MaskSample s;
  s.cells = {0, 1, 2, 1, 2, 0, 0, 1, 1, 2, 0, 2};
  for (s.dy = 0; s.dy < g.shifts_h(); ++s.dy)
    for (s.dx = 0; s.dx < g.shifts_w(); ++s.dx)
      for (int k = 0; k <= K; ++k) {
        const auto plane = gen.plane(s, k);
        double worst = 0;
        for (int y = 0; y < H; ++y)
          for (int x = 0; x < W; ++x) {
            double want = 0;
            for (int i = 0; i < 3; ++i)
              for (int j = 0; j < 4; ++j)
                if (s.cells[static_cast<std::size_t>(i * 4 + j)] == k)
                  want += weight(y + s.dy, i, 3, 5) * weight(x + s.dx, j, 4, 3);
            worst = std::max(worst, std::abs(plane(y, x) - want));
          }
        INFO("dy " << s.dy << " dx " << s.dx << " plane " << k);
        CHECK(worst < 1e-6);
      }
}

TEST_CASE("a grid that does not divide the image reaches it with fewer rows (README's example)", "[masks]") {
  // H = 9 with 8 grid rows: cell 2, canvas 18, the image sees 9 of its rows, so only grid rows
  // 0..4 ever touch it, for any shift. 224 rows with 8 grid rows: every row does.
  auto rows_reaching = [](int H, int grid) {
    MaskOptions o;
    o.grid_h = grid;
    o.grid_w = 1;
    const MaskGenerator gen(H, 4, 1, o);
    std::vector<int> rows;
    for (int i = 0; i < grid; ++i) {
      mcrise::MaskSample s;
      s.cells.assign(static_cast<std::size_t>(grid), 0);
      s.cells[static_cast<std::size_t>(i)] = 1;
      bool touches = false;
      for (s.dy = 0; s.dy < gen.geometry().shifts_h(); ++s.dy) touches = touches || gen.plane(s, 1).maxCoeff() > 1e-6;
      if (touches) rows.push_back(i);
    }
    return rows;
  };
  CHECK(rows_reaching(9, 8) == std::vector<int>{0, 1, 2, 3, 4});
  CHECK(rows_reaching(224, 8) == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7});
  CHECK(rows_reaching(224, 7).size() == 7);
}

TEST_CASE("the fast perturber equals i*m0 + sum_k c_k*m_k for odd sizes, K = 1..6 and both layouts", "[masks][perturb]") {
  const auto img = test::test_image(37, 53);
  for (int K = 1; K <= 6; ++K) {
    MaskOptions o;
    o.grid_h = 5;
    o.grid_w = 6;  // neither divides the image
    o.seed = static_cast<std::uint64_t>(K);
    MaskGenerator gen(37, 53, K, o);
    std::vector<mcrise::Color> colors;
    for (int k = 0; k < K; ++k) colors.push_back({0.1f * k, 1.0f - 0.15f * k, 0.5f});
    mcrise::Perturber perturb(img, gen, colors);
    mcrise::Perturber::Scratch scratch;
    for (std::uint64_t n = 0; n < 5; ++n) {
      const auto s = gen.sample(n);
      const auto ref = test::reference_perturb(img, gen.planes(s), colors);
      const auto fast = perturb(s);
      double err = 0;
      for (std::size_t i = 0; i < ref.size(); ++i) err = std::max(err, double(std::abs(ref.data()[i] - fast.data()[i])));
      CHECK(err < 1e-5);
      mcrise::ImageBatch chw(1, 37, 53, 3, mcrise::Layout::CHW);
      perturb(s, chw.image_data(0), mcrise::Layout::CHW, scratch);
      CHECK(chw.image(0) == fast);
    }
  }
}

TEST_CASE("the perturber refuses an unknown layout and rows outside [0, H], writing nothing", "[masks][perturb][errors]") {
  const auto img = test::test_image(5, 7);
  MaskOptions o;
  o.grid_h = o.grid_w = 2;
  MaskGenerator gen(5, 7, 2, o);
  const mcrise::Perturber perturb(img, gen, {{0.0f, 0.0f, 0.0f}, {1.0f, 1.0f, 1.0f}});
  mcrise::Perturber::Scratch scratch;
  std::vector<float> dst(5 * 7 * 3, -1.0f);
  const auto s = gen.sample(0);
  CHECK_THROWS_WITH(perturb(s, dst.data(), static_cast<mcrise::Layout>(2), scratch),
                    Catch::Contains("Perturber::operator()") && Catch::Contains("unknown layout 2"));
  CHECK_THROWS_WITH(perturb(s, dst.data(), mcrise::Layout::HWC, scratch, 0, 6),
                    Catch::Contains("rows [0, 6) are not within [0, 5]"));
  CHECK_THROWS_WITH(perturb(s, dst.data(), mcrise::Layout::HWC, scratch, 3, 2),
                    Catch::Contains("rows [3, 2) are not within [0, 5]"));
  CHECK(std::all_of(dst.begin(), dst.end(), [](float v) { return v == -1.0f; }));
  perturb(s, dst.data(), mcrise::Layout::HWC, scratch, 0, 5);  // the whole image, rows [0, H]
  CHECK(std::none_of(dst.begin(), dst.end(), [](float v) { return v == -1.0f; }));
}

TEST_CASE("mask generators reject bad parameters", "[masks][errors]") {
  MaskOptions o;
  o.mask_probability = 1.0;
  CHECK_THROWS_WITH(MaskGenerator(8, 8, 1, o), Catch::Contains("mask_probability") && Catch::Contains("got 1"));
  o = {};
  o.grid_h = 0;
  CHECK_THROWS_WITH(mcrise::BinaryMaskGenerator(8, 8, o), Catch::Contains("grid_h") && Catch::Contains("got 0"));
  o = {};
  o.grid_w = 9;
  CHECK_THROWS_WITH(mcrise::ColorMaskGenerator(8, 8, 2, o), Catch::Contains("grid_w") && Catch::Contains("got 9"));
  CHECK_THROWS_WITH(MaskGenerator(8, 8, 0), Catch::Contains("colours"));
  CHECK_THROWS_WITH(MaskGenerator(0, 8, 1), Catch::Contains("empty"));
  o = {};
  o.grid_h = o.grid_w = 1;  // a 2^30 side: the canvas (2 x 2^30) would overflow an int
  CHECK_THROWS_WITH(mcrise::BinaryMaskGenerator(1 << 30, 8, o),
                    Catch::Contains("at most 536870912") && Catch::Contains("got 1073741824 x 8"));
  CHECK_THROWS_WITH(mcrise::BinaryMaskGenerator(8, (1 << 29) + 1, o), Catch::Contains("at most 536870912"));
  o = {};
  o.upsampling = static_cast<mcrise::Upsampling>(3);
  CHECK_THROWS_WITH(MaskGenerator(8, 8, 1, o), Catch::Contains("unknown upsampling 3"));
  MaskGenerator gen(8, 8, 2);
  mcrise::MaskSample bad;
  bad.cells.assign(64, 3);
  CHECK_THROWS_WITH(gen.plane(bad, 0), Catch::Contains("does not fit"));
}
