// samplers_rmse: which sampler? RMSE against a reference map as a function of N, per mask sampler.
// Run:    build/bench/samplers_rmse [out-dir = out] [cnn_reference_masks = 32000]   (0 skips the sign CNN)
// Writes: the RMSE table on stdout, <out>/samplers_rmse.png (log10 RMSE against log10 N, toy models)
//
// Two toy models and the bundled sign CNN. Every sampler keeps each mask marginally the paper's, so every map is
// unbiased; they differ in variance. The table prints, per problem, estimator
// and sampler, the RMSE (over pixels, and over the K colour maps for MC-RISE)
// of the map at N masks against a reference map, averaged over seeds as
// sqrt(mean squared error). The reference is the balanced sampler at N_ref
// masks with its own seed (checked against the independent sampler at N_ref);
// its own noise (the mean of its squared standard-error map) is subtracted
// from the squared error, so the numbers estimate the error against the exact map.
#include <mcrise/mcrise.hpp>
#include <signs/classes.hpp>
#include <signs/cnn.hpp>
#include <signs/render.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace {

enum class Est { rise, debiased, mc };
const char* est_name(Est e) { return e == Est::rise ? "RISE" : e == Est::debiased ? "debiased RISE" : "MC-RISE"; }
const char* sampler_name(mcrise::Sampler s) {
  return s == mcrise::Sampler::independent ? "independent" : "balanced";
}

struct Maps {
  std::vector<mcrise::SaliencyMap> map, se;
};

template <class Model>
Maps explain(Model& model, const mcrise::Image& img, Est e, int cls, long long n, std::uint64_t seed,
             mcrise::Sampler sampler) {
  Maps out;
  if (e == Est::mc) {
    mcrise::McRiseOptions o;
    o.classes = {cls};
    o.n_masks = n;
    o.seed = seed;
    o.sampler = sampler;
    const auto r = mcrise::mc_rise(model, img, o);
    out.map = r.map(cls);
    out.se = r.standard_error(cls);
    return out;
  }
  mcrise::RiseOptions o;
  o.classes = {cls};
  o.n_masks = n;
  o.seed = seed;
  o.sampler = sampler;
  const auto r = e == Est::rise ? mcrise::rise(model, img, o) : mcrise::debiased_rise(model, img, o);
  out.map = {r.map(cls)};
  out.se = {r.standard_error(cls)};
  return out;
}

double mean_square(const std::vector<mcrise::SaliencyMap>& a, const std::vector<mcrise::SaliencyMap>* b = nullptr) {
  double s = 0;
  long long n = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    s += b ? (a[k] - (*b)[k]).squaredNorm() : a[k].squaredNorm();
    n += a[k].size();
  }
  return s / static_cast<double>(n);
}

struct Row {
  std::string problem;
  Est est;
  mcrise::Sampler sampler;
  std::vector<double> rmse;  // per N
};

// RMSE vs N for every sampler of one problem and estimator; prints the rows.
template <class Model>
std::vector<Row> measure(const std::string& problem, Model& model, const mcrise::Image& img, int cls, Est e,
                         const std::vector<long long>& ns, long long n_ref, int seeds) {
  // The reference: the balanced sampler at n_ref masks (unbiased, and far more precise than the
  // independent sampler at the same N on these problems). The independent sampler's map at n_ref
  // is computed too, as a check: the two must agree within their standard errors.
  const Maps ref = explain(model, img, e, cls, n_ref, 999, mcrise::Sampler::balanced);
  const Maps ref_ind = explain(model, img, e, cls, n_ref, 998, mcrise::Sampler::independent);
  const double floor2 = mean_square(ref.se);  // the reference's own squared error, estimated
  const double scale = std::sqrt(mean_square(ref.map));
  std::printf("%-10s %-14s reference check: rms(balanced - independent) at N = %lld is %.5f, expected %.5f "
              "from their standard errors\n",
              problem.c_str(), est_name(e), n_ref, std::sqrt(mean_square(ref.map, &ref_ind.map)),
              std::sqrt(floor2 + mean_square(ref_ind.se)));
  const std::vector<mcrise::Sampler> samplers{mcrise::Sampler::independent, mcrise::Sampler::balanced};
  std::vector<Row> rows;
  for (auto s : samplers) {
    Row row{problem, e, s, {}};
    for (long long n : ns) {
      double mse = 0;
      for (int r = 0; r < seeds; ++r) mse += mean_square(explain(model, img, e, cls, n, 1 + r, s).map, &ref.map) / seeds;
      row.rmse.push_back(std::sqrt(std::max(0.0, mse - floor2)));
    }
    std::printf("%-10s %-14s %-16s", problem.c_str(), est_name(e), sampler_name(s));
    for (double v : row.rmse) std::printf(" %9.5f", v);
    std::printf("   (rms map %.4f, ref noise %.5f)\n", scale, std::sqrt(floor2));
    std::fflush(stdout);
    rows.push_back(row);
  }
  // Model calls the sampler needs to match the independent sampler's RMSE at the largest N
  // (error ~ 1/sqrt(N), so N_needed = N·(RMSE_s/RMSE_indep)^2 from the largest N measured).
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const double ratio = rows[i].rmse.back() / rows[0].rmse.back();
    std::printf("%-10s %-14s %-16s variance ratio %.3f: matches independent at N = %lld with %.0f%% of the calls\n",
                problem.c_str(), est_name(e), sampler_name(rows[i].sampler), ratio * ratio, ns.back(),
                100.0 * ratio * ratio);
  }
  return rows;
}

void print_header(const std::vector<long long>& ns) {
  std::printf("%-10s %-14s %-16s", "problem", "estimator", "sampler");
  for (long long n : ns) std::printf(" %9s", ("N=" + std::to_string(n)).c_str());
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) try {
  const std::string out = argc > 1 ? argv[1] : "out";
  const long long cnn_ref = argc > 2 ? std::stoll(argv[2]) : 32000;
  std::filesystem::create_directories(out);

  // Toy 1 (from 05_convergence): 32 x 32 grey image, red square in the middle; class 1 = "red in the middle".
  mcrise::Image square(32, 32, 3, 0.5f);
  for (int y = 12; y < 20; ++y)
    for (int x = 12; x < 20; ++x) square(y, x, 0) = 1.0f, square(y, x, 1) = square(y, x, 2) = 0.0f;
  auto red_square = [](const mcrise::Image& im) {
    double red = 0;
    for (int y = 12; y < 20; ++y)
      for (int x = 12; x < 20; ++x) red += im(y, x, 0) - 0.5 * (im(y, x, 1) + im(y, x, 2));
    const float p = static_cast<float>(1.0 / (1.0 + std::exp(-(red / 64.0 * 6.0 - 3.0))));
    return std::vector<float>{1.0f - p, p};
  };
  // Toy 2: a 32 x 32 colour gradient and a two-class softmax whose logits weigh colours
  // over the whole image with smooth spatial weights (non-linear, every pixel matters).
  mcrise::Image gradient(32, 32, 3);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 32; ++x) {
      gradient(y, x, 0) = static_cast<float>(0.5 + 0.45 * std::sin(0.2 * y + 0.3 * x));
      gradient(y, x, 1) = static_cast<float>(0.5 + 0.45 * std::cos(0.25 * x));
      gradient(y, x, 2) = static_cast<float>(0.5 + 0.45 * std::sin(0.15 * y - 0.1 * x + 1.0));
    }
  auto smooth = [](const mcrise::Image& im) {
    double a = 0;
    for (int y = 0; y < im.height(); ++y)
      for (int x = 0; x < im.width(); ++x) {
        const double wy = (32.0 - y) / 32.0, wx = (32.0 - x) / 32.0;
        a += wy * wx * (im(y, x, 0) - 0.5 * im(y, x, 1)) + (1 - wy) * (1 - wx) * (im(y, x, 2) - 0.3 * im(y, x, 0));
      }
    const float p = static_cast<float>(1.0 / (1.0 + std::exp(-8.0 * a / im.pixels())));
    return std::vector<float>{p, 1.0f - p};
  };

  std::vector<Row> all;
  const std::vector<long long> ns{500, 1000, 2000, 4000, 8000, 16000};
  std::printf("RMSE against the N = 200000 reference (balanced sampler), mean over 4 seeds\n");
  print_header(ns);
  for (Est e : {Est::rise, Est::debiased, Est::mc}) {
    for (auto& r : measure("square", red_square, square, 1, e, ns, 200000, 4)) all.push_back(r);
    for (auto& r : measure("smooth", smooth, gradient, 0, e, ns, 200000, 4)) all.push_back(r);
  }

  if (cnn_ref > 0) {
    // The bundled sign CNN (48 x 48, ~1 ms per image): a modest N range.
    const mcrise::signs::SignCnn cnn = mcrise::signs::load_bundled_sign_cnn();
    const mcrise::Image stop_img =
        mcrise::signs::render_sign(mcrise::signs::canonical_sign_params(mcrise::signs::SignClass::stop));
    const int stop = mcrise::signs::class_index(mcrise::signs::SignClass::stop);
    const std::vector<long long> cn{250, 500, 1000, 2000};
    std::printf("\nsign CNN (stop sign): RMSE against an N = %lld reference (balanced sampler), mean over 2 seeds\n",
                cnn_ref);
    print_header(cn);
    for (Est e : {Est::debiased, Est::mc}) measure("sign CNN", cnn, stop_img, stop, e, cn, cnn_ref, 2);
  }

  // The plot: log10 RMSE against log10 N for the toy problems, MC-RISE and debiased RISE.
  std::vector<mcrise::Curve> curves;
  double lo = 1e9, hi = -1e9;
  for (const auto& r : all) {
    if (r.est == Est::rise) continue;
    mcrise::Curve c;
    c.label = r.problem + " " + est_name(r.est) + " " + sampler_name(r.sampler);
    for (std::size_t i = 0; i < ns.size(); ++i) {
      c.x.push_back(std::log10(static_cast<double>(ns[i])));
      c.y.push_back(std::log10(std::max(r.rmse[i], 1e-6)));
      lo = std::min(lo, c.y.back());
      hi = std::max(hi, c.y.back());
    }
    curves.push_back(c);
  }
  mcrise::CurvePlotOptions po;
  po.width = 900;
  po.height = 600;
  po.title = "RMSE vs number of masks (toy models)";
  po.x_label = "log10 N";
  po.y_label = "log10 RMSE";
  po.y_min = std::floor(lo * 2) / 2;
  po.y_max = std::ceil(hi * 2) / 2;
  po.show_auc = false;
  mcrise::save_png(out + "/samplers_rmse.png", mcrise::curve_plot(curves, po));
  std::printf("\nwrote %s/samplers_rmse.png\n", out.c_str());
} catch (const std::exception& e) {
  std::fprintf(stderr, "samplers_rmse: %s\n", e.what());
  return 1;
}
