// Hostile inputs and faults (issue 7): every option out of range, degenerate
// images, classifiers that lie, throw or return garbage, callbacks that stop
// the run, and two explanations running at once in two threads.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <dirent.h>

#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using mcrise::Image;
using mcrise::SaliencyMap;


// An exception type of the user's own, to see that it reaches the caller unchanged.
struct UserModelError {
  int call;
};

// Number of threads of this process (Linux: entries of /proc/self/task).
int thread_count() {
  DIR* d = opendir("/proc/self/task");
  if (!d) return -1;
  int n = 0;
  while (const dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

bool same(const std::vector<SaliencyMap>& a, const std::vector<SaliencyMap>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k)
    if (a[k] != b[k]) return false;
  return true;
}

// A deterministic H x W map with distinct values (no ties).
SaliencyMap ramp(int h, int w) {
  SaliencyMap m(h, w);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m(y, x) = std::sin(0.37 * (y * w + x) + 0.1 * y);
  return m;
}

bool all_finite(const SaliencyMap& m) { return m.allFinite(); }

// One row of the option table: which entry point, how to break its options,
// and what the message must contain (function, option, value).
struct Case {
  std::string name;
  std::function<void(test::CountingBatchModel&)> call;
  std::vector<std::string> needles;
};

}  // namespace

TEST_CASE("every option out of range throws invalid_argument naming function, option and value, before any model call",
          "[hostile][options]") {
  const Image img = test::test_image(16, 12);
  const SaliencyMap map = SaliencyMap::Constant(16, 12, 1.0);
  const std::vector<SaliencyMap> cmaps(5, map);
  const auto colors = mcrise::paper_colors();
  std::vector<Case> cases;

  // The sampling drivers share their options: the same table for all three.
  using RO = mcrise::RiseOptions;
  using MO = mcrise::McRiseOptions;
  struct Bad {
    std::function<void(RO&)> rise;
    std::function<void(MO&)> mc;
    std::vector<std::string> needles;
  };
  auto both = [](auto f, std::vector<std::string> n) { return Bad{f, f, std::move(n)}; };
  const std::vector<Bad> sampling = {
      both([](auto& o) { o.mask_probability = 0.0; }, {"mask_probability", "[1e-06, 0.999999]", "got 0"}),
      both([](auto& o) { o.mask_probability = 1.0; }, {"mask_probability", "got 1"}),
      both([](auto& o) { o.mask_probability = -0.25; }, {"mask_probability", "got -0.25"}),
      both([](auto& o) { o.mask_probability = 7.5; }, {"mask_probability", "got 7.5"}),
      both([](auto& o) { o.mask_probability = std::nan(""); }, {"mask_probability", "nan"}),
      both([](auto& o) { o.mask_probability = std::numeric_limits<double>::infinity(); }, {"mask_probability", "inf"}),
      both([](auto& o) { o.n_masks = 0; }, {"n_masks", ">= 1", "got 0"}),
      both([](auto& o) { o.n_masks = -8000; }, {"n_masks", "got -8000"}),
      both([](auto& o) { o.grid_h = 0; }, {"grid_h", "got 0"}),
      both([](auto& o) { o.grid_h = -3; }, {"grid_h", "got -3"}),
      both([](auto& o) { o.grid_h = 17; }, {"grid_h", "[1, 16]", "got 17"}),
      both([](auto& o) { o.grid_w = 0; }, {"grid_w", "got 0"}),
      both([](auto& o) { o.grid_w = 13; }, {"grid_w", "[1, 12]", "got 13"}),
      both([](auto& o) { o.batch_size = 0; }, {"batch_size", ">= 1", "got 0"}),
      both([](auto& o) { o.batch_size = -64; }, {"batch_size", "got -64"}),
      both([](auto& o) { o.threads = -1; }, {"threads", "[0, 1024]", "got -1"}),
      both([](auto& o) { o.threads = 5000; }, {"threads", "[0, 1024]", "got 5000"}),
      both([](auto& o) { o.batch_size = 1 << 30, o.n_masks = std::int64_t{1} << 40; },
           {"batch_size", "GiB of batch buffers", "limit 16 GiB"}),
      both([](auto& o) { o.classes = {0, -2}; }, {"class", "got -2"}),
      both([](auto& o) { o.layout = static_cast<mcrise::Layout>(7); }, {"layout", "unknown layout 7"}),
      both([](auto& o) { o.upsampling = static_cast<mcrise::Upsampling>(9); }, {"upsampling", "unknown upsampling 9"}),
      both([](auto& o) { o.se_groups = 1; }, {"se_groups", "got 1"}),
      both([](auto& o) { o.se_groups = 1025; }, {"se_groups", "got 1025"}),
      both([](auto& o) { o.se_groups = -4; }, {"se_groups", "got -4"}),
      both([](auto& o) { o.target_relative_se = -0.1; }, {"target_relative_se", "got -0.1"}),
      both([](auto& o) { o.target_relative_se = std::numeric_limits<double>::infinity(); },
           {"target_relative_se", "inf"}),
      both(
          [](auto& o) {
            o.se_groups = 0;
            o.target_relative_se = 0.05;
          },
          {"target_relative_se", "se_groups is 0"}),
  };
  for (const auto& b : sampling) {
    const std::string value = b.needles.back();
    cases.push_back({"rise " + b.needles.front() + " " + value,
                     [&img, f = b.rise](test::CountingBatchModel& m) {
                       RO o;
                       f(o);
                       (void)mcrise::rise(m, img, o);
                     },
                     [&] {
                       auto n = b.needles;
                       n.push_back("mcrise::rise()");
                       return n;
                     }()});
    cases.push_back({"debiased_rise " + b.needles.front() + " " + value,
                     [&img, f = b.rise](test::CountingBatchModel& m) {
                       RO o;
                       f(o);
                       (void)mcrise::debiased_rise(m, img, o);
                     },
                     [&] {
                       auto n = b.needles;
                       n.push_back("mcrise::debiased_rise()");
                       return n;
                     }()});
    cases.push_back({"mc_rise " + b.needles.front() + " " + value,
                     [&img, f = b.mc](test::CountingBatchModel& m) {
                       MO o;
                       f(o);
                       (void)mcrise::mc_rise(m, img, o);
                     },
                     [&] {
                       auto n = b.needles;
                       n.push_back("mcrise::mc_rise()");
                       return n;
                     }()});
  }

  // mc_rise only: colours and their scale.
  auto mc = [&](std::function<void(MO&)> f, std::vector<std::string> n, const Image* im = nullptr) {
    n.push_back("mcrise::mc_rise()");
    cases.push_back({"mc_rise " + n.front(),
                     [&img, f, im](test::CountingBatchModel& m) {
                       MO o;
                       f(o);
                       (void)mcrise::mc_rise(m, im ? *im : img, o);
                     },
                     n});
  };
  mc([](MO& o) { o.colors = {{1, 0, 0}, {0, 1}}; }, {"colour 1 has 2 channels", "image has 3"});
  mc([](MO& o) { o.colors = {{1, 0, 0, 1}}; }, {"colour 0 has 4 channels"});
  mc([](MO& o) { o.colors = {{}}; }, {"colour 0 has 0 channels"});
  mc([](MO& o) { o.colors = {{0, std::nanf(""), 0}}; }, {"colour 0", "non-finite"});
  mc([](MO& o) { o.colors.assign(256, mcrise::Color{0, 0, 0}); }, {"colours", "got 256"});
  mc([](MO& o) { o.value_max = 0.0f; }, {"value_max", "got 0"});
  mc([](MO& o) { o.value_max = -255.0f; }, {"value_max", "got -255"});
  mc([](MO& o) { o.value_max = std::numeric_limits<float>::infinity(); }, {"value_max", "inf"});
  static const Image two_channels = test::test_image(16, 12, 2);
  mc([](MO&) {}, {"no default colours for 2 channels", "pass colors"}, &two_channels);

  // The metrics.
  auto del = [&](std::function<void(mcrise::DeletionOptions&)> f, std::vector<std::string> n, int cls = 0,
                 const SaliencyMap* m = nullptr) {
    n.push_back("mcrise::deletion()");
    cases.push_back({"deletion " + n.front(),
                     [&img, &map, f, cls, m](test::CountingBatchModel& model) {
                       mcrise::DeletionOptions o;
                       f(o);
                       (void)mcrise::deletion(model, img, m ? *m : map, cls, o);
                     },
                     n});
  };
  auto ins = [&](std::function<void(mcrise::InsertionOptions&)> f, std::vector<std::string> n, int cls = 0,
                 const SaliencyMap* m = nullptr) {
    n.push_back("mcrise::insertion()");
    cases.push_back({"insertion " + n.front(),
                     [&img, &map, f, cls, m](test::CountingBatchModel& model) {
                       mcrise::InsertionOptions o;
                       f(o);
                       (void)mcrise::insertion(model, img, m ? *m : map, cls, o);
                     },
                     n});
  };
  auto cad = [&](std::function<void(mcrise::CaDeletionOptions&)> f, std::vector<std::string> n, int cls = 0,
                 std::vector<SaliencyMap> maps = {}, std::vector<mcrise::Color> cols = {}) {
    n.push_back("mcrise::ca_deletion()");
    if (maps.empty() && cols.empty()) {
      maps = cmaps;
      cols = colors;
    }
    cases.push_back({"ca_deletion " + n.front(),
                     [&img, f, cls, maps, cols](test::CountingBatchModel& model) {
                       mcrise::CaDeletionOptions o;
                       f(o);
                       (void)mcrise::ca_deletion(model, img, maps, cols, cls, o);
                     },
                     n});
  };
  static const SaliencyMap small_map = SaliencyMap::Zero(15, 12);
  static const SaliencyMap nan_map = [] {
    SaliencyMap m = SaliencyMap::Zero(16, 12);
    m(3, 5) = std::nan("");
    return m;
  }();
  del([](auto& o) { o.step = 0; }, {"step", ">= 1", "got 0"});
  del([](auto& o) { o.step = -7; }, {"step", "got -7"});
  del([](auto& o) { o.batch_size = 0; }, {"batch_size", "got 0"});
  del([](auto& o) { o.layout = static_cast<mcrise::Layout>(2); }, {"layout", "unknown layout 2"});
  del([](auto&) {}, {"class", "got -1"}, -1);
  del([](auto&) {}, {"saliency map", "15 x 12"}, 0, &small_map);
  del([](auto&) {}, {"saliency map", "NaN"}, 0, &nan_map);
  del([](auto& o) { o.fill = {0.5f}; }, {"fill colour", "1"});
  del([](auto& o) { o.substrate = Image(16, 12, 1); }, {"substrate", "16 x 12 x 1"});
  ins([](auto& o) { o.step = 0; }, {"step", "got 0"});
  ins([](auto& o) { o.batch_size = -1; }, {"batch_size", "got -1"});
  ins([](auto& o) { o.layout = static_cast<mcrise::Layout>(-1); }, {"layout", "unknown layout -1"});
  ins([](auto&) {}, {"class", "got -5"}, -5);
  ins([](auto& o) { o.blur_sigma = -1.0; }, {"blur_sigma", "got -1"});
  ins([](auto& o) { o.blur_sigma = std::nan(""); }, {"blur_sigma", "nan"});
  ins([](auto& o) { o.blur_sigma = 1e9; }, {"blur_sigma", "[0, 1e5]"});
  ins([](auto&) {}, {"saliency map", "NaN"}, 0, &nan_map);
  ins([](auto& o) { o.substrate = Image(12, 16, 3); }, {"substrate", "12 x 16 x 3"});
  cad([](auto& o) { o.step = 0; }, {"step", "got 0"});
  cad([](auto& o) { o.batch_size = 0; }, {"batch_size", "got 0"});
  cad([](auto& o) { o.layout = static_cast<mcrise::Layout>(3); }, {"layout", "unknown layout 3"});
  cad([](auto&) {}, {"class", "got -1"}, -1);
  cad([](auto&) {}, {"no colour maps"}, 0, std::vector<SaliencyMap>{}, colors);
  cad([](auto&) {}, {"5 colour maps but 4 colours"}, 0, cmaps,
      std::vector<mcrise::Color>(colors.begin(), colors.begin() + 4));
  cad([](auto&) {}, {"colour 2", "2"}, 0, cmaps, {{1, 0, 0}, {0, 1, 0}, {0, 1}, {1, 1, 1}, {0, 0, 0}});
  cad([](auto&) {}, {"colour map 1", "NaN"}, 0, {map, nan_map, map, map, map}, colors);
  cad([](auto&) {}, {"colour map 4", "15 x 12"}, 0, {map, map, map, map, small_map}, colors);

  for (const auto& c : cases) {
    INFO(c.name);
    test::CountingBatchModel model;
    try {
      c.call(model);
      FAIL("no exception");
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      INFO("message: " << what);
      for (const auto& n : c.needles) CHECK(what.find(n) != std::string::npos);
    }
    CHECK(model.calls == 0);
  }
  CHECK(cases.size() > 90);
}

TEST_CASE("an unknown class index is rejected after exactly the one call on the unperturbed image",
          "[hostile][options]") {
  const Image img = test::test_image(8, 8);
  const SaliencyMap map = SaliencyMap::Zero(8, 8);
  test::CountingBatchModel m;
  mcrise::RiseOptions ro;
  ro.classes = {1, 2};
  CHECK_THROWS_WITH(mcrise::rise(m, img, ro), Catch::Contains("mcrise::rise()") && Catch::Contains("class 2"));
  CHECK(m.calls == 1);
  m.calls = 0;
  CHECK_THROWS_WITH(mcrise::debiased_rise(m, img, ro), Catch::Contains("debiased_rise") && Catch::Contains("class 2"));
  CHECK(m.calls == 1);
  for (int cls : {2, 1000000}) {
    m.calls = 0;
    CHECK_THROWS_AS(mcrise::deletion(m, img, map, cls), std::invalid_argument);
    CHECK(m.calls == 1);
    CHECK_THROWS_WITH(mcrise::insertion(m, img, map, cls),
                      Catch::Contains("mcrise::insertion()") && Catch::Contains("class " + std::to_string(cls)));
    CHECK_THROWS_WITH(mcrise::ca_deletion(m, img, {map}, {{0, 0, 0}}, cls),
                      Catch::Contains("mcrise::ca_deletion()") && Catch::Contains("the model returns 2 scores"));
  }
}

TEST_CASE("degenerate images: empty is rejected, 1 x 1 / non-square / 1 and 4 channels / odd sizes work",
          "[hostile][images]") {
  test::CountingBatchModel m;
  for (const Image& empty : {Image(), Image(0, 0, 3), Image(0, 5, 3), Image(7, 0, 1)}) {
    CHECK_THROWS_WITH(mcrise::rise(m, empty), Catch::Contains("mcrise::rise()") && Catch::Contains("empty"));
    CHECK_THROWS_WITH(mcrise::mc_rise(m, empty), Catch::Contains("mcrise::mc_rise()") && Catch::Contains("empty"));
    CHECK_THROWS_WITH(mcrise::deletion(m, empty, SaliencyMap(), 0), Catch::Contains("empty"));
    CHECK_THROWS_WITH(mcrise::insertion(m, empty, SaliencyMap(), 0), Catch::Contains("empty"));
    CHECK_THROWS_WITH(mcrise::ca_deletion(m, empty, {SaliencyMap()}, {{0, 0, 0}}, 0), Catch::Contains("empty"));
  }
  CHECK(m.calls == 0);
  // The default 8 x 8 grid does not fit a 1 x 1 image: a clear error, not a crash.
  CHECK_THROWS_WITH(mcrise::rise(m, Image(1, 1, 3, 0.5f)), Catch::Contains("grid_h must be in [1, 1]") && Catch::Contains("got 8"));

  // A model that reads channel 0 in the left third only: score = mean of that region.
  // Whatever H, W, C, grid: maps have the image's size, are finite, and the region has the right sign.
  struct Case {
    int H, W, C, gh, gw;
  };
  for (const Case c : {Case{1, 1, 3, 1, 1}, Case{1, 1, 1, 1, 1}, Case{1, 9, 3, 1, 3}, Case{13, 5, 1, 4, 2},
                       Case{7, 23, 4, 3, 5}, Case{17, 17, 3, 8, 8}, Case{5, 31, 3, 5, 7}}) {
    INFO(c.H << " x " << c.W << " x " << c.C << ", grid " << c.gh << " x " << c.gw);
    const Image img(c.H, c.W, c.C, 0.5f);
    const int region = std::max(1, c.W / 3);  // columns [0, region)
    auto model = [&](const Image& im) {
      double s = 0;
      for (int y = 0; y < im.height(); ++y)
        for (int x = 0; x < region; ++x) s += im(y, x, 0);
      s /= im.height() * region;
      return std::vector<double>{s, 1.0 - s};
    };
    mcrise::RiseOptions ro;
    ro.n_masks = 8000;
    ro.grid_h = c.gh;
    ro.grid_w = c.gw;
    ro.classes = {0};
    ro.batch_size = 100;
    const auto r = mcrise::rise(model, img, ro);
    const auto d = mcrise::debiased_rise(model, img, ro);
    mcrise::McRiseOptions mo;
    mo.n_masks = 8000;
    mo.grid_h = c.gh;
    mo.grid_w = c.gw;
    mo.classes = {0};
    mo.batch_size = 100;
    const auto mc = mcrise::mc_rise(model, img, mo);
    REQUIRE(r.complete);
    REQUIRE(r.masks_used == 8000);
    for (const SaliencyMap* s : {&r.map(0), &d.map(0), &mc.baseline(0)}) {
      CHECK(s->rows() == c.H);
      CHECK(s->cols() == c.W);
      CHECK(all_finite(*s));
    }
    REQUIRE(mc.map(0).size() == (c.C == 1 ? 2u : 5u));
    for (const auto& s : mc.map(0)) {
      CHECK(s.rows() == c.H);
      CHECK(s.cols() == c.W);
      CHECK(all_finite(s));
    }
    // Signs over the region (columns [0, region)): RISE > 0 (scores >= 0); debiased RISE > 0
    // (keeping the region raises the score); MC-RISE: white (channel 0 = 1 > 0.5) > 0 and
    // black < 0; red like white, green and blue like black. The region mean is checked
    // against 3 times the region mean of the per-pixel standard errors, an upper bound on
    // the standard error of the region mean (sd of a sum <= sum of the sds).
    auto region_mean = [&](const SaliencyMap& s) { return s.leftCols(region).mean(); };
    const std::size_t white = c.C == 1 ? 0 : 3, black = c.C == 1 ? 1 : 4;
    CHECK(r.map(0).leftCols(region).minCoeff() > 0.0);
    CHECK(region_mean(d.map(0)) > 3.0 * region_mean(d.standard_error(0)));
    const auto& smc = mc.standard_error(0);
    CHECK(region_mean(mc.map(0)[white]) > 3.0 * region_mean(smc[white]));
    CHECK(region_mean(mc.map(0)[black]) < -3.0 * region_mean(smc[black]));
    if (c.C >= 3) {
      CHECK(region_mean(mc.map(0)[0]) > 3.0 * region_mean(smc[0]));
      CHECK(region_mean(mc.map(0)[1]) < -3.0 * region_mean(smc[1]));
      CHECK(region_mean(mc.map(0)[2]) < -3.0 * region_mean(smc[2]));
    }
    // And the metrics run on the same image: ceil(HW/W) + 1 = H + 1 points, complete.
    const auto del = mcrise::deletion(model, img, d.map(0), 0);
    CHECK(del.complete);
    CHECK(del.confidences.size() == static_cast<std::size_t>(c.H + 1));
    CHECK(std::isfinite(del.auc));
    const auto ca = mcrise::ca_deletion(model, img, mc.map(0), mc.colors(), 0);
    CHECK(ca.complete);
    CHECK(std::isfinite(ca.auc));
  }
}

TEST_CASE("bad classifier answers name the sample, for the drivers and the metrics; nothing partial comes back",
          "[hostile][classifier]") {
  const Image img = test::test_image(10, 10);
  const SaliencyMap map = ramp(10, 10);
  // Single-image form, one bad sample at a known index (the unperturbed image is call 0).
  auto at = [](int bad_call, auto bad_value) {
    return [bad_call, bad_value, calls = 0](const Image&) mutable {
      std::vector<float> s{0.3f, 0.7f};
      if (calls++ == bad_call) s[1] = bad_value;
      return s;
    };
  };
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  mcrise::RiseOptions ro;
  ro.n_masks = 200;
  ro.batch_size = 16;
  ro.classes = {0};
  mcrise::McRiseOptions mo;
  mo.n_masks = 200;
  mo.batch_size = 16;
  mo.classes = {0};
  // call 1 + 37 is mask sample 37.
  CHECK_THROWS_WITH(mcrise::rise(at(38, nan), img, ro),
                    Catch::Contains("mcrise::rise()") && Catch::Contains("non-finite") && Catch::Contains("sample 37"));
  CHECK_THROWS_WITH(mcrise::debiased_rise(at(38, -inf), img, ro),
                    Catch::Contains("mcrise::debiased_rise()") && Catch::Contains("sample 37"));
  CHECK_THROWS_WITH(mcrise::mc_rise(at(200, nan), img, mo), Catch::Contains("sample 199"));
  // The unperturbed image itself (the drivers' first call) is named as such.
  CHECK_THROWS_WITH(mcrise::rise(at(0, nan), img, ro),
                    Catch::Contains("non-finite") && Catch::Contains("of the unperturbed image"));
  // Metrics: the curve point index is the sample.
  CHECK_THROWS_WITH(mcrise::deletion(at(7, nan), img, map, 0),
                    Catch::Contains("mcrise::deletion()") && Catch::Contains("sample 7"));
  CHECK_THROWS_WITH(mcrise::insertion(at(3, inf), img, map, 1),
                    Catch::Contains("mcrise::insertion()") && Catch::Contains("sample 3"));
  CHECK_THROWS_WITH(mcrise::ca_deletion(at(10, nan), img, {map}, {{0, 0, 0}}, 0),
                    Catch::Contains("mcrise::ca_deletion()") && Catch::Contains("sample 10"));

  // Wrong count: no scores at all, a count that changes at sample 5.
  auto none = [](const Image&) { return std::vector<float>{}; };
  CHECK_THROWS_WITH(mcrise::rise(none, img, ro), Catch::Contains("no scores for the unperturbed image"));
  CHECK_THROWS_WITH(mcrise::deletion(none, img, map, 0), Catch::Contains("no scores for sample 0"));
  auto changing = [calls = 0](const Image&) mutable {
    return std::vector<float>(calls++ < 6 ? 2 : 3, 0.5f);
  };
  CHECK_THROWS_WITH(mcrise::rise(changing, img, ro), Catch::Contains("3 scores for sample 5") && Catch::Contains("2 before"));
  auto changing_batch = [calls = 0](const mcrise::ImageBatch& b) mutable {
    return Eigen::MatrixXd::Constant(b.size(), calls++ < 1 ? 2 : 4, 0.5);
  };
  mcrise::DeletionOptions dopt;
  dopt.batch_size = 4;
  CHECK_THROWS_WITH(mcrise::deletion(changing_batch, img, map, 0, dopt),
                    Catch::Contains("4 scores for sample 4") && Catch::Contains("2 before"));
  auto empty_rows = [](const mcrise::ImageBatch&) { return Eigen::MatrixXd(0, 2); };
  CHECK_THROWS_WITH(mcrise::insertion(empty_rows, img, map, 0), Catch::Contains("0 rows for a batch of"));
  auto zero_cols = [](const mcrise::ImageBatch& b) { return Eigen::MatrixXd(b.size(), 0); };
  CHECK_THROWS_WITH(mcrise::debiased_rise(zero_cols, img, ro), Catch::Contains("no scores for the unperturbed image"));
  CHECK_THROWS_WITH(mcrise::mc_rise(empty_rows, img, mo),
                    Catch::Contains("0 rows for a batch of 1 images (the unperturbed image)"));
}

TEST_CASE("a classifier that throws on the first or the 500th call: the exception arrives unchanged, "
          "no thread is left behind, the model is reusable",
          "[hostile][classifier][threads]") {
  const Image img = test::test_image(12, 12);
  const SaliencyMap map = ramp(12, 12);
  struct Model {
    int calls = 0;
    int fail_at = -1;
    std::vector<float> operator()(const Image&) {
      if (++calls == fail_at) throw UserModelError{calls};
      return {0.25f, 0.75f};
    }
  };
  const int threads_before = thread_count();
  for (int fail_at : {1, 500}) {
    INFO("fail at call " << fail_at);
    Model model;
    mcrise::RiseOptions ro;
    ro.n_masks = 1000;
    ro.batch_size = 7;
    ro.threads = 4;
    mcrise::McRiseOptions mo;
    mo.n_masks = 1000;
    mo.batch_size = 7;
    mo.threads = 4;
    mcrise::DeletionOptions dopt;
    dopt.step = 1;  // 145 points: call 500 is not reached, so take a smaller step count below
    std::vector<std::function<void()>> runs = {
        [&] { (void)mcrise::rise(model, img, ro); },
        [&] { (void)mcrise::debiased_rise(model, img, ro); },
        [&] { (void)mcrise::mc_rise(model, img, mo); },
    };
    if (fail_at == 1) {
      runs.push_back([&] { (void)mcrise::deletion(model, img, map, 0, dopt); });
      runs.push_back([&] { (void)mcrise::insertion(model, img, map, 0); });
      runs.push_back([&] { (void)mcrise::ca_deletion(model, img, {map}, {{0, 0, 0}}, 0); });
    }
    for (auto& run : runs) {
      model.calls = 0;
      model.fail_at = fail_at;
      try {
        run();
        FAIL("no exception");
      } catch (const UserModelError& e) {
        CHECK(e.call == fail_at);
      }
      CHECK(thread_count() == threads_before);
      model.calls = 0;
      model.fail_at = -1;
      CHECK_NOTHROW(run());  // the same object again
    }
  }
  // The 500th call of a metric: a 30 x 20 image with step 1 has 601 points.
  const Image big = test::test_image(30, 20);
  const SaliencyMap bmap = ramp(30, 20);
  Model model;
  model.fail_at = 500;
  mcrise::DeletionOptions dopt;
  dopt.step = 1;
  CHECK_THROWS_AS(mcrise::deletion(model, big, bmap, 1, dopt), UserModelError);
  model.calls = 0;
  mcrise::CaDeletionOptions copt;
  copt.step = 1;
  CHECK_THROWS_AS(mcrise::ca_deletion(model, big, {bmap}, {{1, 1, 1}}, 1, copt), UserModelError);
  model.fail_at = -1;
  CHECK(mcrise::deletion(model, big, bmap, 1, dopt).complete);
  // A throwing callback also passes through, and leaves no thread behind.
  mcrise::RiseOptions ro;
  ro.n_masks = 500;
  ro.threads = 3;
  auto bad_callback = [](const mcrise::Progress& p) {
    if (p.done >= 128) throw std::out_of_range("callback gave up");
  };
  CHECK_THROWS_WITH(mcrise::rise(model, img, ro, bad_callback), "callback gave up");
  CHECK(thread_count() == threads_before);
}

TEST_CASE("a callback that stops: rise, debiased_rise and the metrics stop within one batch and equal a shorter run",
          "[hostile][callbacks]") {
  const Image img = test::test_image(14, 11);
  auto model = [](const Image& im) { return test::toy_scores(im); };
  mcrise::RiseOptions o;
  o.n_masks = 1000;
  o.batch_size = 50;
  o.classes = {0, 1};
  auto stop_at_120 = [](const mcrise::Progress& p) { return p.done >= 120; };
  for (bool debiased : {false, true}) {
    INFO((debiased ? "debiased_rise" : "rise"));
    auto call = [&](const mcrise::RiseOptions& opt, auto&&... cb) {
      return debiased ? mcrise::debiased_rise(model, img, opt, cb...) : mcrise::rise(model, img, opt, cb...);
    };
    const auto partial = call(o, stop_at_120);
    CHECK(partial.masks_used == 150);  // the batch that crossed 120 is finished, no more
    CHECK_FALSE(partial.complete);
    mcrise::RiseOptions shorter = o;
    shorter.n_masks = 150;
    const auto full = call(shorter);
    CHECK(full.complete);
    CHECK(partial.map(0) == full.map(0));
    CHECK(partial.map(1) == full.map(1));
    // Stop on the very first batch.
    const auto first = call(o, [](const mcrise::Progress&) { return true; });
    CHECK(first.masks_used == 50);
  }

  const SaliencyMap map = ramp(14, 11);
  int seen = 0;
  auto stop_after_two = [&](const mcrise::Progress& p) {
    ++seen;
    return p.done >= 16;
  };
  mcrise::DeletionOptions dopt;
  dopt.batch_size = 8;
  dopt.step = 3;  // 154 pixels: 53 points
  const auto dfull = mcrise::deletion(model, img, map, 0, dopt);
  const auto dpart = mcrise::deletion(model, img, map, 0, dopt, stop_after_two);
  CHECK(dfull.complete);
  CHECK(dfull.confidences.size() == 53);
  CHECK_FALSE(dpart.complete);
  CHECK(seen == 2);
  REQUIRE(dpart.confidences.size() == 16);
  for (std::size_t j = 0; j < 16; ++j) {
    CHECK(dpart.confidences[j] == dfull.confidences[j]);
    CHECK(dpart.fractions[j] == dfull.fractions[j]);
  }
  mcrise::InsertionOptions iopt;
  iopt.batch_size = 5;
  const auto ipart = mcrise::insertion(model, img, map, 1, iopt, [](const mcrise::Progress&) { return true; });
  const auto ifull = mcrise::insertion(model, img, map, 1, iopt);
  REQUIRE(ipart.confidences.size() == 5);
  CHECK_FALSE(ipart.complete);
  for (std::size_t j = 0; j < 5; ++j) CHECK(ipart.confidences[j] == ifull.confidences[j]);
  mcrise::CaDeletionOptions copt;
  copt.batch_size = 4;
  const std::vector<SaliencyMap> cm{map, -map};
  const std::vector<mcrise::Color> cc{{0, 0, 0}, {1, 1, 1}};
  const auto cpart = mcrise::ca_deletion(model, img, cm, cc, 0, copt, [](const mcrise::Progress& p) { return p.done >= 8; });
  const auto cfull = mcrise::ca_deletion(model, img, cm, cc, 0, copt);
  REQUIRE(cpart.confidences.size() == 8);
  CHECK_FALSE(cpart.complete);
  for (std::size_t j = 0; j < 8; ++j) CHECK(cpart.confidences[j] == cfull.confidences[j]);
}

TEST_CASE("two explanations at once in two threads equal the same two run one after the other",
          "[hostile][threads]") {
  const Image a = test::test_image(20, 18), b = test::test_image(15, 21);
  auto model = [](const mcrise::ImageBatch& batch) {  // stateless, so safe to share
    Eigen::MatrixXd out(batch.size(), 2);
    for (int i = 0; i < batch.size(); ++i) out.row(i) = test::toy_scores(batch.image(i)).transpose();
    return out;
  };
  mcrise::McRiseOptions mo;
  mo.n_masks = 400;
  mo.classes = {0, 1};
  mo.threads = 2;
  mo.batch_size = 32;
  mcrise::RiseOptions ro;
  ro.n_masks = 400;
  ro.threads = 3;
  ro.seed = 7;
  ro.classes = {1};
  const auto mc_seq = mcrise::mc_rise(model, a, mo);
  const auto d_seq = mcrise::debiased_rise(model, b, ro);
  const auto del_seq = mcrise::deletion(model, b, d_seq.map(1), 1);

  mcrise::McRiseResult mc_par;
  mcrise::SaliencyResult d_par;
  mcrise::MetricCurve del_par;
  std::thread t1([&] { mc_par = mcrise::mc_rise(model, a, mo); });
  std::thread t2([&] {
    d_par = mcrise::debiased_rise(model, b, ro);
    del_par = mcrise::deletion(model, b, d_par.map(1), 1);
  });
  t1.join();
  t2.join();
  CHECK(same(mc_par.map(0), mc_seq.map(0)));
  CHECK(same(mc_par.map(1), mc_seq.map(1)));
  CHECK(mc_par.baseline(1) == mc_seq.baseline(1));
  CHECK(d_par.map(1) == d_seq.map(1));
  CHECK(del_par.confidences == del_seq.confidences);
  CHECK(del_par.auc == del_seq.auc);
}

TEST_CASE("accumulators that would exceed 16 GiB are refused with a clear message", "[hostile][memory]") {
  // 1024 x 1024, K = 5, 16 groups: about 0.45 GB per target class; 100 classes is ~45 GB.
  mcrise::MaskOptions mo;
  const mcrise::ColorMaskGenerator gen(1024, 1024, 5, mo);
  std::vector<int> classes(100);
  for (int i = 0; i < 100; ++i) classes[static_cast<std::size_t>(i)] = i;
  CHECK_THROWS_WITH(mcrise::McRiseAccumulator(gen, classes, 16),
                    Catch::Contains("mcrise::McRiseAccumulator()") && Catch::Contains("100 target classes") &&
                        Catch::Contains("limit 16 GiB"));
}

TEST_CASE("metrics refuse batch buffers over 16 GiB before any model call; the curve length bounds the batch",
          "[hostile][memory]") {
  // 224 x 224 x 3 floats = 588 KiB an image; step 1 gives 50,177 curve points: a batch of all of
  // them would be 28.1 GiB.
  const Image img = test::test_image(224, 224);
  const SaliencyMap map = SaliencyMap::Zero(224, 224);
  const std::vector<SaliencyMap> maps(2, map);
  const std::vector<mcrise::Color> colors{{1, 0, 0}, {0, 0, 1}};
  auto refused = [](const char* fn, auto&& call) {
    INFO(fn);
    test::CountingBatchModel model;
    CHECK_THROWS_WITH(call(model), Catch::Contains(fn) && Catch::Contains("batch_size 1048576") &&
                                       Catch::Contains("GiB of batch buffers") && Catch::Contains("limit 16 GiB"));
    CHECK(model.calls == 0);
  };
  mcrise::DeletionOptions d;
  d.batch_size = 1 << 20;
  d.step = 1;
  refused("mcrise::deletion()", [&](auto& m) { (void)mcrise::deletion(m, img, map, 0, d); });
  mcrise::InsertionOptions i;
  i.batch_size = 1 << 20;
  i.step = 1;
  refused("mcrise::insertion()", [&](auto& m) { (void)mcrise::insertion(m, img, map, 0, i); });
  mcrise::CaDeletionOptions c;
  c.batch_size = 1 << 20;
  c.step = 1;
  refused("mcrise::ca_deletion()", [&](auto& m) { (void)mcrise::ca_deletion(m, img, maps, colors, 0, c); });

  // The same batch_size with a curve of 14 points needs 14 images: it runs, in one model call.
  d.step = 4096;
  test::CountingBatchModel model;
  const auto r = mcrise::deletion(model, img, map, 0, d);
  CHECK(r.confidences.size() == 14);
  CHECK(model.calls == 1);  // the whole curve (its first point is the unperturbed image) in one batch
}

TEST_CASE("the paper's colours and their names exist for 1, 3 and 4 channels, and only there", "[hostile]") {
  for (int c : {1, 3, 4}) {
    INFO("channels " << c);
    const auto colors = mcrise::paper_colors(c, 255.0f);
    CHECK(colors.size() == mcrise::paper_color_names(c).size());
    for (const auto& col : colors) CHECK(static_cast<int>(col.size()) == c);
  }
  for (int c : {0, 2, 5}) {
    INFO("channels " << c);
    CHECK_THROWS_WITH(mcrise::paper_colors(c), Catch::Contains("1, 3 or 4 channels"));
    CHECK_THROWS_WITH(mcrise::paper_color_names(c), Catch::Contains("1, 3 or 4 channels"));
  }
}
