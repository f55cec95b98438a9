// The paper's qualitative claims on the bundled sign CNN (issue 5): Fig. 1's
// stop sign and Fig. 6's error case, read with the interpretation of §4.2.
#include <mcrise/mcrise.hpp>
#include <signs/classes.hpp>
#include <signs/cnn.hpp>
#include <signs/render.hpp>

#include <catch2/catch.hpp>

#include <cmath>

namespace signs = mcrise::signs;

TEST_CASE("stop sign (Fig. 1): on the red paint, red is the one colour that does not hurt; all others do",
          "[signs][paper]") {
  // Eq. 8: S(λ,k) = E[M | λ painted k] - E[M | λ kept]. Painting red over red
  // paint changes little, so the red map stays near zero there, while every
  // other colour destroys the sign's red and lowers the score (negative maps).
  const auto cnn = signs::load_bundled_sign_cnn();
  const auto img = signs::render_sign(signs::canonical_sign_params(signs::SignClass::stop));
  const int stop = signs::class_index(signs::SignClass::stop);
  const int runs = 4;
  Eigen::MatrixXd paint(runs, 5);  // mean of each colour map over the red paint, per independent run
  for (int r = 0; r < runs; ++r) {
    mcrise::McRiseOptions o;
    o.n_masks = 1000;
    o.seed = 7 + static_cast<std::uint64_t>(r);
    o.classes = {stop};
    const auto res = mcrise::mc_rise(cnn, img, o);
    for (int k = 0; k < 5; ++k) {
      double sum = 0;
      int n = 0;
      for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x)
          if (img(y, x, 0) > 0.6f && img(y, x, 1) < 0.3f && img(y, x, 2) < 0.3f) sum += res.map(stop)[static_cast<std::size_t>(k)](y, x), ++n;
      REQUIRE(n > 200);
      paint(r, k) = sum / n;
    }
  }
  const Eigen::RowVectorXd mean = paint.colwise().mean();
  const Eigen::RowVectorXd se =
      ((paint.rowwise() - mean).array().square().colwise().sum() / (runs - 1) / runs).sqrt().matrix();
  enum { red, green, blue, white, black };
  for (int k : {green, blue, white, black}) {
    INFO("colour " << k << " mean " << mean(k) << " se " << se(k) << " red " << mean(red));
    CHECK(mean(k) < -4 * se(k));                          // painting it any other colour hurts
    CHECK(mean(red) - mean(k) > 4 * std::hypot(se(red), se(k)));  // red hurts least
  }
}

TEST_CASE("over-exposed priority road (Fig. 6): the bundled model gets it wrong, and both classes are explained in one run",
          "[signs][paper]") {
  const auto cnn = signs::load_bundled_sign_cnn();
  const auto img = signs::render_sign(signs::overexposed_priority_road_params());
  const int truth = signs::class_index(signs::SignClass::priority_road);
  const int pred = cnn.predict(img);
  REQUIRE(pred != truth);
  mcrise::McRiseOptions o;
  o.n_masks = 2000;
  o.classes = {pred, truth};
  const auto res = mcrise::mc_rise(cnn, img, o);
  REQUIRE(res.map(truth).size() == 5);
  // The maps are finite and not all zero for either class.
  for (int c : {pred, truth})
    for (const auto& m : res.map(c)) CHECK(m.allFinite());
  CHECK(res.map(truth)[0].cwiseAbs().maxCoeff() > 0.0);
}
