// Fills that are images (a blurred copy, any user image) and mixes of colours and images: the
// perturbed images, exact expectations of every estimator, Proposition 1, determinism, the
// rules on fills and CA-deletion's use of them.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using test::Estimator;
using Catch::Matchers::Contains;
using test::exact_and_mc;

namespace {

// An image of the test image's size with values unrelated to it (a user image: noise, a mean image).
mcrise::Image other_image(int h, int w, int c = 3) {
  mcrise::Image im(h, w, c);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k) im(y, x, k) = static_cast<float>(0.5 + 0.4 * std::cos(1.9 * y - 0.8 * x + 1.1 * k));
  return im;
}

}  // namespace

TEST_CASE("the perturber with image fills writes i·m0 + Σ_k F_k ⊙ m^c(k) in both layouts and in row bands",
          "[fills][perturb]") {
  const int H = 13, W = 11;
  const auto img = test::test_image(H, W);
  const std::vector<mcrise::Fill> fills{mcrise::Color{1, 0, 0}, mcrise::Fill::blurred(img, 2.0),
                                        mcrise::Fill(other_image(H, W), "other"), mcrise::Fill{}};
  mcrise::MaskOptions mo;
  mo.grid_h = 3;
  mo.grid_w = 4;
  for (auto mode : {mcrise::Upsampling::bilinear, mcrise::Upsampling::bilinear_edge, mcrise::Upsampling::nearest}) {
    mo.upsampling = mode;
    const mcrise::MaskGenerator gen(H, W, 4, mo);
    const mcrise::Perturber perturb(img, gen, fills);
    mcrise::Perturber::Scratch scratch;
    for (std::uint64_t n = 0; n < 20; ++n) {
      const auto s = gen.sample(n);
      const auto want = test::reference_perturb_fills(img, gen.planes(s), fills);
      const auto hwc = perturb(s);
      // Float weights and products against a double reference: a few float roundings of values <= 2.
      double worst = 0;
      for (std::size_t i = 0; i < want.size(); ++i) worst = std::max(worst, double(std::abs(hwc.data()[i] - want.data()[i])));
      INFO("mode " << static_cast<int>(mode) << " sample " << n);
      CHECK(worst < 2e-6);
      // CHW, written in two row bands, holds bitwise the same values.
      std::vector<float> chw(want.size());
      perturb(s, chw.data(), mcrise::Layout::CHW, scratch, 0, 5);
      perturb(s, chw.data(), mcrise::Layout::CHW, scratch, 5, H);
      bool same = true;
      for (int c = 0; c < 3; ++c)
        for (int y = 0; y < H; ++y)
          for (int x = 0; x < W; ++x)
            same = same && chw[static_cast<std::size_t>((c * H + y) * W + x)] == hwc(y, x, c);
      CHECK(same);
    }
  }
}

TEST_CASE("with image fills and mixed fills every estimator matches its exact expectation over all masks and shifts",
          "[fills][estimators][exact]") {
  const auto img = test::test_image(5, 6);
  auto model = [](const mcrise::Image& im) { return test::toy_scores(im); };
  const long long N = 20000;
  const mcrise::Fill blurred = mcrise::Fill::blurred(img, 1.5);
  const mcrise::Fill other(other_image(5, 6), "other");
  for (double p : {0.3, 0.7}) {
    for (int cls : {0, 1}) {
      INFO("p_mask " << p << " class " << cls);
      mcrise::MaskOptions mo;
      mo.grid_h = mo.grid_w = 2;  // cells of 3 x 3 pixels, 9 shifts
      mo.mask_probability = p;
      mcrise::RiseOptions ro;
      ro.sampler = mcrise::Sampler::independent;
      ro.n_masks = N;
      ro.mask_probability = p;
      ro.grid_h = ro.grid_w = 2;
      ro.classes = {cls};
      const mcrise::MaskGenerator bin(5, 6, 1, mo);
      for (auto e : {Estimator::rise, Estimator::debiased}) {
        ro.fill = e == Estimator::rise ? other : blurred;
        const auto ref = exact_and_mc(e, img, bin, std::vector<mcrise::Fill>{ro.fill}, model, cls, N);
        const auto res = e == Estimator::rise ? mcrise::rise(model, img, ro) : mcrise::debiased_rise(model, img, ro);
        CHECK((res.map(cls) - ref.mc.mean[0]).cwiseAbs().maxCoeff() < 1e-6);
        test::check_within_se(res.map(cls), ref.exact[0], ref.mc.se(0));
      }
      mcrise::McRiseOptions mo2;
      mo2.sampler = mcrise::Sampler::independent;
      mo2.n_masks = N;
      mo2.mask_probability = p;
      mo2.grid_h = mo2.grid_w = 2;
      mo2.classes = {cls};
      mo2.fills = {mcrise::Color{1, 0, 0}, blurred, other};  // K = 3: 256 grids x 9 shifts
      const mcrise::MaskGenerator col(5, 6, 3, mo);
      const auto ref = exact_and_mc(Estimator::mc, img, col, mo2.fills, model, cls, N);
      const auto res = mcrise::mc_rise(model, img, mo2);
      REQUIRE(res.fills().size() == 3);
      CHECK(res.fills()[1].name() == "blur:1.5");
      CHECK(res.colors()[0] == mcrise::Color{1, 0, 0});
      for (std::size_t k = 0; k < 3; ++k) {
        CHECK((res.map(cls)[k] - ref.mc.mean[k]).cwiseAbs().maxCoeff() < 1e-6);
        test::check_within_se(res.map(cls)[k], ref.exact[k], ref.mc.se(k));
      }
    }
  }
}

TEST_CASE("Proposition 1 with image fills: debiased RISE and MC-RISE are zero where the model looks away",
          "[fills][estimators][proposition1]") {
  // As in estimators_test: the model reads the top-left 4 x 4 pixels only; pixels with y, x >= 25
  // interpolate grid rows and columns >= 2 only, for every shift.
  const auto img = test::test_image(32, 32);
  auto model = [](const mcrise::Image& im) { return test::top_left_scores(im); };
  const mcrise::Fill blurred = mcrise::Fill::blurred(img, 5.0);
  const std::vector<mcrise::Fill> fills{mcrise::Color{1, 0, 0}, blurred, mcrise::Fill(other_image(32, 32), "other")};
  const long long N = 4000;
  for (double p : {0.3, 0.5, 0.7}) {
    INFO("p_mask " << p);
    mcrise::MaskOptions mo;
    mo.grid_h = mo.grid_w = 4;
    mo.mask_probability = p;
    const mcrise::MaskGenerator bin(32, 32, 1, mo), col(32, 32, 3, mo);
    test::PlaneStats deb, mc;
    for (long long n = 0; n < N; ++n) {
      const auto bp = bin.planes(bin.sample(static_cast<std::uint64_t>(n)));
      deb.add(test::sample_terms(Estimator::debiased, bp, p, model(test::reference_perturb_fills(img, bp, {blurred}))(0)));
      const auto cp = col.planes(col.sample(static_cast<std::uint64_t>(n)));
      mc.add(test::sample_terms(Estimator::mc, cp, p, model(test::reference_perturb_fills(img, cp, fills))(0)));
    }
    mcrise::RiseOptions ro;
    ro.sampler = mcrise::Sampler::independent;
    ro.n_masks = N;
    ro.mask_probability = p;
    ro.grid_h = ro.grid_w = 4;
    ro.fill = blurred;
    const auto d = mcrise::debiased_rise(model, img, ro);
    mcrise::McRiseOptions mo2;
    mo2.sampler = mcrise::Sampler::independent;
    mo2.n_masks = N;
    mo2.mask_probability = p;
    mo2.grid_h = mo2.grid_w = 4;
    mo2.fills = fills;
    const auto m = mcrise::mc_rise(model, img, mo2);
    double seen_max = 0;
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x) {
        // The library's maps are the reference's means on the same samples.
        CHECK(std::abs(d.map(0)(y, x) - deb.mean[0](y, x)) < 1e-6);
        if (!(y >= 25 && x >= 25)) {
          seen_max = std::max(seen_max, std::abs(d.map(0)(y, x)) / deb.se(0)(y, x));
          continue;
        }
        INFO("pixel " << y << "," << x);
        CHECK(std::abs(d.map(0)(y, x)) <= 5 * deb.se(0)(y, x));
        for (std::size_t k = 0; k < 3; ++k) CHECK(std::abs(m.map(0)[k](y, x)) <= 5 * mc.se(k)(y, x));
      }
    CHECK(seen_max > 8);
  }
}

TEST_CASE("maps with image fills are bitwise identical across thread counts, batch sizes, overlap and layouts",
          "[fills][determinism]") {
  const auto img = test::test_image(24, 20);
  test::CountingBatchModel model;
  mcrise::McRiseOptions o;
  o.n_masks = 300;
  o.grid_h = 3;
  o.grid_w = 4;
  o.se_groups = 0;
  o.classes = {0, 1};
  o.fills = {mcrise::Color{0, 1, 0}, mcrise::Fill::blurred(img, 3.0), mcrise::Fill(other_image(24, 20), "other")};
  o.threads = 1;
  o.batch_size = 7;
  const auto a = mcrise::mc_rise(model, img, o);
  o.threads = 2;
  o.batch_size = 64;
  o.overlap = true;
  o.layout = mcrise::Layout::CHW;
  const auto b = mcrise::mc_rise(model, img, o);
  for (int cls : {0, 1}) CHECK(test::same(a.map(cls), b.map(cls)));
  mcrise::RiseOptions r;
  r.n_masks = 300;
  r.classes = {0};
  r.fill = o.fills[1];
  r.threads = 1;
  r.batch_size = 5;
  const auto c = mcrise::debiased_rise(model, img, r);
  r.threads = 2;
  r.batch_size = 32;
  r.layout = mcrise::Layout::CHW;
  const auto d = mcrise::debiased_rise(model, img, r);
  CHECK(c.map(0) == d.map(0));
}

TEST_CASE("a fill of the wrong size, channel count or with a NaN or inf is refused before any model call, naming it",
          "[fills][errors]") {
  const auto img = test::test_image(8, 8);
  test::CountingBatchModel model;
  auto mc = [&](std::vector<mcrise::Fill> fills) {
    mcrise::McRiseOptions o;
    o.n_masks = 10;
    o.fills = std::move(fills);
    (void)mcrise::mc_rise(model, img, o);
  };
  const mcrise::Fill red = mcrise::Color{1, 0, 0};
  CHECK_THROWS_WITH(mc({red, mcrise::Fill(test::test_image(8, 9), "mean")}),
                    Contains("mcrise::mc_rise(): fill 1 ('mean') is 8 x 9 x 3 but the image is 8 x 8 x 3"));
  CHECK_THROWS_WITH(mc({red, red, mcrise::Fill(test::test_image(8, 8, 1), "grey")}),
                    Contains("fill 2 ('grey') is 8 x 8 x 1"));
  auto nan = test::test_image(8, 8);
  nan(3, 5, 1) = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH(mc({mcrise::Fill(nan, "noise")}), Contains("fill 0 ('noise') has a non-finite value at pixel (3, 5)"));
  auto inf = test::test_image(8, 8);
  inf(7, 0, 2) = std::numeric_limits<float>::infinity();
  CHECK_THROWS_WITH(mc({red, mcrise::Fill(inf)}), Contains("fill 1 ('image') has a non-finite value at pixel (7, 0)"));
  CHECK_THROWS_WITH(mc({mcrise::Color{1, 0}}), Contains("fill 0 has 2 channels but the image has 3"));
  mcrise::McRiseOptions both;
  both.colors = {{1, 0, 0}};
  both.fills = {red};
  CHECK_THROWS_WITH(mcrise::mc_rise(model, img, both), Contains("give colors or fills, not both"));
  mcrise::RiseOptions r;
  r.fill = mcrise::Fill(test::test_image(4, 8), "small");
  CHECK_THROWS_WITH(mcrise::rise(model, img, r), Contains("mcrise::rise(): fill ('small') is 4 x 8 x 3"));
  r.fill = mcrise::Fill(inf, "inf");
  CHECK_THROWS_WITH(mcrise::debiased_rise(model, img, r), Contains("mcrise::debiased_rise(): fill ('inf') has a non-finite"));
  CHECK_THROWS_WITH(mcrise::Fill::blurred(img, -1.0), Contains("mcrise::Fill::blurred(): sigma must be in [0, 1e5]"));
  CHECK(model.calls == 0);
}

TEST_CASE("CA-deletion fills a removed pixel with its argmin colour's fill, an image fill's value at that pixel",
          "[fills][ca_deletion]") {
  const int H = 4, W = 5;
  const auto img = test::test_image(H, W);
  const auto other = other_image(H, W);
  // Colour 0 (red) is the argmin on the left two columns, colour 1 (the image) elsewhere.
  mcrise::SaliencyMap s0(H, W), s1(H, W);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      s0(y, x) = x < 2 ? -1.0 - 0.01 * (y * W + x) : 0.0;
      s1(y, x) = x < 2 ? 0.0 : -0.5 - 0.01 * (y * W + x);
    }
  std::vector<mcrise::Image> seen;
  auto model = [&](const mcrise::Image& im) {
    seen.push_back(im);
    return Eigen::VectorXd::Constant(1, 0.5);
  };
  mcrise::CaDeletionOptions o;
  o.step = 1;
  (void)mcrise::ca_deletion(model, img, {s0, s1}, {mcrise::Color{1, 0, 0}, mcrise::Fill(other, "other")}, 0, o);
  REQUIRE(!seen.empty());
  const mcrise::Image& last = seen.back();  // every pixel removed
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < 3; ++c) {
        const float want = x < 2 ? (c == 0 ? 1.0f : 0.0f) : other(y, x, c);
        CHECK(last(y, x, c) == want);
      }
  // The same maps with colours only still work (a vector of colours converts).
  const std::vector<mcrise::Color> colors{{1, 0, 0}, {0, 0, 1}};
  CHECK_NOTHROW(mcrise::ca_deletion(model, img, {s0, s1}, colors, 0, o));
  CHECK_THROWS_WITH(mcrise::ca_deletion(model, img, {s0, s1}, {mcrise::Color{1, 0, 0}, mcrise::Fill(other_image(4, 4))}, 0, o),
                    Contains("colour 1 ('image') is 4 x 4 x 3"));
}

TEST_CASE("a figure shows an image fill's swatch as thumbnails of the fill and a colour's as the colour",
          "[fills][render]") {
  const int H = 16, W = 16;
  const auto img = test::test_image(H, W);
  const auto other = other_image(H, W);
  auto model = [](const mcrise::Image& im) { return test::toy_scores(im); };
  mcrise::McRiseOptions o;
  o.n_masks = 50;
  o.classes = {0};
  o.grid_h = o.grid_w = 4;
  o.fills = {mcrise::Color{1, 0, 0}, mcrise::Fill(other, "other")};
  const auto res = mcrise::mc_rise(model, img, o);
  const mcrise::Picture fig = mcrise::color_saliency_figure(img, res, 0);
  mcrise::FigureOptions fo;
  fo.fills = res.fills();
  const std::vector<mcrise::FigureRow> rows{{"", res.map(0), {}}};
  const mcrise::FigureLayout L = mcrise::figure_layout(H, W, rows, res.colors(), fo);
  REQUIRE(fig.height() == L.height);
  REQUIRE(L.swatches.size() == 2);
  const mcrise::Rect& red = L.swatches[0];
  const mcrise::Rgb r = fig.at(red.y + red.h / 2, red.x + red.w / 2);
  CHECK(r == mcrise::Rgb{255, 0, 0});
  const mcrise::Rect& sw = L.swatches[1];
  const int tw = sw.h;  // the fill is square: thumbnails sw.h x sw.h, repeated across the swatch
  REQUIRE(tw < sw.w);
  const mcrise::Picture thumb = mcrise::to_picture(mcrise::resize(other, sw.h, tw));
  int differ = 0, distinct = 0;
  for (int y = 1; y + 1 < sw.h; ++y)  // inside the frame
    for (int x = 1; x + 1 < sw.w; ++x) {
      const mcrise::Rgb a = fig.at(sw.y + y, sw.x + x), b = thumb.at(y, x % tw);
      differ += a != b;
      distinct += a != fig.at(sw.y + 1, sw.x + 1);
    }
  CHECK(differ == 0);
  CHECK(distinct > 0);  // a picture, not a flat colour
}
