// Accumulator state files (save / load) and checkpointed runs.
#include <mcrise/mcrise.hpp>

#include "support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

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
  REQUIRE(good.size() > 200);

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
