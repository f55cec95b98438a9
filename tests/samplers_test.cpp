// Variance-reduced samplers against exact mathematics: each block member is
// marginally exactly a paper sample (the balanced counts per block, and the
// member's cell and colour frequencies), every estimator stays unbiased (the
// Monte-Carlo maps match the exact expectation over all masks within 5 standard
// errors computed from block means, which carry the within-block correlation),
// determinism across threads and batch sizes, and refused combinations.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <stdexcept>

using test::Estimator;

namespace {

mcrise::MaskOptions options(double p, mcrise::Sampler s, int grid = 2, std::uint64_t seed = 2020) {
  mcrise::MaskOptions o;
  o.grid_h = o.grid_w = grid;
  o.mask_probability = p;
  o.sampler = s;
  o.seed = seed;
  return o;
}

const char* name(mcrise::Sampler s) {
  return s == mcrise::Sampler::independent ? "independent" : "balanced";
}

}  // namespace

TEST_CASE("block sizes: balanced is the smallest B with p·B a multiple of K", "[samplers]") {
  using S = mcrise::Sampler;
  CHECK(mcrise::MaskGenerator(8, 8, 1, options(0.5, S::independent)).block_size() == 1);
  CHECK(mcrise::MaskGenerator(8, 8, 1, options(0.5, S::balanced)).block_size() == 2);  // antithetic pairs
  CHECK(mcrise::MaskGenerator(8, 8, 5, options(0.5, S::balanced)).block_size() == 10);
  CHECK(mcrise::MaskGenerator(8, 8, 1, options(0.25, S::balanced)).block_size() == 4);
  CHECK(mcrise::MaskGenerator(8, 8, 1, options(0.3, S::balanced)).block_size() == 10);
  CHECK(mcrise::MaskGenerator(8, 8, 5, options(0.3, S::balanced)).block_size() == 50);
  CHECK(mcrise::MaskGenerator(8, 8, 2, options(0.7, S::balanced)).block_size() == 20);
}

TEST_CASE("binary balanced masks at p = 0.5 are antithetic pairs: each mask is followed by its complement",
          "[samplers]") {
  const mcrise::MaskGenerator gen(16, 16, 1, options(0.5, mcrise::Sampler::balanced, 4));
  for (std::uint64_t b = 0; b < 200; ++b) {
    const auto a = gen.sample(2 * b), c = gen.sample(2 * b + 1);
    REQUIRE(a.dy == c.dy);
    REQUIRE(a.dx == c.dx);
    for (std::size_t i = 0; i < a.cells.size(); ++i) REQUIRE(a.cells[i] + c.cells[i] == 1);
  }
}

TEST_CASE("every block member is marginally a paper sample", "[samplers][exact]") {
  using S = mcrise::Sampler;
  struct Case {
    S sampler;
    int K;
    double p;
  };
  for (const Case& cs : {Case{S::balanced, 1, 0.5}, Case{S::balanced, 1, 0.3}, Case{S::balanced, 2, 0.5},
                         Case{S::balanced, 3, 0.25}, Case{S::balanced, 2, 0.7}}) {
    INFO(name(cs.sampler) << " K " << cs.K << " p " << cs.p);
    const mcrise::MaskGenerator gen(6, 6, cs.K, options(cs.p, cs.sampler, 3));  // 9 cells of 2 x 2, 4 shifts
    const int B = gen.block_size(), cells = 9, blocks = 4000;
    // Per block: the shift is shared; for balanced, each cell's states across the block are
    // exactly the multiset {0 x (1-p)B, colour k x pB/K}.
    for (int b = 0; b < 300; ++b) {
      const auto first = gen.sample(static_cast<std::uint64_t>(b) * static_cast<std::uint64_t>(B));
      std::vector<std::vector<int>> count(cells, std::vector<int>(static_cast<std::size_t>(cs.K + 1), 0));
      for (int j = 0; j < B; ++j) {
        const auto s = gen.sample(static_cast<std::uint64_t>(b) * static_cast<std::uint64_t>(B) + static_cast<std::uint64_t>(j));
        REQUIRE(s.dy == first.dy);
        REQUIRE(s.dx == first.dx);
        for (int c = 0; c < cells; ++c) ++count[static_cast<std::size_t>(c)][s.cells[static_cast<std::size_t>(c)]];
      }
      for (int c = 0; c < cells; ++c) {
        const auto& n = count[static_cast<std::size_t>(c)];
        REQUIRE(n[0] == static_cast<int>(std::lround((1 - cs.p) * B)));
        for (int k = 1; k <= cs.K; ++k) REQUIRE(n[static_cast<std::size_t>(k)] == static_cast<int>(std::lround(cs.p * B / cs.K)));
      }
    }
    // Marginal frequencies of a member over many blocks: each cell's state (0 w.p. 1-p, colour k
    // w.p. p/K), the shift (uniform over 4), and the joint state of two cells (independent):
    // every frequency within 5 binomial standard errors of its exact probability.
    for (int j : {0, B - 1}) {
      std::map<std::pair<int, int>, int> joint;  // (cell 0 state, cell 4 state)
      std::vector<std::vector<int>> freq(cells, std::vector<int>(static_cast<std::size_t>(cs.K + 1), 0));
      std::vector<int> shifts(4, 0);
      for (int b = 0; b < blocks; ++b) {
        const auto s = gen.sample(static_cast<std::uint64_t>(b) * static_cast<std::uint64_t>(B) + static_cast<std::uint64_t>(j));
        for (int c = 0; c < cells; ++c) ++freq[static_cast<std::size_t>(c)][s.cells[static_cast<std::size_t>(c)]];
        ++shifts[static_cast<std::size_t>(s.dy * 2 + s.dx)];
        ++joint[{s.cells[0], s.cells[4]}];
      }
      auto check = [&](int count, double prob) {
        const double se = std::sqrt(prob * (1 - prob) / blocks);
        INFO("member " << j << " frequency " << count / double(blocks) << " probability " << prob);
        CHECK(std::abs(count / double(blocks) - prob) <= 5 * se);
      };
      auto state_p = [&](int k) { return k == 0 ? 1 - cs.p : cs.p / cs.K; };
      for (int c = 0; c < cells; ++c)
        for (int k = 0; k <= cs.K; ++k) check(freq[static_cast<std::size_t>(c)][static_cast<std::size_t>(k)], state_p(k));
      for (int v : shifts) check(v, 0.25);
      for (int a = 0; a <= cs.K; ++a)
        for (int b = 0; b <= cs.K; ++b) check(joint[{a, b}], state_p(a) * state_p(b));
    }
  }
}

namespace {

// Exact expectation of an estimator (all masks enumerated), and the block-mean
// statistics of its per-sample terms over samples 0..N-1 (the samples the library draws).
struct ExactAndBlocks {
  std::vector<mcrise::SaliencyMap> exact, mean;
  std::vector<mcrise::SaliencyMap> se;  // SE of the mean from the spread of block means
};

template <class Model>
ExactAndBlocks exact_and_blocks(Estimator e, const mcrise::Image& img, const mcrise::MaskGenerator& gen,
                                const std::vector<mcrise::Color>& colors, Model&& model, int cls, long long n) {
  ExactAndBlocks out;
  const double p = gen.mask_probability();
  mcrise::MaskOptions exact_opt;  // the paper's distribution: enumerate it with the same geometry
  exact_opt.grid_h = gen.geometry().grid_h;
  exact_opt.grid_w = gen.geometry().grid_w;
  exact_opt.mask_probability = p;
  const mcrise::MaskGenerator paper(gen.geometry().height, gen.geometry().width, gen.num_colors(), exact_opt);
  test::for_each_mask(paper, [&](const mcrise::MaskSample& s, double prob) {
    const auto planes = paper.planes(s);
    const auto t = test::sample_terms(e, planes, p, model(test::reference_perturb(img, planes, colors))(cls));
    if (out.exact.empty())
      for (const auto& m : t) out.exact.push_back(mcrise::SaliencyMap::Zero(m.rows(), m.cols()));
    for (std::size_t k = 0; k < t.size(); ++k) out.exact[k] += prob * t[k];
  });
  // Block means are i.i.d. (the last one partial); the N-sample mean is their
  // size-weighted mean, whose variance is estimated from the full blocks.
  const long long B = gen.block_size();
  test::PlaneStats blocks;
  std::vector<mcrise::SaliencyMap> sum, block;
  for (long long i = 0; i < n; ++i) {
    const auto planes = gen.planes(gen.sample(static_cast<std::uint64_t>(i)));
    const auto t = test::sample_terms(e, planes, p, model(test::reference_perturb(img, planes, colors))(cls));
    if (sum.empty()) {
      sum = t;
      for (auto& m : sum) m.setZero();
      block = sum;
    }
    for (std::size_t k = 0; k < t.size(); ++k) sum[k] += t[k], block[k] += t[k] / static_cast<double>(B);
    if (i % B == B - 1) {
      blocks.add(block);
      for (auto& m : block) m.setZero();
    }
  }
  for (std::size_t k = 0; k < sum.size(); ++k) {
    out.mean.push_back(sum[k] / static_cast<double>(n));
    // SE of the mean of n samples = SE of the mean of n / B block means.
    out.se.push_back(blocks.se(k) * std::sqrt(static_cast<double>(blocks.n) * B / static_cast<double>(n)));
  }
  return out;
}

}  // namespace

TEST_CASE("every sampler keeps every estimator unbiased: maps match the exact expectation within 5 block-mean SE",
          "[samplers][exact]") {
  const auto img = test::test_image(5, 6);
  auto model = [](const mcrise::Image& im) { return test::toy_scores(im); };
  const long long N = 12003;  // not a multiple of any block size below: the last block is partial
  using S = mcrise::Sampler;
  for (double p : {0.25, 0.5, 0.7}) {
    for (int cls : {0, 1}) {
      INFO("p_mask " << p << " class " << cls);
      mcrise::RiseOptions ro;
      ro.n_masks = N;
      ro.mask_probability = p;
      ro.grid_h = ro.grid_w = 2;
      ro.classes = {cls};
      ro.sampler = S::balanced;
      const mcrise::MaskGenerator bin(5, 6, 1, options(p, S::balanced));
      INFO("binary balanced, B = " << bin.block_size());
      for (auto e : {Estimator::rise, Estimator::debiased}) {
        const auto ref = exact_and_blocks(e, img, bin, {{0, 0, 0}}, model, cls, N);
        const auto res = e == Estimator::rise ? mcrise::rise(model, img, ro) : mcrise::debiased_rise(model, img, ro);
        CHECK(res.masks_used == N);
        CHECK((res.map(cls) - ref.mean[0]).cwiseAbs().maxCoeff() < 1e-6);
        test::check_within_se(res.map(cls), ref.exact[0], ref.se[0]);
      }
      const std::vector<mcrise::Color> colors{{1, 0, 0}, {0, 0.5f, 1}};
      for (auto s : {S::balanced}) {
        mcrise::McRiseOptions mo;
        mo.n_masks = N;
        mo.mask_probability = p;
        mo.grid_h = mo.grid_w = 2;
        mo.classes = {cls};
        mo.colors = colors;
        mo.sampler = s;
        const mcrise::MaskGenerator col(5, 6, 2, options(p, s));
        INFO(name(s) << ", B = " << col.block_size());
        const auto ref = exact_and_blocks(Estimator::mc, img, col, colors, model, cls, N);
        const auto res = mcrise::mc_rise(model, img, mo);
        for (std::size_t k = 0; k < 2; ++k) {
          CHECK((res.map(cls)[k] - ref.mean[k]).cwiseAbs().maxCoeff() < 1e-6);
          test::check_within_se(res.map(cls)[k], ref.exact[k], ref.se[k]);
        }
      }
    }
  }
}

TEST_CASE("block samplers are bitwise identical across thread counts, batch sizes and overlap",
          "[samplers][determinism]") {
  const auto img = test::test_image(13, 11);
  auto model = [](const mcrise::Image& im) { return test::toy_scores(im); };
  for (auto s : {mcrise::Sampler::balanced}) {
    INFO(name(s));
    mcrise::McRiseOptions o;
    o.n_masks = 517;
    o.grid_h = o.grid_w = 3;
    o.classes = {0, 1};
    o.sampler = s;
    o.threads = 1;
    o.batch_size = 64;
    const auto base = mcrise::mc_rise(model, img, o);
    for (int threads : {2, 3})
      for (int batch : {1, 7, 100})
        for (bool overlap : {false, true}) {
          o.threads = threads;
          o.batch_size = batch;
          o.overlap = overlap;
          const auto r = mcrise::mc_rise(model, img, o);
          for (int c : {0, 1})
            for (std::size_t k = 0; k < base.map(c).size(); ++k) {
              REQUIRE((r.map(c)[k].array() == base.map(c)[k].array()).all());
              REQUIRE((r.standard_error(c)[k].array() == base.standard_error(c)[k].array()).all());
            }
        }
  }
  mcrise::RiseOptions ro;
  ro.n_masks = 333;
  ro.grid_h = ro.grid_w = 3;
  ro.sampler = mcrise::Sampler::balanced;
  ro.threads = 1;
  const auto base = mcrise::debiased_rise(model, img, ro);
  ro.threads = 3;
  ro.batch_size = 5;
  const auto r = mcrise::debiased_rise(model, img, ro);
  REQUIRE((r.maps[0].array() == base.maps[0].array()).all());
  REQUIRE((r.standard_errors[0].array() == base.standard_errors[0].array()).all());
}

TEST_CASE("the standard error with a block sampler is batch means over groups (n / B) mod G", "[samplers][standard_error]") {
  // Recompute the batch-means formula from the per-sample terms with whole blocks per group,
  // including unequal groups (N = 1003 with B = 2 and G = 16).
  const auto img = test::test_image(5, 6);
  auto model = [](const mcrise::Image& im) { return test::toy_scores(im); };
  const long long N = 1003;
  const int G = 16;
  mcrise::RiseOptions ro;
  ro.n_masks = N;
  ro.grid_h = ro.grid_w = 2;
  ro.classes = {0};
  ro.se_groups = G;
  ro.sampler = mcrise::Sampler::balanced;
  const auto res = mcrise::debiased_rise(model, img, ro);
  const mcrise::MaskGenerator gen(5, 6, 1, options(0.5, mcrise::Sampler::balanced));
  const long long B = gen.block_size();
  std::vector<mcrise::SaliencyMap> gsum(G, mcrise::SaliencyMap::Zero(5, 6));
  std::vector<long long> gn(G, 0);
  for (long long n = 0; n < N; ++n) {
    const auto planes = gen.planes(gen.sample(static_cast<std::uint64_t>(n)));
    const double score = model(test::reference_perturb(img, planes, {{0, 0, 0}}))(0);
    const auto g = static_cast<std::size_t>((n / B) % G);
    gsum[g] += test::sample_terms(Estimator::debiased, planes, 0.5, score)[0];
    ++gn[g];
  }
  mcrise::SaliencyMap var = mcrise::SaliencyMap::Zero(5, 6);
  for (int g = 0; g < G; ++g) {
    const auto gg = static_cast<std::size_t>(g);
    var.array() += static_cast<double>(gn[gg]) * (gsum[gg] / static_cast<double>(gn[gg]) - res.maps[0]).array().square();
  }
  const mcrise::SaliencyMap se = (var / ((G - 1.0) * N)).cwiseSqrt();
  CHECK((res.standard_errors[0] - se).cwiseAbs().maxCoeff() <= 1e-5 * se.maxCoeff());
}

TEST_CASE("adaptive stopping with a block sampler stops after whole rounds of blocks and never exceeds the maximum",
          "[samplers][adaptive]") {
  const auto img = test::test_image(12, 12);
  auto model = [](const mcrise::Image& im) { return test::toy_scores(im); };
  mcrise::McRiseOptions o;
  o.grid_h = o.grid_w = 3;
  o.classes = {0};
  o.colors = {{1, 0, 0}, {0, 0, 1}};
  o.sampler = mcrise::Sampler::balanced;  // B = 4
  o.se_groups = 16;
  o.n_masks = 50000;
  o.target_relative_se = 0.05;
  o.batch_size = 64;  // a multiple of G·B = 64: stops exactly at a round
  const auto r = mcrise::mc_rise(model, img, o);
  CHECK(r.target_reached);
  CHECK(r.complete);
  CHECK(r.masks_used < o.n_masks);
  CHECK(r.masks_used % 64 == 0);
  CHECK(r.relative_standard_error <= 0.05);
  o.target_relative_se = 1e-9;  // unreachable
  o.n_masks = 1001;
  o.batch_size = 10;
  const auto all = mcrise::mc_rise(model, img, o);
  CHECK(all.masks_used == 1001);
  CHECK_FALSE(all.target_reached);
  CHECK(all.complete);
}

TEST_CASE("samplers that do not fit are refused before any model call", "[samplers][errors]") {
  const auto img = test::test_image(8, 8);
  int calls = 0;
  auto model = [&](const mcrise::Image& im) {
    ++calls;
    return test::toy_scores(im);
  };
  auto throws_with = [](auto&& f, const std::string& what) {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      INFO(e.what());
      CHECK(std::string(e.what()).find(what) != std::string::npos);
      return;
    }
    FAIL("no std::invalid_argument: " << what);
  };
  mcrise::RiseOptions ro;
  ro.sampler = mcrise::Sampler::balanced;
  ro.mask_probability = 0.123456789;
  throws_with([&] { mcrise::rise(model, img, ro); }, "mcrise::rise(): sampler balanced needs mask_probability");
  throws_with([&] { mcrise::debiased_rise(model, img, ro); }, "mcrise::debiased_rise(): sampler balanced");
  ro.mask_probability = 0.5;
  ro.sampler = static_cast<mcrise::Sampler>(5);
  throws_with([&] { mcrise::rise(model, img, ro); }, "mcrise::rise(): unknown sampler 5");
  mcrise::McRiseOptions mo;
  mo.sampler = mcrise::Sampler::balanced;
  mo.mask_probability = 1.0 / 3.0;  // p·B must be a multiple of K = 5: B = 15 works
  CHECK_NOTHROW(mcrise::MaskGenerator(8, 8, 5, options(1.0 / 3.0, mcrise::Sampler::balanced)));
  mo.mask_probability = 0.001;  // B = 5000 > 1024
  throws_with([&] { mcrise::mc_rise(model, img, mo); }, "sampler balanced needs mask_probability");
  mo.sampler = static_cast<mcrise::Sampler>(17);
  mo.mask_probability = 0.5;
  throws_with([&] { mcrise::mc_rise(model, img, mo); }, "unknown sampler 17");
  CHECK(calls == 0);
  throws_with([] { mcrise::ColorMaskGenerator(8, 8, 2, options(0.123456789, mcrise::Sampler::balanced)); },
              "mcrise::ColorMaskGenerator(): sampler balanced needs mask_probability");
  CHECK(mcrise::ColorMaskGenerator(8, 8, 2, options(0.25, mcrise::Sampler::balanced)).block_size() == 8);
}

TEST_CASE("accumulators with different samplers do not merge", "[samplers][errors]") {
  const mcrise::MaskGenerator a(8, 8, 1, options(0.5, mcrise::Sampler::independent));
  const mcrise::MaskGenerator b(8, 8, 1, options(0.5, mcrise::Sampler::balanced));
  mcrise::RiseAccumulator x(a, {0}, 16), y(b, {0}, 16);
  CHECK_THROWS_AS(x.merge(y), std::invalid_argument);
}

TEST_CASE("the drivers' default sampler is balanced where a block exists and independent elsewhere", "[samplers]") {
  const auto img = test::test_image(12, 12);
  auto model = [](const mcrise::Image& im) { return test::toy_scores(im); };
  mcrise::McRiseOptions o;
  o.n_masks = 40;
  o.grid_h = o.grid_w = 4;
  CHECK(o.sampler == mcrise::Sampler::automatic);
  CHECK(mcrise::mc_rise(model, img, o).sampler == mcrise::Sampler::balanced);
  mcrise::RiseOptions r;
  r.n_masks = 40;
  r.grid_h = r.grid_w = 4;
  CHECK(mcrise::debiased_rise(model, img, r).sampler == mcrise::Sampler::balanced);
  // No B <= 1024 makes p·B a multiple of K: automatic falls back, balanced refuses.
  o.mask_probability = r.mask_probability = 0.123456789;
  CHECK(mcrise::MaskGenerator::balanced_block_size(0.123456789, 5) == 0);
  CHECK(mcrise::mc_rise(model, img, o).sampler == mcrise::Sampler::independent);
  CHECK(mcrise::rise(model, img, r).sampler == mcrise::Sampler::independent);
  o.sampler = mcrise::Sampler::balanced;
  CHECK_THROWS_WITH(mcrise::mc_rise(model, img, o), Catch::Contains("sampler balanced"));
  // The automatic default of the drivers equals asking for balanced explicitly, bit for bit.
  o.mask_probability = 0.5;
  const auto expl = mcrise::mc_rise(model, img, o);
  o.sampler = mcrise::Sampler::automatic;
  const auto dflt = mcrise::mc_rise(model, img, o);
  for (std::size_t k = 0; k < 5; ++k) CHECK(expl.map(expl.classes[0])[k] == dflt.map(dflt.classes[0])[k]);
  CHECK(mcrise::MaskGenerator::balanced_block_size(0.5, 5) == 10);
  CHECK(mcrise::MaskGenerator::balanced_block_size(0.5, 1) == 2);
}

TEST_CASE("adaptive stopping works for batch sizes that do not divide a round of G blocks", "[samplers][adaptive]") {
  // Default MC-RISE: G = 16 groups of B = 10 masks, so a round is 160 masks; a batch of 63
  // reaches a multiple of 160 only at 10,080. The stop must still be checked and taken.
  const auto img = test::test_image(12, 12);
  auto model = [](const mcrise::Image& im) { return test::toy_scores(im); };
  mcrise::McRiseOptions o;
  o.grid_h = o.grid_w = 4;
  o.classes = {0};
  o.n_masks = 8000;
  o.batch_size = 63;
  o.target_relative_se = 0.2;
  const auto r = mcrise::mc_rise(model, img, o);
  CHECK(r.sampler == mcrise::Sampler::balanced);
  CHECK(r.target_reached);
  CHECK(r.masks_used < 8000);
  CHECK(r.masks_used % 63 == 0);
  CHECK(r.relative_standard_error <= 0.2);
}

TEST_CASE("block samplers draw the shift independently of every cell's state", "[samplers][exact]") {
  // The shift and the cells come from separate streams of the block key; a shared stream would
  // tie the shift to a cell's state (e.g. B = 2: dy = floor(2u) and member 0 of cell 0 kept iff
  // floor(2u) = 0). Joint frequency of (shift, state of cell c) for a member over many blocks:
  // each within 5 binomial standard errors of 1/4 · P(state).
  using S = mcrise::Sampler;
  struct Case {
    int K;
    double p;
  };
  for (const Case& cs : {Case{1, 0.5}, Case{1, 0.3}, Case{2, 0.5}, Case{3, 0.25}}) {
    const mcrise::MaskGenerator gen(6, 6, cs.K, options(cs.p, S::balanced, 3));  // 9 cells of 2 x 2, 4 shifts
    const int B = gen.block_size(), blocks = 4000;
    auto state_p = [&](int k) { return k == 0 ? 1 - cs.p : cs.p / cs.K; };
    for (int j : {0, B - 1})
      for (int c : {0, 4, 8}) {
        std::map<std::pair<int, int>, int> joint;  // (shift, state of cell c)
        for (int b = 0; b < blocks; ++b) {
          const auto s = gen.sample(static_cast<std::uint64_t>(b) * static_cast<std::uint64_t>(B) + static_cast<std::uint64_t>(j));
          ++joint[{s.dy * 2 + s.dx, s.cells[static_cast<std::size_t>(c)]}];
        }
        for (int shift = 0; shift < 4; ++shift)
          for (int k = 0; k <= cs.K; ++k) {
            const double prob = 0.25 * state_p(k), f = joint[{shift, k}] / double(blocks);
            INFO("K " << cs.K << " p " << cs.p << " member " << j << " cell " << c << " shift " << shift << " state " << k
                      << " frequency " << f << " probability " << prob);
            CHECK(std::abs(f - prob) <= 5 * std::sqrt(prob * (1 - prob) / blocks));
          }
      }
  }
}

TEST_CASE("adaptive stopping measures first at 10 rounds of G·B masks, in every driver", "[samplers][adaptive]") {
  // detail/run/adaptive.hpp: the first measurement is at the first batch boundary at or past 10
  // rounds, a round being G·B masks with a block sampler. With a target every map meets and
  // batches of one mask, each driver stops exactly there.
  const auto img = test::test_image(12, 12);
  auto model = [](const mcrise::Image& im) { return test::toy_scores(im); };
  const int G = 4;
  mcrise::RiseOptions ro;
  ro.grid_h = ro.grid_w = 3;
  ro.classes = {0};
  ro.sampler = mcrise::Sampler::balanced;  // binary masks at p = 0.5: B = 2
  ro.se_groups = G;
  ro.n_masks = 1000;
  ro.batch_size = 1;
  ro.target_relative_se = 1e9;
  for (bool debiased : {false, true}) {
    INFO((debiased ? "debiased_rise" : "rise"));
    const auto r = debiased ? mcrise::debiased_rise(model, img, ro) : mcrise::rise(model, img, ro);
    CHECK(r.target_reached);
    CHECK(r.masks_used == 10 * G * 2);
  }
  mcrise::McRiseOptions mo;
  mo.grid_h = mo.grid_w = 3;
  mo.classes = {0};
  mo.colors = {{1, 0, 0}, {0, 0, 1}};
  mo.sampler = mcrise::Sampler::balanced;  // K = 2 at p = 0.5: B = 4
  mo.se_groups = G;
  mo.n_masks = 1000;
  mo.batch_size = 1;
  mo.target_relative_se = 1e9;
  const auto m = mcrise::mc_rise(model, img, mo);
  CHECK(m.target_reached);
  CHECK(m.masks_used == 10 * G * 4);
}

TEST_CASE("block members drawn from a thread's cached block equal those drawn alone, in any order",
          "[samplers][exact]") {
  // A thread keeps the last block it drew whole (masks.hpp, detail::BlockStates); members of
  // blocks of two generators are asked for in turns and out of order, so the cache is refilled
  // for every other sample, and each must be the member drawn alone.
  const mcrise::MaskGenerator a(12, 12, 5, options(0.5, mcrise::Sampler::balanced, 3));   // B = 10, 16 cells
  const mcrise::MaskGenerator b(12, 12, 3, options(0.25, mcrise::Sampler::balanced, 4));  // B = 12, 9 cells
  REQUIRE(a.block_size() >= mcrise::detail::min_cached_block);
  REQUIRE(b.block_size() >= mcrise::detail::min_cached_block);
  std::vector<std::uint64_t> order;
  for (std::uint64_t n = 0; n < 60; ++n) order.push_back((n * 37) % 60);
  std::vector<mcrise::MaskSample> cached;
  for (std::uint64_t n : order) {
    cached.push_back(a.sample(n));
    cached.push_back(b.sample(n));
    cached.push_back(a.sample(n));  // the same block again: from the cache
  }
  mcrise::detail::block_cache_off = true;
  std::size_t i = 0;
  for (std::uint64_t n : order) {
    INFO("sample " << n);
    const mcrise::MaskSample sa = a.sample(n), sb = b.sample(n);
    CHECK(cached[i].cells == sa.cells);
    CHECK(cached[i + 1].cells == sb.cells);
    CHECK(cached[i + 2].cells == sa.cells);
    CHECK((cached[i].dy == sa.dy && cached[i].dx == sa.dx && cached[i + 1].dy == sb.dy && cached[i + 1].dx == sb.dx));
    i += 3;
  }
  mcrise::detail::block_cache_off = false;
}
