// 05_convergence: how many masks are enough? Standard-error maps and adaptive stopping.
// Run:    build/examples/05_convergence
// Writes: the three parts below on stdout
//
// 1. Fixed N: the relative standard error (largest SE / largest |S|) falls like 1/sqrt(N).
// 2. Ask for a precision instead of a count: mc_rise stops once it is reached.
// 3. A 95% interval per pixel: map ± t_{0.975, G-1} · SE.
#include <mcrise/mcrise.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

int main() {
  // A 32 x 32 grey image with a red square in the middle (values in [0,1]).
  mcrise::Image img(32, 32, 3, 0.5f);
  for (int y = 12; y < 20; ++y)
    for (int x = 12; x < 20; ++x) img(y, x, 0) = 1.0f, img(y, x, 1) = img(y, x, 2) = 0.0f;

  // Class 1 = "red in the middle", class 0 = the rest.
  auto model = [](const mcrise::Image& im) {
    double red = 0;
    for (int y = 12; y < 20; ++y)
      for (int x = 12; x < 20; ++x) red += im(y, x, 0) - 0.5 * (im(y, x, 1) + im(y, x, 2));
    const float p = static_cast<float>(1.0 / (1.0 + std::exp(-(red / 64.0 * 6.0 - 3.0))));
    return std::vector<float>{1.0f - p, p};
  };

  mcrise::McRiseOptions opt;
  opt.classes = {1};
  opt.se_groups = 16;  // the default: 16 batch-means groups, SE with 15 degrees of freedom
  std::printf("fixed N:\n     N   relative SE   relative SE x sqrt(N)  (about constant: SE ~ 1/sqrt(N))\n");
  for (std::int64_t n : {500, 1000, 2000, 4000, 8000}) {
    opt.n_masks = n;
    const auto res = mcrise::mc_rise(model, img, opt);
    std::printf("  %5lld   %.4f        %.3f\n", static_cast<long long>(n), res.relative_standard_error,
                res.relative_standard_error * std::sqrt(static_cast<double>(n)));
  }

  opt.n_masks = 20000;            // the maximum
  opt.target_relative_se = 0.05;  // stop at 5%
  const auto res = mcrise::mc_rise(model, img, opt);
  std::printf("\nadaptive: target 0.05 -> %lld masks, relative SE %.4f, target reached: %s\n",
              static_cast<long long>(res.masks_used), res.relative_standard_error,
              res.target_reached ? "yes" : "no");

  const double t = 2.131;  // t_{0.975, 15}
  const auto names = mcrise::paper_color_names();
  std::printf("\ncentre pixel, 95%% intervals:\n");
  for (std::size_t k = 0; k < names.size(); ++k) {
    const double s = res.map(1)[k](16, 16), se = res.standard_error(1)[k](16, 16);
    std::printf("  %-5s  %+.3f  [%+.3f, %+.3f]\n", names[k].c_str(), s, s - t * se, s + t * se);
  }
}
