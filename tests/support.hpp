#pragma once
// Shared helpers of the estimator tests: exact enumeration of every mask of a
// distribution, reference (slow, obviously correct) perturbation and per-sample
// estimator terms, and Monte-Carlo statistics.

#include <mcrise/mcrise.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <vector>

namespace test {

using mcrise::Image;
using mcrise::MaskGenerator;
using mcrise::MaskSample;
using mcrise::SaliencyMap;

/// Calls f(sample, probability) for every grid state and every shift of `gen`.
inline void for_each_mask(const MaskGenerator& gen, const std::function<void(const MaskSample&, double)>& f) {
  const auto& g = gen.geometry();
  const int K = gen.num_colors(), cells = g.cells();
  const double p = gen.mask_probability();
  const double shift_p = 1.0 / (g.shifts_h() * g.shifts_w());
  MaskSample s;
  s.cells.assign(static_cast<std::size_t>(cells), 0);
  for (;;) {
    double prob = shift_p;
    for (auto c : s.cells) prob *= c == 0 ? 1.0 - p : p / K;
    for (s.dy = 0; s.dy < g.shifts_h(); ++s.dy)
      for (s.dx = 0; s.dx < g.shifts_w(); ++s.dx) f(s, prob);
    int i = 0;  // next state in base K + 1
    while (i < cells && s.cells[static_cast<std::size_t>(i)] == K) s.cells[static_cast<std::size_t>(i++)] = 0;
    if (i == cells) return;
    ++s.cells[static_cast<std::size_t>(i)];
  }
}

/// Reference perturbation with fills that may be images: i·m0 + Σ_k F_k ⊙ m_k.
inline Image reference_perturb_fills(const Image& img, const std::vector<SaliencyMap>& planes,
                                     const std::vector<mcrise::Fill>& fills) {
  Image out(img.height(), img.width(), img.channels());
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x)
      for (int c = 0; c < img.channels(); ++c) {
        double v = img(y, x, c) * planes[0](y, x);
        for (std::size_t k = 0; k < fills.size(); ++k) {
          const auto& f = fills[k];
          const double fv = f.is_image() ? (*f.image())(y, x, c) : f.is_zero() ? 0.0 : f.color()[static_cast<std::size_t>(c)];
          v += fv * planes[k + 1](y, x);
        }
        out(y, x, c) = static_cast<float>(v);
      }
  return out;
}

/// Reference perturbation from the full-resolution planes: i·m0 + Σ_k c_k·m_k.
inline Image reference_perturb(const Image& img, const std::vector<SaliencyMap>& planes,
                               const std::vector<mcrise::Color>& colors) {
  return reference_perturb_fills(img, planes, std::vector<mcrise::Fill>(colors.begin(), colors.end()));
}

enum class Estimator { rise, debiased, mc };

/// The per-sample term whose mean is the estimator (eq. 2, 5, 9), for every
/// output plane: rise/debiased give 1 plane, mc gives K planes.
inline std::vector<SaliencyMap> sample_terms(Estimator e, const std::vector<SaliencyMap>& planes, double p_mask,
                                             double score) {
  const double keep = 1.0 - p_mask;
  std::vector<SaliencyMap> out;
  if (e == Estimator::rise) out.push_back(planes[0] / keep * score);
  if (e == Estimator::debiased) out.push_back((planes[0].array() - keep).matrix() / (keep * p_mask) * score);
  if (e == Estimator::mc) {
    const double K = static_cast<double>(planes.size() - 1);
    for (std::size_t k = 1; k < planes.size(); ++k)
      out.push_back((K * planes[k] / p_mask - planes[0] / keep) * score);
  }
  return out;
}

/// Running mean and variance of a stack of planes (Welford), for standard errors.
struct PlaneStats {
  std::vector<SaliencyMap> mean, m2;
  long long n = 0;
  void add(const std::vector<SaliencyMap>& v) {
    if (n == 0)
      for (const auto& p : v) {
        mean.push_back(SaliencyMap::Zero(p.rows(), p.cols()));
        m2.push_back(SaliencyMap::Zero(p.rows(), p.cols()));
      }
    ++n;
    for (std::size_t k = 0; k < v.size(); ++k) {
      const SaliencyMap d = v[k] - mean[k];
      mean[k] += d / static_cast<double>(n);
      m2[k].array() += d.array() * (v[k] - mean[k]).array();
    }
  }
  /// Standard error of the mean of plane k.
  SaliencyMap se(std::size_t k) const { return (m2[k] / static_cast<double>(n - 1) / static_cast<double>(n)).cwiseSqrt(); }
};

/// Exact E[estimator] by enumerating every mask, and the Monte-Carlo statistics of the per-sample
/// terms for samples 0..N-1 (the samples the library draws), with K colours or fills.
struct ExactAndMc {
  std::vector<SaliencyMap> exact;
  PlaneStats mc;
};

template <class Model>
ExactAndMc exact_and_mc(Estimator e, const Image& img, const MaskGenerator& gen, const mcrise::FillList& colors,
                        Model&& model, int cls, long long n_masks) {
  const std::vector<mcrise::Fill>& fills = colors.fills();
  ExactAndMc out;
  const double p = gen.mask_probability();
  for_each_mask(gen, [&](const MaskSample& s, double prob) {
    const auto planes = gen.planes(s);
    const auto t = sample_terms(e, planes, p, model(reference_perturb_fills(img, planes, fills))(cls));
    if (out.exact.empty())
      for (const auto& m : t) out.exact.push_back(SaliencyMap::Zero(m.rows(), m.cols()));
    for (std::size_t k = 0; k < t.size(); ++k) out.exact[k] += prob * t[k];
  });
  for (long long n = 0; n < n_masks; ++n) {
    const auto planes = gen.planes(gen.sample(static_cast<std::uint64_t>(n)));
    out.mc.add(sample_terms(e, planes, p, model(reference_perturb_fills(img, planes, fills))(cls)));
  }
  return out;
}

/// A smooth, non-linear model of the whole image with two classes: class 0
/// likes red in the top-left, class 1 likes brightness in the bottom-right.
inline Eigen::VectorXd toy_scores(const Image& im) {
  double a = 0, b = 0;
  for (int y = 0; y < im.height(); ++y)
    for (int x = 0; x < im.width(); ++x) {
      const double wy = (im.height() - y) / static_cast<double>(im.height());
      const double wx = (im.width() - x) / static_cast<double>(im.width());
      a += wy * wx * (im(y, x, 0) - 0.5 * im(y, x, 1) - 0.3 * im(y, x, 2));
      b += (1 - wy) * (1 - wx) * (im(y, x, 0) + im(y, x, 1) + im(y, x, 2));
    }
  const double n = static_cast<double>(im.pixels());
  Eigen::VectorXd s(2);
  s(0) = 1.0 / (1.0 + std::exp(-4.0 * a / n));
  s(1) = std::tanh(b / n) + 0.2 * std::sin(3.0 * a / n);
  return s;
}

/// A one-class model that reads only the top-left 4 x 4 pixels (the Proposition 1 tests).
inline Eigen::VectorXd top_left_scores(const Image& im) {
  double a = 0;
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) a += im(y, x, 0) - im(y, x, 2) + 0.5 * im(y, x, 1) * im(y, x, 1);
  Eigen::VectorXd s(1);
  s(0) = 1.0 / (1.0 + std::exp(-(a / 2.0 - 2.0)));
  return s;
}

/// |estimate - exact| <= 5 standard errors at every pixel. The estimate is a
/// mean of N terms (i.i.d., or i.i.d. block means for a block sampler, whose SE
/// the caller computes); with fixed seeds the check is deterministic, and a
/// 5-SE band makes a false failure over a few hundred pixels improbable.
inline void check_within_se(const SaliencyMap& estimate, const SaliencyMap& exact, const SaliencyMap& se) {
  for (Eigen::Index i = 0; i < estimate.size(); ++i) {
    INFO("pixel " << i << " estimate " << estimate.data()[i] << " exact " << exact.data()[i] << " se " << se.data()[i]);
    CHECK(std::abs(estimate.data()[i] - exact.data()[i]) <= 5.0 * se.data()[i] + 1e-12);
  }
}

/// A batch model with a known answer per image (toy_scores, 2 classes), counting its calls.
struct CountingBatchModel {
  int calls = 0;
  Eigen::MatrixXf operator()(const mcrise::ImageBatch& b) {
    ++calls;
    Eigen::MatrixXf out(b.size(), 2);
    for (int i = 0; i < b.size(); ++i) out.row(i) = toy_scores(b.image(i)).cast<float>().transpose();
    return out;
  }
};

/// A deterministic test image with values in [0,1].
inline Image test_image(int h, int w, int c = 3) {
  Image im(h, w, c);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k)
        im(y, x, k) = static_cast<float>(0.5 + 0.45 * std::sin(0.7 * y + 1.3 * x + 2.1 * k));
  return im;
}

/// True if the two lists of maps are equal, bit for bit.
inline bool same(const std::vector<mcrise::SaliencyMap>& a, const std::vector<mcrise::SaliencyMap>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k)
    if (a[k] != b[k]) return false;
  return true;
}

// A model with many classes: class c's score mixes the two toy scores and the mean of
// one channel over one region, so every class has a different map.
struct ManyClassModel {
  int classes = 40;
  Eigen::MatrixXd operator()(const mcrise::ImageBatch& b) const {
    Eigen::MatrixXd out(b.size(), classes);
    for (int i = 0; i < b.size(); ++i) {
      const mcrise::Image im = b.image(i);
      const Eigen::VectorXd t = test::toy_scores(im);
      for (int c = 0; c < classes; ++c) {
        const int y0 = (c * 7) % im.height(), x0 = (c * 11) % im.width(), ch = c % im.channels();
        double region = 0;
        for (int y = y0; y < std::min(im.height(), y0 + 5); ++y)
          for (int x = x0; x < std::min(im.width(), x0 + 5); ++x) region += im(y, x, ch);
        out(i, c) = std::sin(0.3 * c) * t(0) + std::cos(0.2 * c) * t(1) + 0.05 * region;
      }
    }
    return out;
  }
};

// A 30-class model on a 30 x 34 image, with binary and 3-colour mask generators: the scores of
// the image under binary mask n, for accumulators fed by hand.
struct ThirtyClasses {
  mcrise::Image img = test::test_image(30, 34);
  ManyClassModel model{30};
  std::vector<int> all = [] {
    std::vector<int> v(30);
    for (int c = 0; c < 30; ++c) v[static_cast<std::size_t>(c)] = c;
    return v;
  }();
  mcrise::MaskGenerator gen{30, 34, 1, mcrise::MaskOptions{}}, cgen{30, 34, 3, mcrise::MaskOptions{}};
  mcrise::Perturber perturb{img, gen, {mcrise::Color(3, 0.0f)}};
  Eigen::VectorXd scores(std::uint64_t n) const {
    mcrise::ImageBatch b(1, 30, 34, 3);
    mcrise::detail::copy_into_batch(perturb(gen.sample(n)), b, 0);
    return model(b).row(0).transpose();
  }
};

}  // namespace test
