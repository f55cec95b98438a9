// Tests of deletion(), insertion(), gaussian_blur() and summarize_metric():
// closed-form curves on tiny images, the pointwise optimality of an oracle
// map for an additive model, and input validation.
#include <mcrise/deletion.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using mcrise::Image;
using mcrise::ImageBatch;
using mcrise::SaliencyMap;

// 2 x 3 RGB image; pixels y*3+x = 0,1,3,5 are red, 2 and 4 are blue.
Image red_blue_image() {
  Image img(2, 3, 3, 0.0f);
  const int red[6] = {1, 1, 0, 1, 0, 1};
  for (int p = 0; p < 6; ++p) {
    img.data()[p * 3 + 0] = red[p] ? 1.0f : 0.0f;
    img.data()[p * 3 + 2] = red[p] ? 0.0f : 1.0f;
  }
  return img;
}

// Saliency with a tie between pixels 2 and 3; decreasing order with ties by
// index is 1, 5, 2, 3, 4, 0.
SaliencyMap tie_map() {
  SaliencyMap m(2, 3);
  m << 0.1, 0.9, 0.5,  //
      0.5, 0.2, 0.7;
  return m;
}

bool is_red(float r, float g, float b) { return r == 1.0f && g == 0.0f && b == 0.0f; }

// Two classes: 0 = fraction of pure red pixels, 1 = 1 - that fraction.
std::vector<double> red_fraction_single(const Image& im) {
  double n = 0;
  for (int y = 0; y < im.height(); ++y)
    for (int x = 0; x < im.width(); ++x) n += is_red(im(y, x, 0), im(y, x, 1), im(y, x, 2)) ? 1.0 : 0.0;
  const double f = n / static_cast<double>(im.pixels());
  return {f, 1.0 - f};
}

Eigen::MatrixXd red_fraction_batch(const ImageBatch& b) {
  Eigen::MatrixXd s(b.size(), 2);
  for (int i = 0; i < b.size(); ++i) {
    double n = 0;
    for (int y = 0; y < b.height(); ++y)
      for (int x = 0; x < b.width(); ++x) n += is_red(b(i, y, x, 0), b(i, y, x, 1), b(i, y, x, 2)) ? 1.0 : 0.0;
    const double f = n / static_cast<double>(b.height() * b.width());
    s(i, 0) = f;
    s(i, 1) = 1.0 - f;
  }
  return s;
}

void require_vec(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-12));
}

}  // namespace

TEST_CASE("deletion: hand-computed curve and AUC (red-fraction model)", "[deletion]") {
  const Image img = red_blue_image();
  const SaliencyMap map = tie_map();

  SECTION("default step = W = 3, both classifier forms, both layouts, any batch size") {
    // Remove {1,5,2}: red left {0,3} -> 2/6; remove {3,4,0}: none left.
    // AUC = 1/2 (4/6 + 2/6)/2 + 1/2 (2/6 + 0)/2 = 1/4 + 1/12 = 1/3.
    for (auto layout : {mcrise::Layout::HWC, mcrise::Layout::CHW})
      for (int bs : {1, 2, 64}) {
        mcrise::DeletionOptions o;
        o.layout = layout;
        o.batch_size = bs;
        for (const auto& c : {mcrise::deletion(red_fraction_single, img, map, 0, o),
                              mcrise::deletion(red_fraction_batch, img, map, 0, o)}) {
          CHECK(c.complete);
          CHECK(c.step == 3);
          CHECK(c.cls == 0);
          require_vec(c.fractions, {0.0, 0.5, 1.0});
          require_vec(c.confidences, {4.0 / 6, 2.0 / 6, 0.0});
          CHECK(c.auc == Approx(1.0 / 3));
          const double as_double = c;
          CHECK(as_double == c.auc);
        }
      }
  }
  SECTION("ties are broken by pixel index") {
    // If pixel 3 came before pixel 2 the first step would leave 1/6, not 2/6.
    mcrise::DeletionOptions o;
    o.step = 3;
    auto c = mcrise::deletion(red_fraction_single, img, map, 0, o);
    CHECK(c.confidences[1] == Approx(2.0 / 6));
  }
  SECTION("partial last step, step = 4: fractions 0, 2/3, 1") {
    // Remove {1,5,2,3}: red left {0} -> 1/6.
    // AUC = 2/3 (4/6 + 1/6)/2 + 1/3 (1/6)/2 = 10/36 + 1/36 = 11/36.
    mcrise::DeletionOptions o;
    o.step = 4;
    auto c = mcrise::deletion(red_fraction_batch, img, map, 0, o);
    require_vec(c.fractions, {0.0, 2.0 / 3, 1.0});
    require_vec(c.confidences, {4.0 / 6, 1.0 / 6, 0.0});
    CHECK(c.auc == Approx(11.0 / 36));
  }
  SECTION("step = 1 gives HW + 1 points; the other class is followed when asked") {
    mcrise::DeletionOptions o;
    o.step = 1;
    auto c = mcrise::deletion(red_fraction_single, img, map, 1, o);
    // order 1,5,2,3,4,0 with red = 1,1,0,1,0,1: red left 4,3,2,2,1,1,0
    require_vec(c.confidences, {2.0 / 6, 3.0 / 6, 4.0 / 6, 4.0 / 6, 5.0 / 6, 5.0 / 6, 1.0});
    REQUIRE(c.fractions.size() == 7);
    for (int j = 0; j <= 6; ++j) CHECK(c.fractions[static_cast<std::size_t>(j)] == Approx(j / 6.0));
    // trapezoid of 1 - red fraction: (1/6) * (sum - (first + last)/2)
    const double sum = (2 + 3 + 4 + 4 + 5 + 5 + 6) / 6.0;
    CHECK(c.auc == Approx((sum - (2.0 / 6 + 1.0) / 2) / 6));
  }
  SECTION("a constant fill colour: filling with red keeps every pixel red") {
    mcrise::DeletionOptions o;
    o.fill = {1.0f, 0.0f, 0.0f};
    auto c = mcrise::deletion(red_fraction_single, img, map, 0, o);
    // remove {1,5,2} -> red {0,1,2,3,5} = 5/6; then all red.
    require_vec(c.confidences, {4.0 / 6, 5.0 / 6, 1.0});
  }
  SECTION("a substrate image: removed pixel λ becomes substrate(λ)") {
    Image sub(2, 3, 3, 0.0f);
    sub(0, 2, 0) = 1.0f;  // pixel 2 of the substrate is red, the rest black
    mcrise::DeletionOptions o;
    o.substrate = sub;
    auto c = mcrise::deletion(red_fraction_single, img, map, 0, o);
    // remove {1,5,2} -> red {0,3} plus substrate's red at 2 = 3/6; then only pixel 2 = 1/6.
    require_vec(c.confidences, {4.0 / 6, 3.0 / 6, 1.0 / 6});
  }
}

TEST_CASE("insertion: hand-computed curve from a given substrate", "[insertion]") {
  const Image img = red_blue_image();
  const SaliencyMap map = tie_map();
  mcrise::InsertionOptions o;
  o.substrate = Image(2, 3, 3, 0.0f);
  o.layout = mcrise::Layout::CHW;
  auto c = mcrise::insertion(red_fraction_batch, img, map, 0, o);
  // reveal {1,5,2} -> red 2/6; then all -> 4/6. AUC = 1/2 (0 + 2/6)/2 + 1/2 (2/6 + 4/6)/2 = 1/12 + 1/4 = 1/3.
  CHECK(c.complete);
  require_vec(c.fractions, {0.0, 0.5, 1.0});
  require_vec(c.confidences, {0.0, 2.0 / 6, 4.0 / 6});
  CHECK(c.auc == Approx(1.0 / 3));
}

TEST_CASE("insertion's default substrate is gaussian_blur(image, blur_sigma)", "[insertion]") {
  Image img(7, 9, 3, 0.0f);
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (std::size_t i = 0; i < img.size(); ++i) img.data()[i] = u(gen);
  SaliencyMap map = SaliencyMap::Zero(7, 9);
  for (int i = 0; i < map.size(); ++i) map.data()[i] = (i * 37) % 11;
  // a model that sees every value: sum of channel 0 weighted by position
  auto model = [](const Image& im) {
    double s = 0;
    for (int y = 0; y < im.height(); ++y)
      for (int x = 0; x < im.width(); ++x) s += (1 + y * im.width() + x) * static_cast<double>(im(y, x, 0));
    return std::vector<double>{s};
  };
  mcrise::InsertionOptions def;
  def.blur_sigma = 1.5;
  mcrise::InsertionOptions given;
  given.substrate = mcrise::gaussian_blur(img, 1.5);
  auto a = mcrise::insertion(model, img, map, 0, def);
  auto b = mcrise::insertion(model, img, map, 0, given);
  CHECK(a.confidences == b.confidences);
  CHECK(a.confidences.back() == Approx(model(img)[0]));
  CHECK(a.confidences.front() == Approx(model(given.substrate)[0]));
}

TEST_CASE("gaussian_blur: identity at sigma 0, constants stay, impulse gives the separable kernel", "[insertion]") {
  Image img(9, 9, 2, 0.25f);
  CHECK(mcrise::gaussian_blur(img, 0.0) == img);
  const Image flat = mcrise::gaussian_blur(img, 2.0);
  for (std::size_t i = 0; i < flat.size(); ++i) CHECK(flat.data()[i] == Approx(0.25f));

  Image imp(9, 9, 1, 0.0f);
  imp(4, 4, 0) = 1.0f;
  const double sigma = 1.0;  // radius 3, so the impulse at the centre never reaches the border
  const Image out = mcrise::gaussian_blur(imp, sigma);
  double norm = 0;
  for (int i = -3; i <= 3; ++i) norm += std::exp(-i * i / (2 * sigma * sigma));
  for (int y = 0; y < 9; ++y)
    for (int x = 0; x < 9; ++x) {
      const int dy = y - 4, dx = x - 4;
      const double want =
          std::abs(dy) <= 3 && std::abs(dx) <= 3 ? std::exp(-(dy * dy + dx * dx) / (2 * sigma * sigma)) / (norm * norm)
                                                 : 0.0;
      CHECK(out(y, x, 0) == Approx(want).margin(1e-7));
    }
  CHECK_THROWS_WITH(mcrise::gaussian_blur(img, -1.0), Catch::Contains("mcrise::gaussian_blur(): sigma"));
}

namespace {

// An additive model: score = Σ_λ w_λ · red(λ) / Σ w, with distinct weights.
struct AdditiveRed {
  std::vector<double> w;
  double total = 0;
  explicit AdditiveRed(std::size_t n) : w(n) {
    for (std::size_t i = 0; i < n; ++i) w[i] = 1.0 + static_cast<double>((i * 7919) % n) / static_cast<double>(n);
    total = std::accumulate(w.begin(), w.end(), 0.0);
  }
  std::vector<double> operator()(const Image& im) const {
    double s = 0;
    for (std::size_t p = 0; p < im.pixels(); ++p)
      s += w[p] * static_cast<double>(im.data()[p * static_cast<std::size_t>(im.channels())]);
    return {s / total};
  }
};

}  // namespace

TEST_CASE("oracle map beats a random map beats the reversed oracle", "[deletion][insertion]") {
  // With a black substrate, removing pixel λ changes the score by exactly
  // -w_λ red(λ)/Σw, and the effects add up. The oracle map S(λ) = w_λ red(λ)
  // therefore removes, at every step, the set of pixels of largest total
  // effect: its deletion curve is pointwise <= any other order's, and the
  // reversed oracle's is pointwise >=. Insertion mirrors this.
  const int H = 12, W = 10;
  Image img(H, W, 3, 0.0f);
  std::mt19937 gen(2020);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (std::size_t i = 0; i < img.size(); ++i) img.data()[i] = u(gen);
  AdditiveRed model(img.pixels());
  SaliencyMap oracle(H, W), random(H, W);
  for (std::size_t p = 0; p < img.pixels(); ++p) {
    oracle.data()[p] = model.w[p] * static_cast<double>(img.data()[p * 3]);
    random.data()[p] = u(gen);
  }
  const SaliencyMap reversed = -oracle;

  mcrise::DeletionOptions d;
  d.step = 7;  // partial last step as well
  const auto d_or = mcrise::deletion(model, img, oracle, 0, d);
  const auto d_ra = mcrise::deletion(model, img, random, 0, d);
  const auto d_re = mcrise::deletion(model, img, reversed, 0, d);
  REQUIRE(d_or.confidences.size() == static_cast<std::size_t>((H * W + 6) / 7 + 1));
  for (std::size_t j = 0; j < d_or.confidences.size(); ++j) {
    CHECK(d_or.confidences[j] <= d_ra.confidences[j] + 1e-12);
    CHECK(d_ra.confidences[j] <= d_re.confidences[j] + 1e-12);
  }
  CHECK(d_or.auc < d_ra.auc);
  CHECK(d_ra.auc < d_re.auc);

  mcrise::InsertionOptions i;
  i.substrate = Image(H, W, 3, 0.0f);
  i.step = 7;
  const auto i_or = mcrise::insertion(model, img, oracle, 0, i);
  const auto i_ra = mcrise::insertion(model, img, random, 0, i);
  const auto i_re = mcrise::insertion(model, img, reversed, 0, i);
  for (std::size_t j = 0; j < i_or.confidences.size(); ++j) {
    CHECK(i_or.confidences[j] >= i_ra.confidences[j] - 1e-12);
    CHECK(i_ra.confidences[j] >= i_re.confidences[j] - 1e-12);
  }
  CHECK(i_or.auc > i_ra.auc);
  CHECK(i_ra.auc > i_re.auc);
  // Additivity: deletion and insertion curves of the same order sum to the
  // full score at every step (removed + revealed = everything).
  for (std::size_t j = 0; j < d_or.confidences.size(); ++j)
    CHECK(d_or.confidences[j] + i_or.confidences[j] == Approx(model(img)[0]));
}

TEST_CASE("metric runs batch the steps and honour a stopping callback", "[deletion]") {
  const Image img(5, 4, 3, 1.0f);
  const SaliencyMap map = SaliencyMap::Zero(5, 4);
  std::vector<int> batch_sizes;
  auto model = [&](const ImageBatch& b) {
    batch_sizes.push_back(b.size());
    Eigen::MatrixXf s = Eigen::MatrixXf::Constant(b.size(), 3, 0.5f);
    return s;
  };
  mcrise::DeletionOptions o;
  o.batch_size = 2;  // default step 4 -> 20/4 + 1 = 6 points -> batches 2, 2, 2

  std::vector<mcrise::Progress> seen;
  auto record = [&](const mcrise::Progress& p) { seen.push_back(p); };
  auto full = mcrise::deletion(model, img, map, 2, o, record);
  CHECK(full.complete);
  CHECK(batch_sizes == std::vector<int>{2, 2, 2});
  REQUIRE(seen.size() == 3);
  CHECK(std::string(seen[0].task) == "deletion");
  CHECK(seen[0].done == 2);
  CHECK(seen[2].done == 6);
  CHECK(seen[2].total == 6);
  CHECK(full.auc == Approx(0.5));

  batch_sizes.clear();
  int calls = 0;
  auto stop_after_two = [&](const mcrise::Progress&) { return ++calls == 2; };
  auto part = mcrise::deletion(model, img, map, 2, o, record, stop_after_two);
  CHECK_FALSE(part.complete);
  CHECK(batch_sizes.size() == 2);
  REQUIRE(part.confidences.size() == 4);
  require_vec(part.fractions, {0.0, 0.2, 0.4, 0.6});
  CHECK(part.auc == Approx(0.5 * 0.6));  // area over the evaluated prefix only
}

TEST_CASE("deletion and insertion validate their inputs", "[deletion][insertion]") {
  const Image img = red_blue_image();
  const SaliencyMap map = tie_map();
  auto m = red_fraction_single;
  using Catch::Contains;

  CHECK_THROWS_WITH(mcrise::deletion(m, img, SaliencyMap::Zero(3, 2), 0),
                    Contains("mcrise::deletion(): the saliency map is 3 x 2 but the image is 2 x 3"));
  SaliencyMap bad = map;
  bad(1, 2) = std::nan("");
  CHECK_THROWS_WITH(mcrise::deletion(m, img, bad, 0), Contains("NaN at pixel (1, 2)"));
  CHECK_THROWS_WITH(mcrise::insertion(m, img, bad, 0), Contains("mcrise::insertion()") && Contains("NaN"));

  mcrise::DeletionOptions o;
  o.step = 0;
  CHECK_THROWS_WITH(mcrise::deletion(m, img, map, 0, o), Contains("mcrise::deletion(): step must be >= 1, got 0"));
  o.step = 1;
  o.batch_size = 0;
  CHECK_THROWS_WITH(mcrise::deletion(m, img, map, 0, o), Contains("batch_size must be >= 1, got 0"));
  o.batch_size = 4;
  o.fill = {1.0f, 0.0f};
  CHECK_THROWS_WITH(mcrise::deletion(m, img, map, 0, o), Contains("the fill colour has 2 channels but the image has 3"));
  o.fill.clear();
  o.substrate = Image(2, 3, 1);
  CHECK_THROWS_WITH(mcrise::deletion(m, img, map, 0, o), Contains("the substrate is 2 x 3 x 1"));

  CHECK_THROWS_WITH(mcrise::deletion(m, img, map, 2), Contains("class 2 is out of range: the model returns 2 scores"));
  CHECK_THROWS_WITH(mcrise::deletion(m, img, map, -1), Contains("class index must be >= 0, got -1"));
  CHECK_THROWS_WITH(mcrise::deletion(m, Image(), SaliencyMap(), 0), Contains("the image is empty"));

  mcrise::InsertionOptions i;
  i.blur_sigma = -2.0;
  CHECK_THROWS_WITH(mcrise::insertion(m, img, map, 0, i), Contains("blur_sigma must be in [0, 1e5] pixels"));
  i.blur_sigma = 1.0;
  i.step = -3;
  CHECK_THROWS_WITH(mcrise::insertion(m, img, map, 0, i), Contains("step must be >= 1, got -3"));

  // The model's own exceptions pass through untouched.
  auto throws = [](const Image&) -> std::vector<double> { throw std::logic_error("model broke"); };
  CHECK_THROWS_AS(mcrise::deletion(throws, img, map, 0), std::logic_error);
}

TEST_CASE("summarize_metric: mean, sample standard deviation and standard error", "[metrics]") {
  const auto s = mcrise::summarize_metric(std::vector<double>{0.1, 0.2, 0.3, 0.6});
  CHECK(s.count == 4);
  CHECK(s.mean == Approx(0.3));
  // deviations -0.2 -0.1 0 0.3: squares sum 0.14; variance 0.14/3
  CHECK(s.std_dev == Approx(std::sqrt(0.14 / 3)));
  CHECK(s.standard_error == Approx(std::sqrt(0.14 / 3) / 2));

  std::vector<mcrise::MetricCurve> curves(2);
  curves[0].auc = 1.0;
  curves[1].auc = 3.0;
  const auto c = mcrise::summarize_metric(curves);
  CHECK(c.mean == 2.0);
  CHECK(c.standard_error == Approx(1.0));

  const auto one = mcrise::summarize_metric(std::vector<double>{0.5});
  CHECK(one.mean == 0.5);
  CHECK(std::isnan(one.standard_error));
  CHECK_THROWS_WITH(mcrise::summarize_metric(std::vector<double>{}), Catch::Contains("no scores"));
  CHECK_THROWS_WITH(mcrise::summarize_metric(std::vector<double>{1.0, INFINITY}),
                    Catch::Contains("score 1 is not finite"));
}

TEST_CASE("metrics work for any channel count (grey and RGBA)", "[deletion][insertion]") {
  // Grey 1 x 4 image with values 0.1 0.2 0.3 0.4; score = mean value; map = value, so the
  // brightest pixels go first. Fill 0.5, step 2: means 0.25, (0.1+0.2+0.5+0.5)/4, 0.5.
  Image grey(1, 4, 1);
  for (int x = 0; x < 4; ++x) grey(0, x, 0) = 0.1f * static_cast<float>(x + 1);
  SaliencyMap map(1, 4);
  map << 0.1, 0.2, 0.3, 0.4;
  auto mean = [](const Image& im) {
    double s = 0;
    for (std::size_t i = 0; i < im.size(); ++i) s += static_cast<double>(im.data()[i]);
    return std::vector<double>{s / static_cast<double>(im.size())};
  };
  mcrise::DeletionOptions o;
  o.step = 2;
  o.fill = {0.5f};
  const auto c = mcrise::deletion(mean, grey, map, 0, o);
  require_vec(c.confidences, {0.25, 1.3 / 4, 0.5});

  // RGBA: the fourth channel is carried like any other.
  Image rgba(3, 3, 4, 1.0f);
  mcrise::DeletionOptions z;
  const auto d = mcrise::deletion(mean, rgba, SaliencyMap::Zero(3, 3), 0, z);
  require_vec(d.confidences, {1.0, 2.0 / 3, 1.0 / 3, 0.0});
  mcrise::InsertionOptions i;
  i.blur_sigma = 1.0;
  const auto e = mcrise::insertion(mean, rgba, SaliencyMap::Zero(3, 3), 0, i);
  require_vec(e.confidences, {1.0, 1.0, 1.0, 1.0});  // a constant image blurs to itself
}

TEST_CASE("a step larger than the image removes everything in one step, without overflow", "[deletion]") {
  Image img(3, 4, 3, 0.5f);
  auto model = [](const Image& im) {
    double s = 0;
    for (std::size_t i = 0; i < im.size(); ++i) s += im.data()[i];
    return std::vector<double>{s / static_cast<double>(im.size()), 1.0};
  };
  SaliencyMap map = SaliencyMap::Constant(3, 4, 1.0);
  mcrise::DeletionOptions o;
  o.step = std::numeric_limits<std::int64_t>::max();
  const auto c = mcrise::deletion(model, img, map, 0, o);
  REQUIRE(c.fractions == std::vector<double>{0.0, 1.0});
  CHECK(c.confidences[0] == Approx(0.5));
  CHECK(c.confidences[1] == Approx(0.0));
  CHECK(c.auc == Approx(0.25));
}

TEST_CASE("the pixel order is std::stable_sort's, with ties by pixel index and -0 equal to +0", "[deletion][order]") {
  std::uint64_t state = 99;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  const double inf = std::numeric_limits<double>::infinity();
  for (std::int64_t n : {0, 1, 2, 7, 1000, 50176}) {
    std::vector<double> key(static_cast<std::size_t>(n));
    for (auto& k : key) {
      switch (next() % 8) {
        case 0: k = 0.0; break;
        case 1: k = -0.0; break;
        case 2: k = static_cast<double>(next() % 5) - 2.0; break;  // many ties
        case 3: k = (next() % 2 ? 1 : -1) * inf; break;
        case 4: k = (next() % 2 ? 1 : -1) * 4.9e-324 * static_cast<double>(next() % 3); break;  // denormals
        default: k = (static_cast<double>(next()) / 2147483648.0 - 1.0) * std::pow(10.0, static_cast<double>(next() % 40) - 20);
      }
    }
    for (bool descending : {true, false}) {
      std::vector<std::int64_t> ref(static_cast<std::size_t>(n));
      for (std::int64_t i = 0; i < n; ++i) ref[static_cast<std::size_t>(i)] = i;
      std::stable_sort(ref.begin(), ref.end(), [&](std::int64_t a, std::int64_t b) {
        return descending ? key[static_cast<std::size_t>(a)] > key[static_cast<std::size_t>(b)]
                          : key[static_cast<std::size_t>(a)] < key[static_cast<std::size_t>(b)];
      });
      INFO("n = " << n << (descending ? ", descending" : ", ascending"));
      CHECK(mcrise::detail::metric_order(key.data(), n, descending) == ref);
    }
  }
}

TEST_CASE("gaussian_blur equals the direct 2-D sum with edge clamping, for non-square images and any sigma",
          "[insertion]") {
  // Reference written from the documentation alone: weights ∝ exp(-i²/(2σ²)) for |i| <= ceil(3σ),
  // normalised, pixels outside the image repeat the nearest edge pixel; out(y, x) =
  // Σ_i Σ_j w_i w_j img(clamp(y + i), clamp(x + j)) in double. The library rounds the row pass
  // and the result to float: at most 2 · 2^-24 of values in [0, 1].
  std::mt19937 gen(11);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (auto [H, W] : {std::pair<int, int>{5, 11}, {11, 5}, {1, 7}})
    for (double sigma : {0.9, 1.0, 1.3, 2.2}) {  // 3σ = 2.7, 3, 3.9, 6.6: radii 3, 3, 4, 7
      Image img(H, W, 2, 0.0f);
      for (std::size_t i = 0; i < img.size(); ++i) img.data()[i] = u(gen);
      const int r = static_cast<int>(std::ceil(3 * sigma));
      std::vector<double> w(static_cast<std::size_t>(2 * r + 1));
      double norm = 0;
      for (int i = -r; i <= r; ++i) norm += w[static_cast<std::size_t>(i + r)] = std::exp(-i * i / (2 * sigma * sigma));
      for (double& v : w) v /= norm;
      const Image out = mcrise::gaussian_blur(img, sigma);
      double worst = 0;
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x)
          for (int c = 0; c < 2; ++c) {
            double want = 0;
            for (int i = -r; i <= r; ++i)
              for (int j = -r; j <= r; ++j)
                want += w[static_cast<std::size_t>(i + r)] * w[static_cast<std::size_t>(j + r)] *
                        img(std::clamp(y + i, 0, H - 1), std::clamp(x + j, 0, W - 1), c);
            worst = std::max(worst, std::abs(out(y, x, c) - want));
          }
      INFO(H << " x " << W << " sigma " << sigma);
      CHECK(worst <= 2.0 * 0x1.0p-24);
    }
}

TEST_CASE("a run stopped with one point left is not complete", "[deletion][callbacks]") {
  // 5 x 4 image, step 4: 20 / 4 + 1 = 6 points; batch 5 -> batches of 5 and 1. Stopping after the
  // first batch leaves the last point (all pixels removed) unevaluated.
  const Image img(5, 4, 3, 1.0f);
  const SaliencyMap map = SaliencyMap::Zero(5, 4);
  auto model = [](const ImageBatch& b) { return Eigen::MatrixXf::Constant(b.size(), 3, 0.5f).eval(); };
  mcrise::DeletionOptions o;
  o.step = 4;
  o.batch_size = 5;
  auto stop = [](const mcrise::Progress&) { return true; };
  const auto part = mcrise::deletion(model, img, map, 0, o, stop);
  REQUIRE(part.confidences.size() == 5);
  CHECK_FALSE(part.complete);
  mcrise::InsertionOptions io;
  io.step = 4;
  io.batch_size = 5;
  const auto ipart = mcrise::insertion(model, img, map, 0, io, stop);
  REQUIRE(ipart.confidences.size() == 5);
  CHECK_FALSE(ipart.complete);
  // Unstopped, the same batches make a complete curve.
  CHECK(mcrise::deletion(model, img, map, 0, o).complete);
}
