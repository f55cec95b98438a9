// Hostile inputs past the ordinary bad-input list, one class per section: sizes whose
// arithmetic would wrap, finite inputs whose results would not be finite, files that are not
// regular files or cannot be written, and public fields or samples that do not belong to the
// object they are handed to. Each case is refused with a message naming the value, or gives a
// finite result; the API fuzzer (fuzz/api_fuzz.cpp) found or re-found each of them.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <mcrise/mcrise.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <future>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using Catch::Matchers::Contains;
using mcrise::Image;
using mcrise::SaliencyMap;

namespace {

// A batch model returning `value` for class 0 and the toy scores' class 1.
struct ConstantModel {
  double value = 1.0;
  Eigen::MatrixXd operator()(const mcrise::ImageBatch& b) const {
    Eigen::MatrixXd out(b.size(), 2);
    for (int i = 0; i < b.size(); ++i) {
      out(i, 0) = value * (0.5 + 0.5 * b(i, 0, 0, 0));
      out(i, 1) = test::toy_scores(b.image(i))(1);
    }
    return out;
  }
};

mcrise::RiseOptions small_rise() {
  mcrise::RiseOptions o;
  o.n_masks = 64;
  o.grid_h = o.grid_w = 3;
  o.batch_size = 16;
  o.threads = 1;
  o.se_groups = 4;
  o.classes = {0};
  return o;
}

}  // namespace

TEST_CASE("sizes whose element count overflows or passes 16 GiB are refused before any allocation, naming them",
          "[hostile][sizes]") {
  const int big = std::numeric_limits<int>::max();
  CHECK_THROWS_WITH(Image(65536, 65536, 3),
                    Contains("mcrise::Image(): image 65536 x 65536 x 3 of 4-byte values is over the 16 GiB limit"));
  // The product of three INT_MAX wraps a size_t: the old constructor kept a few floats.
  CHECK_THROWS_WITH(Image(big, big, big), Contains("image 2147483647 x 2147483647 x 2147483647 of 4-byte values"));
  CHECK_THROWS_WITH(mcrise::ImageBatch(big, big, big, big), Contains("mcrise::ImageBatch(): batch 2147483647 x"));
  CHECK_NOTHROW(mcrise::ImageBatch(0, big, big, 1));  // no images: nothing to allocate
  mcrise::ImageBatch batch(2, 4, 4, 3);
  CHECK_THROWS_WITH(batch.reshape(1024, 65536, 65536, 1, mcrise::Layout::HWC),
                    Contains("mcrise::ImageBatch::reshape(): batch 1024 x 65536 x 65536 x 1"));
  CHECK(batch.size() == 2);  // unchanged
  CHECK(batch.height() == 4);
  // Just over the limit, without any wrapping: 46341 x 46341 x 2 floats are 16 GiB + 36 kB.
  CHECK_THROWS_WITH(mcrise::ImageBatch(1, 46341, 46341, 2), Contains("batch 1 x 46341 x 46341 x 2 of 4-byte values"));
  CHECK_THROWS_WITH(batch.resize(1 << 30), Contains("mcrise::ImageBatch::resize(): batch 1073741824 x 4 x 4 x 3"));
}

TEST_CASE("a grid of more cells than an int holds is refused", "[hostile][sizes]") {
  mcrise::MaskOptions o;
  o.grid_h = o.grid_w = 65536;
  CHECK_THROWS_WITH(mcrise::MaskGenerator(65536, 65536, 1, o),
                    Contains("mcrise::MaskGenerator(): the grid must have at most 2147483647 cells, got 65536 x 65536"));
  o.grid_h = o.grid_w = 46340;  // 2,147,395,600 cells: still an int
  CHECK_NOTHROW(mcrise::MaskGenerator(46340, 46340, 1, o));
}

TEST_CASE("pictures and rendering sizes are bounded, so int coordinates cannot wrap", "[hostile][sizes]") {
  CHECK_THROWS_WITH(mcrise::Picture(40000, 10), Contains("mcrise::Picture(): size must be in [0, 32768] x [0, 32768], got 40000 x 10"));
  CHECK_THROWS_WITH(mcrise::Picture(INT_MAX, INT_MAX), Contains("got 2147483647 x 2147483647"));

  // paste at any offset clips: far offsets paste nothing, a partly visible source exactly its visible part.
  mcrise::Picture dst(4, 5, mcrise::Rgb{0, 0, 0});
  const mcrise::Picture src(3, 3, mcrise::Rgb{7, 8, 9});
  const mcrise::Picture before = dst;
  for (int off : {INT_MAX, INT_MAX - 1, INT_MIN, INT_MIN + 2, 1 << 30}) {
    dst.paste(src, off, 0);
    dst.paste(src, 0, off);
    dst.paste(src, off, off);
  }
  CHECK(dst == before);
  dst.paste(src, -2, 3);  // rows 0 (source row 2), columns 3..4 (source columns 0..1)
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 5; ++x) CHECK(dst.at(y, x) == (y == 0 && x >= 3 ? mcrise::Rgb{7, 8, 9} : mcrise::Rgb{0, 0, 0}));

  const Image img = test::test_image(6, 6);
  std::vector<SaliencyMap> maps(2, SaliencyMap::Constant(6, 6, 0.5));
  const std::vector<mcrise::Color> colors{{1, 0, 0}, {0, 0, 1}};
  mcrise::FigureOptions fo;
  fo.panel_size = 1 << 20;
  CHECK_THROWS_WITH(mcrise::color_saliency_figure(img, maps, colors, fo),
                    Contains("mcrise::figure_layout(): panel_size must be in [8, 32768], got 1048576"));
  fo = {};
  fo.text_scale = INT_MAX;
  CHECK_THROWS_WITH(mcrise::color_saliency_figure(img, maps, colors, fo),
                    Contains("text_scale must be in [1, 64], got 2147483647"));
  fo = {};
  fo.panel_size = 32768;  // allowed alone, but four panels side by side are not
  CHECK_THROWS_WITH(mcrise::color_saliency_figure(img, maps, colors, fo),
                    Contains("mcrise::figure_layout(): the figure would be"));

  mcrise::ColorBarOptions cb;
  cb.height = 1 << 30;
  CHECK_THROWS_WITH(mcrise::color_bar(mcrise::Colormap::jet, {0, 1}, cb),
                    Contains("mcrise::color_bar(): height must be in [8, 32768], got 1073741824"));
  cb = {};
  cb.ticks = INT_MAX;
  CHECK_THROWS_WITH(mcrise::color_bar(mcrise::Colormap::jet, {0, 1}, cb), Contains("ticks must be in [2, 1024]"));
  mcrise::CurvePlotOptions po;
  po.width = 1 << 20;
  CHECK_THROWS_WITH(mcrise::curve_plot({mcrise::Curve{"c", {1, 0}}}, po),
                    Contains("mcrise::curve_plot(): width must be in [160, 32768], got 1048576"));
}

TEST_CASE("mask_probability is bounded away from 0 and 1, so the estimator weights stay finite",
          "[hostile][finite]") {
  const Image img = test::test_image(6, 6);
  ConstantModel model;
  for (double p : {1e-300, 1e-7, 1.0 - 1e-7, 1.0 - 1e-16}) {
    INFO("p = " << p);
    mcrise::RiseOptions o = small_rise();
    o.mask_probability = p;
    CHECK_THROWS_WITH(mcrise::rise(model, img, o), Contains("mcrise::rise(): mask_probability must be in [1e-06, 0.999999]"));
    mcrise::McRiseOptions mo;
    mo.grid_h = mo.grid_w = 3;
    mo.mask_probability = p;
    CHECK_THROWS_WITH(mcrise::mc_rise(model, img, mo), Contains("mcrise::mc_rise(): mask_probability must be in"));
    mcrise::MaskOptions g{3, 3};
    g.mask_probability = p;
    CHECK_THROWS_WITH(mcrise::MaskGenerator(6, 6, 1, g), Contains("mask_probability must be in [1e-06, 0.999999]"));
  }
  CHECK_THROWS_WITH(mcrise::MaskGenerator(6, 6, 1, mcrise::MaskOptions{3, 3, 1e-300}), Contains("got 1e-300"));
  // The bounds themselves work and give finite maps.
  for (double p : {1e-6, 1.0 - 1e-6}) {
    mcrise::RiseOptions o = small_rise();
    o.mask_probability = p;
    const auto r = mcrise::debiased_rise(model, img, o);
    CHECK(r.complete);
    CHECK(r.map(0).allFinite());
  }
}

TEST_CASE("scores whose magnitude would overflow the sums are refused; the largest allowed give finite maps and SEs",
          "[hostile][finite]") {
  const Image img = test::test_image(6, 6);
  ConstantModel huge{1e30};
  CHECK_THROWS_WITH(mcrise::rise(huge, img, small_rise()),
                    Contains("mcrise::rise(): the classifier returned a score of magnitude over 1e+18 (7.5e+29) for class 0 "
                             "of the unperturbed image"));
  mcrise::McRiseOptions mo;
  mo.n_masks = 32;
  mo.grid_h = mo.grid_w = 3;
  mo.se_groups = 4;
  mo.classes = {0};
  CHECK_THROWS_WITH(mcrise::mc_rise(huge, img, mo), Contains("score of magnitude over 1e+18"));
  ConstantModel largest{1e18 / 1.000001};  // every score (value x (0.5 + 0.5 pixel)) at most 1e18
  for (double p : {1e-6, 0.5}) {
    mo.mask_probability = p;
    const auto r = mcrise::mc_rise(largest, img, mo);
    CHECK(r.complete);
    for (const auto& m : r.map(0)) CHECK(m.allFinite());
    for (const auto& se : r.standard_error(0)) CHECK(se.allFinite());
    CHECK(std::isfinite(r.relative_standard_error));
  }
  // The accumulators apply the same bound to scores handed to them directly.
  const mcrise::MaskGenerator gen(4, 4, 1, mcrise::MaskOptions{2, 2});
  mcrise::RiseAccumulator acc(gen, {0}, 2);
  Eigen::VectorXd s(1);
  s(0) = 3e38;
  CHECK_THROWS_WITH(acc.add(gen.sample(0), s),
                    Contains("mcrise::RiseAccumulator::add(): the score of class 0 for sample 0 has magnitude over 1e+18 (3e+38)"));
  CHECK(acc.count() == 0);
}

TEST_CASE("a tiny positive blur sigma returns the image instead of a NaN blur", "[hostile][finite]") {
  const Image img = test::test_image(5, 7);
  for (double s : {1e-300, 1e-200, 1e-163, 1e-20, 0.01, 0.0249}) {
    INFO("sigma = " << s);
    CHECK(mcrise::gaussian_blur(img, s) == img);
  }
  // Just above the bound the kernel's outer weights are nonzero but tiny: still finite.
  const Image b = mcrise::gaussian_blur(img, 0.03);
  for (std::size_t i = 0; i < b.size(); ++i) CHECK(std::isfinite(b.data()[i]));
  mcrise::InsertionOptions io;
  io.blur_sigma = 1e-300;
  const auto curve = mcrise::insertion(ConstantModel{}, img, SaliencyMap::Constant(5, 7, 1.0), 0, io);
  CHECK(curve.complete);
  CHECK(std::isfinite(curve.auc));
}

TEST_CASE("metrics and summaries of finite values never return inf or NaN", "[hostile][finite]") {
  const double m = std::numeric_limits<double>::max();
  CHECK_THROWS_WITH(mcrise::curve_auc({m, m}), Contains("mcrise::curve_auc(): the area overflows a double"));
  CHECK_THROWS_WITH(mcrise::curve_auc({1, 1}, {-m, m}), Contains("the area overflows a double"));
  CHECK(mcrise::curve_auc({m / 4, m / 4}) == m / 4);  // large but representable: computed
  CHECK_THROWS_WITH(mcrise::summarize_metric(std::vector<double>{m, m}),
                    Contains("mcrise::summarize_metric(): the scores' sum overflows a double"));
  CHECK_THROWS_WITH(mcrise::summarize_metric(std::vector<double>{-m, m, m / 2}), Contains("overflows a double"));
  const SaliencyMap one = SaliencyMap::Constant(2, 2, 1.0);
  SaliencyMap nan_se = SaliencyMap::Constant(2, 2, 0.1);
  nan_se(1, 1) = std::nan("");
  CHECK_THROWS_WITH(mcrise::relative_standard_error({one}, {nan_se}),
                    Contains("mcrise::relative_standard_error(): map 0 has a NaN or inf, or its standard-error map a NaN"));
  SaliencyMap nan_map = one;
  nan_map(0, 1) = std::nan("");
  CHECK_THROWS_AS(mcrise::relative_standard_error({nan_map}, {SaliencyMap::Constant(2, 2, 0.1)}), std::invalid_argument);
  SaliencyMap inf_map = one;  // found by the fuzzer: inf / inf was a NaN precision
  inf_map(1, 0) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(mcrise::relative_standard_error({inf_map}, {SaliencyMap::Constant(2, 2, HUGE_VAL)}), std::invalid_argument);
  CHECK(mcrise::relative_standard_error({one}, {SaliencyMap::Constant(2, 2, HUGE_VAL)}) == HUGE_VAL);  // SE inf: allowed
}

TEST_CASE("colorize and colour bars of huge values keep 0 in the middle colour", "[hostile][finite]") {
  const double m = std::numeric_limits<double>::max();
  SaliencyMap map(1, 3);
  map << -m, 0.0, m;
  const mcrise::Picture p = mcrise::colorize(map, mcrise::Colormap::diverging);
  CHECK(p.at(0, 0) == mcrise::colormap_color(mcrise::Colormap::diverging, 0.0));
  CHECK(p.at(0, 1) == mcrise::colormap_color(mcrise::Colormap::diverging, 0.5));  // white, not the low end
  CHECK(p.at(0, 2) == mcrise::colormap_color(mcrise::Colormap::diverging, 1.0));
  CHECK(mcrise::value_color(0.0, mcrise::Colormap::diverging, {-m, m}) ==
        mcrise::colormap_color(mcrise::Colormap::diverging, 0.5));
  // The bar's ticks run from -max to max (finite labels), so it has the height of an ordinary bar.
  CHECK(mcrise::color_bar(mcrise::Colormap::diverging, {-m, m}).height() ==
        mcrise::color_bar(mcrise::Colormap::diverging, {-1, 1}).height());
}

namespace {
// Runs `f` on a thread with a 20 s deadline and returns its io_error's what() (or what went wrong
// instead): a regression that blocks in open() or read() fails the test instead of hanging it.
// The thread is detached, so it may outlive the test case: `f` must not capture locals by reference.
std::string io_error_within_deadline(std::function<void()> f) {
  auto done = std::make_shared<std::promise<std::string>>();
  std::future<std::string> result = done->get_future();
  std::thread([done, f] {
    try {
      f();
      done->set_value("returned normally");
    } catch (const mcrise::io_error& e) {
      done->set_value(e.what());
    } catch (...) {
      done->set_value("another exception");
    }
  }).detach();
  REQUIRE(result.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  return result.get();
}

std::string temp_dir() {
  std::string d = (std::filesystem::temp_directory_path() / "mcrise_hostile_XXXXXX").string();
  REQUIRE(::mkdtemp(&d[0]) != nullptr);
  return d;
}
}  // namespace

TEST_CASE("writes to a full device are reported with the path and the system's reason", "[hostile][files]") {
  if (::access("/dev/full", W_OK) != 0) {
    WARN("no writable /dev/full here: skipped");
    return;
  }
  const mcrise::Picture pic(8, 8, mcrise::Rgb{1, 2, 3});
  try {
    mcrise::save_png("/dev/full", pic);
    FAIL("save_png to /dev/full returned normally");
  } catch (const mcrise::io_error& e) {
    CHECK(e.path() == "/dev/full");
    CHECK(e.reason() == "write failed: No space left on device");
  }
  CHECK_THROWS_WITH(mcrise::save_png("/dev/full", test::test_image(4, 4)), Contains("'/dev/full': write failed: No space left"));
  CHECK_THROWS_WITH(mcrise::write_npy("/dev/full", SaliencyMap::Constant(3, 3, 1.0)),
                    Contains("mcrise::write_npy(): '/dev/full': write failed: No space left on device"));
}

TEST_CASE("load_image refuses FIFOs, devices and directories at once, without reading them", "[hostile][files]") {
  const std::string dir = temp_dir();
  const std::string fifo = dir + "/pipe.png";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THAT(io_error_within_deadline([fifo] { (void)mcrise::load_image(fifo); }),
             Contains("mcrise::load_image(): '" + fifo + "': not a regular file (a FIFO, device or socket)"));
  ::unlink(fifo.c_str());
  // An endless device: refused before any read (the old loader read until memory ran out).
  CHECK_THROWS_WITH(mcrise::load_image("/dev/zero"), Contains("'/dev/zero': not a regular file"));
  CHECK_THROWS_WITH(mcrise::load_image(dir), Contains("read error: Is a directory"));
  ::rmdir(dir.c_str());
}

TEST_CASE("save_png to a FIFO without a reader is refused at once instead of waiting for one", "[hostile][files]") {
  const std::string dir = temp_dir();
  const std::string fifo = dir + "/out.png";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THAT(io_error_within_deadline([fifo] { mcrise::save_png(fifo, mcrise::Picture(2, 2)); }),
             Contains("mcrise::save_png(): '" + fifo + "': cannot open file for writing: No such device or address"));
  ::unlink(fifo.c_str());
  ::rmdir(dir.c_str());
}

TEST_CASE("text with bytes that have no glyph (UTF-8, control characters) is drawn as '?'", "[hostile][sizes]") {
  // stb_easy_font indexed its glyph table with the byte minus 32: a read before the table.
  const std::string utf8 = "caf\xc3\xa9\x01", ascii = "caf???";
  CHECK(mcrise::text_width(utf8) == mcrise::text_width(ascii));
  mcrise::Picture a(12, 60), b(12, 60);
  mcrise::draw_text(a, 1, 1, utf8);
  mcrise::draw_text(b, 1, 1, ascii);
  CHECK(a == b);
  CHECK(a != mcrise::Picture(12, 60));
}

TEST_CASE("a result whose public classes were edited cannot make an accessor read out of bounds",
          "[hostile][fields]") {
  const Image img = test::test_image(6, 6);
  ConstantModel model;
  mcrise::SaliencyResult r = mcrise::rise(model, img, small_rise());
  r.classes.push_back(1);  // a class with no map behind it
  CHECK_THROWS_WITH(r.map(1), Contains("mcrise::SaliencyResult::map(): the result's classes no longer match its maps"));
  CHECK_THROWS_AS(r.standard_error(1), std::logic_error);
  CHECK(r.map(0).allFinite());  // the real one still works

  mcrise::McRiseOptions mo;
  mo.n_masks = 16;
  mo.grid_h = mo.grid_w = 3;
  mo.se_groups = 2;
  mo.classes = {0};
  mcrise::McRiseResult m = mcrise::mc_rise(model, img, mo);
  m.classes = {5, 0};  // class 0 moved to a position with no maps
  CHECK_THROWS_WITH(m.map(0), Contains("mcrise::McRiseResult::map(): the result's classes no longer match"));
  CHECK_THROWS_WITH(m.baseline(0), Contains("mcrise::McRiseResult::baseline(): the result's classes no longer match"));
  CHECK_THROWS_AS(m.raw_maps(0), std::logic_error);
  CHECK_THROWS_AS(m.standard_error(0), std::logic_error);
  CHECK_NOTHROW(m.map(5));  // position 0 still has its maps (they are class 0's: the edit is the user's)
}

TEST_CASE("accumulators refuse samples drawn by a generator with other options", "[hostile][fields]") {
  mcrise::MaskOptions a{3, 3, 0.5};
  const mcrise::MaskGenerator gen(6, 6, 1, a);
  mcrise::RiseAccumulator acc(gen, {0});
  Eigen::VectorXd s = Eigen::VectorXd::Constant(1, 0.5);
  auto refuses = [&](const mcrise::MaskGenerator& other) {
    CHECK_THROWS_WITH(acc.add(other.sample(3), s),
                      Contains("mcrise::RiseAccumulator::add(): mask sample 3 comes from a generator with other options"));
  };
  refuses(mcrise::MaskGenerator(6, 6, 1, mcrise::MaskOptions{3, 3, 0.25}));  // p: the weights would be wrong
  mcrise::MaskOptions nearest = a;
  nearest.upsampling = mcrise::Upsampling::nearest;
  refuses(mcrise::MaskGenerator(6, 6, 1, nearest));
  mcrise::MaskOptions balanced = a;
  balanced.sampler = mcrise::Sampler::balanced;
  refuses(mcrise::MaskGenerator(6, 6, 1, balanced));  // block size 2, not 1
  CHECK(acc.count() == 0);
  mcrise::MaskOptions seed = a;
  seed.seed = 7;  // another seed draws the same distribution: accepted
  CHECK_NOTHROW(acc.add(mcrise::MaskGenerator(6, 6, 1, seed).sample(3), s));
  mcrise::MaskSample by_hand = gen.sample(4);
  by_hand.source = 0;  // built by hand: only its shape is checked
  CHECK_NOTHROW(acc.add(by_hand, s));
  CHECK(acc.count() == 2);
  // MC-RISE: K differs.
  const mcrise::MaskGenerator k3(6, 6, 3, a), k2(6, 6, 2, a);
  mcrise::McRiseAccumulator macc(k3, {0});
  CHECK_THROWS_WITH(macc.add(k2.sample(0), s), Contains("comes from a generator with other options"));
}
