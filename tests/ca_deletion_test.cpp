// Tests of ca_deletion(): a hand-computed curve, oracle colour maps beating
// random and reversed ones, the meeting point with deletion(), validation,
// and the paper's argument (section 5.2) in miniature.
#include <mcrise/ca_deletion.hpp>
#include <mcrise/deletion.hpp>
#include <mcrise/mc_rise.hpp>
#include <mcrise/rise.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace {

using mcrise::Color;
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

// Batch classifier, two classes: 0 = fraction of pure red pixels, 1 = its complement.
Eigen::MatrixXd red_fraction(const ImageBatch& b) {
  Eigen::MatrixXd s(b.size(), 2);
  for (int i = 0; i < b.size(); ++i) {
    double n = 0;
    for (int y = 0; y < b.height(); ++y)
      for (int x = 0; x < b.width(); ++x)
        n += (b(i, y, x, 0) == 1.0f && b(i, y, x, 1) == 0.0f && b(i, y, x, 2) == 0.0f) ? 1.0 : 0.0;
    s(i, 0) = n / static_cast<double>(b.height() * b.width());
    s(i, 1) = 1.0 - s(i, 0);
  }
  return s;
}

const Color kRed{1.0f, 0.0f, 0.0f};
const Color kGreen{0.0f, 1.0f, 0.0f};
const Color kBlue{0.0f, 0.0f, 1.0f};
const Color kWhite{1.0f, 1.0f, 1.0f};
const Color kBlack{0.0f, 0.0f, 0.0f};

void require_vec(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-12));
}

}  // namespace

TEST_CASE("ca_deletion: hand-computed curve, argmin colours and ties", "[ca_deletion]") {
  const Image img = red_blue_image();
  SaliencyMap s_red(2, 3), s_black(2, 3);
  s_red << 0.1, -0.2, -0.5,  //
      0.0, 0.4, -0.1;
  s_black << 0.1, -0.6, 0.2,  //
      -0.5, 0.5, 0.2;
  // min_k: p0 0.1 (tie between colours -> k = 0, red), p1 -0.6 black, p2 -0.5 red,
  // p3 -0.5 black, p4 0.4 red, p5 -0.1 red. Ascending, ties by pixel index:
  // p1, p2, p3, p5, p0, p4. With step 2 (4 points):
  //   start:                        red {0,1,3,5}   -> 4/6
  //   p1 -> black, p2 -> red:        red {0,2,3,5}   -> 4/6
  //   p3 -> black, p5 -> red:        red {0,2,5}     -> 3/6
  //   p0 -> red,   p4 -> red:        red {0,2,4,5}   -> 4/6
  // AUC = 1/3 [(4+4)/12 + (4+3)/12 + (3+4)/12] = 22/36 = 11/18.
  // (Had p3 preceded p2 the first step would leave red {0,5} -> 2/6.)
  for (auto layout : {mcrise::Layout::HWC, mcrise::Layout::CHW})
    for (int bs : {1, 3, 64}) {
      mcrise::CaDeletionOptions o;
      o.step = 2;
      o.layout = layout;
      o.batch_size = bs;
      const auto c = mcrise::ca_deletion(red_fraction, img, {s_red, s_black}, {kRed, kBlack}, 0, o);
      CHECK(c.complete);
      CHECK(c.step == 2);
      require_vec(c.fractions, {0.0, 1.0 / 3, 2.0 / 3, 1.0});
      require_vec(c.confidences, {4.0 / 6, 4.0 / 6, 3.0 / 6, 4.0 / 6});
      CHECK(c.auc == Approx(11.0 / 18));
    }
  // The default step is W = 3 (3 points): {p1,p2,p3} -> red {0,2,5}; then all processed -> {0,2,4,5}.
  const auto d = mcrise::ca_deletion(red_fraction, img, {s_red, s_black}, {kRed, kBlack}, 1);
  require_vec(d.confidences, {2.0 / 6, 3.0 / 6, 2.0 / 6});
  CHECK(d.auc == Approx(0.5 * (5.0 / 12) + 0.5 * (5.0 / 12)));
}

namespace {

// A model linear in the pixel values: score = 0.5 + Σ_λ w_λ (a · p_λ) / Σw.
// Painting pixel λ with colour c_k changes the score by exactly
// S*(λ,k) = w_λ a · (c_k - p_λ) / Σw, and the changes of different pixels add up.
struct LinearColorModel {
  std::vector<double> w;
  double a[3] = {1.0, -0.6, 0.3};
  double total = 0;
  explicit LinearColorModel(std::size_t n) : w(n) {
    for (std::size_t i = 0; i < n; ++i) w[i] = 1.0 + static_cast<double>((i * 7919) % n) / static_cast<double>(n);
    total = std::accumulate(w.begin(), w.end(), 0.0);
  }
  double effect(std::size_t p, const float* px, const Color& c) const {
    double e = 0;
    for (int ch = 0; ch < 3; ++ch) e += a[ch] * (static_cast<double>(c[static_cast<std::size_t>(ch)]) - px[ch]);
    return w[p] * e / total;
  }
  std::vector<double> operator()(const Image& im) const {
    double s = 0;
    for (std::size_t p = 0; p < im.pixels(); ++p)
      for (int ch = 0; ch < 3; ++ch) s += w[p] * a[ch] * static_cast<double>(im.data()[p * 3 + static_cast<std::size_t>(ch)]);
    return {0.5 + s / total};
  }
};

}  // namespace

TEST_CASE("ca_deletion: oracle colour maps beat random maps beat the reversed oracle", "[ca_deletion]") {
  // With the oracle maps S = S*, step j removes the pixels of the j*step
  // smallest min_k S*(λ,k), each with its most harmful colour: since effects
  // add, no other choice of pixels and colours gives a lower score at any
  // step. The reversed oracle (-S*) takes the largest max_k S*(λ,k) with its
  // most helpful colour, which no other choice exceeds. So the curves are
  // ordered pointwise: oracle <= random <= reversed.
  const int H = 8, W = 9;
  Image img(H, W, 3);
  std::mt19937 gen(2020);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (std::size_t i = 0; i < img.size(); ++i) img.data()[i] = u(gen);
  const LinearColorModel model(img.pixels());
  const std::vector<Color> colors{kRed, kGreen, kBlue, kWhite, kBlack};
  std::vector<SaliencyMap> oracle(colors.size(), SaliencyMap(H, W)), random = oracle, reversed = oracle;
  for (std::size_t k = 0; k < colors.size(); ++k)
    for (std::size_t p = 0; p < img.pixels(); ++p) {
      oracle[k].data()[p] = model.effect(p, img.data() + p * 3, colors[k]);
      random[k].data()[p] = u(gen);
      reversed[k].data()[p] = -oracle[k].data()[p];
    }
  mcrise::CaDeletionOptions o;
  o.step = 5;  // 72 pixels: a partial last step
  const auto c_or = mcrise::ca_deletion(model, img, oracle, colors, 0, o);
  const auto c_ra = mcrise::ca_deletion(model, img, random, colors, 0, o);
  const auto c_re = mcrise::ca_deletion(model, img, reversed, colors, 0, o);
  REQUIRE(c_or.confidences.size() == 16);
  for (std::size_t j = 0; j < c_or.confidences.size(); ++j) {
    CHECK(c_or.confidences[j] <= c_ra.confidences[j] + 1e-12);
    CHECK(c_ra.confidences[j] <= c_re.confidences[j] + 1e-12);
  }
  CHECK(c_or.auc < c_ra.auc);
  CHECK(c_ra.auc < c_re.auc);
  // Closed form of the oracle curve: score(j) = score(0) + sum of the j*step smallest min_k S*.
  std::vector<double> mins(img.pixels());
  for (std::size_t p = 0; p < img.pixels(); ++p) {
    mins[p] = oracle[0].data()[p];
    for (const auto& m : oracle) mins[p] = std::min(mins[p], m.data()[p]);
  }
  std::sort(mins.begin(), mins.end());
  double acc = model(img)[0];
  for (std::size_t j = 0, done = 0; j < c_or.confidences.size(); ++j) {
    for (; done < std::min<std::size_t>(j * 5, mins.size()); ++done) acc += mins[done];
    CHECK(c_or.confidences[j] == Approx(acc).margin(1e-9));
  }
}

TEST_CASE("ca_deletion with one colour equals deletion onto that constant with the negated map", "[ca_deletion]") {
  const int H = 6, W = 7;
  Image img(H, W, 3);
  std::mt19937 gen(11);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (std::size_t i = 0; i < img.size(); ++i) img.data()[i] = u(gen);
  SaliencyMap s(H, W);
  for (int i = 0; i < s.size(); ++i) s.data()[i] = std::floor(u(gen) * 5.0f) - 2.0;  // many ties
  const LinearColorModel model(img.pixels());
  const Color c{0.2f, 0.7f, 0.1f};
  for (std::int64_t step : {1, 4, 7, 100}) {
    mcrise::CaDeletionOptions ca;
    ca.step = step;
    mcrise::DeletionOptions del;
    del.step = step;
    del.fill = c;
    const auto a = mcrise::ca_deletion(model, img, {s}, {c}, 0, ca);
    const auto b = mcrise::deletion(model, img, SaliencyMap(-s), 0, del);
    CHECK(a.fractions == b.fractions);
    CHECK(a.confidences == b.confidences);
    CHECK(a.auc == b.auc);
  }
}

TEST_CASE("ca_deletion reports progress and validates its inputs", "[ca_deletion]") {
  const Image img = red_blue_image();
  const SaliencyMap s = SaliencyMap::Zero(2, 3);
  using Catch::Contains;

  std::vector<std::int64_t> done;
  mcrise::CaDeletionOptions o;
  o.step = 1;
  o.batch_size = 3;  // 7 points -> batches of 3, 3, 1
  auto c = mcrise::ca_deletion(red_fraction, img, {s}, {kBlack}, 0, o, [&](const mcrise::Progress& p) {
    CHECK(std::string(p.task) == "ca_deletion");
    CHECK(p.total == 7);
    done.push_back(p.done);
  });
  CHECK(done == std::vector<std::int64_t>{3, 6, 7});
  auto stopped = mcrise::ca_deletion(red_fraction, img, {s}, {kBlack}, 0, o, [](const mcrise::Progress&) { return true; });
  CHECK_FALSE(stopped.complete);
  CHECK(stopped.confidences.size() == 3);

  CHECK_THROWS_WITH(mcrise::ca_deletion(red_fraction, img, {}, {}, 0), Contains("mcrise::ca_deletion(): no colour maps"));
  CHECK_THROWS_WITH(mcrise::ca_deletion(red_fraction, img, {s, s}, {kRed}, 0),
                    Contains("2 colour maps but 1 colours"));
  CHECK_THROWS_WITH(mcrise::ca_deletion(red_fraction, img, {s, SaliencyMap::Zero(3, 3)}, {kRed, kBlue}, 0),
                    Contains("colour map 1 is 3 x 3 but the image is 2 x 3"));
  SaliencyMap bad = s;
  bad(0, 1) = std::nan("");
  CHECK_THROWS_WITH(mcrise::ca_deletion(red_fraction, img, {s, bad}, {kRed, kBlue}, 0),
                    Contains("colour map 1 has a NaN at pixel (0, 1)"));
  CHECK_THROWS_WITH(mcrise::ca_deletion(red_fraction, img, {s}, {Color{1.0f}}, 0),
                    Contains("colour 0 has 1 channels but the image has 3"));
  CHECK_THROWS_WITH(mcrise::ca_deletion(red_fraction, img, {s}, {kRed}, 5),
                    Contains("class 5 is out of range: the model returns 2 scores"));
  o.step = 0;
  CHECK_THROWS_WITH(mcrise::ca_deletion(red_fraction, img, {s}, {kRed}, 0, o),
                    Contains("mcrise::ca_deletion(): step must be >= 1, got 0"));
  o.step = 1;
  o.batch_size = -1;
  CHECK_THROWS_WITH(mcrise::ca_deletion(red_fraction, img, {s}, {kRed}, 0, o),
                    Contains("batch_size must be >= 1, got -1"));
}

namespace {

// A miniature speed-limit sign: a red ring around a dark centre on white.
// The model is confident when the ring is red AND the centre is dark:
//   score = R · D, R = mean over ring pixels of max(0, r - max(g, b)),
//                  D = mean over centre pixels of 1 - (r + g + b)/3.
// Deleting onto black can lower R but never D (black is as dark as it gets);
// a colour-aware fill can whiten the centre, which is much smaller than the ring.
struct Sign {
  static constexpr int N = 16;
  std::vector<int> ring, centre;
  Sign() {
    for (int y = 0; y < N; ++y)
      for (int x = 0; x < N; ++x) {
        const double d = std::hypot(y - 7.5, x - 7.5);
        if (d < 2.5) centre.push_back(y * N + x);
        if (d >= 4.5 && d < 7.5) ring.push_back(y * N + x);
      }
  }
  Image image() const {
    Image img(N, N, 3, 1.0f);
    for (int p : ring) img.data()[p * 3 + 1] = img.data()[p * 3 + 2] = 0.0f;
    for (int p : centre) img.data()[p * 3] = img.data()[p * 3 + 1] = img.data()[p * 3 + 2] = 0.0f;
    return img;
  }
  std::vector<double> operator()(const Image& im) const {
    const float* d = im.data();
    double r = 0, k = 0;
    for (int p : ring) r += std::max(0.0f, d[p * 3] - std::max(d[p * 3 + 1], d[p * 3 + 2]));
    for (int p : centre) k += 1.0 - (d[p * 3] + d[p * 3 + 1] + d[p * 3 + 2]) / 3.0;
    const double s = (r / static_cast<double>(ring.size())) * (k / static_cast<double>(centre.size()));
    return {s, 1.0 - s};
  }
};

}  // namespace

TEST_CASE("the paper's argument in miniature: CA-deletion of MC-RISE beats black deletion of RISE",
          "[ca_deletion][paper]") {
  const Sign model;
  const Image img = model.image();
  REQUIRE(model(img)[0] == Approx(1.0));
  const double HW = Sign::N * Sign::N;
  // Best possible curves, for scale: black deletion can only remove the ring, so
  // its AUC is at least ring/(2 HW); a colour-aware fill can whiten the centre first.
  const double best_black = static_cast<double>(model.ring.size()) / (2 * HW);
  const double best_color = static_cast<double>(model.centre.size()) / (2 * HW);
  REQUIRE(best_color < 0.25 * best_black);

  mcrise::RiseOptions ro;
  ro.classes = {0};
  ro.n_masks = 8000;
  const auto rise = mcrise::rise(model, img, ro);
  mcrise::McRiseOptions mo;
  mo.classes = {0};
  mo.n_masks = 8000;
  const auto mc = mcrise::mc_rise(model, img, mo);

  const double black = mcrise::deletion(model, img, rise.map(0), 0);  // default substrate: 0 = black
  const double ca = mcrise::ca_deletion(model, img, mc.map(0), mc.colors(), 0);
  INFO("RISE deletion (black) = " << black << ", MC-RISE CA-deletion = " << ca << ", bounds " << best_black
                                  << " / " << best_color);
  CHECK(black >= best_black - 1e-9);  // no map can beat the bound
  CHECK(ca < 0.5 * black);            // clearly lower, as in the paper's Table 1
}

TEST_CASE("a caller's batch buffer gives the same curves, is reshaped per call and keeps its memory",
          "[deletion][ca_deletion][buffer]") {
  // A layout-aware batch model: class 0 reads a weighted sum of every pixel and channel.
  auto model = [](const mcrise::ImageBatch& b) {
    Eigen::MatrixXd out(b.size(), 2);
    for (int i = 0; i < b.size(); ++i) {
      double s = 0;
      for (int y = 0; y < b.height(); ++y)
        for (int x = 0; x < b.width(); ++x)
          for (int c = 0; c < b.channels(); ++c) s += b(i, y, x, c) * std::sin(0.3 * y + 0.7 * x + c + 0.1);
      out(i, 0) = s;
      out(i, 1) = -s;
    }
    return out;
  };
  auto make = [](int H, int W, int C, int seed) {
    Image img(H, W, C);
    for (std::size_t i = 0; i < img.size(); ++i) img.data()[i] = static_cast<float>(std::cos(0.37 * i + seed) * 0.5 + 0.5);
    SaliencyMap m(H, W);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = std::sin(1.9 * static_cast<double>(i) + seed);
    return std::make_pair(img, m);
  };
  mcrise::ImageBatch buffer;
  const float* big = nullptr;
  struct Case {
    int H, W, C;
    mcrise::Layout layout;
    int batch;
  };
  for (const Case& cs : {Case{13, 17, 3, mcrise::Layout::HWC, 5}, Case{30, 40, 3, mcrise::Layout::CHW, 64},
                         Case{9, 11, 1, mcrise::Layout::HWC, 3}, Case{13, 17, 4, mcrise::Layout::CHW, 7}}) {
    const auto [img, map] = make(cs.H, cs.W, cs.C, cs.H);
    INFO(cs.H << " x " << cs.W << " x " << cs.C);
    auto shape = [&cs](auto& o, std::int64_t step) {  // the same shape for every metric's options
      o.step = step;
      o.batch_size = cs.batch;
      o.layout = cs.layout;
    };
    mcrise::DeletionOptions d;
    shape(d, 5);
    const auto fresh = mcrise::deletion(model, img, map, 0, d);
    d.buffer = &buffer;
    const auto reused = mcrise::deletion(model, img, map, 0, d);
    CHECK(reused.confidences == fresh.confidences);
    CHECK(buffer.height() == cs.H);
    CHECK(buffer.layout() == cs.layout);
    if (cs.H == 30) big = buffer.data();  // the largest: later, smaller calls reuse this memory
    if (big != nullptr && cs.H < 30) CHECK(buffer.data() == big);

    mcrise::InsertionOptions ins;
    shape(ins, 7);
    const auto ins_fresh = mcrise::insertion(model, img, map, 1, ins);
    ins.buffer = &buffer;
    CHECK(mcrise::insertion(model, img, map, 1, ins).confidences == ins_fresh.confidences);

    std::vector<mcrise::Color> colors{mcrise::Color(static_cast<std::size_t>(cs.C), 0.2f),
                                      mcrise::Color(static_cast<std::size_t>(cs.C), 0.9f)};
    std::vector<SaliencyMap> maps{map, -map};
    mcrise::CaDeletionOptions ca;
    shape(ca, 4);
    const auto ca_fresh = mcrise::ca_deletion(model, img, maps, colors, 0, ca);
    ca.buffer = &buffer;
    CHECK(mcrise::ca_deletion(model, img, maps, colors, 0, ca).confidences == ca_fresh.confidences);
  }
  CHECK(big != nullptr);
}
