// Tests of the sign demo: the procedural renderer, the bundled CNN and the
// bundled residual network (paper/signs/). The held-out signs use seed 3, which neither training
// (seed 1) nor validation (seed 2) saw.
#include "signs/cnn.hpp"
#include "signs/render.hpp"
#include "signs/resnet.hpp"

#include <mcrise/classifier.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace signs = mcrise::signs;

namespace {

const signs::SignCnn& bundled() {
  static const signs::SignCnn model = signs::load_bundled_sign_cnn();
  return model;
}

mcrise::ImageBatch make_batch(const std::vector<mcrise::Image>& imgs, mcrise::Layout layout) {
  const auto& f = imgs.front();
  mcrise::ImageBatch b(static_cast<int>(imgs.size()), f.height(), f.width(), f.channels(), layout);
  for (int i = 0; i < b.size(); ++i)
    for (int y = 0; y < f.height(); ++y)
      for (int x = 0; x < f.width(); ++x)
        for (int c = 0; c < f.channels(); ++c) b(i, y, x, c) = imgs[static_cast<std::size_t>(i)](y, x, c);
  return b;
}

std::uint32_t read_u32(const std::vector<char>& bytes, std::size_t pos) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[pos + static_cast<std::size_t>(i)])) << (8 * i);
  return v;
}

float read_f32(const std::vector<char>& bytes, std::size_t pos) {
  const std::uint32_t v = read_u32(bytes, pos);
  float f;
  std::memcpy(&f, &v, 4);
  return f;
}

const signs::SignResNet& bundled_resnet() {
  static const signs::SignResNet model = signs::load_bundled_sign_resnet();
  return model;
}

/// The model's logits and probabilities on the inputs of a reference file written by
/// train.py ("MCRSREF1", n, H, W, C, L, u8 inputs, f32 logits, f32 probabilities)
/// agree with the training code's within the margins.
template <class Model>
void check_against_reference(const Model& model, const std::string& file, double logit_margin) {
  const std::string path = std::string(MCRISE_SOURCE_DIR) + "/paper/signs/" + file;
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(bytes.size() >= 28);
  REQUIRE(std::memcmp(bytes.data(), "MCRSREF1", 8) == 0);
  const int n = static_cast<int>(read_u32(bytes, 8)), H = static_cast<int>(read_u32(bytes, 12)),
            W = static_cast<int>(read_u32(bytes, 16)), C = static_cast<int>(read_u32(bytes, 20)),
            L = static_cast<int>(read_u32(bytes, 24));
  const std::size_t px = 28, lg = px + static_cast<std::size_t>(n * H * W * C), pr = lg + static_cast<std::size_t>(4 * n * L);
  REQUIRE(bytes.size() == pr + static_cast<std::size_t>(4 * n * L));

  // The training code fed uint8 / 255 as float32; so do we.
  mcrise::ImageBatch batch(n, H, W, C, mcrise::Layout::HWC);
  for (std::size_t i = 0; i < static_cast<std::size_t>(n * H * W * C); ++i)
    batch.data()[i] = static_cast<float>(static_cast<unsigned char>(bytes[px + i])) / 255.0f;
  const Eigen::MatrixXf logits = model.logits(batch), probs = model(batch);
  REQUIRE(logits.rows() == n);
  REQUIRE(logits.cols() == L);
  for (int b = 0; b < n; ++b)
    for (int l = 0; l < L; ++l) {
      const float ref_logit = read_f32(bytes, lg + static_cast<std::size_t>(4 * (b * L + l)));
      const float ref_prob = read_f32(bytes, pr + static_cast<std::size_t>(4 * (b * L + l)));
      INFO("sample " << b << " class " << l);
      REQUIRE(logits(b, l) == Approx(ref_logit).margin(logit_margin));
      REQUIRE(probs(b, l) == Approx(ref_prob).margin(1e-5));
    }
}

/// Correct predictions of the model on signs first .. first+n-1 of seed 3.
template <class Model>
int held_out_correct(const Model& model, int n) {
  std::vector<mcrise::Image> imgs;
  std::vector<int> labels;
  for (const auto& s : signs::render_samples(3, 0, n)) {
    imgs.push_back(s.image);
    labels.push_back(s.label);
  }
  const Eigen::MatrixXf p = model(make_batch(imgs, mcrise::Layout::HWC));
  int correct = 0;
  for (int b = 0; b < n; ++b) {
    Eigen::Index best = 0;
    p.row(b).maxCoeff(&best);
    correct += static_cast<int>(best) == labels[static_cast<std::size_t>(b)];
  }
  return correct;
}

}  // namespace

TEST_CASE("renderer: a sample is a pure function of (seed, index)", "[signs][render]") {
  for (std::uint64_t i : {0ull, 7ull, 123456ull}) {
    const auto a = signs::render_sample(5, i), b = signs::render_sample(5, i);
    REQUIRE(a.image == b.image);
    REQUIRE(a.label == b.label);
    REQUIRE(a.label == signs::sample_class(i));
    REQUIRE(a.image.height() == signs::image_size);
    REQUIRE(a.image.width() == signs::image_size);
    REQUIRE(a.image.channels() == 3);
    for (std::size_t k = 0; k < a.image.size(); ++k) {
      REQUIRE(a.image.data()[k] >= 0.0f);
      REQUIRE(a.image.data()[k] <= 1.0f);
    }
  }
  // Generation order does not matter: a range equals the samples one by one.
  const auto range = signs::render_samples(5, 3, 4);
  for (int i = 0; i < 4; ++i) REQUIRE(range[static_cast<std::size_t>(i)].image == signs::render_sample(5, 3 + static_cast<std::uint64_t>(i)).image);
  // Different seeds and different indices give different images.
  REQUIRE(signs::render_sample(5, 7).image != signs::render_sample(6, 7).image);
  REQUIRE(signs::render_sample(5, 7).image != signs::render_sample(5, 17).image);
}

TEST_CASE("renderer: every class appears once per block of num_classes indices", "[signs][render]") {
  std::vector<int> seen(signs::num_classes, 0);
  for (std::uint64_t i = 40; i < 40 + signs::num_classes; ++i) ++seen[static_cast<std::size_t>(signs::sample_class(i))];
  for (int n : seen) REQUIRE(n == 1);
  REQUIRE(signs::class_name(0) == "stop");
  REQUIRE(signs::class_name(signs::SignClass::priority_road) == "priority_road");
  REQUIRE_THROWS_AS(signs::class_name(signs::num_classes), std::invalid_argument);
}

TEST_CASE("renderer: explicit controls", "[signs][render]") {
  // A canonical stop sign: the centre pixel is red paint or white letters,
  // the corner is the plain background.
  const auto p = signs::canonical_sign_params(signs::SignClass::stop);
  const mcrise::Image img = signs::render_sign(p);
  const int c = signs::image_size / 2;
  REQUIRE(img(0, 0, 0) == Approx(p.plain_color[0]).margin(1e-6));
  REQUIRE(img(0, 0, 2) == Approx(p.plain_color[2]).margin(1e-6));
  // Just inside the rim on the left: red paint, R >> G, B.
  const int x = c - static_cast<int>(0.8f * p.radius * signs::image_size);
  REQUIRE(img(c, x, 0) > 0.6f);
  REQUIRE(img(c, x, 1) < 0.2f);

  // Over-exposure saturates: the yellow of a priority-road sign goes to white.
  auto q = signs::canonical_sign_params(signs::SignClass::priority_road);
  const mcrise::Image normal = signs::render_sign(q);
  q.exposure = 3.0f;
  q.brightness = 0.3f;
  const mcrise::Image over = signs::render_sign(q);
  REQUIRE(normal(c, c, 2) < 0.2f);  // yellow: little blue
  REQUIRE(over(c, c, 0) == 1.0f);
  REQUIRE(over(c, c, 1) == 1.0f);
  REQUIRE(over(c, c, 2) > 0.3f);

  q.exposure = 0.0f;
  REQUIRE_THROWS_WITH(signs::render_sign(q), Catch::Contains("exposure") && Catch::Contains("render_sign"));
  auto r = signs::canonical_sign_params(signs::SignClass::stop);
  r.radius = 1.5f;
  REQUIRE_THROWS_AS(signs::render_sign(r), std::invalid_argument);
}

TEST_CASE("cnn: the bundled model loads and is cheap enough for MC-RISE", "[signs][cnn]") {
  const auto& m = bundled();
  REQUIRE(m.input_height() == signs::image_size);
  REQUIRE(m.input_width() == signs::image_size);
  REQUIRE(m.input_channels() == 3);
  REQUIRE(m.num_classes() == signs::num_classes);
  REQUIRE(m.multiply_adds() <= 5'000'000);
  static_assert(mcrise::detail::is_batch_classifier_v<const signs::SignCnn&>, "SignCnn is a batch classifier");
}

TEST_CASE("cnn: C++/Eigen inference matches the training code (torch) on the reference inputs", "[signs][cnn]") {
  // Float32 sums of ~1700 products in a different order: differences of a
  // few ulps of the largest partial sums (|logit| ~ 10-30) -> 1e-3 absolute.
  check_against_reference(bundled(), "sign_cnn_reference.bin", 1e-3);
}

TEST_CASE("cnn: HWC and CHW batches give the same scores; batching does not change them", "[signs][cnn]") {
  std::vector<mcrise::Image> imgs;
  for (std::uint64_t i = 0; i < 40; ++i) imgs.push_back(signs::render_sample(3, 1000 + i).image);
  const Eigen::MatrixXf hwc = bundled()(make_batch(imgs, mcrise::Layout::HWC));
  const Eigen::MatrixXf chw = bundled()(make_batch(imgs, mcrise::Layout::CHW));
  REQUIRE(hwc.rows() == 40);
  REQUIRE(hwc.cols() == signs::num_classes);
  // The same floats in the same order reach the same GEMMs: bitwise equal.
  REQUIRE(hwc == chw);
  for (int b = 0; b < 40; ++b) {
    REQUIRE(hwc.row(b).sum() == Approx(1.0).margin(1e-5));
    const Eigen::VectorXf one = bundled().probabilities(imgs[static_cast<std::size_t>(b)]);
    REQUIRE((one - hwc.row(b).transpose()).cwiseAbs().maxCoeff() < 1e-5f);
  }
  // Through the library's own classifier plumbing as well.
  const Eigen::VectorXd s = mcrise::classify(bundled(), imgs[0], mcrise::Layout::CHW);
  REQUIRE((s.cast<float>() - hwc.row(0).transpose()).cwiseAbs().maxCoeff() < 1e-5f);
}

TEST_CASE("cnn: held-out accuracy of the bundled model on 200 fresh signs", "[signs][cnn]") {
  // Seed 3, indices 0..199: 20 signs of each class that training never saw.
  // The bundled model gets 2000/2000 validation signs (seed 2) and 5000/5000
  // signs of seed 3 right (paper/signs/README.md). The threshold, 95%
  // (190/200), fails a broken model or broken preprocessing by far (chance is
  // 10%) yet lets a retrained model that merely meets the 97% target pass:
  // at 97% the number of errors is Binomial(200, 0.03), mean 6, and more
  // than 10 errors has probability about 4%.
  const int n = 200, correct = held_out_correct(bundled(), n);
  const double acc = static_cast<double>(correct) / n;
  INFO("held-out accuracy " << acc);
  REQUIRE(acc >= 0.95);
}

TEST_CASE("cnn: over-exposure makes the bundled model misread a priority-road sign (Fig. 6)", "[signs][cnn]") {
  const auto& m = bundled();
  const signs::SignParams over = signs::overexposed_priority_road_params();
  REQUIRE(over.cls == signs::SignClass::priority_road);
  signs::SignParams normal = over;
  normal.exposure = 1.0f;
  normal.brightness = 0.0f;
  const int pr = signs::class_index(signs::SignClass::priority_road);
  REQUIRE(m.predict(signs::render_sign(normal)) == pr);
  const Eigen::VectorXf p = m.probabilities(signs::render_sign(over));
  REQUIRE(m.predict(signs::render_sign(over)) == signs::class_index(signs::SignClass::yield));
  REQUIRE(p[signs::class_index(signs::SignClass::yield)] > 0.95f);
  REQUIRE(p[pr] < 0.05f);
}

TEST_CASE("cnn: missing, corrupt and mismatched inputs are reported", "[signs][cnn]") {
  REQUIRE_THROWS_WITH(signs::SignCnn::load("/nonexistent/sign_cnn.bin"),
                      Catch::Contains("/nonexistent/sign_cnn.bin") && Catch::Contains("cannot open"));

  // Truncate a copy of the bundled file; then corrupt its magic.
  std::ifstream in(signs::bundled_weights_path(), std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string tmp = "signs_test_corrupt.bin";
  {
    std::ofstream out(tmp, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  }
  REQUIRE_THROWS_WITH(signs::SignCnn::load(tmp), Catch::Contains(tmp) && Catch::Contains("truncated"));
  {
    std::ofstream out(tmp, std::ios::binary);
    bytes[0] = 'X';
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  REQUIRE_THROWS_WITH(signs::SignCnn::load(tmp), Catch::Contains(tmp) && Catch::Contains("magic"));
  std::remove(tmp.c_str());

  mcrise::ImageBatch wrong(2, 32, 32, 3);
  REQUIRE_THROWS_WITH(bundled()(wrong), Catch::Contains("32 x 32 x 3") && Catch::Contains("48 x 48 x 3"));
  REQUIRE_THROWS_AS(signs::SignCnn{}(mcrise::ImageBatch(1, 48, 48, 3)), std::invalid_argument);
}

TEST_CASE("resnet: C++/Eigen inference (batch norm folded) matches the training code (torch)", "[signs][resnet]") {
  // torch ran batch norm unfolded, we run it folded into the convolutions; both
  // are float32 with sums of at most 432 products in different orders.
  check_against_reference(bundled_resnet(), "sign_resnet_reference.bin", 1e-4);
}

TEST_CASE("resnet: shape, HWC and CHW, batching and the classifier plumbing", "[signs][resnet]") {
  const auto& m = bundled_resnet();
  REQUIRE(m.input_height() == 48);
  REQUIRE(m.input_width() == 48);
  REQUIRE(m.num_classes() == signs::num_classes);
  // stem 24*24*16*27, block 1: 12*12*24*(144 + 216 + 16), block 2: 6*6*48*(216 + 432 + 24), fc 48*10.
  REQUIRE(m.multiply_adds() == 248832 + 1299456 + 1161216 + 480);
  std::vector<mcrise::Image> imgs;
  for (std::uint64_t i = 0; i < 40; ++i) imgs.push_back(signs::render_sample(3, 1000 + i).image);
  const Eigen::MatrixXf hwc = m(make_batch(imgs, mcrise::Layout::HWC));
  REQUIRE(hwc == m(make_batch(imgs, mcrise::Layout::CHW)));
  for (int b = 0; b < 40; ++b) {
    REQUIRE(hwc.row(b).sum() == Approx(1.0).margin(1e-5));
    REQUIRE((m.probabilities(imgs[static_cast<std::size_t>(b)]) - hwc.row(b).transpose()).cwiseAbs().maxCoeff() < 1e-5f);
  }
  const Eigen::VectorXd s = mcrise::classify(m, imgs[0], mcrise::Layout::CHW);
  REQUIRE((s.cast<float>() - hwc.row(0).transpose()).cwiseAbs().maxCoeff() < 1e-5f);
}

TEST_CASE("resnet: held-out accuracy of the bundled model on 200 fresh signs", "[signs][resnet]") {
  // The bundled ResNet is under-trained (paper/signs/README.md): 94.9 % of the
  // validation signs, 956 / 1000 and 190 / 200 of these. The threshold, 90 %
  // (180 / 200), fails a broken model or broken preprocessing by far (chance is
  // 10 %); for a retrained model of 95 % accuracy the errors are Binomial(200,
  // 0.05), mean 10, and more than 20 has probability about 0.1 %.
  const int correct = held_out_correct(bundled_resnet(), 200);
  INFO("correct " << correct << " / 200");
  REQUIRE(correct >= 180);
}

TEST_CASE("resnet: missing and corrupt weight files are reported", "[signs][resnet]") {
  REQUIRE_THROWS_WITH(signs::SignResNet::load("/nonexistent/sign_resnet.bin"),
                      Catch::Contains("SignResNet::load()") && Catch::Contains("cannot open"));
  // The CNN's file is not a residual network.
  REQUIRE_THROWS_WITH(signs::SignResNet::load(signs::bundled_weights_path()), Catch::Contains("magic"));
  std::ifstream in(signs::bundled_resnet_path(), std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string tmp = "signs_test_corrupt_resnet.bin";
  {
    std::ofstream out(tmp, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size() - 4));
  }
  REQUIRE_THROWS_WITH(signs::SignResNet::load(tmp), Catch::Contains(tmp) && Catch::Contains("truncated"));
  {
    std::ofstream out(tmp, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.write(bytes.data(), 3);
  }
  REQUIRE_THROWS_WITH(signs::SignResNet::load(tmp), Catch::Contains("3 trailing bytes"));
  std::remove(tmp.c_str());
  REQUIRE_THROWS_WITH(bundled_resnet()(mcrise::ImageBatch(2, 32, 32, 3)),
                      Catch::Contains("SignResNet::logits()") && Catch::Contains("48 x 48 x 3"));
  REQUIRE_THROWS_AS(signs::SignResNet{}(mcrise::ImageBatch(1, 48, 48, 3)), std::invalid_argument);
}
