// LIME against mathematics computed here from the same samples: the fit equals the weighted
// ridge regression solved two other ways (QR of the sqrt(weight)-scaled augmented system, and
// the uncentred normal equations by LU); a model exactly linear in the superpixel indicators is
// recovered exactly without the penalty and to the computed shrinkage with it; a superpixel the
// model ignores gets a coefficient within its standard error of 0 (and one it uses does not);
// determinism across threads, batch sizes and layouts; bad options refused before any call.
#include <mcrise/io.hpp>
#include <mcrise/lime.hpp>
#include <mcrise/render.hpp>

#include <catch2/catch.hpp>

#include <Eigen/Dense>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace {

constexpr int kH = 12, kW = 16, kRows = 3, kCols = 4, kS = kRows * kCols;

// Channel 0 is a checkerboard of 0.2 and 0.8 (mean 0.5 over every 4 x 4 superpixel), channel 1
// a per-superpixel level, channel 2 a ramp: a switched-off superpixel (filled with its mean, or
// with black) is told from a kept one by channel 0 alone.
mcrise::Image test_image() {
  const auto seg = mcrise::grid_segments(kH, kW, kRows, kCols);
  mcrise::Image img(kH, kW, 3);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x) {
      img(y, x, 0) = (x + y) % 2 ? 0.8f : 0.2f;
      img(y, x, 1) = 0.1f + 0.05f * static_cast<float>(seg(y, x));
      img(y, x, 2) = static_cast<float>(x) / kW;
    }
  return img;
}

// Which superpixels of a perturbed test image are kept: pixel (y, x) is kept iff channel 0 is
// still 0.2 or 0.8 (a fill puts 0.5 or 0 there). Checks that all pixels of a superpixel agree.
std::vector<int> decode(const mcrise::Image& im, const mcrise::SegmentMap& seg) {
  std::vector<int> z(kS, -1);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x) {
      const float v = im(y, x, 0);
      const int on = (v == 0.2f || v == 0.8f) ? 1 : 0;
      int& zj = z[static_cast<std::size_t>(seg(y, x))];
      REQUIRE((zj == -1 || zj == on));
      zj = on;
    }
  return z;
}

// A model linear in the indicators, score_c = b_c + Σ_j w_cj z_j (+ noise(z) if set), that
// records each sample's indicators and scores in call order.
struct LinearModel {
  mcrise::SegmentMap seg = mcrise::grid_segments(kH, kW, kRows, kCols);
  Eigen::MatrixXd w;  // S x 2
  Eigen::Vector2d b{0.3, -0.1};
  double noise = 0.0;  // scale of a pseudo-random term, a fixed function of z with mean 0, variance noise²
  std::vector<std::vector<int>> zs;
  std::vector<Eigen::Vector2d> ys;
  int calls = 0;

  LinearModel() : w(kS, 2) {
    for (int j = 0; j < kS; ++j) {
      w(j, 0) = 0.05 * ((j * 7) % 5) - 0.08;  // mixed signs
      w(j, 1) = 0.02 * j;
    }
  }
  Eigen::Vector2d score(const std::vector<int>& z) const {
    Eigen::Vector2d s = b;
    std::uint64_t key = 0;
    for (int j = 0; j < kS; ++j) {
      s(0) += w(j, 0) * z[static_cast<std::size_t>(j)];
      s(1) += w(j, 1) * z[static_cast<std::size_t>(j)];
      key = key * 2 + static_cast<std::uint64_t>(z[static_cast<std::size_t>(j)]);
    }
    if (noise > 0) {  // uniform on [-sqrt(3), sqrt(3)) · noise, from a hash of z
      const double u = static_cast<double>(mcrise::detail::mix64(key + 12345) >> 11) * 0x1.0p-53;
      s.array() += noise * std::sqrt(12.0) * (u - 0.5);
    }
    return s;
  }
  std::vector<double> operator()(const mcrise::Image& im) {
    ++calls;
    zs.push_back(decode(im, seg));
    ys.push_back(score(zs.back()));
    return {ys.back()(0), ys.back()(1)};
  }
};

// The same model in batch form (for the layout and batch-size tests), recording nothing.
struct LinearBatchModel {
  LinearModel m;
  int calls = 0;
  Eigen::MatrixXd operator()(const mcrise::ImageBatch& batch) {
    ++calls;
    Eigen::MatrixXd out(batch.size(), 2);
    for (int i = 0; i < batch.size(); ++i) out.row(i) = m.score(decode(batch.image(i), m.seg)).transpose();
    return out;
  }
};

// The samples as matrices: Z (N x S), y (N) for one class, and the weights computed here from
// the cosine similarity k / (sqrt(k)·sqrt(S)) and exp(-d² / (2σ²)).
struct Samples {
  Eigen::MatrixXd Z;
  Eigen::VectorXd y, pi;
};
Samples samples_of(const LinearModel& m, int cls, double sigma) {
  const auto n = static_cast<Eigen::Index>(m.zs.size());
  Samples s{Eigen::MatrixXd(n, kS), Eigen::VectorXd(n), Eigen::VectorXd(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    for (int j = 0; j < kS; ++j) s.Z(i, j) = m.zs[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
    s.y(i) = m.ys[static_cast<std::size_t>(i)](cls);
    const double k = s.Z.row(i).sum();
    const double cosine = k > 0 ? k / (std::sqrt(k) * std::sqrt(double(kS))) : 0.0;
    s.pi(i) = std::exp(-(1 - cosine) * (1 - cosine) / (2 * sigma * sigma));
  }
  return s;
}

// Weighted ridge with an unpenalised intercept by Householder QR of the augmented least-squares
// system [sqrt(π)·[1 Z]; [0 sqrt(α)I]] [b; β] = [sqrt(π)·y; 0]. Returns [b; β].
Eigen::VectorXd ridge_qr(const Samples& s, double alpha) {
  const Eigen::Index n = s.Z.rows();
  Eigen::MatrixXd X = Eigen::MatrixXd::Zero(n + kS, kS + 1);
  Eigen::VectorXd rhs = Eigen::VectorXd::Zero(n + kS);
  const Eigen::VectorXd r = s.pi.cwiseSqrt();
  X.topLeftCorner(n, 1) = r;
  X.topRightCorner(n, kS) = r.asDiagonal() * s.Z;
  X.bottomRightCorner(kS, kS) = std::sqrt(alpha) * Eigen::MatrixXd::Identity(kS, kS);
  rhs.head(n) = r.cwiseProduct(s.y);
  return X.householderQr().solve(rhs);
}

// The same from the uncentred normal equations ([1 Z]ᵀΠ[1 Z] + diag(0, αI)) [b; β] = [1 Z]ᵀΠy, by LU.
Eigen::VectorXd ridge_normal(const Samples& s, double alpha) {
  const Eigen::Index n = s.Z.rows();
  Eigen::MatrixXd X(n, kS + 1);
  X.col(0).setOnes();
  X.rightCols(kS) = s.Z;
  Eigen::MatrixXd M = X.transpose() * s.pi.asDiagonal() * X;
  M.diagonal().tail(kS).array() += alpha;
  return M.fullPivLu().solve(X.transpose() * s.pi.asDiagonal() * s.y);
}

double max_abs(const Eigen::VectorXd& v) { return v.cwiseAbs().maxCoeff(); }

// The opening snippet of docs/lime.md, compiled (not run: it reads and writes files).
[[maybe_unused]] void docs_snippet() {
  auto model = [](const mcrise::Image&) { return std::vector<double>(43, 0.0); };
  mcrise::Image img = mcrise::load_image("sign.png");                        // H x W x 3, values in [0, 1]
  mcrise::SegmentMap segments = mcrise::grid_segments(img.height(), img.width(), 8, 8);
  mcrise::LimeOptions options;                                                 // the lime package's defaults
  options.classes = {14};
  mcrise::LimeResult res = mcrise::lime(model, img, segments, options);
  mcrise::save_png("lime.png", mcrise::overlay(img, res.map(14)));             // each superpixel painted with its coefficient
}

}  // namespace

TEST_CASE("lime: the fit is the weighted ridge regression of the samples, solved two other ways") {
  const auto img = test_image();
  for (const bool mean_fill : {true, false}) {
    CAPTURE(mean_fill);
    LinearModel model;
    mcrise::LimeOptions o;
    o.classes = {0, 1};
    o.n_samples = 300;
    if (!mean_fill) o.fill_color = {0.0f, 0.0f, 0.0f};
    const auto res = mcrise::lime(model, img, model.seg, o);
    REQUIRE(res.samples_used == 300);
    REQUIRE(res.complete);
    REQUIRE(model.zs.size() == 300);
    for (int cls : {0, 1}) {
      const auto s = samples_of(model, cls, o.kernel_width);
      const Eigen::VectorXd qr = ridge_qr(s, o.alpha), ne = ridge_normal(s, o.alpha);
      const double scale = max_abs(qr);
      // The two independent solutions agree with each other, and LIME with both.
      CHECK(max_abs(qr - ne) <= 1e-10 * scale);
      CHECK(max_abs(res.coefficients_of(cls) - qr.tail(kS)) <= 1e-10 * scale);
      CHECK(std::abs(res.intercepts(cls) - qr(0)) <= 1e-10 * scale);
      CHECK(res.local_predictions(cls) == Approx(qr.sum()).epsilon(1e-12));
      // The penalty shrinks: the fit is not the model's own weights (alpha = 1 matters here).
      CHECK(max_abs(res.coefficients_of(cls) - model.w.col(cls)) > 1e-4);
      // The painted map holds each superpixel's coefficient.
      for (int y = 0; y < kH; ++y)
        for (int x = 0; x < kW; ++x) REQUIRE(res.map(cls)(y, x) == res.coefficients(model.seg(y, x), cls));
    }
  }
}

TEST_CASE("lime: samples follow the package: sample 0 unperturbed, then fair coins, mean-colour fill") {
  const auto img = test_image();
  const auto seg = mcrise::grid_segments(kH, kW, kRows, kCols);
  std::vector<mcrise::Image> seen;
  auto model = [&](const mcrise::Image& im) {
    seen.push_back(im);
    return std::vector<double>{1.0};
  };
  mcrise::LimeOptions o;
  o.n_samples = 400;
  const auto res = mcrise::lime(model, img, seg, o);
  REQUIRE(seen.size() == 400);
  CHECK(seen[0] == img);
  CHECK(res.classes == std::vector<int>{0});
  // Every switched-off pixel holds its superpixel's mean colour (computed here), every kept one its own.
  std::vector<double> mean(kS * 3, 0.0);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x)
      for (int c = 0; c < 3; ++c) mean[static_cast<std::size_t>(seg(y, x) * 3 + c)] += img(y, x, c) / 16.0;
  long long ones = 0;
  for (std::size_t n = 1; n < seen.size(); ++n) {
    const auto z = decode(seen[n], seg);
    for (int y = 0; y < kH; ++y)
      for (int x = 0; x < kW; ++x)
        for (int c = 0; c < 3; ++c) {
          const float want = z[static_cast<std::size_t>(seg(y, x))]
                                 ? img(y, x, c)
                                 : static_cast<float>(mean[static_cast<std::size_t>(seg(y, x) * 3 + c)]);
          REQUIRE(seen[n](y, x, c) == Approx(want).margin(1e-6));
        }
    for (int v : z) ones += v;
  }
  // Each indicator is a fair coin: the fraction of ones is 1/2 within 4 standard errors.
  const double trials = 399.0 * kS, frac = static_cast<double>(ones) / trials;
  CHECK(std::abs(frac - 0.5) <= 4 * 0.5 / std::sqrt(trials));
  // A constant model is fitted exactly: zero coefficients, the constant as intercept, R² = 1.
  CHECK(max_abs(res.coefficients.col(0)) <= 1e-12);
  CHECK(res.intercepts(0) == Approx(1.0).epsilon(1e-12));
  CHECK(res.r_squared(0) == 1.0);
}

TEST_CASE("lime: a model linear in the indicators is recovered, exactly without the penalty") {
  const auto img = test_image();
  double last_error = std::numeric_limits<double>::infinity();
  for (const double alpha : {10.0, 1.0, 0.1, 0.01, 0.0}) {
    CAPTURE(alpha);
    LinearModel model;
    mcrise::LimeOptions o;
    o.classes = {0, 1};
    o.n_samples = 500;
    o.alpha = alpha;
    const auto res = mcrise::lime(model, img, model.seg, o);
    double error = 0;
    for (int cls : {0, 1}) {
      // With the penalty, LIME equals the shrunken solution computed here; the error to w shrinks with alpha.
      const auto s = samples_of(model, cls, o.kernel_width);
      const Eigen::VectorXd qr = ridge_qr(s, alpha);
      CHECK(max_abs(res.coefficients_of(cls) - qr.tail(kS)) <= 1e-10 * max_abs(qr));
      error = std::max(error, max_abs(res.coefficients_of(cls) - model.w.col(cls)));
    }
    CHECK(error < last_error);
    last_error = error;
    if (alpha == 0.0) {
      for (int cls : {0, 1}) {
        CHECK(max_abs(res.coefficients_of(cls) - model.w.col(cls)) <= 1e-10);
        CHECK(res.intercepts(cls) == Approx(model.b(cls)).margin(1e-10));
        CHECK(res.r_squared(cls) == Approx(1.0).margin(1e-12));
      }
    }
  }
}

TEST_CASE("lime: a superpixel the model ignores gets a coefficient within its standard error of 0") {
  const auto img = test_image();
  const int ignored = 5;
  // Run with the superpixel ignored, and (the check's power) with a small weight on it.
  for (const double weight : {0.0, 0.06}) {
    CAPTURE(weight);
    LinearModel model;
    model.w(ignored, 0) = weight;
    model.noise = 0.05;
    mcrise::LimeOptions o;
    o.classes = {0};
    const auto res = mcrise::lime(model, img, model.seg, o);  // the package's N = 1000, alpha = 1
    const auto s = samples_of(model, 0, o.kernel_width);
    // Standard errors of the ridge fit from the regression itself: the sandwich (HC0) covariance
    // A⁻¹ (Σ π² r² x_c x_cᵀ) A⁻¹ with A = Σ π x_c x_cᵀ + αI, x_c = z - x̄ (π-weighted mean), r the residuals.
    const double total = s.pi.sum();
    const Eigen::RowVectorXd xbar = (s.pi.transpose() * s.Z) / total;
    const Eigen::MatrixXd Xc = s.Z.rowwise() - xbar;
    Eigen::MatrixXd A = Xc.transpose() * s.pi.asDiagonal() * Xc;
    A.diagonal().array() += o.alpha;
    const Eigen::VectorXd beta = res.coefficients_of(0);
    const Eigen::VectorXd r = s.y - (Eigen::VectorXd::Constant(s.y.size(), res.intercepts(0)) + s.Z * beta);
    const Eigen::VectorXd g = s.pi.cwiseProduct(r);  // π r
    const Eigen::MatrixXd meat = Xc.transpose() * g.cwiseAbs2().asDiagonal() * Xc;
    const Eigen::MatrixXd Ainv = A.inverse();
    const Eigen::VectorXd se = (Ainv * meat * Ainv).diagonal().cwiseSqrt();
    REQUIRE(se(ignored) > 0);
    CAPTURE(beta(ignored), se(ignored));
    if (weight == 0.0) {
      CHECK(std::abs(beta(ignored)) <= 3 * se(ignored));
      // The used superpixels stand out from their errors: the standard errors are not vacuous.
      for (int j = 0; j < kS; ++j)
        if (std::abs(model.w(j, 0)) >= 0.05) CHECK(std::abs(beta(j)) > 5 * se(j));
    } else {
      CHECK(std::abs(beta(ignored)) > 3 * se(ignored));
    }
  }
}

TEST_CASE("lime: bitwise identical for any thread count, batch size and layout") {
  const auto img = test_image();
  const auto seg = mcrise::grid_segments(kH, kW, kRows, kCols);
  mcrise::LimeOptions o;
  o.classes = {1, 0};
  o.n_samples = 150;
  LinearBatchModel ref_model;
  o.threads = 1;
  o.batch_size = 150;
  const auto ref = mcrise::lime(ref_model, img, seg, o);
  for (const int threads : {1, 2, 3})
    for (const int batch : {1, 7, 64})
      for (const auto layout : {mcrise::Layout::HWC, mcrise::Layout::CHW}) {
        CAPTURE(threads, batch, static_cast<int>(layout));
        LinearBatchModel model;
        o.threads = threads;
        o.batch_size = batch;
        o.layout = layout;
        const auto res = mcrise::lime(model, img, seg, o);
        CHECK(model.calls == (150 + batch - 1) / batch);
        CHECK(res.coefficients == ref.coefficients);
        CHECK(res.intercepts == ref.intercepts);
        CHECK(res.r_squared == ref.r_squared);
        CHECK(res.map(0) == ref.map(0));
      }
  // Another seed draws other samples.
  LinearBatchModel model;
  o.seed = 7;
  CHECK(mcrise::lime(model, img, seg, o).coefficients != ref.coefficients);
}

TEST_CASE("lime: a callback sees the progress and can stop the run") {
  const auto img = test_image();
  LinearModel model;
  mcrise::LimeOptions o;
  o.n_samples = 100;
  o.batch_size = 4;
  o.classes = {0};
  std::vector<std::int64_t> done;
  const auto res = mcrise::lime(model, img, model.seg, o, [&](const mcrise::Progress& p) {
    CHECK(p.total == 100);
    CHECK(std::string(p.task) == "lime");
    done.push_back(p.done);
    return p.done >= 10;
  });
  CHECK(done == std::vector<std::int64_t>{4, 8, 12});
  CHECK(res.samples_used == 12);
  CHECK_FALSE(res.complete);
  CHECK(model.calls == 12);
  // The fit uses exactly the samples done.
  const auto s = samples_of(model, 0, o.kernel_width);
  const Eigen::VectorXd qr = ridge_qr(s, o.alpha);
  CHECK(max_abs(res.coefficients_of(0) - qr.tail(kS)) <= 1e-10 * max_abs(qr));
}

TEST_CASE("lime: bad options are refused before any model call") {
  const auto img = test_image();
  const auto seg = mcrise::grid_segments(kH, kW, kRows, kCols);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto refused = [&](const mcrise::LimeOptions& o, const std::string& what, const mcrise::Image& im,
                     const mcrise::SegmentMap& sg) {
    CAPTURE(what);
    LinearModel model;
    try {
      (void)mcrise::lime(model, im, sg, o);
      FAIL("not refused");
    } catch (const std::invalid_argument& e) {
      const std::string msg = e.what();
      CHECK(msg.rfind("mcrise::lime(): ", 0) == 0);
      CHECK(msg.find(what) != std::string::npos);
    }
    CHECK(model.calls == 0);
  };
  auto bad = [&](auto change, const std::string& what) {
    mcrise::LimeOptions o;
    change(o);
    refused(o, what, img, seg);
  };
  bad([](auto& o) { o.n_samples = 0; }, "n_samples must be >= 1, got 0");
  bad([](auto& o) { o.kernel_width = 0; }, "kernel_width must be finite and > 0");
  bad([&](auto& o) { o.kernel_width = nan; }, "kernel_width");
  bad([](auto& o) { o.alpha = -1; }, "alpha must be finite and >= 0, got -1");
  bad([](auto& o) { o.alpha = std::numeric_limits<double>::infinity(); }, "alpha");
  bad([](auto& o) { o.batch_size = 0; }, "batch_size must be >= 1, got 0");
  bad([](auto& o) { o.threads = -1; }, "threads must be in [0, 1024], got -1");
  bad([](auto& o) { o.layout = static_cast<mcrise::Layout>(7); }, "unknown layout 7");
  bad([](auto& o) { o.classes = {0, -2}; }, "class index must be >= 0, got -2");
  bad([](auto& o) { o.fill_color = {0.0f, 0.0f}; }, "fill_color must have 3 values");
  bad([&](auto& o) { o.fill_color = {0.0f, nan, 0.0f}; }, "fill_color must be finite");
  bad([](auto& o) { o.fill_image = mcrise::Image(kH, kW + 1, 3); }, "fill_image must be 12 x 16 x 3");
  bad([](auto& o) {
    o.fill_image = mcrise::Image(kH, kW, 3);
    o.fill_color = {0.0f, 0.0f, 0.0f};
  }, "not both");
  bad([](auto& o) { o.n_samples = std::int64_t{1} << 40; }, "GiB of samples");
  const mcrise::LimeOptions o;
  refused(o, "segment labels are 12 x 15", img, mcrise::grid_segments(kH, kW - 1, 2, 2));
  auto gap = seg;
  gap(0, 0) = kS + 1;  // label kS is unused
  refused(o, "label 12 has no pixel", img, gap);
  auto negative = seg;
  negative(3, 3) = -1;
  refused(o, "segment labels must be >= 0", img, negative);
  auto nan_image = img;
  nan_image(2, 3, 1) = nan;
  refused(o, "the image has a non-finite value", nan_image, seg);
  refused(o, "the image is empty", mcrise::Image(), mcrise::SegmentMap());

  // A class the model does not have is found with its first answer.
  LinearModel model;
  mcrise::LimeOptions big;
  big.classes = {2};
  big.batch_size = 1;
  CHECK_THROWS_WITH(mcrise::lime(model, img, seg, big),
                    Catch::Contains("mcrise::lime(): class 2 is out of range: the model returns 2 scores"));
  CHECK(model.calls == 1);
  // And a result refuses a class it has no map for.
  const auto res = mcrise::lime(model, img, seg, mcrise::LimeOptions{});
  CHECK_THROWS_WITH(res.map(5), Catch::Contains("mcrise::LimeResult::map(): class 5 was not a target class"));
}

TEST_CASE("grid_segments: labels row by row, every label used, bad grids refused") {
  const auto s = mcrise::grid_segments(5, 7, 2, 3);
  CHECK(mcrise::count_segments(s) == 6);
  CHECK(s(0, 0) == 0);
  CHECK(s(0, 6) == 2);
  CHECK(s(4, 0) == 3);
  CHECK(s(4, 6) == 5);
  // Rows split as floor(y·rows/H): rows 0-2 in band 0, rows 3-4 in band 1.
  CHECK(s(2, 0) == 0);
  CHECK(s(3, 0) == 3);
  CHECK_THROWS_WITH(mcrise::grid_segments(5, 7, 6, 1), "mcrise::grid_segments(): rows must be in [1, 5], got 6");
  CHECK_THROWS_WITH(mcrise::grid_segments(5, 7, 1, 0), "mcrise::grid_segments(): cols must be in [1, 7], got 0");
  CHECK_THROWS_WITH(mcrise::grid_segments(0, 7, 1, 1), Catch::Contains("at least 1 x 1"));
}
