// The drivers rise / debiased_rise / mc_rise: determinism, merging, early stop,
// progress, the two classifier forms, every error path of the core, and the drivers
// against the plain full-resolution reference (reference.hpp).
#include "reference.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <new>
#include <sstream>
#include <stdexcept>
#include <thread>

using test::ManyClassModel;
using test::same;
using namespace test::reference;

namespace {

struct ModelFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

TEST_CASE("maps are bitwise identical across thread counts, batch sizes, layouts and classifier forms", "[driver][determinism]") {
  const auto img = test::test_image(29, 31);
  mcrise::McRiseOptions o;
  o.n_masks = 300;
  o.classes = {0, 1};
  o.grid_h = o.grid_w = 6;
  test::CountingBatchModel batch_model;
  auto single_model = [&](const mcrise::Image& im) {  // the same scores as batch_model, through the same code
    mcrise::ImageBatch one(1, im.height(), im.width(), im.channels());
    mcrise::detail::copy_into_batch(im, one, 0);
    Eigen::VectorXf v = batch_model(one).row(0).transpose();
    return v;
  };
  o.threads = 1;
  o.batch_size = 64;
  const auto ref = mcrise::mc_rise(batch_model, img, o);
  mcrise::RiseOptions ro;
  ro.n_masks = 300;
  ro.classes = {1};
  ro.threads = 1;
  const auto rref = mcrise::debiased_rise(batch_model, img, ro);
  for (int threads : {1, 2, 8})
    for (int batch : {1, 7, 64})
      for (auto layout : {mcrise::Layout::HWC, mcrise::Layout::CHW}) {
        INFO("threads " << threads << " batch " << batch << " layout " << int(layout));
        o.threads = ro.threads = threads;
        o.batch_size = ro.batch_size = batch;
        o.layout = ro.layout = layout;
        o.overlap = ro.overlap = batch == 7;  // the double-buffered pipeline gives the same maps
        const auto a = mcrise::mc_rise(batch_model, img, o);
        CHECK(same(a.map(0), ref.map(0)));
        CHECK(same(a.map(1), ref.map(1)));
        CHECK(a.baseline(1) == ref.baseline(1));
        CHECK(mcrise::debiased_rise(batch_model, img, ro).map(1) == rref.map(1));
        if (batch == 7) {
          const auto s = mcrise::mc_rise(single_model, img, o);
          CHECK(same(s.map(1), ref.map(1)));
        }
      }
}

TEST_CASE("default target class is the prediction, and the unperturbed scores are reported", "[driver]") {
  const auto img = test::test_image(16, 16);
  auto model = [](const mcrise::Image& im) { return test::toy_scores(im); };
  const auto expected = test::toy_scores(img);
  Eigen::Index best = 0;
  expected.maxCoeff(&best);
  mcrise::RiseOptions o;
  o.n_masks = 10;
  const auto r = mcrise::rise(model, img, o);
  REQUIRE(r.classes == std::vector<int>{static_cast<int>(best)});
  CHECK((r.scores - expected).cwiseAbs().maxCoeff() < 1e-12);
  CHECK(r.complete);
  CHECK(r.masks_used == 10);
  CHECK_THROWS_WITH(r.map(5), Catch::Contains("class 5"));
  // Each accessor names itself.
  mcrise::McRiseOptions mo;
  mo.n_masks = 10;
  const auto m = mcrise::mc_rise(model, img, mo);
  CHECK_THROWS_WITH(m.map(5), Catch::Contains("McRiseResult::map(): class 5 was not a target class"));
  CHECK_THROWS_WITH(m.baseline(5), Catch::Contains("McRiseResult::baseline(): class 5"));
  CHECK_THROWS_WITH(m.raw_maps(5), Catch::Contains("McRiseResult::raw_maps(): class 5"));
}

TEST_CASE("a user-driven loop with the public parts equals mc_rise, and accumulators merge", "[driver][accumulator]") {
  const auto img = test::test_image(20, 24);
  auto model = [](const mcrise::Image& im) { return test::toy_scores(im); };
  mcrise::McRiseOptions o;
  o.sampler = mcrise::Sampler::independent;  // the public MaskGenerator below defaults to independent
  o.n_masks = 400;
  o.classes = {0};
  o.seed = 99;
  const auto lib = mcrise::mc_rise(model, img, o);

  mcrise::MaskOptions mo;
  mo.seed = 99;
  const mcrise::ColorMaskGenerator gen(20, 24, 5, mo);
  const mcrise::Perturber perturb(img, gen, mcrise::paper_colors());
  mcrise::McRiseAccumulator all(gen, {0}), first(gen, {0}), second(gen, {0});
  for (std::uint64_t n = 0; n < 400; ++n) {
    const auto s = gen.sample(n);
    const Eigen::VectorXd scores = model(perturb(s));
    all.add(s, scores);
    (n < 150 ? first : second).add(s, scores);  // e.g. two processes, disjoint sample ranges
  }
  CHECK(same(all.maps(0), lib.map(0)));
  CHECK(all.baseline(0) == lib.baseline(0));
  first.merge(second);
  CHECK(first.count() == 400);
  const auto merged = first.maps(0), full = all.maps(0);
  for (std::size_t k = 0; k < 5; ++k) CHECK((merged[k] - full[k]).cwiseAbs().maxCoeff() < 1e-12);

  mcrise::McRiseAccumulator other(gen, {1});
  CHECK_THROWS_WITH(first.merge(other), Catch::Contains("merge") && Catch::Contains("classes"));
  const mcrise::BinaryMaskGenerator bgen(20, 24, mo);
  mcrise::RiseAccumulator ra(bgen, {0}), rb(bgen, {0});
  CHECK_THROWS_WITH(ra.rise(0), Catch::Contains("no samples"));
  CHECK_THROWS_WITH(mcrise::RiseAccumulator(gen, {0}), Catch::Contains("binary"));
}

TEST_CASE("a callback sees every batch and can stop the run; the partial map equals a shorter full run", "[driver][callbacks]") {
  const auto img = test::test_image(16, 16);
  auto model = [](const mcrise::Image& im) { return test::toy_scores(im); };
  mcrise::McRiseOptions o;
  o.n_masks = 1000;
  o.batch_size = 64;
  o.classes = {0};
  std::vector<std::int64_t> seen;
  auto stop_at_300 = [&](const mcrise::Progress& p) {
    seen.push_back(p.done);
    return p.done >= 300;
  };
  std::ostringstream bar_out;
  mcrise::ProgressBar bar(bar_out);
  const auto partial = mcrise::mc_rise(model, img, o, stop_at_300, bar);
  CHECK(seen == std::vector<std::int64_t>{64, 128, 192, 256, 320});
  CHECK(partial.masks_used == 320);
  CHECK_FALSE(partial.complete);
  CHECK_THAT(bar_out.str(), Catch::Contains("mc_rise") && Catch::Contains("320/1000"));
  o.n_masks = 320;
  const auto shorter = mcrise::mc_rise(model, img, o);
  CHECK(shorter.complete);
  CHECK(same(partial.map(0), shorter.map(0)));
}

TEST_CASE("options out of range throw std::invalid_argument before any model call", "[driver][errors]") {
  const auto img = test::test_image(16, 16);
  test::CountingBatchModel model;
  auto bad = [&](auto mutate, const char* needle) {
    mcrise::McRiseOptions o;
    mutate(o);
    mcrise::RiseOptions ro;
    ro.n_masks = o.n_masks;
    ro.mask_probability = o.mask_probability;
    ro.grid_h = o.grid_h;
    ro.grid_w = o.grid_w;
    ro.batch_size = o.batch_size;
    ro.classes = o.classes;
    INFO(needle);
    CHECK_THROWS_AS(mcrise::mc_rise(model, img, o), std::invalid_argument);
    CHECK_THROWS_WITH(mcrise::mc_rise(model, img, o), Catch::Contains("mcrise::mc_rise()") && Catch::Contains(needle));
    if (std::string(needle).find("colour") == std::string::npos && std::string(needle).find("value_max") == std::string::npos)
      CHECK_THROWS_WITH(mcrise::rise(model, img, ro), Catch::Contains("mcrise::rise()") && Catch::Contains(needle));
  };
  bad([](auto& o) { o.mask_probability = 1.2; }, "mask_probability must be in [1e-06, 0.999999], got 1.2");
  bad([](auto& o) { o.mask_probability = 0.0; }, "mask_probability");
  bad([](auto& o) { o.n_masks = 0; }, "n_masks must be >= 1, got 0");
  bad([](auto& o) { o.grid_h = 0; }, "grid_h must be in [1, 16] (the image height), got 0");
  bad([](auto& o) { o.grid_w = 17; }, "grid_w must be in [1, 16] (the image width), got 17");
  bad([](auto& o) { o.batch_size = 0; }, "batch_size must be >= 1, got 0");
  bad([](auto& o) { o.classes = {-1}; }, "class index must be >= 0, got -1");
  bad([](auto& o) { o.colors = {{1, 0}}; }, "colour 0 has 2 channels but the image has 3");
  bad([](auto& o) { o.value_max = 0; }, "value_max");
  CHECK(model.calls == 0);
  CHECK_THROWS_WITH(mcrise::mc_rise(model, mcrise::Image(), {}), Catch::Contains("empty"));
  mcrise::Image nan_img = img;
  nan_img(3, 4, 1) = std::nanf("");
  CHECK_THROWS_WITH(mcrise::mc_rise(model, nan_img, {}), Catch::Contains("non-finite"));
  CHECK(model.calls == 0);
  mcrise::McRiseOptions o;
  o.classes = {0, 7};
  CHECK_THROWS_WITH(mcrise::mc_rise(model, img, o), Catch::Contains("class 7 is out of range") && Catch::Contains("2 scores"));
  CHECK(model.calls == 1);  // only the unperturbed image was classified
}

TEST_CASE("bad model answers name the sample; model exceptions pass through untouched and the model can be reused",
          "[driver][errors]") {
  const auto img = test::test_image(12, 12);
  mcrise::McRiseOptions o;
  o.n_masks = 1000;
  o.batch_size = 10;
  o.classes = {0};
  o.threads = 4;
  int calls = 0;
  auto flaky = [&](const mcrise::ImageBatch& b) {
    ++calls;
    Eigen::MatrixXf s = Eigen::MatrixXf::Constant(b.size(), 3, 0.5f);
    if (calls == 51) s(3, 1) = std::numeric_limits<float>::infinity();  // sample 49*10 + 3 = 493
    return s;
  };
  CHECK_THROWS_WITH(mcrise::mc_rise(flaky, img, o), Catch::Contains("non-finite") && Catch::Contains("sample 493"));
  calls = 0;
  auto shrinking = [&](const mcrise::ImageBatch& b) {
    ++calls;
    return Eigen::MatrixXf::Constant(b.size(), calls < 5 ? 3 : 2, 0.5f);
  };
  CHECK_THROWS_WITH(mcrise::mc_rise(shrinking, img, o), Catch::Contains("2 scores for sample 30") && Catch::Contains("3 before"));
  auto wrong_rows = [](const mcrise::ImageBatch&) { return Eigen::MatrixXf::Constant(1, 3, 0.5f); };
  o.batch_size = 10;
  CHECK_THROWS_WITH(mcrise::mc_rise(wrong_rows, img, o), Catch::Contains("returned 1 rows for a batch of 10"));

  for (int fail_at : {1, 500}) {
    calls = 0;
    bool armed = true;
    auto thrower = [&](const mcrise::Image&) {
      if (armed && ++calls == fail_at) throw ModelFailure("model broke at call " + std::to_string(fail_at));
      return std::vector<float>{0.2f, 0.8f};
    };
    CHECK_THROWS_AS(mcrise::mc_rise(thrower, img, o), ModelFailure);
    calls = 0;
    CHECK_THROWS_WITH(mcrise::mc_rise(thrower, img, o), "model broke at call " + std::to_string(fail_at));
    armed = false;
    const auto ok = mcrise::mc_rise(thrower, img, o);  // the same model object works again
    CHECK(ok.complete);
  }
}

TEST_CASE("all_classes gives every class the map a one-class run gives it, bitwise", "[driver][classes]") {
  const auto img = test::test_image(21, 26);
  ManyClassModel model;
  mcrise::McRiseOptions o;
  o.n_masks = 260;
  o.all_classes = true;
  const auto all = mcrise::mc_rise(model, img, o);
  REQUIRE(all.classes.size() == 40);
  CHECK(all.se_groups == 0);
  CHECK(all.standard_errors.empty());
  CHECK_THROWS_AS(all.standard_error(3), std::logic_error);
  mcrise::RiseOptions r;
  r.n_masks = 260;
  r.all_classes = true;
  r.threads = 3;
  const auto rall = mcrise::rise(model, img, r), dall = mcrise::debiased_rise(model, img, r);
  REQUIRE(rall.maps.size() == 40);
  for (int c : {0, 1, 17, 39}) {
    mcrise::McRiseOptions one = o;
    one.all_classes = false;
    one.classes = {c};
    one.se_groups = 0;
    const auto single = mcrise::mc_rise(model, img, one);
    CHECK(same(all.map(c), single.map(c)));
    CHECK(all.baseline(c) == single.baseline(c));
    CHECK(same(all.raw_maps(c), single.raw_maps(c)));
    mcrise::RiseOptions rone = r;
    rone.all_classes = false;
    rone.classes = {c};
    CHECK(rall.map(c) == mcrise::rise(model, img, rone).map(c));
    CHECK(dall.map(c) == mcrise::debiased_rise(model, img, rone).map(c));
  }
  // The raw maps are the maps plus the baseline (eq. 9 read backwards), up to rounding.
  const double scale = all.baseline(5).cwiseAbs().maxCoeff();
  for (std::size_t k = 0; k < all.colors().size(); ++k)
    CHECK((all.raw_maps(5)[k] - all.map(5)[k] - all.baseline(5)).cwiseAbs().maxCoeff() <= 1e-12 * scale);
}

TEST_CASE("many classes: kept samples, and scores gathered over several batches, give the same bits",
          "[driver][classes]") {
  // 300 classes of a 48 x 48 image. all_classes (no standard errors, N known): the accumulator keeps
  // the samples, which take less memory than the sums. An explicit list of all classes with
  // standard errors: the sums are too large for a cache, so the driver gathers several batches
  // before adding (add_window) and the accumulator adds them shift by shift. Either way every
  // class's map must be bitwise the one-class map (whose accumulator keeps sums), for RISE and
  // MC-RISE, with and without overlap, and when stopped early.
  const auto img = test::test_image(48, 48);
  ManyClassModel model;
  model.classes = 300;
  std::vector<int> all(300);
  for (int c = 0; c < 300; ++c) all[static_cast<std::size_t>(c)] = c;
  const mcrise::MaskGenerator gen(48, 48, 1, mcrise::MaskOptions{}), cgen(48, 48, 5, mcrise::MaskOptions{});
  for (bool keep : {true, false}) {
    INFO("kept samples " << keep);
    mcrise::RiseOptions r;
    r.n_masks = 600;
    r.threads = 2;
    mcrise::McRiseOptions o;
    o.n_masks = 600;
    o.threads = 2;
    if (keep) {
      r.all_classes = o.all_classes = true;
      // The accumulators the drivers build keep the samples: 600 x (300 x 8 + 68) bytes, not 300 x 36 x 64 x 8.
      REQUIRE(mcrise::RiseAccumulator(gen, all, 0, 2, r.n_masks).keeps_samples());
      REQUIRE(mcrise::McRiseAccumulator(cgen, all, 0, 2, o.n_masks).keeps_samples());
    } else {
      r.classes = o.classes = all;
      r.se_groups = o.se_groups = 8;  // sums and group sums over 16 MiB: gathered adds
      const mcrise::RiseAccumulator acc(gen, all, 8);
      REQUIRE(!acc.keeps_samples());
      const auto window =
          mcrise::detail::add_window(acc.memory_bytes(), acc.shifts(), 300, 300, r.batch_size, r.n_masks);
      REQUIRE(window > r.batch_size);  // the gathered path is the one under test
      REQUIRE(window < r.n_masks);     // and it is flushed mid-run
      CHECK(mcrise::detail::add_window(acc.memory_bytes() / 64, acc.shifts(), 300, 300, r.batch_size, r.n_masks) == 0);
      // Few target classes of a many-class model: each add is short; gathering would only cost memory.
      CHECK(mcrise::detail::add_window(acc.memory_bytes(), acc.shifts(), 1, 300, r.batch_size, r.n_masks) == 0);
    }
    for (bool overlap : {false, true}) {
      INFO("overlap " << overlap);
      r.overlap = overlap;
      o.overlap = overlap;
      const auto dall = mcrise::debiased_rise(model, img, r);
      const auto mall = mcrise::mc_rise(model, img, o);
      for (int c : {0, 1, 150, 299}) {
        mcrise::RiseOptions rone = r;
        rone.all_classes = false;
        rone.classes = {c};
        rone.se_groups = 2;  // sums, not kept samples
        CHECK(dall.map(c) == mcrise::debiased_rise(model, img, rone).map(c));
        mcrise::McRiseOptions one = o;
        one.all_classes = false;
        one.classes = {c};
        one.se_groups = 2;
        CHECK(same(mall.map(c), mcrise::mc_rise(model, img, one).map(c)));
      }
    }
    // Stopped by a callback after the batch that reaches 300: the gathered samples are added first.
    auto stop = [](const mcrise::Progress& p) { return p.done >= 300; };
    r.overlap = false;
    const auto stopped = mcrise::debiased_rise(model, img, r, stop);
    CHECK(stopped.masks_used == 320);
    mcrise::RiseOptions shorter = r;
    shorter.all_classes = false;
    shorter.classes = {7};
    shorter.se_groups = 2;
    shorter.n_masks = 320;
    CHECK(stopped.map(7) == mcrise::debiased_rise(model, img, shorter).map(7));
  }
}

TEST_CASE("maps_on_demand gives the maps of the eager run, bitwise, from any thread", "[driver][classes][on_demand]") {
  // A model with 300 classes. All of them on a 48 x 48 image: the accumulators keep the samples;
  // an explicit, scattered list of 11 classes (a partial lane block, not contiguous): on 48 x 48
  // RISE keeps sums and MC-RISE samples, on 16 x 18 with more masks both keep sums (checked below).
  // Maps asked for one class at a time, in any order, must be bitwise those the run computes at its end.
  ManyClassModel model;
  model.classes = 300;
  const std::vector<int> scattered{299, 3, 150, 8, 9, 10, 0, 77, 200, 42, 1};
  std::vector<int> every(300);
  for (int c = 0; c < 300; ++c) every[static_cast<std::size_t>(c)] = c;
  struct Case {
    bool all;
    int H, W, n;
    bool rise_keeps, mc_keeps;
  };
  for (const Case& cs : {Case{true, 48, 48, 600, true, true}, Case{false, 48, 48, 600, false, true},
                         Case{false, 16, 18, 1200, false, false}}) {
    INFO("all_classes " << cs.all << ", " << cs.H << " x " << cs.W << ", N = " << cs.n);
    const auto img = test::test_image(cs.H, cs.W);
    const std::vector<int>& targets = cs.all ? every : scattered;
    const mcrise::MaskGenerator gen(cs.H, cs.W, 1, mcrise::MaskOptions{}), cgen(cs.H, cs.W, 5, mcrise::MaskOptions{});
    REQUIRE(mcrise::RiseAccumulator(gen, targets, 0, 1, cs.n).keeps_samples() == cs.rise_keeps);
    REQUIRE(mcrise::McRiseAccumulator(cgen, targets, 0, 1, cs.n).keeps_samples() == cs.mc_keeps);
    mcrise::RiseOptions r;
    r.n_masks = cs.n;
    r.threads = 2;
    r.se_groups = 0;
    mcrise::McRiseOptions o;
    o.n_masks = cs.n;
    o.threads = 2;
    o.se_groups = 0;
    if (cs.all) {
      r.all_classes = o.all_classes = true;
      r.se_groups = o.se_groups = 16;  // ignored by all_classes, also with maps_on_demand
    } else {
      r.classes = o.classes = scattered;
    }
    const auto reager = mcrise::rise(model, img, r), deager = mcrise::debiased_rise(model, img, r);
    const auto meager = mcrise::mc_rise(model, img, o);
    r.maps_on_demand = o.maps_on_demand = true;
    const auto rlazy = mcrise::rise(model, img, r), dlazy = mcrise::debiased_rise(model, img, r);
    const auto mlazy = mcrise::mc_rise(model, img, o);
    CHECK(!reager.on_demand());
    CHECK(!meager.on_demand());
    CHECK(rlazy.on_demand());
    CHECK(dlazy.on_demand());
    CHECK(mlazy.on_demand());
    CHECK(rlazy.maps.empty());
    CHECK(mlazy.color_maps.empty());
    CHECK(mlazy.baselines.empty());
    CHECK(rlazy.classes == reager.classes);
    CHECK(rlazy.masks_used == cs.n);
    CHECK(rlazy.complete);
    CHECK(std::isnan(rlazy.relative_standard_error));
    CHECK_THROWS_AS(rlazy.standard_error(rlazy.classes[0]), std::logic_error);
    CHECK_THROWS_AS(rlazy.map(300), std::invalid_argument);
    CHECK_THROWS_AS(mlazy.baseline(-1), std::invalid_argument);
    // Several threads ask for every class at once, each in its own order (run under TSan in CI).
    const std::vector<int>& cls = rlazy.classes;
    std::vector<std::thread> threads;
    std::vector<int> wrong(4, 0);
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (std::size_t i = 0; i < cls.size(); ++i) {
          const int c = cls[(i * 7 + static_cast<std::size_t>(t) * 13) % cls.size()];
          if (!(rlazy.map(c) == reager.map(c))) ++wrong[static_cast<std::size_t>(t)];
          if (!(dlazy.map(c) == deager.map(c))) ++wrong[static_cast<std::size_t>(t)];
          if (t < 2 && !same(mlazy.map(c), meager.map(c))) ++wrong[static_cast<std::size_t>(t)];
          if (t < 2 && !(mlazy.baseline(c) == meager.baseline(c))) ++wrong[static_cast<std::size_t>(t)];
        }
      });
    for (auto& th : threads) th.join();
    CHECK(wrong == std::vector<int>(4, 0));
    for (int c : {cls.front(), cls.back()}) CHECK(same(mlazy.raw_maps(c), meager.raw_maps(c)));
    // A copy shares the maps already computed (the same objects), and computes the rest the same way.
    auto copy = dlazy;
    CHECK(&copy.map(cls[0]) == &dlazy.map(cls[0]));
    const mcrise::SaliencyResult moved(std::move(copy));
    CHECK(moved.map(cls[1]) == deager.map(cls[1]));
    // Changing the public class list cannot make map() return another class's map: a class the run
    // did not compute is refused, whatever the list says.
    auto edited = rlazy;
    edited.classes.erase(edited.classes.begin());
    CHECK_THROWS_AS(edited.map(cls[0]), std::invalid_argument);
    CHECK(edited.map(cls[1]) == reager.map(cls[1]));
    edited.classes.push_back(cs.all ? 300 : 298);
    CHECK_THROWS_AS(edited.map(edited.classes.back()), std::invalid_argument);
    auto medited = mlazy;
    medited.classes.push_back(cs.all ? 300 : 298);
    CHECK_THROWS_AS(medited.map(medited.classes.back()), std::invalid_argument);
    CHECK_THROWS_AS(medited.raw_maps(medited.classes.back()), std::invalid_argument);
    // Stopped early by a callback, with overlap: the maps of the masks used, as the eager run's.
    auto stop = [](const mcrise::Progress& p) { return p.done >= 100; };
    r.overlap = o.overlap = true;
    const auto rstop = mcrise::debiased_rise(model, img, r, stop);
    const auto mstop = mcrise::mc_rise(model, img, o, stop);
    r.maps_on_demand = o.maps_on_demand = false;
    const auto rstop_eager = mcrise::debiased_rise(model, img, r, stop);
    const auto mstop_eager = mcrise::mc_rise(model, img, o, stop);
    CHECK(rstop.masks_used == 128);
    CHECK(!rstop.complete);
    CHECK(rstop.on_demand());
    CHECK(rstop.map(cls.back()) == rstop_eager.map(cls.back()));
    CHECK(same(mstop.map(cls[2]), mstop_eager.map(cls[2])));
  }
}

TEST_CASE("maps_on_demand refuses standard errors before calling the model", "[driver][classes][on_demand][errors]") {
  const auto img = test::test_image(12, 12);
  test::CountingBatchModel model;
  mcrise::RiseOptions r;
  r.maps_on_demand = true;  // se_groups is 16 by default
  CHECK_THROWS_WITH(mcrise::rise(model, img, r), Catch::Contains("mcrise::rise()") &&
                                                     Catch::Contains("maps_on_demand") &&
                                                     Catch::Contains("se_groups = 0"));
  mcrise::McRiseOptions o;
  o.maps_on_demand = true;
  o.classes = {0};
  o.se_groups = 4;
  CHECK_THROWS_WITH(mcrise::mc_rise(model, img, o), Catch::Contains("got 4"));
  CHECK(model.calls == 0);
}

TEST_CASE("all_classes refuses classes and an adaptive target before calling the model", "[driver][classes][errors]") {
  const auto img = test::test_image(12, 12);
  test::CountingBatchModel model;
  mcrise::McRiseOptions o;
  o.all_classes = true;
  o.classes = {1};
  CHECK_THROWS_WITH(mcrise::mc_rise(model, img, o), Catch::Contains("mcrise::mc_rise()") &&
                                                        Catch::Contains("leave classes empty"));
  mcrise::RiseOptions r;
  r.all_classes = true;
  r.target_relative_se = 0.1;
  CHECK_THROWS_WITH(mcrise::debiased_rise(model, img, r), Catch::Contains("target_relative_se must be 0"));
  CHECK(model.calls == 0);
}

TEST_CASE("a caller's batch buffer, reused across explanations, changes nothing but the memory",
          "[driver][buffer]") {
  test::CountingBatchModel model;
  mcrise::ImageBatch buffer;
  const float* big = nullptr;
  struct Case {
    int H, W;
    mcrise::Layout layout;
    bool overlap;
    int batch;
  };
  for (const Case& cs : {Case{19, 23, mcrise::Layout::HWC, false, 16}, Case{31, 29, mcrise::Layout::CHW, true, 40},
                         Case{12, 14, mcrise::Layout::CHW, false, 9}, Case{19, 23, mcrise::Layout::HWC, true, 5}}) {
    const auto img = test::test_image(cs.H, cs.W);
    INFO(cs.H << " x " << cs.W << (cs.overlap ? ", overlap" : ""));
    mcrise::McRiseOptions o;
    o.n_masks = 120;
    o.classes = {0, 1};
    o.layout = cs.layout;
    o.overlap = cs.overlap;
    o.batch_size = cs.batch;
    const auto fresh = mcrise::mc_rise(model, img, o);
    o.buffer = &buffer;
    const auto reused = mcrise::mc_rise(model, img, o);
    for (int c : {0, 1}) {
      CHECK(same(reused.map(c), fresh.map(c)));
      CHECK(same(reused.standard_error(c), fresh.standard_error(c)));
    }
    CHECK(buffer.height() == cs.H);
    CHECK(buffer.layout() == cs.layout);
    if (cs.H == 31) big = buffer.data();
    if (big != nullptr && cs.H < 31) CHECK(buffer.data() == big);  // smaller runs reuse the memory
    mcrise::RiseOptions r;
    r.n_masks = 90;
    r.classes = {1};
    r.layout = cs.layout;
    r.batch_size = cs.batch;
    const auto rfresh = mcrise::debiased_rise(model, img, r);
    r.buffer = &buffer;
    CHECK(mcrise::debiased_rise(model, img, r).map(1) == rfresh.map(1));
  }
  CHECK(big != nullptr);
}

TEST_CASE("mc_rise equals the plain full-resolution reference for K = 1..6, any threads, batch sizes and layouts",
          "[perf][mc_rise]") {
  const Image img = test::test_image(37, 53);
  const std::int64_t N = 96;
  for (int K = 1; K <= 6; ++K) {
    mcrise::McRiseOptions o;
    o.sampler = mcrise::Sampler::independent;  // the paper's i.i.d. masks, as the enumerated reference
    o.n_masks = N;
    o.grid_h = 6;
    o.grid_w = 7;
    o.mask_probability = 0.3 + 0.05 * K;
    o.seed = static_cast<std::uint64_t>(7 * K);
    o.classes = {0, 1};
    o.colors = test_colors(K, 3);
    MaskOptions mo;
    mo.grid_h = o.grid_h;
    mo.grid_w = o.grid_w;
    mo.mask_probability = o.mask_probability;
    mo.seed = o.seed;
    const RefSums ref = ref_sums(img, K, mo, N, o.classes, o.colors);
    const double p = o.mask_probability;
    // Float rounding of the masks and images, relative to the largest term.
    const double tol = 1e-5 * ref.max_abs_score * (K / p + 1.0 / (1.0 - p));

    LinearModel model;
    o.threads = 1;
    o.batch_size = 64;
    const auto base = mcrise::mc_rise(model, img, o);
    for (std::size_t j = 0; j < o.classes.size(); ++j) {
      INFO("K " << K << " class " << o.classes[j]);
      const SaliencyMap baseline = ref.plane_sums[j][0] / (static_cast<double>(N) * (1.0 - p));
      CHECK(max_abs_diff(base.baseline(o.classes[j]), baseline) < tol);
      for (int k = 1; k <= K; ++k) {
        const SaliencyMap raw = ref.plane_sums[j][static_cast<std::size_t>(k)] * (K / (static_cast<double>(N) * p));
        CHECK(max_abs_diff(base.raw_maps(o.classes[j])[static_cast<std::size_t>(k - 1)], raw) < tol);
        CHECK(max_abs_diff(base.map(o.classes[j])[static_cast<std::size_t>(k - 1)], raw - baseline) < 2 * tol);
      }
    }
    for (int threads : {2, 3})
      for (int batch : {1, 5, 64})
        for (auto layout : {Layout::HWC, Layout::CHW}) {
          INFO("K " << K << " threads " << threads << " batch " << batch << " layout " << int(layout));
          o.threads = threads;
          o.batch_size = batch;
          o.layout = layout;
          const auto r = mcrise::mc_rise(model, img, o);
          for (int c : o.classes)
            for (int k = 0; k < K; ++k) CHECK(r.map(c)[static_cast<std::size_t>(k)] == base.map(c)[static_cast<std::size_t>(k)]);
        }
  }
}

TEST_CASE("rise and debiased_rise equal the plain reference, any threads, batch sizes and layouts", "[perf][rise]") {
  const Image img = test::test_image(37, 53);
  const std::int64_t N = 120;
  for (auto mode : {Upsampling::bilinear, Upsampling::bilinear_edge, Upsampling::nearest}) {
    mcrise::RiseOptions o;
    o.sampler = mcrise::Sampler::independent;  // the paper's i.i.d. masks, as the enumerated reference
    o.n_masks = N;
    o.grid_h = 5;
    o.grid_w = 9;
    o.mask_probability = 0.35;
    o.upsampling = mode;
    o.classes = {1, 0};
    MaskOptions mo;
    mo.grid_h = o.grid_h;
    mo.grid_w = o.grid_w;
    mo.mask_probability = o.mask_probability;
    mo.seed = o.seed;
    mo.upsampling = mode;
    const RefSums ref = ref_sums(img, 1, mo, N, o.classes, {{0.0f, 0.0f, 0.0f}});
    const double keep = 1.0 - o.mask_probability;
    const double tol = 1e-5 * ref.max_abs_score / (keep * (1.0 - keep));
    LinearModel model;
    o.threads = 1;
    const auto rise = mcrise::rise(model, img, o);
    const auto deb = mcrise::debiased_rise(model, img, o);
    for (std::size_t j = 0; j < o.classes.size(); ++j) {
      const SaliencyMap r = ref.plane_sums[j][0] / (static_cast<double>(N) * keep);
      const SaliencyMap d =
          ((ref.plane_sums[j][0].array() - keep * ref.totals[j]) / (static_cast<double>(N) * keep * (1.0 - keep)))
              .matrix();
      CHECK(max_abs_diff(rise.map(o.classes[j]), r) < tol);
      CHECK(max_abs_diff(deb.map(o.classes[j]), d) < tol);
    }
    for (int threads : {2, 4})
      for (int batch : {1, 3, 50})
        for (auto layout : {Layout::HWC, Layout::CHW}) {
          INFO("threads " << threads << " batch " << batch << " layout " << int(layout));
          o.threads = threads;
          o.batch_size = batch;
          o.layout = layout;
          const auto r2 = mcrise::debiased_rise(model, img, o);
          for (int c : o.classes) CHECK(r2.map(c) == deb.map(c));
        }
  }
}

TEST_CASE("the double-buffered driver gives the same sums as the plain loop, also when stopped, with a window of "
          "gathered batches, or when the model throws",
          "[perf][driver]") {
  const Image img = test::test_image(37, 53);
  const int K = 4;
  MaskOptions mo;
  mo.grid_h = 6;
  mo.grid_w = 5;
  const MaskGenerator gen(37, 53, K, mo);
  const auto colors = test_colors(K, 3);
  const mcrise::Perturber perturb(img, gen, colors);
  LinearModel model;
  auto run_with = [&](bool overlap, int threads, int batch, std::int64_t n, std::int64_t stop_at,
                      std::int64_t window = 0) {
    mcrise::detail::ClassifierRunner<LinearModel> run(model, "test");
    mcrise::McRiseAccumulator acc(gen, {0, 1});
    auto stop = [stop_at](const mcrise::Progress& p) { return p.done >= stop_at; };
    const auto used = mcrise::detail::run_masks_pipelined(run, gen, perturb, acc, n, batch, threads, Layout::HWC, 3,
                                                          overlap, nullptr, window, 0, "test", stop);
    REQUIRE(acc.count() == used);  // a window is always added before the run returns
    return std::make_pair(used, acc.maps(1));
  };
  const auto plain = run_with(false, 1, 64, 200, 1 << 30);
  REQUIRE(plain.first == 200);
  // Windows: none, several batches (flushed mid-run and at the end), more than the run.
  for (std::int64_t window : {0, 50, 1000})
    for (int threads : {1, 2, 3})
      for (int batch : {1, 7, 64, 500}) {
        INFO("threads " << threads << " batch " << batch << " window " << window);
        for (bool overlap : {true, false}) {
          const auto over = run_with(overlap, threads, batch, 200, 1 << 30, window);
          CHECK(over.first == 200);
          for (int k = 0; k < K; ++k)
            CHECK(over.second[static_cast<std::size_t>(k)] == plain.second[static_cast<std::size_t>(k)]);
        }
        // Stopped after the first batch at or past 30 masks: the prefix, as a shorter plain run.
        const auto stopped = run_with(true, threads, batch, 200, 30, window);
        const std::int64_t expect = std::min<std::int64_t>(200, (30 + batch - 1) / batch * batch);
        CHECK(stopped.first == expect);
        const auto shorter = run_with(false, 1, 64, expect, 1 << 30);
        for (int k = 0; k < K; ++k)
          CHECK(stopped.second[static_cast<std::size_t>(k)] == shorter.second[static_cast<std::size_t>(k)]);
      }

  // Images large enough to be cut into row bands when the batch is smaller than
  // the thread count (BatchPlan: at least 2^16 floats per band): same bits.
  {
    const Image big = test::test_image(301, 299);
    MaskOptions bo;
    bo.grid_h = 7;
    bo.grid_w = 6;
    const MaskGenerator bgen(301, 299, 3, bo);
    const mcrise::Perturber bpert(big, bgen, test_colors(3, 3));
    REQUIRE(mcrise::detail::BatchPlan(1, 3, 301, big.size()).bands == 3);
    REQUIRE(mcrise::detail::BatchPlan(1, 8, 301, big.size()).bands == 4);  // 270,000 floats: 4 bands of 2^16 at most
    REQUIRE(mcrise::detail::BatchPlan(2, 4, 301, big.size()).bands == 2);
    REQUIRE(mcrise::detail::BatchPlan(1, 2, 37, 37 * 53 * 3).bands == 1);
    auto big_run = [&](bool overlap, int threads, int batch, Layout layout) {
      mcrise::detail::ClassifierRunner<LinearModel> run(model, "test");
      mcrise::McRiseAccumulator acc(bgen, {0});
      mcrise::detail::run_masks_pipelined(run, bgen, bpert, acc, 9, batch, threads, layout, 3, overlap, nullptr, 0,
                                          0, "test");
      return acc.maps(0);
    };
    const auto one = big_run(false, 1, 4, Layout::HWC);
    for (auto layout : {Layout::HWC, Layout::CHW})
      for (bool overlap : {false, true})
        for (int threads : {2, 3, 4})
          for (int batch : {1, 2}) {
            INFO("banded: threads " << threads << " batch " << batch << " overlap " << overlap);
            const auto r = big_run(overlap, threads, batch, layout);
            for (int k = 0; k < 3; ++k) CHECK(r[static_cast<std::size_t>(k)] == one[static_cast<std::size_t>(k)]);
          }
  }

  // A model that throws on its third call: the exception passes through untouched,
  // with a batch being perturbed in the background, and nothing is left running.
  struct Thrower {
    int calls = 0;
    Eigen::MatrixXd operator()(const mcrise::ImageBatch& b) {
      if (++calls == 3) throw std::domain_error("third call");
      return Eigen::MatrixXd::Ones(b.size(), 2);
    }
  } thrower;
  for (int threads : {1, 2, 3}) {
    thrower.calls = 0;
    mcrise::detail::ClassifierRunner<Thrower> run(thrower, "test");
    mcrise::McRiseAccumulator acc(gen, {0});
    CHECK_THROWS_AS(mcrise::detail::run_masks_pipelined(run, gen, perturb, acc, 1000, 8, threads, Layout::CHW, 3, true,
                                                        nullptr, 0, 0, "test"),
                    std::domain_error);
    CHECK(acc.count() == 16);
  }
}
