// The accumulators (RiseAccumulator, McRiseAccumulator): refused samples, batch adds on any pool,
// bulk maps, kept samples and merges, each bitwise against the one-by-one or sums path.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <thread>

using test::ManyClassModel;
using test::same;
using test::ThirtyClasses;

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
