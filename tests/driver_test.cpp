// The drivers rise / debiased_rise / mc_rise: determinism, merging, early stop,
// progress, the two classifier forms, and every error path of the core.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <new>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace {


bool same(const std::vector<mcrise::SaliencyMap>& a, const std::vector<mcrise::SaliencyMap>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k)
    if (a[k] != b[k]) return false;
  return true;
}

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

TEST_CASE("an accumulator refuses a bad sample or score without changing", "[accumulator][errors]") {
  mcrise::MaskOptions mo;
  const mcrise::ColorMaskGenerator gen(16, 16, 2, mo);
  mcrise::McRiseAccumulator acc(gen, {0, 5}, 4), ref(gen, {0, 5}, 4);
  const auto s = gen.sample(0);
  Eigen::VectorXd short_scores = Eigen::VectorXd::Constant(3, 0.5);  // class 5 is out of range
  CHECK_THROWS_WITH(acc.add(s, short_scores), Catch::Contains("mcrise::McRiseAccumulator::add()") &&
                                                  Catch::Contains("class 5 is out of range"));
  Eigen::VectorXd scores = Eigen::VectorXd::Constant(6, 0.5);
  scores(5) = std::nan("");
  CHECK_THROWS_WITH(acc.add(s, scores), Catch::Contains("not finite"));
  mcrise::MaskSample bad = s;
  bad.dy = 1000;
  scores(5) = 0.25;
  CHECK_THROWS_WITH(acc.add(bad, scores), Catch::Contains("does not fit"));
  CHECK(acc.count() == 0);
  for (std::uint64_t n = 0; n < 20; ++n) {
    const auto t = gen.sample(n);
    acc.add(t, scores);
    ref.add(t, scores);
  }
  CHECK(same(acc.maps(5), ref.maps(5)));
  CHECK(same(acc.standard_errors(0), ref.standard_errors(0)));
}

namespace {

// A model with many classes: class c's score mixes the two toy scores and the mean of
// one channel over one region, so every class has a different map.
struct ManyClassModel {
  int classes = 40;
  Eigen::MatrixXd operator()(const mcrise::ImageBatch& b) const {
    Eigen::MatrixXd out(b.size(), classes);
    for (int i = 0; i < b.size(); ++i) {
      const mcrise::Image im = b.image(i);
      const Eigen::VectorXd t = test::toy_scores(im);
      for (int c = 0; c < classes; ++c) {
        const int y0 = (c * 7) % im.height(), x0 = (c * 11) % im.width(), ch = c % im.channels();
        double region = 0;
        for (int y = y0; y < std::min(im.height(), y0 + 5); ++y)
          for (int x = x0; x < std::min(im.width(), x0 + 5); ++x) region += im(y, x, ch);
        out(i, c) = std::sin(0.3 * c) * t(0) + std::cos(0.2 * c) * t(1) + 0.05 * region;
      }
    }
    return out;
  }
};

}  // namespace

TEST_CASE("a batch add, on any pool, is bitwise the same as adding the samples one by one", "[accumulator][classes]") {
  mcrise::MaskOptions mo;
  mo.seed = 5;
  const mcrise::ColorMaskGenerator gen(18, 22, 3, mo);
  const mcrise::BinaryMaskGenerator bgen(18, 22, mo);
  const int L = 600, B = 50;
  mcrise::RowMatrixXd scores(B, L);
  for (int i = 0; i < B; ++i)
    for (int c = 0; c < L; ++c) scores(i, c) = std::sin(0.37 * i + 0.11 * c) + 0.01 * c;
  std::vector<mcrise::MaskSample> samples, bsamples;
  for (int i = 0; i < B; ++i) {
    samples.push_back(gen.sample(static_cast<std::uint64_t>(i)));
    bsamples.push_back(bgen.sample(static_cast<std::uint64_t>(i)));
  }
  std::vector<int> contiguous(L), scattered;
  for (int c = 0; c < L; ++c) contiguous[static_cast<std::size_t>(c)] = c;
  for (int c = L - 1; c >= 0; c -= 3) scattered.push_back(c);  // not contiguous, descending
  mcrise::detail::ThreadPool pool(3);
  for (const auto& classes : {contiguous, scattered}) {
    mcrise::McRiseAccumulator one(gen, classes, 4), batch(gen, classes, 4);
    mcrise::RiseAccumulator rone(bgen, classes, 4), rbatch(bgen, classes, 4);
    for (int i = 0; i < B; ++i) {
      one.add(samples[static_cast<std::size_t>(i)], scores.row(i).transpose());
      rone.add(bsamples[static_cast<std::size_t>(i)], scores.row(i).transpose());
    }
    batch.add(samples, B, scores, &pool);  // 600 (200) classes x 50 samples: split over the pool
    rbatch.add(bsamples, B, scores, &pool);
    REQUIRE(batch.count() == B);
    for (int c : {classes.front(), classes[classes.size() / 2], classes.back()}) {
      CHECK(same(batch.maps(c), one.maps(c)));
      CHECK(same(batch.standard_errors(c), one.standard_errors(c)));
      CHECK(rbatch.debiased(c) == rone.debiased(c));
      CHECK(rbatch.rise_standard_error(c) == rone.rise_standard_error(c));
      CHECK(rbatch.debiased_standard_error(c) == rone.debiased_standard_error(c));  // reads the group totals
    }
  }
  mcrise::McRiseAccumulator acc(gen, {0, 5});
  CHECK_THROWS_WITH(acc.add(samples, B + 1, scores), Catch::Contains("51 samples"));
  mcrise::RowMatrixXd narrow = scores.leftCols(3);  // class 5 is out of range in every row
  CHECK_THROWS_WITH(acc.add(samples, B, narrow), Catch::Contains("class 5 is out of range"));
  CHECK(acc.count() == 0);
}

TEST_CASE("the bulk maps equal the per-class maps, bitwise, on any number of threads", "[accumulator][classes]") {
  mcrise::MaskOptions mo;
  const mcrise::ColorMaskGenerator gen(17, 19, 4, mo);
  const mcrise::BinaryMaskGenerator bgen(17, 19, mo);
  std::vector<int> classes;
  for (int c = 0; c < 21; ++c) classes.push_back(c);  // 21: three blocks of 8, the last partial
  mcrise::McRiseAccumulator mc(gen, classes);
  mcrise::RiseAccumulator rs(bgen, classes);
  Eigen::VectorXd scores(21);
  for (std::uint64_t n = 0; n < 200; ++n) {
    for (int c = 0; c < 21; ++c) scores(c) = std::cos(0.1 * static_cast<double>(n) * (c + 1));
    mc.add(gen.sample(n), scores);
    rs.add(bgen.sample(n), scores);
  }
  for (int threads : {1, 2, 5}) {
    mc.set_threads(threads);
    rs.set_threads(threads);
    std::vector<mcrise::SaliencyMap> baselines;
    const auto maps = mc.all_maps(&baselines);
    const auto rise = rs.rise_maps(), deb = rs.debiased_maps();
    REQUIRE(maps.size() == 21);
    REQUIRE(baselines.size() == 21);
    for (int c = 0; c < 21; ++c) {
      const auto j = static_cast<std::size_t>(c);
      CHECK(same(maps[j], mc.maps(c)));
      CHECK(baselines[j] == mc.baseline(c));
      CHECK(rise[j] == rs.rise(c));
      CHECK(deb[j] == rs.debiased(c));
    }
  }
}

TEST_CASE("kept samples give the maps of the sums, bitwise, also past the expected count and in merges",
          "[accumulator][classes]") {
  mcrise::MaskOptions mo;
  mo.seed = 9;
  const mcrise::ColorMaskGenerator gen(19, 23, 3, mo);
  const mcrise::BinaryMaskGenerator bgen(19, 23, mo);
  const int L = 30, N = 120;
  std::vector<int> contiguous, scattered;
  for (int c = 4; c < 4 + 21; ++c) contiguous.push_back(c);  // 21 slots: two full lane blocks and a partial one
  for (int c = L - 1; c >= 0; c -= 2) scattered.push_back(c);
  auto score = [](int n, int c) { return std::sin(0.29 * n + 0.13 * c) + 0.02 * c; };
  for (const auto& classes : {contiguous, scattered}) {
    // Sums (expected_samples 0), kept samples for all N, and kept samples for N / 2 (the sums are
    // built from them half-way). Added one by one and in batches of 7 from a pool.
    mcrise::McRiseAccumulator sums(gen, classes), kept(gen, classes, 0, 1, N), half(gen, classes, 0, 1, N / 2);
    mcrise::RiseAccumulator rsums(bgen, classes), rkept(bgen, classes, 0, 1, N), rhalf(bgen, classes, 0, 1, N / 2);
    REQUIRE(kept.keeps_samples());
    REQUIRE(rkept.keeps_samples());
    REQUIRE(half.keeps_samples());
    REQUIRE(!sums.keeps_samples());
    CHECK(kept.memory_bytes() < sums.memory_bytes());
    mcrise::detail::ThreadPool pool(2);
    for (int first = 0; first < N; first += 7) {
      const int b = std::min(7, N - first);
      mcrise::RowMatrixXd rows(b, L);
      std::vector<mcrise::MaskSample> s, bs;
      for (int i = 0; i < b; ++i) {
        for (int c = 0; c < L; ++c) rows(i, c) = score(first + i, c);
        s.push_back(gen.sample(static_cast<std::uint64_t>(first + i)));
        bs.push_back(bgen.sample(static_cast<std::uint64_t>(first + i)));
        sums.add(s.back(), rows.row(i).transpose());
        rsums.add(bs.back(), rows.row(i).transpose());
        half.add(s.back(), rows.row(i).transpose());
      }
      kept.add(s, b, rows, &pool);
      rkept.add(bs, b, rows, &pool);
      rhalf.add(bs, b, rows);
    }
    CHECK(kept.keeps_samples());
    CHECK(!half.keeps_samples());  // went past N / 2
    CHECK(!rhalf.keeps_samples());
    for (int threads : {1, 3}) {
      kept.set_threads(threads);
      rkept.set_threads(threads);
      std::vector<mcrise::SaliencyMap> b_sums, b_kept;
      const auto m_sums = sums.all_maps(&b_sums), m_kept = kept.all_maps(&b_kept), m_half = half.all_maps();
      const auto d_sums = rsums.debiased_maps(), d_kept = rkept.debiased_maps(), r_kept = rkept.rise_maps();
      for (std::size_t j = 0; j < classes.size(); ++j) {
        const int c = classes[j];
        CHECK(same(m_kept[j], m_sums[j]));
        CHECK(same(m_half[j], m_sums[j]));
        CHECK(b_kept[j] == b_sums[j]);
        CHECK(d_kept[j] == d_sums[j]);
        CHECK(r_kept[j] == rsums.rise(c));
        CHECK(rhalf.debiased(c) == d_sums[j]);
      }
    }
    // One class at a time, from the kept samples.
    for (int c : {classes.front(), classes[9], classes.back()}) {
      CHECK(same(kept.maps(c), sums.maps(c)));
      CHECK(same(kept.raw_maps(c), sums.raw_maps(c)));
      CHECK(rkept.debiased(c) == rsums.debiased(c));
    }
  }
  // Merges: whichever way each side was built (kept samples or sums), the merged maps are the
  // same bits: kept samples are made into sums first. And they are those of all samples, up to
  // rounding (a merge adds two sums instead of one sample after the other).
  // 16 classes: enough that the samples (16 x 8 + 5 x 81 + 20 bytes each) take less memory than the sums.
  std::vector<int> classes;
  for (int c = 1; c <= 16; ++c) classes.push_back(c);
  auto half_of = [&](int first, bool keep) {
    mcrise::RiseAccumulator acc(bgen, classes, 0, 1, keep ? 60 : 0);
    Eigen::VectorXd row(18);
    for (int n = first; n < first + 60; ++n) {
      for (int k = 0; k < 18; ++k) row(k) = score(n, k);
      acc.add(bgen.sample(static_cast<std::uint64_t>(n)), row);
    }
    REQUIRE(acc.keeps_samples() == keep);
    return acc;
  };
  mcrise::RiseAccumulator ref = half_of(0, false);
  ref.merge(half_of(60, false));
  for (bool keep_a : {false, true})
    for (bool keep_b : {false, true}) {
      INFO("first half kept " << keep_a << ", second half kept " << keep_b);
      mcrise::RiseAccumulator a = half_of(0, keep_a);
      const mcrise::RiseAccumulator b = half_of(60, keep_b), b_before = b;
      a.merge(b);
      CHECK(!a.keeps_samples());
      CHECK(a.count() == N);
      CHECK(a.debiased(2) == ref.debiased(2));
      CHECK(a.rise(3) == ref.rise(3));
      CHECK(b.debiased(2) == b_before.debiased(2));  // the other side is left as it was
    }
  mcrise::RiseAccumulator all(bgen, classes);
  Eigen::VectorXd row(18);
  for (int n = 0; n < N; ++n) {
    for (int k = 0; k < 18; ++k) row(k) = score(n, k);
    all.add(bgen.sample(static_cast<std::uint64_t>(n)), row);
  }
  const double scale = all.debiased(2).cwiseAbs().maxCoeff();
  CHECK((ref.debiased(2) - all.debiased(2)).cwiseAbs().maxCoeff() <= 1e-12 * scale);
  // A copy of an accumulator that keeps samples goes on keeping them (it makes its own room).
  mcrise::RiseAccumulator part(bgen, classes, 0, 1, N);
  for (int n = 0; n < N; ++n) {
    for (int k = 0; k < 18; ++k) row(k) = score(n, k);
    if (n == 60) {
      const mcrise::RiseAccumulator copy = part;
      part = copy;
    }
    part.add(bgen.sample(static_cast<std::uint64_t>(n)), row);
  }
  CHECK(part.keeps_samples());
  CHECK(part.debiased(2) == all.debiased(2));
  CHECK_THROWS_WITH(mcrise::RiseAccumulator(bgen, classes, 0, 1, -1), Catch::Contains("expected_samples must be >= 0"));
  CHECK_THROWS_WITH(mcrise::RiseAccumulator(bgen, classes, 0, -3), Catch::Contains("threads must be in [0, 1024], got -3"));
  CHECK_THROWS_WITH(mcrise::RiseAccumulator(bgen, classes, 0, 1 << 30), Catch::Contains("got 1073741824"));
  // With standard errors the sums are kept: the samples could not give the group sums.
  CHECK(!mcrise::RiseAccumulator(bgen, classes, 4, 1, 60).keeps_samples());
  // When the samples would take more memory than the sums, the sums are kept.
  CHECK(!mcrise::RiseAccumulator(bgen, classes, 0, 1, 1000000).keeps_samples());
}

TEST_CASE("kept samples: copies split over a pool, and the 16 GiB limit past the expected count",
          "[accumulator][classes][errors]") {
  mcrise::MaskOptions mo;
  mo.seed = 4;
  // 700 classes, batches of 50: 35,000 score copies per batch, split over the pool's two threads.
  const mcrise::BinaryMaskGenerator gen(19, 23, mo);
  const int L = 700, B = 50;
  std::vector<int> classes;
  for (int c = 0; c < L; c += 1) classes.push_back(c);
  mcrise::RiseAccumulator kept(gen, classes, 0, 1, 2 * B), sums(gen, classes);
  REQUIRE(kept.keeps_samples());
  mcrise::detail::ThreadPool pool(2);
  for (int first = 0; first < 2 * B; first += B) {
    mcrise::RowMatrixXd rows(B, L);
    std::vector<mcrise::MaskSample> s;
    for (int i = 0; i < B; ++i) {
      for (int c = 0; c < L; ++c) rows(i, c) = std::cos(0.21 * (first + i) + 0.07 * c);
      s.push_back(gen.sample(static_cast<std::uint64_t>(first + i)));
    }
    kept.add(s, B, rows, &pool);
    sums.add(s, B, rows);
  }
  const auto k = kept.debiased_maps(), r = sums.debiased_maps();
  for (int c : {0, 7, 8, 350, 699}) CHECK(k[static_cast<std::size_t>(c)] == r[static_cast<std::size_t>(c)]);

  // 1024 x 1024, 1100 classes: the sums and maps would need about 16.5 GiB (refused), the kept
  // samples 10 x 8.9 KB. Nothing that large is allocated: the 11th sample is refused first.
  const mcrise::BinaryMaskGenerator big(1024, 1024, mcrise::MaskOptions{});
  std::vector<int> many(1100);
  for (int c = 0; c < 1100; ++c) many[static_cast<std::size_t>(c)] = c;
  CHECK_THROWS_WITH(mcrise::RiseAccumulator(big, many), Catch::Contains("limit 16 GiB"));
  mcrise::RiseAccumulator acc(big, many, 0, 1, 10);
  REQUIRE(acc.keeps_samples());
  const Eigen::VectorXd scores = Eigen::VectorXd::Constant(1100, 0.5);
  for (std::uint64_t n = 0; n < 10; ++n) acc.add(big.sample(n), scores);
  CHECK_THROWS_AS(acc.add(big.sample(10), scores), std::length_error);
  CHECK(acc.count() == 10);
  CHECK(acc.keeps_samples());
  mcrise::RiseAccumulator other(big, many, 0, 1, 10);
  CHECK_THROWS_WITH(acc.merge(other), Catch::Contains("limit 16 GiB"));
  CHECK(acc.count() == 10);
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

// A 30-class model on a 30 x 34 image, with binary and 3-colour mask generators: the scores of
// the image under binary mask n, for accumulators fed by hand.
struct ThirtyClasses {
  mcrise::Image img = test::test_image(30, 34);
  ManyClassModel model{30};
  std::vector<int> all = [] {
    std::vector<int> v(30);
    for (int c = 0; c < 30; ++c) v[static_cast<std::size_t>(c)] = c;
    return v;
  }();
  mcrise::MaskGenerator gen{30, 34, 1, mcrise::MaskOptions{}}, cgen{30, 34, 3, mcrise::MaskOptions{}};
  mcrise::Perturber perturb{img, gen, {mcrise::Color(3, 0.0f)}};
  Eigen::VectorXd scores(std::uint64_t n) const {
    mcrise::ImageBatch b(1, 30, 34, 3);
    mcrise::detail::copy_into_batch(perturb(gen.sample(n)), b, 0);
    return model(b).row(0).transpose();
  }
};

TEST_CASE("kept samples: maps asked for between adds see every sample added so far", "[driver][classes][accumulator]") {
  // The index of the kept samples (their shift order and cells per plane) is built when a map is
  // first asked for and reused; samples added after that must be in the next maps, bitwise those of
  // an accumulator that keeps sums. A copy made after the index was built gives the same maps too.
  const ThirtyClasses f;
  const std::vector<int>& all = f.all;
  const mcrise::MaskGenerator &gen = f.gen, &cgen = f.cgen;
  mcrise::RiseAccumulator kept(gen, all, 0, 1, 60), sums(gen, all, 0, 1, 0);
  mcrise::McRiseAccumulator ckept(cgen, all, 0, 1, 60), csums(cgen, all, 0, 1, 0);
  REQUIRE(kept.keeps_samples());
  REQUIRE(ckept.keeps_samples());
  REQUIRE(!sums.keeps_samples());
  std::uint64_t n = 0;
  for (int round = 0; round < 3; ++round) {
    INFO("after " << n + 20 << " samples");
    for (int i = 0; i < 20; ++i, ++n) {
      const Eigen::VectorXd scores = f.scores(n);
      kept.add(gen.sample(n), scores);
      sums.add(gen.sample(n), scores);
      ckept.add(cgen.sample(n), scores);
      csums.add(cgen.sample(n), scores);
    }
    for (int c : {0, 13, 29}) {
      CHECK(kept.rise(c) == sums.rise(c));
      CHECK(kept.debiased(c) == sums.debiased(c));
      CHECK(same(ckept.maps(c), csums.maps(c)));
      CHECK(ckept.baseline(c) == csums.baseline(c));
    }
    const mcrise::RiseAccumulator copy = kept;
    CHECK(copy.debiased(7) == sums.debiased(7));
  }
  CHECK(kept.keeps_samples());
}

TEST_CASE("the on-demand cache computes each class once, and again after a throw", "[driver][classes][on_demand]") {
  int calls = 0;
  bool fail = true;
  const mcrise::detail::ClassCache<int> cache({7, 3, 9}, [&](std::size_t j) {
    ++calls;
    if (j == 1 && fail) {
      fail = false;
      throw std::bad_alloc();
    }
    return 100 + static_cast<int>(j);
  });
  CHECK(cache.find(4) == nullptr);
  CHECK(calls == 0);
  CHECK(*cache.find(9) == 102);
  CHECK(*cache.find(9) == 102);
  CHECK(calls == 1);
  CHECK_THROWS_AS(cache.find(3), std::bad_alloc);
  CHECK(calls == 2);
  const int* three = cache.find(3);  // tried again, and kept this time
  REQUIRE(three != nullptr);
  CHECK(*three == 101);
  CHECK(cache.find(3) == three);
  CHECK(calls == 3);
  CHECK(cache.classes() == std::vector<int>{7, 3, 9});
}

TEST_CASE("the on-demand cache computes a class once when many threads ask for it at once",
          "[driver][classes][on_demand]") {
  std::atomic<int> calls{0};
  const mcrise::detail::ClassCache<int> cache({5}, [&](std::size_t) {
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the others arrive while it runs
    return 42;
  });
  std::atomic<int> ready{0};
  std::vector<const int*> got(8, nullptr);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] {
      ++ready;
      while (ready.load() < static_cast<int>(got.size())) std::this_thread::yield();
      got[t] = cache.find(5);
    });
  for (auto& th : threads) th.join();
  CHECK(calls.load() == 1);
  for (const int* g : got) {
    REQUIRE(g != nullptr);
    CHECK(*g == 42);
    CHECK(g == got[0]);
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

TEST_CASE("the accumulators' maps of a range of classes are those of all classes, bitwise",
          "[driver][classes][accumulator]") {
  const ThirtyClasses f;
  const std::vector<int>& all = f.all;
  const mcrise::MaskGenerator &gen = f.gen, &cgen = f.cgen;
  for (std::int64_t expected : {std::int64_t{0}, std::int64_t{40}}) {
    INFO("expected_samples " << expected);
    mcrise::RiseAccumulator acc(gen, all, 0, 2, expected);
    mcrise::McRiseAccumulator cacc(cgen, all, 0, 2, expected);
    REQUIRE(acc.keeps_samples() == (expected > 0));
    REQUIRE(cacc.keeps_samples() == (expected > 0));
    for (std::uint64_t n = 0; n < 40; ++n) {
      const auto s = gen.sample(n), cs = cgen.sample(n);
      const Eigen::VectorXd scores = f.scores(n);
      acc.add(s, scores);
      cacc.add(cs, scores);
    }
    const auto rise = acc.rise_maps(), deb = acc.debiased_maps();
    std::vector<mcrise::SaliencyMap> bases;
    const auto cmaps = cacc.all_maps(&bases);
    struct Range {
      std::size_t first, count;
    };
    for (const Range& rg : {Range{0, 30}, Range{3, 1}, Range{7, 2}, Range{8, 8}, Range{5, 20}, Range{29, 1}, Range{30, 0}}) {
      INFO("range " << rg.first << " + " << rg.count);
      const auto rpart = acc.rise_maps(rg.first, rg.count), dpart = acc.debiased_maps(rg.first, rg.count);
      std::vector<mcrise::SaliencyMap> bpart;
      const auto cpart = cacc.all_maps(rg.first, rg.count, &bpart);
      REQUIRE(rpart.size() == rg.count);
      REQUIRE(cpart.size() == rg.count);
      REQUIRE(bpart.size() == rg.count);
      for (std::size_t i = 0; i < rg.count; ++i) {
        CHECK(rpart[i] == rise[rg.first + i]);
        CHECK(dpart[i] == deb[rg.first + i]);
        CHECK(same(cpart[i], cmaps[rg.first + i]));
        CHECK(bpart[i] == bases[rg.first + i]);
      }
    }
    CHECK_THROWS_WITH(acc.rise_maps(25, 6), Catch::Contains("out of the 30 target classes"));
    CHECK_THROWS_AS(acc.debiased_maps(31, 0), std::invalid_argument);
    CHECK_THROWS_AS(cacc.all_maps(0, 31), std::invalid_argument);
  }
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
