// Standard-error maps (batch means) and adaptive stopping, against exact
// mathematics: the batch-means formula recomputed from the per-sample terms,
// the exact per-sample variance by enumerating every mask, the coverage of the
// reported 95% intervals over many seeds, and the promises of adaptive stopping.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>

using test::Estimator;

namespace {

// t_{0.975, df} for the degrees of freedom used below.
double t975(int df) {
  switch (df) {
    case 7: return 2.364624252;
    case 15: return 2.131449546;
    case 31: return 2.039513438;
    default: throw std::logic_error("t975: add the quantile for df " + std::to_string(df));
  }
}

// Exact mean and exact per-sample variance of each output plane of an estimator,
// by enumerating every grid and shift of `gen`.
struct Exact {
  std::vector<mcrise::SaliencyMap> mean, var;
};

template <class Model>
Exact exact_moments(Estimator e, const mcrise::Image& img, const mcrise::MaskGenerator& gen,
                    const std::vector<mcrise::Color>& colors, Model&& model, int cls) {
  Exact out;
  std::vector<mcrise::SaliencyMap> second;
  test::for_each_mask(gen, [&](const mcrise::MaskSample& s, double prob) {
    const auto planes = gen.planes(s);
    const double score = model(test::reference_perturb(img, planes, colors))(cls);
    const auto t = test::sample_terms(e, planes, gen.mask_probability(), score);
    if (out.mean.empty())
      for (const auto& m : t) {
        out.mean.push_back(mcrise::SaliencyMap::Zero(m.rows(), m.cols()));
        second.push_back(out.mean.back());
      }
    for (std::size_t k = 0; k < t.size(); ++k) {
      out.mean[k] += prob * t[k];
      second[k].array() += prob * t[k].array().square();
    }
  });
  for (std::size_t k = 0; k < second.size(); ++k)
    out.var.push_back((second[k].array() - out.mean[k].array().square()).matrix());
  return out;
}

// The library's maps and standard errors of one run, as lists of planes.
struct Run {
  std::vector<mcrise::SaliencyMap> map, se;
  std::int64_t used = 0;
  double rel = 0;
};

template <class Model>
Run run_estimator(Estimator e, Model&& model, const mcrise::Image& img, long long n, double p, int grid, int groups,
                  std::uint64_t seed, int cls, const std::vector<mcrise::Color>& colors,
                  mcrise::Sampler sampler = mcrise::Sampler::independent) {
  Run r;
  if (e == Estimator::mc) {
    mcrise::McRiseOptions o;
    o.sampler = mcrise::Sampler::independent;  // the paper's i.i.d. masks, as the enumerated reference
    o.n_masks = n;
    o.mask_probability = p;
    o.grid_h = o.grid_w = grid;
    o.se_groups = groups;
    o.seed = seed;
    o.classes = {cls};
    o.colors = colors;
    o.sampler = sampler;
    const auto res = mcrise::mc_rise(model, img, o);
    r.map = res.map(cls);
    r.se = res.standard_error(cls);
    r.used = res.masks_used;
    r.rel = res.relative_standard_error;
    return r;
  }
  mcrise::RiseOptions o;
  o.sampler = mcrise::Sampler::independent;  // the paper's i.i.d. masks, as the enumerated reference
  o.n_masks = n;
  o.mask_probability = p;
  o.grid_h = o.grid_w = grid;
  o.se_groups = groups;
  o.seed = seed;
  o.classes = {cls};
  o.sampler = sampler;
  const auto res = e == Estimator::rise ? mcrise::rise(model, img, o) : mcrise::debiased_rise(model, img, o);
  r.map = {res.map(cls)};
  r.se = {res.standard_error(cls)};
  r.used = res.masks_used;
  r.rel = res.relative_standard_error;
  return r;
}

const char* name(Estimator e) { return e == Estimator::rise ? "rise" : e == Estimator::debiased ? "debiased" : "mc"; }

}  // namespace

TEST_CASE("standard errors leave the maps bitwise unchanged, and can be turned off", "[standard_error]") {
  const auto img = test::test_image(20, 23);
  auto model = [](const mcrise::Image& im) { return test::toy_scores(im); };
  mcrise::RiseOptions ro;
  ro.sampler = mcrise::Sampler::independent;  // the paper's i.i.d. masks, as the enumerated reference
  ro.n_masks = 300;
  ro.classes = {0, 1};
  ro.grid_h = ro.grid_w = 5;
  mcrise::McRiseOptions mo;
  mo.sampler = mcrise::Sampler::independent;  // the paper's i.i.d. masks, as the enumerated reference
  mo.n_masks = 300;
  mo.classes = {0, 1};
  mo.grid_h = mo.grid_w = 5;
  ro.se_groups = mo.se_groups = 0;
  const auto r0 = mcrise::rise(model, img, ro), d0 = mcrise::debiased_rise(model, img, ro);
  const auto m0 = mcrise::mc_rise(model, img, mo);
  CHECK(std::isnan(r0.relative_standard_error));
  CHECK(std::isnan(m0.relative_standard_error));
  CHECK(r0.standard_errors.empty());
  CHECK_THROWS_AS(r0.standard_error(0), std::logic_error);
  CHECK_THROWS_AS(m0.standard_error(1), std::logic_error);
  for (int g : {2, 16, 32}) {
    INFO("se_groups " << g);
    ro.se_groups = mo.se_groups = g;
    const auto r = mcrise::rise(model, img, ro), d = mcrise::debiased_rise(model, img, ro);
    const auto m = mcrise::mc_rise(model, img, mo);
    for (int c : {0, 1}) {
      CHECK(r.map(c) == r0.map(c));
      CHECK(d.map(c) == d0.map(c));
      CHECK(m.baseline(c) == m0.baseline(c));
      for (std::size_t k = 0; k < 5; ++k) {
        CHECK(m.map(c)[k] == m0.map(c)[k]);
        CHECK(m.raw_maps(c)[k] == m0.raw_maps(c)[k]);
        CHECK((m.standard_error(c)[k].array() > 0).all());
      }
      CHECK((d.standard_error(c).array() > 0).all());
      CHECK(d.standard_error(c).rows() == 20);
      CHECK(d.standard_error(c).cols() == 23);
    }
    CHECK(r.se_groups == g);
    CHECK(r.relative_standard_errors.size() == 2);
    CHECK(r.relative_standard_error == std::max(r.relative_standard_errors[0], r.relative_standard_errors[1]));
    CHECK(m.relative_standard_error == std::max(mcrise::relative_standard_error(m.map(0), m.standard_error(0)),
                                                mcrise::relative_standard_error(m.map(1), m.standard_error(1))));
  }
}

TEST_CASE("standard errors are bitwise identical across thread counts and batch sizes", "[standard_error][determinism]") {
  const auto img = test::test_image(17, 19);
  auto model = [](const mcrise::Image& im) { return test::toy_scores(im); };
  mcrise::McRiseOptions o;
  o.sampler = mcrise::Sampler::independent;  // the paper's i.i.d. masks, as the enumerated reference
  o.n_masks = 250;
  o.classes = {1};
  o.grid_h = o.grid_w = 4;
  o.threads = 1;
  const auto ref = mcrise::mc_rise(model, img, o);
  for (int threads : {1, 3})
    for (int batch : {1, 7, 64}) {
      o.threads = threads;
      o.batch_size = batch;
      const auto a = mcrise::mc_rise(model, img, o);
      for (std::size_t k = 0; k < 5; ++k) CHECK(a.standard_error(1)[k] == ref.standard_error(1)[k]);
      CHECK(a.relative_standard_error == ref.relative_standard_error);
    }
}

TEST_CASE("the standard error is the batch-means formula over groups n mod G, recomputed from the samples",
          "[standard_error][exact]") {
  // N = 1003 is not a multiple of G = 16: groups of 63 and 62 samples exercise the N_g weights.
  const auto img = test::test_image(5, 6);
  auto model = [](const mcrise::Image& im) { return test::toy_scores(im); };
  const long long N = 1003;
  const int G = 16, cls = 1;
  const double p = 0.4;
  mcrise::MaskOptions mo;
  mo.grid_h = mo.grid_w = 2;
  mo.mask_probability = p;
  const std::vector<mcrise::Color> colors{{1, 0, 0}, {0, 0.5f, 1}, {0, 0, 0}};
  for (auto e : {Estimator::rise, Estimator::debiased, Estimator::mc}) {
    INFO(name(e));
    const auto& cols = e == Estimator::mc ? colors : std::vector<mcrise::Color>{{0, 0, 0}};
    const mcrise::MaskGenerator gen(5, 6, static_cast<int>(cols.size()), mo);
    std::vector<test::PlaneStats> groups(G);
    test::PlaneStats all;
    for (long long n = 0; n < N; ++n) {
      const auto planes = gen.planes(gen.sample(static_cast<std::uint64_t>(n)));
      const auto t = test::sample_terms(e, planes, p, model(test::reference_perturb(img, planes, cols))(cls));
      groups[static_cast<std::size_t>(n % G)].add(t);
      all.add(t);
    }
    const auto r = run_estimator(e, model, img, N, p, 2, G, mo.seed, cls, cols);
    for (std::size_t k = 0; k < r.map.size(); ++k) {
      mcrise::SaliencyMap v = mcrise::SaliencyMap::Zero(5, 6);
      for (const auto& g : groups) v.array() += g.n * (g.mean[k] - all.mean[k]).array().square();
      const mcrise::SaliencyMap se = (v / ((G - 1.0) * N)).cwiseSqrt();
      INFO("plane " << k << " max |SE| " << se.maxCoeff());
      // Float group sums and float perturbed pixels: agreement to ~1e-6 relative.
      CHECK((r.se[k] - se).cwiseAbs().maxCoeff() <= 1e-4 * se.maxCoeff());
      CHECK((r.map[k] - all.mean[k]).cwiseAbs().maxCoeff() < 1e-6);
    }
  }
}

TEST_CASE("calibration: the squared standard error is unbiased for the exact variance, and the 95% intervals cover "
          "the exact map for 90-98% of pixels",
          "[standard_error][calibration]") {
  // 5 x 6 image, 2 x 2 grid (3 x 3 cells, 9 shifts): the exact map and the exact
  // per-sample variance σ²(λ) come from enumerating every mask.
  const auto img = test::test_image(5, 6);
  auto model = [](const mcrise::Image& im) { return test::toy_scores(im); };
  const long long N = 1600;
  const int G = 16, seeds = 100;
  const double p = 0.5;
  mcrise::MaskOptions mo;
  mo.grid_h = mo.grid_w = 2;
  mo.mask_probability = p;
  const std::vector<mcrise::Color> colors{{1, 0, 0}, {0, 0.5f, 1}};
  for (auto e : {Estimator::rise, Estimator::debiased, Estimator::mc}) {
    long long inside = 0, total = 0;
    for (int cls : {0, 1}) {
      INFO(name(e) << " class " << cls);
      const auto& cols = e == Estimator::mc ? colors : std::vector<mcrise::Color>{{0, 0, 0}};
      const mcrise::MaskGenerator gen(5, 6, static_cast<int>(cols.size()), mo);
      const Exact ex = exact_moments(e, img, gen, cols, model, cls);
      std::vector<mcrise::SaliencyMap> mean_se2;
      for (const auto& v : ex.var) mean_se2.push_back(mcrise::SaliencyMap::Zero(v.rows(), v.cols()));
      for (int s = 0; s < seeds; ++s) {
        const auto r = run_estimator(e, model, img, N, p, 2, G, 7000 + static_cast<std::uint64_t>(s), cls, cols);
        for (std::size_t k = 0; k < r.map.size(); ++k) {
          mean_se2[k].array() += r.se[k].array().square() / seeds;
          const auto in = ((r.map[k] - ex.mean[k]).array().abs() <= t975(G - 1) * r.se[k].array());
          inside += in.count();
          total += in.size();
        }
      }
      // E[SE²] = σ²/N exactly for equal groups (N = 100·G); the relative sd of one SE² is
      // sqrt(2/(G-1)), so the mean of `seeds` of them lies within 5·sqrt(2/((G-1)·seeds)).
      const double band = 5.0 * std::sqrt(2.0 / ((G - 1.0) * seeds));
      for (std::size_t k = 0; k < ex.var.size(); ++k)
        for (Eigen::Index i = 0; i < ex.var[k].size(); ++i) {
          const double ratio = mean_se2[k].data()[i] / (ex.var[k].data()[i] / N);
          INFO("plane " << k << " pixel " << i << " mean SE² / (σ²/N) = " << ratio);
          CHECK(std::abs(ratio - 1.0) <= band);
        }
    }
    const double coverage = static_cast<double>(inside) / static_cast<double>(total);
    INFO(name(e) << ": coverage " << coverage << " of " << total << " intervals");
    CHECK(coverage >= 0.90);
    CHECK(coverage <= 0.98);
  }
}

TEST_CASE("calibration with block samplers: the 95% intervals cover the exact map for 90-98% of pixels, and the "
          "mean squared SE matches the mean squared error",
          "[standard_error][calibration][samplers]") {
  // As above, but the samples of a block are correlated, so the exact per-sample variance no
  // longer gives the variance of the map; the exact map (enumerated) still gives its squared
  // error. Groups hold whole blocks ((n / B) mod G): N = 1600 is 25 blocks of B = 4 per group.
  const auto img = test::test_image(5, 6);
  auto model = [](const mcrise::Image& im) { return test::toy_scores(im); };
  const long long N = 1600;
  const int G = 16, seeds = 100;
  const double p = 0.5;
  mcrise::MaskOptions mo;
  mo.grid_h = mo.grid_w = 2;
  mo.mask_probability = p;
  const std::vector<mcrise::Color> colors{{1, 0, 0}, {0, 0.5f, 1}};
  struct Case {
    Estimator e;
    mcrise::Sampler s;
  };
  for (const Case& c : {Case{Estimator::rise, mcrise::Sampler::balanced}, Case{Estimator::debiased, mcrise::Sampler::balanced},
                        Case{Estimator::mc, mcrise::Sampler::balanced}}) {
    long long inside = 0, total = 0;
    for (int cls : {0, 1}) {
      INFO(name(c.e) << " balanced class " << cls);
      const auto& cols = c.e == Estimator::mc ? colors : std::vector<mcrise::Color>{{0, 0, 0}};
      const mcrise::MaskGenerator gen(5, 6, static_cast<int>(cols.size()), mo);
      const Exact ex = exact_moments(c.e, img, gen, cols, model, cls);
      double se2 = 0, err2 = 0;  // summed over pixels and planes, averaged over seeds
      for (int s = 0; s < seeds; ++s) {
        const auto r = run_estimator(c.e, model, img, N, p, 2, G, 7000 + static_cast<std::uint64_t>(s), cls, cols, c.s);
        for (std::size_t k = 0; k < r.map.size(); ++k) {
          se2 += r.se[k].squaredNorm() / seeds;
          err2 += (r.map[k] - ex.mean[k]).squaredNorm() / seeds;
          const auto in = ((r.map[k] - ex.mean[k]).array().abs() <= t975(G - 1) * r.se[k].array());
          inside += in.count();
          total += in.size();
        }
      }
      // E[SE²] = Var(map) = E[(map - exact)²] at every pixel. Each mean over 100 seeds has a
      // relative sd of about sqrt(2/100) = 0.14 (less for SE², G - 1 = 15 dof each); pixels are
      // strongly correlated, so the pooled ratio is allowed the single-pixel band of 2.5 sd.
      INFO("pooled mean SE² " << se2 << ", pooled mean squared error " << err2);
      CHECK(se2 / err2 == Approx(1.0).margin(0.35));
    }
    const double coverage = static_cast<double>(inside) / static_cast<double>(total);
    INFO(name(c.e) << ": coverage " << coverage << " of " << total << " intervals");
    CHECK(coverage >= 0.90);
    CHECK(coverage <= 0.98);
  }
}

TEST_CASE("adaptive stopping stops at the target, reports the truth, and never exceeds the maximum",
          "[standard_error][adaptive]") {
  const auto img = test::test_image(5, 6);
  auto model = [](const mcrise::Image& im) { return test::toy_scores(im); };
  const double p = 0.5, target = 0.1;
  const int cls = 0;
  mcrise::MaskOptions mo;
  mo.grid_h = mo.grid_w = 2;
  mo.mask_probability = p;
  const mcrise::MaskGenerator bin(5, 6, 1, mo);
  const Exact ex = exact_moments(Estimator::debiased, img, bin, {{0, 0, 0}}, model, cls);

  mcrise::RiseOptions o;

  o.sampler = mcrise::Sampler::independent;  // the paper's i.i.d. masks, as the enumerated reference
  o.n_masks = 200000;
  o.grid_h = o.grid_w = 2;
  o.mask_probability = p;
  o.classes = {cls};
  o.target_relative_se = target;
  for (int groups : {16, 32}) {
    for (std::uint64_t seed : {1u, 2u, 3u}) {
      INFO("se_groups " << groups << " seed " << seed);
      o.se_groups = groups;
      o.seed = seed;
      const auto r = mcrise::debiased_rise(model, img, o);
      // It stopped early, after a whole round of G groups, and says so.
      CHECK(r.masks_used < o.n_masks);
      CHECK(r.masks_used % groups == 0);
      CHECK(r.masks_used >= 10 * groups);
      CHECK(r.target_reached);
      CHECK(r.complete);
      CHECK(r.relative_standard_error <= target);
      // What it reports is what a fixed-N run with the same samples gives.
      auto fixed = o;
      fixed.target_relative_se = 0;
      fixed.n_masks = r.masks_used;
      const auto f = mcrise::debiased_rise(model, img, fixed);
      CHECK(f.map(cls) == r.map(cls));
      CHECK(f.standard_error(cls) == r.standard_error(cls));
      CHECK(f.relative_standard_error == r.relative_standard_error);
      // The true relative SE at that N (exact σ from enumeration) is near the target too:
      // the estimate of max SE has relative sd about 1/sqrt(2(G-1)).
      const double true_rel = (ex.var[0] / static_cast<double>(r.masks_used)).cwiseSqrt().maxCoeff() /
                              ex.mean[0].cwiseAbs().maxCoeff();
      INFO("masks used " << r.masks_used << ", reported " << r.relative_standard_error << ", true " << true_rel);
      CHECK(true_rel <= target * (1.0 + 4.0 / std::sqrt(2.0 * (groups - 1))));
    }
  }

  SECTION("an unreachable target uses exactly the maximum, for any batch size") {
    o.target_relative_se = 1e-9;
    o.se_groups = 16;
    for (int batch : {1, 7, 64})
      for (long long n : {1000LL, 1001LL}) {
        INFO("batch " << batch << " n_masks " << n);
        o.batch_size = batch;
        o.n_masks = n;
        long long seen = 0;
        const auto r = mcrise::debiased_rise(model, img, o, [&](const mcrise::Progress& pr) { seen = pr.done; });
        CHECK(r.masks_used == n);
        CHECK(seen == n);
        CHECK_FALSE(r.target_reached);
        CHECK(r.complete);
        CHECK(r.relative_standard_error > 1e-9);
      }
  }

  SECTION("a user callback that stops before the target leaves the result incomplete") {
    o.target_relative_se = 1e-9;
    o.se_groups = 16;
    o.n_masks = 5000;
    const auto r = mcrise::debiased_rise(model, img, o, [](const mcrise::Progress& pr) { return pr.done >= 640; });
    CHECK(r.masks_used == 640);
    CHECK_FALSE(r.target_reached);
    CHECK_FALSE(r.complete);
  }
}

TEST_CASE("adaptive stopping in mc_rise: every colour map meets the target", "[standard_error][adaptive]") {
  const auto img = test::test_image(12, 12);
  auto model = [](const mcrise::Image& im) { return test::toy_scores(im); };
  mcrise::McRiseOptions o;
  o.sampler = mcrise::Sampler::independent;  // the paper's i.i.d. masks, as the enumerated reference
  o.n_masks = 100000;
  o.grid_h = o.grid_w = 3;
  o.classes = {0, 1};
  o.target_relative_se = 0.25;
  const auto r = mcrise::mc_rise(model, img, o);
  CHECK(r.masks_used < o.n_masks);
  CHECK(r.masks_used % o.se_groups == 0);
  CHECK(r.target_reached);
  CHECK(r.complete);
  for (int c : {0, 1}) {
    double top = 0, se = 0;
    for (std::size_t k = 0; k < 5; ++k) {
      top = std::max(top, r.map(c)[k].cwiseAbs().maxCoeff());
      se = std::max(se, r.standard_error(c)[k].maxCoeff());
    }
    CHECK(se / top <= 0.25);
    CHECK(se / top == r.relative_standard_errors[static_cast<std::size_t>(c)]);
  }
}

TEST_CASE("precision options are checked before any model call", "[standard_error][errors]") {
  const auto img = test::test_image(8, 8);
  int calls = 0;
  auto model = [&](const mcrise::Image& im) {
    ++calls;
    return test::toy_scores(im);
  };
  auto rise_msg = [&](auto edit) {
    mcrise::RiseOptions o;
    o.sampler = mcrise::Sampler::independent;  // the paper's i.i.d. masks, as the enumerated reference
    edit(o);
    try {
      (void)mcrise::debiased_rise(model, img, o);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no exception");
  };
  CHECK(rise_msg([](auto& o) { o.se_groups = 1; }) ==
        "mcrise::debiased_rise(): se_groups must be 0 (off) or in [2, 1024], got 1");
  CHECK(rise_msg([](auto& o) { o.se_groups = -3; }).find("se_groups must be") != std::string::npos);
  CHECK(rise_msg([](auto& o) { o.se_groups = 2000; }).find("got 2000") != std::string::npos);
  CHECK(rise_msg([](auto& o) { o.target_relative_se = -0.1; }).find("target_relative_se must be") != std::string::npos);
  CHECK(rise_msg([](auto& o) { o.target_relative_se = std::numeric_limits<double>::quiet_NaN(); })
            .find("target_relative_se must be") != std::string::npos);
  CHECK(rise_msg([](auto& o) {
          o.se_groups = 0;
          o.target_relative_se = 0.05;
        }) == "mcrise::debiased_rise(): target_relative_se needs standard errors, but se_groups is 0");
  mcrise::McRiseOptions mo;
  mo.sampler = mcrise::Sampler::independent;  // the paper's i.i.d. masks, as the enumerated reference
  mo.se_groups = 1;
  CHECK_THROWS_WITH(mcrise::mc_rise(model, img, mo),
                    "mcrise::mc_rise(): se_groups must be 0 (off) or in [2, 1024], got 1");
  CHECK(calls == 0);

  const mcrise::MaskGenerator gen(8, 8, 1);
  CHECK_THROWS_AS(mcrise::RiseAccumulator(gen, {0}, 1), std::invalid_argument);
  mcrise::RiseAccumulator a(gen, {0}, 4), b(gen, {0}, 8), off(gen, {0});
  CHECK_THROWS_AS(a.merge(b), std::invalid_argument);
  CHECK_THROWS_AS(a.debiased_standard_error(0), std::logic_error);  // no samples yet
  Eigen::VectorXd s(1);
  s(0) = 0.5;
  off.add(gen.sample(0), s);
  CHECK_THROWS_AS(off.rise_standard_error(0), std::logic_error);
  CHECK(mcrise::relative_standard_error({mcrise::SaliencyMap::Zero(2, 2)}, {mcrise::SaliencyMap::Zero(2, 2)}) == 0.0);
  CHECK(std::isinf(
      mcrise::relative_standard_error({mcrise::SaliencyMap::Zero(2, 2)}, {mcrise::SaliencyMap::Ones(2, 2)})));
  CHECK_THROWS_AS(mcrise::relative_standard_error({}, {}), std::invalid_argument);
}

// Samples 0..399 with a smooth score go to `whole`, and split at 173 to `a` and `b`; then `a`
// merges `b`, so `a` and `whole` hold the same samples in the same groups.
template <class Accumulator>
void merge_halves(const mcrise::MaskGenerator& gen, Accumulator& whole, Accumulator& a, Accumulator& b) {
  for (std::uint64_t n = 0; n < 400; ++n) {
    const auto s = gen.sample(n);
    Eigen::VectorXd sc(1);
    sc(0) = std::sin(0.1 * static_cast<double>(n)) * 0.5 + 0.5 + 0.1 * s.cells[0];
    whole.add(s, sc);
    (n < 173 ? a : b).add(s, sc);
  }
  a.merge(b);
}

TEST_CASE("accumulators merge their groups: two halves give the standard error of the whole", "[standard_error]") {
  mcrise::MaskOptions mo;
  mo.grid_h = mo.grid_w = 3;
  const mcrise::MaskGenerator gen(9, 9, 3, mo);
  mcrise::McRiseAccumulator whole(gen, {0}, 8), a(gen, {0}, 8), b(gen, {0}, 8);
  merge_halves(gen, whole, a, b);
  const auto sw = whole.standard_errors(0), sa = a.standard_errors(0);
  for (std::size_t k = 0; k < 3; ++k) CHECK((sw[k] - sa[k]).cwiseAbs().maxCoeff() <= 1e-6 * sw[k].maxCoeff());
}

TEST_CASE("McRiseAccumulator::standard_errors(cls, maps) measures the groups against the maps given, and checks them",
          "[standard_error][errors]") {
  mcrise::MaskOptions mo;
  mo.grid_h = mo.grid_w = 3;
  const mcrise::MaskGenerator gen(7, 9, 2, mo);
  mcrise::McRiseAccumulator acc(gen, {0}, 4);
  for (std::uint64_t n = 0; n < 64; ++n) {
    const auto s = gen.sample(n);
    Eigen::VectorXd sc(1);
    sc(0) = 0.25 + 0.5 * s.cells[4] / 2.0;
    acc.add(s, sc);
  }
  const auto maps = acc.maps(0);
  const auto given = acc.standard_errors(0, maps), own = acc.standard_errors(0);
  REQUIRE(given.size() == 2);
  for (std::size_t k = 0; k < 2; ++k) CHECK(given[k] == own[k]);
  // SE² = Σ_g N_g (S_g - S)² / ((G - 1) N). Given S + c instead of S, and Σ_g N_g (S_g - S) = 0 (S is
  // the N_g-weighted mean of the group maps), SE² grows by exactly c² / (G - 1) = 1/3 for c = 1, G = 4.
  // The group sums are floats, so Σ_g N_g (S_g - S) / N is 0 only to about 1e-7 of |S| (<= 2 here):
  // the cross term 2c·that/(G - 1) stays below 1e-6.
  auto shifted = maps;
  for (auto& m : shifted) m.array() += 1.0;
  const auto wide = acc.standard_errors(0, shifted);
  for (std::size_t k = 0; k < 2; ++k)
    CHECK((wide[k].array().square() - own[k].array().square() - 1.0 / 3.0).abs().maxCoeff() < 1e-6);
  CHECK_THROWS_WITH(acc.standard_errors(0, {maps[0]}), Catch::Contains("needs the K = 2 maps, got 1"));
  auto wrong = maps;
  wrong[1] = mcrise::SaliencyMap::Zero(9, 7);  // transposed
  CHECK_THROWS_WITH(acc.standard_errors(0, wrong), Catch::Contains("map 1 is 9 x 7 but the image is 7 x 9"));
}

TEST_CASE("RiseAccumulator merges its groups: two halves give the rise and debiased standard errors of the whole",
          "[standard_error]") {
  // The debiased group maps read the group totals Σ_{n in g} M_n as well as the group sums, so a
  // merge must add both (McRiseAccumulator's standard errors never read the totals).
  mcrise::MaskOptions mo;
  mo.grid_h = mo.grid_w = 3;
  mo.mask_probability = 0.3;
  const mcrise::BinaryMaskGenerator gen(9, 9, mo);
  mcrise::RiseAccumulator whole(gen, {0}, 8), a(gen, {0}, 8), b(gen, {0}, 8);
  merge_halves(gen, whole, a, b);
  REQUIRE(a.count() == whole.count());
  // Same samples in the same groups: the two differ only by the float rounding of the group sums
  // (each side adds its samples to float sums in another order). Measured: at most 8.3e-8 of the
  // largest SE for both maps; 1e-6 leaves a 12x margin (the MC-RISE test above uses the same bound).
  const auto rw = whole.rise_standard_error(0), ra = a.rise_standard_error(0);
  CHECK((rw - ra).cwiseAbs().maxCoeff() <= 1e-6 * rw.maxCoeff());
  const auto dw = whole.debiased_standard_error(0), da = a.debiased_standard_error(0);
  CHECK((dw - da).cwiseAbs().maxCoeff() <= 1e-6 * dw.maxCoeff());
}

TEST_CASE("relative_standard_error is the largest SE over the largest |S|, negative values included",
          "[standard_error]") {
  // Debiased RISE and MC-RISE maps are signed: the scale is max |S|, not max S.
  mcrise::SaliencyMap a(1, 2), sa(1, 2), b(1, 2), sb(1, 2);
  a << -4.0, 1.0;
  sa << 0.1, 0.2;
  b << 0.5, -0.25;
  sb << 0.3, 0.05;
  CHECK(mcrise::relative_standard_error({a}, {sa}) == 0.2 / 4.0);
  CHECK(mcrise::relative_standard_error({a, b}, {sa, sb}) == 0.3 / 4.0);
  CHECK(mcrise::relative_standard_error({-a}, {sa}) == 0.2 / 4.0);
}
