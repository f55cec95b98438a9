// The estimators against exact mathematics: exact expectations by enumerating
// every mask, the paper's conditional-expectation definitions (eq. 1, 3, 8),
// Proposition 1 for several mask probabilities, and a known-answer colour model.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using test::Estimator;

using test::exact_and_mc;

TEST_CASE("every estimator is unbiased: Monte-Carlo maps match the exact expectation over all masks and shifts",
          "[estimators][exact]") {
  const auto img = test::test_image(5, 6);
  auto model = [](const mcrise::Image& im) { return test::toy_scores(im); };
  const long long N = 20000;
  for (double p : {0.3, 0.5, 0.7}) {
    for (int cls : {0, 1}) {
      INFO("p_mask " << p << " class " << cls);
      mcrise::RiseOptions ro;
      ro.sampler = mcrise::Sampler::independent;  // the paper's i.i.d. masks, as the enumerated reference
      ro.n_masks = N;
      ro.mask_probability = p;
      ro.grid_h = ro.grid_w = 2;  // cells of 3 x 3 pixels, 9 shifts, 16 grids
      ro.classes = {cls};
      mcrise::MaskOptions mo;
      mo.grid_h = mo.grid_w = 2;
      mo.mask_probability = p;
      const mcrise::MaskGenerator bin(5, 6, 1, mo);
      const std::vector<mcrise::Color> black{{0, 0, 0}};
      for (auto e : {Estimator::rise, Estimator::debiased}) {
        const auto ref = exact_and_mc(e, img, bin, black, model, cls, N);
        const auto res = e == Estimator::rise ? mcrise::rise(model, img, ro) : mcrise::debiased_rise(model, img, ro);
        // The library's streaming, grid-resolution sums equal the plane-by-plane reference on the same
        // samples (up to the float rounding of the perturbed pixels, ~1e-7, times weights below 10)...
        CHECK((res.map(cls) - ref.mc.mean[0]).cwiseAbs().maxCoeff() < 1e-6);
        // ...and sit within their standard error of the exact expectation.
        test::check_within_se(res.map(cls), ref.exact[0], ref.mc.se(0));
      }
      mcrise::McRiseOptions mo2;
      mo2.sampler = mcrise::Sampler::independent;  // the paper's i.i.d. masks, as the enumerated reference
      mo2.n_masks = N;
      mo2.mask_probability = p;
      mo2.grid_h = mo2.grid_w = 2;
      mo2.classes = {cls};
      mo2.colors = {{1, 0, 0}, {0, 0.5f, 1}};  // K = 2: 81 grids x 9 shifts
      const mcrise::MaskGenerator col(5, 6, 2, mo);
      const auto ref = exact_and_mc(Estimator::mc, img, col, mo2.colors, model, cls, N);
      const auto res = mcrise::mc_rise(model, img, mo2);
      for (std::size_t k = 0; k < 2; ++k) {
        CHECK((res.map(cls)[k] - ref.mc.mean[k]).cwiseAbs().maxCoeff() < 1e-6);
        test::check_within_se(res.map(cls)[k], ref.exact[k], ref.mc.se(k));
      }
    }
  }
}

TEST_CASE("with cell size 1 and no shift the estimators target the paper's definitions (eq. 1, 3, 8)",
          "[estimators][exact]") {
  // 2 x 3 image, 2 x 3 grid, nearest upsampling, no shift: a mask is exactly its grid.
  const auto img = test::test_image(2, 3);
  auto model = [](const mcrise::Image& im) { return test::toy_scores(im); };
  const int cls = 0;
  const double p = 0.4;
  mcrise::MaskOptions mo;
  mo.grid_h = 2;
  mo.grid_w = 3;
  mo.mask_probability = p;
  mo.upsampling = mcrise::Upsampling::nearest;
  mo.random_shift = false;
  const std::vector<mcrise::Color> colors{{1, 0, 0}, {0, 0, 1}};
  const int K = 2;

  // Conditional expectations by enumeration: E[M | state of pixel = s] for s = 0 (kept) .. K.
  const mcrise::MaskGenerator gen(2, 3, K, mo);
  std::vector<mcrise::SaliencyMap> num(K + 1, mcrise::SaliencyMap::Zero(2, 3)), den = num;
  const mcrise::MaskGenerator bin(2, 3, 1, mo);
  std::vector<mcrise::SaliencyMap> bnum(2, mcrise::SaliencyMap::Zero(2, 3)), bden = bnum;
  test::for_each_mask(gen, [&](const mcrise::MaskSample& s, double prob) {
    const double score = model(test::reference_perturb(img, gen.planes(s), colors))(cls);
    for (int i = 0; i < 6; ++i) {
      num[s.cells[static_cast<std::size_t>(i)]].data()[i] += prob * score;
      den[s.cells[static_cast<std::size_t>(i)]].data()[i] += prob;
    }
  });
  test::for_each_mask(bin, [&](const mcrise::MaskSample& s, double prob) {
    const double score = model(test::reference_perturb(img, bin.planes(s), {{0, 0, 0}}))(cls);
    for (int i = 0; i < 6; ++i) {
      bnum[s.cells[static_cast<std::size_t>(i)]].data()[i] += prob * score;
      bden[s.cells[static_cast<std::size_t>(i)]].data()[i] += prob;
    }
  });
  const mcrise::SaliencyMap eq1 = bnum[0].cwiseQuotient(bden[0]);                   // E[M | m(λ)=1]
  const mcrise::SaliencyMap eq3 = eq1 - bnum[1].cwiseQuotient(bden[1]);             // - E[M | m(λ)=0]
  std::vector<mcrise::SaliencyMap> eq8;
  for (int k = 1; k <= K; ++k) eq8.push_back(num[k].cwiseQuotient(den[k]) - num[0].cwiseQuotient(den[0]));

  // The exact expectations of eq. 2, 5 and 9 equal those definitions...
  const long long N = 20000;
  const auto r2 = exact_and_mc(Estimator::rise, img, bin, {{0, 0, 0}}, model, cls, N);
  const auto r5 = exact_and_mc(Estimator::debiased, img, bin, {{0, 0, 0}}, model, cls, N);
  const auto r9 = exact_and_mc(Estimator::mc, img, gen, colors, model, cls, N);
  CHECK((r2.exact[0] - eq1).cwiseAbs().maxCoeff() < 1e-12);
  CHECK((r5.exact[0] - eq3).cwiseAbs().maxCoeff() < 1e-12);
  for (std::size_t k = 0; k < 2; ++k) CHECK((r9.exact[k] - eq8[k]).cwiseAbs().maxCoeff() < 1e-12);

  // ...and the library's maps converge to them.
  mcrise::RiseOptions ro;
  ro.sampler = mcrise::Sampler::independent;  // the paper's i.i.d. masks, as the enumerated reference
  ro.n_masks = N;
  ro.mask_probability = p;
  ro.grid_h = 2;
  ro.grid_w = 3;
  ro.upsampling = mcrise::Upsampling::nearest;
  ro.random_shift = false;
  ro.classes = {cls};
  test::check_within_se(mcrise::rise(model, img, ro).map(cls), eq1, r2.mc.se(0));
  test::check_within_se(mcrise::debiased_rise(model, img, ro).map(cls), eq3, r5.mc.se(0));
  mcrise::McRiseOptions mo2;
  mo2.sampler = mcrise::Sampler::independent;  // the paper's i.i.d. masks, as the enumerated reference
  mo2.n_masks = N;
  mo2.mask_probability = p;
  mo2.grid_h = 2;
  mo2.grid_w = 3;
  mo2.upsampling = mcrise::Upsampling::nearest;
  mo2.random_shift = false;
  mo2.classes = {cls};
  mo2.colors = colors;
  const auto mc = mcrise::mc_rise(model, img, mo2);
  for (std::size_t k = 0; k < 2; ++k) test::check_within_se(mc.map(cls)[k], eq8[k], r9.mc.se(k));
}

TEST_CASE("Proposition 1: debiased RISE and MC-RISE are zero where the model looks away, for every p_mask",
          "[estimators][proposition1]") {
  // 32 x 32 image, 4 x 4 grid (cells of 8 px). The model reads only the top-left
  // 4 x 4 pixels, which (for every shift) interpolate grid rows/columns 0-1 only;
  // pixels with y, x >= 25 interpolate rows/columns >= 2 only: the model ignores them.
  const auto img = test::test_image(32, 32);
  auto model = [](const mcrise::Image& im) { return test::top_left_scores(im); };
  const long long N = 4000;
  for (double p : {0.3, 0.5, 0.7}) {
    INFO("p_mask " << p);
    mcrise::MaskOptions mo;
    mo.grid_h = mo.grid_w = 4;
    mo.mask_probability = p;
    const std::vector<mcrise::Color> black{{0, 0, 0}};
    const std::vector<mcrise::Color> colors = mcrise::paper_colors();
    const mcrise::MaskGenerator bin(32, 32, 1, mo), col(32, 32, 5, mo);
    test::PlaneStats deb, mc, wrong;
    for (long long n = 0; n < N; ++n) {
      const auto bp = bin.planes(bin.sample(static_cast<std::uint64_t>(n)));
      const double sb = model(test::reference_perturb(img, bp, black))(0);
      deb.add(test::sample_terms(Estimator::debiased, bp, p, sb));
      // The mistake of a public toolkit: centring the mask at p_mask instead of p_keep.
      wrong.add({(bp[0].array() - p).matrix() / (p * (1 - p)) * sb});
      const auto cp = col.planes(col.sample(static_cast<std::uint64_t>(n)));
      mc.add(test::sample_terms(Estimator::mc, cp, p, model(test::reference_perturb(img, cp, colors))(0)));
    }
    mcrise::RiseOptions ro;
    ro.sampler = mcrise::Sampler::independent;  // the paper's i.i.d. masks, as the enumerated reference
    ro.n_masks = N;
    ro.mask_probability = p;
    ro.grid_h = ro.grid_w = 4;
    const auto d = mcrise::debiased_rise(model, img, ro);
    mcrise::McRiseOptions mo2;
    mo2.sampler = mcrise::Sampler::independent;  // the paper's i.i.d. masks, as the enumerated reference
    mo2.n_masks = N;
    mo2.mask_probability = p;
    mo2.grid_h = mo2.grid_w = 4;
    const auto m = mcrise::mc_rise(model, img, mo2);
    const auto ignored = [](int y, int x) { return y >= 25 && x >= 25; };
    double seen_max = 0;
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x) {
        if (!ignored(y, x)) {
          seen_max = std::max(seen_max, std::abs(d.map(0)(y, x)) / deb.se(0)(y, x));
          continue;
        }
        INFO("pixel " << y << "," << x);
        CHECK(std::abs(d.map(0)(y, x)) <= 5 * deb.se(0)(y, x));
        for (std::size_t k = 0; k < 5; ++k) CHECK(std::abs(m.map(0)[k](y, x)) <= 5 * mc.se(k)(y, x));
        if (p != 0.5) CHECK(std::abs(wrong.mean[0](y, x)) > 5 * wrong.se(0)(y, x));  // the test has power
      }
    CHECK(seen_max > 8);  // and the map is clearly non-zero where the model looks
  }
}

TEST_CASE("known-answer colour model: the signs of the MC-RISE maps follow the paper's interpretation",
          "[estimators][known_answer]") {
  // Grey image with a red ring. Class 0's confidence rises with the redness
  // (R - (G+B)/2) of the ring, class 1's with the redness of the grey centre;
  // both ignore the rest.
  const int S = 32;
  mcrise::Image img(S, S, 3, 0.5f);
  auto radius = [&](int y, int x) { return std::hypot(y + 0.5 - S / 2.0, x + 0.5 - S / 2.0); };
  for (int y = 0; y < S; ++y)
    for (int x = 0; x < S; ++x)
      if (radius(y, x) >= 5 && radius(y, x) < 9) {
        img(y, x, 0) = 0.9f;
        img(y, x, 1) = img(y, x, 2) = 0.1f;
      }
  auto model = [&](const mcrise::Image& im) {
    double ring = 0, centre = 0;
    int nr = 0, nc = 0;
    for (int y = 0; y < S; ++y)
      for (int x = 0; x < S; ++x) {
        const double red = im(y, x, 0) - 0.5 * (im(y, x, 1) + im(y, x, 2));
        if (radius(y, x) >= 5 && radius(y, x) < 9) ring += red, ++nr;
        if (radius(y, x) < 4) centre += red, ++nc;
      }
    Eigen::VectorXd s(2);
    s(0) = 1.0 / (1.0 + std::exp(-4.0 * ring / nr));
    s(1) = 1.0 / (1.0 + std::exp(-4.0 * centre / nc));
    return s;
  };
  // Region means of each colour map over 8 independent seeds: mean and standard error.
  enum { red, green, blue, white, black };
  const int runs = 8;
  Eigen::MatrixXd ring_m(runs, 5), centre_m(runs, 5), far_m(runs, 5);
  for (int r = 0; r < runs; ++r) {
    mcrise::McRiseOptions o;
    o.sampler = mcrise::Sampler::independent;  // the paper's i.i.d. masks, as the enumerated reference
    o.n_masks = 6000;
    o.seed = 100 + static_cast<std::uint64_t>(r);
    o.classes = std::vector<int>{0, 1};
    const auto res = mcrise::mc_rise(model, img, o);
    for (int k = 0; k < 5; ++k) {
      const auto& m = res.map(0)[static_cast<std::size_t>(k)];
      const auto& m1 = res.map(1)[static_cast<std::size_t>(k)];
      double a = 0, b = 0, c = 0;
      int na = 0, nb = 0, nc = 0;
      for (int y = 0; y < S; ++y)
        for (int x = 0; x < S; ++x) {
          if (radius(y, x) >= 6 && radius(y, x) < 8) a += m(y, x), ++na;
          if (radius(y, x) < 2.5) b += m1(y, x), ++nb;
          if (radius(y, x) > 19) c += m(y, x) + m1(y, x), ++nc;
        }
      ring_m(r, k) = a / na;
      centre_m(r, k) = b / nb;
      far_m(r, k) = c / nc;
    }
  }
  auto mean = [&](const Eigen::MatrixXd& m, int k) { return m.col(k).mean(); };
  auto se = [&](const Eigen::MatrixXd& m, int k) {
    const Eigen::VectorXd c = m.col(k).array() - m.col(k).mean();
    return std::sqrt(c.squaredNorm() / (runs - 1) / runs);
  };
  // Class 0, ring (red in the image, used by the model): every colour but red lowers the score...
  for (int k : {green, blue, white, black}) {
    INFO("ring, colour " << k);
    CHECK(mean(ring_m, k) < -5 * se(ring_m, k));
  }
  // ...and red, similar to the original colour, changes it far less.
  CHECK(std::abs(mean(ring_m, red)) < 0.3 * std::abs(mean(ring_m, green)));
  // Class 1, centre (grey, used by the model): red would raise the score, green and blue lower it,
  // and white and black (redness 0, like grey) change little.
  CHECK(mean(centre_m, red) > 5 * se(centre_m, red));
  CHECK(mean(centre_m, green) < -5 * se(centre_m, green));
  CHECK(mean(centre_m, blue) < -5 * se(centre_m, blue));
  CHECK(std::abs(mean(centre_m, white)) < 0.3 * mean(centre_m, red));
  CHECK(std::abs(mean(centre_m, black)) < 0.3 * mean(centre_m, red));
  // Far from the ring both classes look away: every map is zero within its standard error.
  for (int k = 0; k < 5; ++k) {
    INFO("far, colour " << k);
    CHECK(std::abs(mean(far_m, k)) <= 5 * se(far_m, k));
  }
}
