// Accumulator state files (save / load) and checkpointed runs.
#include <mcrise/mcrise.hpp>
#include <mcrise/detail/run/adaptive.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using test::same;

// Runs f; it must throw E with a message that contains `text`.
template <class E, class F>
void throws(F&& f, const std::string& text) {
  try {
    f();
    FAIL("no exception; expected one saying: " << text);
  } catch (const E& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains(text));
  }
}

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}
void write_bytes(const std::string& path, const std::vector<char>& b) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(b.data(), static_cast<std::streamsize>(b.size()));
}

// Adds samples [first, last) with scores that depend on the sample's cells, to any accumulator.
template <class Acc>
void add_range(Acc& acc, const mcrise::MaskGenerator& gen, int first, int last, int classes) {
  for (int n = first; n < last; ++n) {
    const mcrise::MaskSample s = gen.sample(static_cast<std::uint64_t>(n));
    Eigen::VectorXd scores(classes);
    for (int c = 0; c < classes; ++c)
      scores(c) = std::sin(0.3 * n + 0.7 * c) + 0.01 * static_cast<double>(s.cells[static_cast<std::size_t>(c % 4)]);
    acc.add(s, scores);
  }
}

}  // namespace

TEST_CASE("a saved accumulator loads bitwise, and goes on as if never stopped", "[checkpoint][state]") {
  mcrise::MaskOptions mo;
  mo.seed = 11;
  mo.grid_h = mo.grid_w = 4;
  const mcrise::ColorMaskGenerator gen(20, 24, 3, mo);
  const std::string path = "checkpoint_test_mc.state";
  mcrise::McRiseAccumulator whole(gen, {0, 2, 3}, 4), first(gen, {0, 2, 3}, 4);
  add_range(whole, gen, 0, 70, 5);
  add_range(first, gen, 0, 37, 5);
  first.save(path);
  mcrise::McRiseAccumulator loaded(gen, {0, 2, 3}, 4);
  loaded.load(path);
  REQUIRE(loaded.count() == 37);
  for (int c : {0, 2, 3}) {
    CHECK(same(loaded.maps(c), first.maps(c)));
    CHECK(same(loaded.standard_errors(c), first.standard_errors(c)));
  }
  add_range(loaded, gen, 37, 70, 5);
  for (int c : {0, 2, 3}) {
    CHECK(same(loaded.maps(c), whole.maps(c)));
    CHECK(same(loaded.standard_errors(c), whole.standard_errors(c)));
  }

  // Kept samples: their sums are saved; the loaded accumulator keeps sums and still agrees bitwise.
  const mcrise::BinaryMaskGenerator bgen(20, 24, mo);
  mcrise::RiseAccumulator kept(bgen, {1, 4}, 0, 1, 60), rwhole(bgen, {1, 4}, 0, 1, 60);
  REQUIRE(kept.keeps_samples());
  add_range(kept, bgen, 0, 25, 5);
  add_range(rwhole, bgen, 0, 60, 5);
  kept.save(path);
  mcrise::RiseAccumulator rloaded(bgen, {1, 4}, 0, 1, 60);
  rloaded.load(path);
  CHECK_FALSE(rloaded.keeps_samples());
  CHECK(same(rloaded.rise_maps(), kept.rise_maps()));
  add_range(rloaded, bgen, 25, 60, 5);
  CHECK(same(rloaded.rise_maps(), rwhole.rise_maps()));
  CHECK(same(rloaded.debiased_maps(), rwhole.debiased_maps()));
}

TEST_CASE("loading refuses a truncated, corrupt, other-version or other-options file, naming what differs",
          "[checkpoint][state][errors]") {
  mcrise::MaskOptions mo;
  mo.seed = 3;
  mo.grid_h = mo.grid_w = 4;
  const mcrise::ColorMaskGenerator gen(16, 18, 2, mo);
  const std::string path = "checkpoint_test_refuse.state", bad = "checkpoint_test_bad.state";
  mcrise::McRiseAccumulator acc(gen, {0, 1}, 4);
  add_range(acc, gen, 0, 20, 3);
  acc.save(path, 77);
  const std::vector<char> good = read_bytes(path);
  // The size docs/checkpoints.md states: 304 bytes here besides the sums (8 each) and group sums (4 each, G = 4).
  const std::size_t sums = 3 * acc.shifts() * 16 * 2;  // P = K + 1 planes, 4 x 4 cells, T = 2 classes
  REQUIRE(good.size() == 304 + 8 * sums + 4 * 4 * sums);

  mcrise::McRiseAccumulator target(gen, {0, 1}, 4);
  add_range(target, gen, 0, 5, 3);
  const auto before = target.maps(0);
  auto refused = [&](const std::vector<char>& bytes, const std::string& text, bool file_problem) {
    write_bytes(bad, bytes);
    if (file_problem)
      throws<mcrise::io_error>([&] { target.load(bad, 77); }, text);
    else
      throws<std::invalid_argument>([&] { target.load(bad, 77); }, text);
    CHECK(target.count() == 5);  // unchanged
    CHECK(same(target.maps(0), before));
  };
  refused(std::vector<char>(good.begin(), good.end() - 9), "truncated", true);
  refused(std::vector<char>(good.begin(), good.begin() + 10), "not an mcrise accumulator state file", true);
  auto corrupt = good;
  corrupt[corrupt.size() / 2] = static_cast<char>(corrupt[corrupt.size() / 2] ^ 0x10);
  refused(corrupt, "checksum", true);
  auto version = good;
  version[8] = 2;
  refused(version, "format version 2, this build reads version 1", true);
  throws<mcrise::io_error>([&] { target.load("checkpoint_test_missing.state", 77); }, "cannot open file");
  throws<std::invalid_argument>([&] { target.load(path, 78); }, "tag");

  // Other options: each refusal names the field.
  auto refuses = [&](auto&& other, const std::string& field) {
    throws<std::invalid_argument>([&] { other.load(path, 77); }, "was written with another " + field);
  };
  mcrise::MaskOptions seed = mo;
  seed.seed = 4;
  const mcrise::ColorMaskGenerator gseed(16, 18, 2, seed);
  refuses(mcrise::McRiseAccumulator(gseed, {0, 1}, 4), "seed (3)");
  refuses(mcrise::McRiseAccumulator(mcrise::ColorMaskGenerator(16, 20, 2, mo), {0, 1}, 4), "image width (18)");
  refuses(mcrise::McRiseAccumulator(mcrise::ColorMaskGenerator(16, 18, 3, mo), {0, 1}, 4), "number of colours (2)");
  refuses(mcrise::McRiseAccumulator(gen, {0, 1}, 8), "se_groups (4)");
  refuses(mcrise::McRiseAccumulator(gen, {0, 1, 2}, 4), "number of target classes (2)");
  mcrise::MaskOptions p = mo;
  p.mask_probability = 0.25;
  refuses(mcrise::McRiseAccumulator(mcrise::ColorMaskGenerator(16, 18, 2, p), {0, 1}, 4), "mask_probability (0.5)");
  mcrise::McRiseAccumulator classes(gen, {0, 2}, 4);
  throws<std::invalid_argument>([&] { classes.load(path, 77); }, "other target classes: class 1 is 1 there, 2 here");
  mcrise::RiseAccumulator rise(mcrise::BinaryMaskGenerator(16, 18, mo), {0, 1}, 4);
  throws<std::invalid_argument>([&] { rise.load(path, 77); }, "another accumulator kind (2)");
}

namespace {

// toy_scores per image, after a pause per batch: a model slow enough to be killed part-way.
struct SlowModel {
  int pause_us = 0;
  Eigen::MatrixXf operator()(const mcrise::ImageBatch& b) {
    if (pause_us > 0) ::usleep(static_cast<useconds_t>(pause_us));
    Eigen::MatrixXf out(b.size(), 2);
    for (int i = 0; i < b.size(); ++i) out.row(i) = test::toy_scores(b.image(i)).cast<float>().transpose();
    return out;
  }
};

mcrise::McRiseOptions run_options() {
  mcrise::McRiseOptions o;
  o.classes = {0, 1};
  o.n_masks = 1600;
  o.batch_size = 16;
  o.grid_h = o.grid_w = 4;
  o.se_groups = 8;
  o.threads = 1;
  o.seed = 99;
  o.checkpoint_every = 48;  // not a multiple of the batch: saved after the batch that reaches each multiple
  return o;
}

bool same_results(const mcrise::McRiseResult& a, const mcrise::McRiseResult& b) {
  bool ok = a.masks_used == b.masks_used && a.classes == b.classes;
  for (int c : a.classes)
    ok = ok && same(a.map(c), b.map(c)) && (a.se_groups == 0 || same(a.standard_error(c), b.standard_error(c)));
  return ok;
}

}  // namespace

TEST_CASE("an mc_rise run killed with SIGKILL at random points and restarted gives the uninterrupted maps",
          "[checkpoint][run]") {
  const mcrise::Image img = test::test_image(20, 22);
  const std::string path = "checkpoint_test_killed.state";
  std::remove(path.c_str());
  SlowModel fast;
  const mcrise::McRiseResult whole = mcrise::mc_rise(fast, img, run_options());

  std::mt19937 rng(2020);  // fixed kill times, 15..120 ms after each start
  std::uniform_int_distribution<int> after_us(15000, 120000);
  int killed = 0, runs = 0;
  for (bool done = false; !done && runs < 40; ++runs) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      int rc = 0;
      try {
        SlowModel slow{4000};  // 4 ms per batch of 16: 0.4 s for the whole run
        mcrise::McRiseOptions o = run_options();
        o.checkpoint_path = path;
        mcrise::mc_rise(slow, img, o);
      } catch (...) {
        rc = 3;
      }
      ::_exit(rc);
    }
    ::usleep(static_cast<useconds_t>(after_us(rng)));
    ::kill(child, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    if (WIFSIGNALED(status)) {
      REQUIRE(WTERMSIG(status) == SIGKILL);
      ++killed;
    } else {
      REQUIRE(WIFEXITED(status));
      REQUIRE(WEXITSTATUS(status) == 0);
      done = true;
    }
  }
  CHECK(killed >= 2);  // at most 120 ms of the 400 are lost per kill: several kills fall part-way
  // The finished checkpoint holds the whole run: a run with it draws no more masks.
  SlowModel counting;
  mcrise::McRiseOptions o = run_options();
  o.checkpoint_path = path;
  const mcrise::McRiseResult resumed = mcrise::mc_rise(counting, img, o);
  CHECK(same_results(resumed, whole));
}

TEST_CASE("a resumed run with adaptive stopping or without standard errors equals the run never stopped",
          "[checkpoint][run]") {
  const mcrise::Image img = test::test_image(20, 22);
  const std::string path = "checkpoint_test_adaptive.state";
  for (int se_groups : {0, 8}) {
    std::remove(path.c_str());
    mcrise::McRiseOptions o = run_options();
    o.se_groups = se_groups;
    o.target_relative_se = se_groups > 0 ? 0.2 : 0.0;
    o.overlap = true;
    SlowModel model;
    const mcrise::McRiseResult whole = mcrise::mc_rise(model, img, o);
    INFO("relative SE " << whole.relative_standard_error << " after " << whole.masks_used);
    if (se_groups > 0) REQUIRE(whole.masks_used < o.n_masks);  // the target stops the run early
    o.checkpoint_path = path;
    // Interrupted by a callback after 7 batches (not at a checkpoint multiple), then resumed.
    auto stop_early = [](const mcrise::Progress& p) { return p.done >= 112; };
    const mcrise::McRiseResult part = mcrise::mc_rise(model, img, o, stop_early);
    REQUIRE(part.masks_used == 112);
    const mcrise::McRiseResult resumed = mcrise::mc_rise(model, img, o);
    CHECK(same_results(resumed, whole));
    CHECK(resumed.complete == whole.complete);
  }
}

TEST_CASE("a checkpoint made with other options is an error naming the option, and is kept", "[checkpoint][run]") {
  const mcrise::Image img = test::test_image(20, 22);
  const std::string path = "checkpoint_test_other.state";
  std::remove(path.c_str());
  mcrise::McRiseOptions o = run_options();
  o.n_masks = 64;
  o.checkpoint_path = path;
  SlowModel model;
  mcrise::mc_rise(model, img, o);
  const std::vector<char> before = read_bytes(path);
  mcrise::McRiseOptions seed = o;
  seed.seed = 100;
  throws<std::invalid_argument>([&] { mcrise::mc_rise(model, img, seed); }, "another seed (99)");
  mcrise::McRiseOptions grid = o;
  grid.grid_w = 5;
  throws<std::invalid_argument>([&] { mcrise::mc_rise(model, img, grid); }, "another grid_w (4)");
  mcrise::Image other = img;
  other(3, 4, 1) = 0.25f;
  throws<std::invalid_argument>([&] { mcrise::mc_rise(model, other, o); }, "another tag");
  mcrise::McRiseOptions fewer = o;
  fewer.n_masks = 32;
  throws<std::invalid_argument>([&] { mcrise::mc_rise(model, img, fewer); }, "holds 64 masks, more than n_masks = 32");
  CHECK(read_bytes(path) == before);  // never overwritten
  mcrise::McRiseOptions every = o;
  every.checkpoint_every = 0;
  throws<std::invalid_argument>([&] { mcrise::mc_rise(model, img, every); }, "checkpoint_every must be >= 1, got 0");
}

TEST_CASE("the adaptive stop of a resumed run measures at the same batch boundaries as the whole run",
          "[checkpoint][adaptive]") {
  const std::int64_t B = 16, N = 4000;
  const int G = 8;
  // The boundaries where a stop that never fires measures, from `start` on.
  auto measured = [&](std::int64_t start) {
    std::vector<std::int64_t> at;
    std::int64_t now = 0;
    auto stop = mcrise::detail::make_adaptive_stop(0.01, G, [&] {
      at.push_back(now);
      return 1.0;
    });
    stop.resume(start, B);
    for (now = start; now <= N; now += B) stop(mcrise::Progress{"test", now, N});
    return at;
  };
  const std::vector<std::int64_t> whole = measured(0);
  REQUIRE(whole.size() > 20);
  for (std::int64_t start : {B, 5 * B, 40 * B, 41 * B, 97 * B, 200 * B}) {
    std::vector<std::int64_t> tail;
    for (std::int64_t d : whole)
      if (d >= start) tail.push_back(d);
    CHECK(measured(start) == tail);
  }
}
