// How biased are the maps of an adaptive run (target_relative_se > 0)? Where a run stops depends
// on its own maps, so the mean over many seeds need not be the exact map (optional stopping).
// This measures it against the exact expectation, every mask and shift enumerated, on a 5 x 6
// image with a 2 x 2 grid (debiased RISE, p = 0.5, G = 16, independent masks, batch 16), and
// compares with fixed-N runs. Built with the project, never run by ctest (about 5 s):
//   build/bench/adaptive_bias [runs = 2000] [target = 0.15]
#include <mcrise/mcrise.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

// A smooth two-class model of the whole image (class 0 is explained).
Eigen::VectorXd model(const mcrise::Image& im) {
  double a = 0.0, b = 0.0;
  for (int y = 0; y < im.height(); ++y)
    for (int x = 0; x < im.width(); ++x) {
      a += (im(y, x, 0) - 0.3 * im(y, x, 2)) * (1.0 + 0.2 * y - 0.1 * x);
      b += im(y, x, 1) * im(y, x, 1) * (x > 2 ? 1.0 : -0.5);
    }
  Eigen::VectorXd s(2);
  s(0) = 1.0 / (1.0 + std::exp(-a / 5.0));
  s(1) = std::tanh(b / 3.0);
  return s;
}

// Index (row-major) of the pixel where |map| is largest.
Eigen::Index peak_index(const mcrise::SaliencyMap& map) {
  Eigen::Index i = 0;
  Eigen::Map<const Eigen::VectorXd>(map.data(), map.size()).cwiseAbs().maxCoeff(&i);
  return i;
}

struct Summary {
  double mean_n = 0.0;         // masks used, on average
  double peak_mean = 0.0;      // mean of the map at the exact map's peak pixel
  double peak_sd = 0.0;        // standard deviation of one run's value there
  double worst_z = 0.0;        // max over pixels of |mean - exact| / (its standard error)
  double coverage = 0.0;       // share of (run, pixel) whose 95% interval S ± t·SE holds the exact value
};

Summary study(const mcrise::Image& img, const mcrise::SaliencyMap& exact, int runs, double target, std::int64_t n) {
  const int H = img.height(), W = img.width();
  const Eigen::Index peak = peak_index(exact);
  mcrise::SaliencyMap sum = mcrise::SaliencyMap::Zero(H, W), sq = sum;
  Summary s;
  long covered = 0;
  for (int r = 0; r < runs; ++r) {
    mcrise::RiseOptions o;
    o.grid_h = o.grid_w = 2;
    o.classes = {0};
    o.sampler = mcrise::Sampler::independent;
    o.se_groups = 16;
    o.batch_size = 16;
    o.threads = 1;
    o.seed = 1000 + static_cast<std::uint64_t>(r);
    o.n_masks = n;
    o.target_relative_se = target;
    const auto res = mcrise::debiased_rise(model, img, o);
    const auto& m = res.map(0);
    const auto& se = res.standard_error(0);
    sum += m;
    sq += m.cwiseAbs2();
    s.mean_n += static_cast<double>(res.masks_used) / runs;
    for (Eigen::Index i = 0; i < m.size(); ++i)
      covered += std::abs(m.data()[i] - exact.data()[i]) <= 2.131 * se.data()[i];  // t, 15 degrees of freedom
  }
  const mcrise::SaliencyMap mean = sum / runs;
  const mcrise::SaliencyMap var = (sq / runs - mean.cwiseAbs2()) * (runs / (runs - 1.0));
  for (Eigen::Index i = 0; i < mean.size(); ++i)
    s.worst_z = std::max(s.worst_z, std::abs(mean.data()[i] - exact.data()[i]) / std::sqrt(var.data()[i] / runs));
  s.peak_mean = mean.data()[peak];
  s.peak_sd = std::sqrt(var.data()[peak]);
  s.coverage = static_cast<double>(covered) / (static_cast<double>(runs) * H * W);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 2000;
  const double target = argc > 2 ? std::atof(argv[2]) : 0.15;
  if (runs < 2 || !(target > 0.0)) {
    std::fprintf(stderr, "usage: adaptive_bias [runs >= 2] [target > 0]\n");
    return 2;
  }
  const int H = 5, W = 6;
  mcrise::Image img(H, W, 3);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < 3; ++c) img(y, x, c) = 0.5f + 0.45f * std::sin(0.7f * y + 1.3f * x + 2.1f * c);

  // The exact debiased RISE map: E[(m(λ) - p_keep) / (p_keep (1 - p_keep)) · M] over every cell
  // pattern (each cell kept with probability 1/2) and every shift, all equally likely.
  mcrise::MaskOptions mo;
  mo.grid_h = mo.grid_w = 2;
  const mcrise::MaskGenerator gen(H, W, 1, mo);
  const auto& g = gen.geometry();
  const double keep = 1.0 - mo.mask_probability;
  const int patterns = 1 << g.cells();
  const double prob = 1.0 / (patterns * g.shifts_h() * g.shifts_w());
  mcrise::SaliencyMap exact = mcrise::SaliencyMap::Zero(H, W);
  mcrise::MaskSample s;
  for (int bits = 0; bits < patterns; ++bits) {
    s.cells.assign(static_cast<std::size_t>(g.cells()), 0);
    for (int c = 0; c < g.cells(); ++c) s.cells[static_cast<std::size_t>(c)] = (bits >> c) & 1;
    for (s.dy = 0; s.dy < g.shifts_h(); ++s.dy)
      for (s.dx = 0; s.dx < g.shifts_w(); ++s.dx) {
        const mcrise::SaliencyMap m0 = gen.plane(s, 0);
        mcrise::Image perturbed(H, W, 3);
        for (int y = 0; y < H; ++y)
          for (int x = 0; x < W; ++x)
            for (int c = 0; c < 3; ++c) perturbed(y, x, c) = static_cast<float>(img(y, x, c) * m0(y, x));
        const double M = model(perturbed)(0);
        exact += prob * ((m0.array() - keep) / (keep * (1.0 - keep)) * M).matrix();
      }
  }
  const Eigen::Index peak = peak_index(exact);
  const double peak_exact = std::abs(exact.data()[peak]);

  std::printf("debiased RISE, 5 x 6 image, 2 x 2 grid, p = 0.5, G = 16, independent masks, batch 16, %d seeds\n",
              runs);
  std::printf("exact map at its peak pixel: %.4f\n\n", exact.data()[peak]);
  std::printf("| run | mean N | mean at peak | bias (%% of exact) | bias / one run's SD | worst |z| | 95%% coverage |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  auto row = [&](const std::string& name, const Summary& r) {
    const double bias = r.peak_mean - exact.data()[peak];
    std::printf("| %s | %.0f | %.4f | %+.1f%% | %+.2f | %.2f | %.1f%% |\n", name.c_str(), r.mean_n, r.peak_mean,
                100.0 * bias / peak_exact, bias / r.peak_sd, r.worst_z, 100.0 * r.coverage);
  };
  const Summary adaptive = study(img, exact, runs, target, 200000);
  char name[64];
  std::snprintf(name, sizeof name, "target_relative_se = %.2f", target);
  row(name, adaptive);
  const auto fixed_n = static_cast<std::int64_t>(std::llround(adaptive.mean_n));
  row("fixed N = " + std::to_string(fixed_n) + " (its mean N)", study(img, exact, runs, 0.0, fixed_n));
  row("fixed N = 160", study(img, exact, runs, 0.0, 160));
  return 0;
}
