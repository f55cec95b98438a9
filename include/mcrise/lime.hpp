#pragma once
/// @file lime.hpp
/// @brief LIME for images (Ribeiro, Singh and Guestrin, "Why Should I Trust You?": Explaining the
///        Predictions of Any Classifier, KDD 2016), as the `lime` package's image explainer does it
///        (LimeImageExplainer and LimeBase of lime 0.2.0.1), the baseline of the paper's §5.
///
/// The image is cut into S superpixels (a label image the caller supplies: quick shift as in the
/// package, mcrise/vlfeat/quickshift.hpp, or grid_segments()). Sample n is a vector z_n in
/// {0,1}^S: superpixel j keeps its pixels where z_nj = 1 and takes the fill (by default its own
/// mean colour) where z_nj = 0. Sample 0 is the unperturbed image (z_0 = 1); in every other sample
/// each superpixel is kept with probability 1/2, independently (the package's image explainer
/// draws randint(0, 2) per superpixel). Each sample gets the weight
///     π_n = sqrt(exp(-d_n² / σ²)),  d_n = 1 - cos(z_n, 1) = 1 - sqrt(|z_n| / S)
/// (the cosine distance to the all-on vector; d = 1 for the all-off vector, as scikit-learn's
/// pairwise cosine distance gives), σ = kernel_width. For each target class, with M_n the
/// model's score of sample n, LIME fits the weighted ridge regression
///     min over (b, β):  Σ_n π_n (M_n - b - z_nᵀβ)² + α‖β‖²
/// (scikit-learn's Ridge(alpha) with sample_weight = π: the intercept b is not penalised). The
/// map paints each superpixel with its coefficient β_j.
///
/// Solved with Eigen on the weighted normal equations of the centred data: with x̄ and ȳ the
/// π-weighted means, (Σ_n π_n (z_n - x̄)(z_n - x̄)ᵀ + αI) β = Σ_n π_n (z_n - x̄)(M_n - ȳ) by an LDLT
/// factorisation (α > 0; for α = 0 a complete orthogonal decomposition, which gives the minimum-
/// norm solution if some superpixels cannot be told apart), and b = ȳ - x̄ᵀβ.

#include <mcrise/callbacks.hpp>
#include <mcrise/classifier.hpp>
#include <mcrise/image.hpp>
#include <mcrise/segments.hpp>
#include <mcrise/detail/random.hpp>
#include <mcrise/detail/thread_pool.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <Eigen/QR>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace mcrise {

/// @brief Options of lime(); defaults are the `lime` package's (LimeImageExplainer, lime 0.2.0.1),
///        which the paper used for its LIME column.
struct LimeOptions {
  /// Target classes, each >= 0 and < L; empty: the class the model predicts for the image. (The
  /// package explains its top 5 classes by default; name them here to get the same.)
  std::vector<int> classes{};
  std::int64_t n_samples = 1000;  ///< N, samples including the unperturbed sample 0, >= 1 (package: num_samples = 1000)
  double kernel_width = 0.25;     ///< σ of the weight sqrt(exp(-d²/σ²)) on the cosine distance d, finite and > 0 (package: 0.25)
  double alpha = 1.0;             ///< ridge penalty α on the coefficients (never on the intercept), finite and >= 0 (package: Ridge(alpha=1))
  Color fill_color{};             ///< colour of a switched-off superpixel, C finite values; empty: each superpixel's mean colour (package: hide_color=None)
  Image fill_image{};             ///< or a substrate, H x W x C finite values (e.g. a blurred copy); empty: not used. Give at most one of fill_color, fill_image
  std::uint64_t seed = 2020;      ///< sample n depends only on (seed, n)
  int batch_size = 64;            ///< images per classifier call, >= 1 (package: 10; the result does not depend on it)
  int threads = 0;                ///< threads that draw and perturb the samples, in [0, 1024]; 0: all CPUs this process may use
  Layout layout = Layout::HWC;    ///< layout of the ImageBatch handed to a batch classifier
};

/// @brief Explanation returned by lime(): one local linear model per target class.
struct LimeResult {
  std::vector<int> classes;  ///< the target classes, in order (T of them)
  int num_segments = 0;      ///< S, the number of superpixels
  /// S x T: coefficients(j, t) is β_j of classes[t], the change of the fitted score when
  /// superpixel j is switched on.
  Eigen::MatrixXd coefficients;
  Eigen::VectorXd intercepts;         ///< T: the intercept b of each class (the fitted score with every superpixel off)
  Eigen::VectorXd r_squared;          ///< T: weighted R² of each fit on the samples (the package's `score`)
  Eigen::VectorXd local_predictions;  ///< T: the fit at the unperturbed image, b + Σ_j β_j (the package's `local_pred`)
  std::vector<SaliencyMap> maps;      ///< maps[t], H x W: β of each pixel's superpixel, for classes[t]
  Eigen::VectorXd scores;             ///< the model's L scores on the unperturbed image (sample 0)
  std::int64_t samples_used = 0;      ///< N actually used, <= n_samples (fewer if a callback stopped the run)
  bool complete = false;              ///< true if all n_samples were used

  /// @brief The map of class `cls` (H x W).
  /// @throws std::invalid_argument if `cls` was not a target class.
  const SaliencyMap& map(int cls) const { return maps[index(cls, "map")]; }

  /// @brief The S coefficients of class `cls`.
  /// @throws std::invalid_argument if `cls` was not a target class.
  Eigen::VectorXd coefficients_of(int cls) const { return coefficients.col(index(cls, "coefficients_of")); }

 private:
  std::size_t index(int cls, const char* fn) const {
    const auto it = std::find(classes.begin(), classes.end(), cls);
    if (it == classes.end())
      throw std::invalid_argument(std::string("mcrise::LimeResult::") + fn + "(): class " + std::to_string(cls) +
                                  " was not a target class");
    return static_cast<std::size_t>(it - classes.begin());
  }
};

namespace detail {

/// The indicator vector z_n of LIME's sample n (S bytes, 0 or 1): all ones for n = 0, else one
/// fair coin per superpixel, 64 from each draw of the counter-based generator of (seed, n).
inline void lime_sample(std::uint64_t seed, std::uint64_t n, int segments, std::uint8_t* z) noexcept {
  if (n == 0) {
    std::fill(z, z + segments, std::uint8_t{1});
    return;
  }
  CounterRng rng(seed, n);
  for (int j = 0; j < segments; j += 64) {
    const std::uint64_t bits = rng.next();
    for (int i = 0; i < 64 && j + i < segments; ++i) z[j + i] = static_cast<std::uint8_t>((bits >> i) & 1u);
  }
}

/// The weight π = sqrt(exp(-d²/σ²)) of a sample with `on` of `segments` superpixels switched on,
/// d its cosine distance to the all-on vector (1 for the all-off vector).
inline double lime_weight(int on, int segments, double kernel_width) {
  const double d = on > 0 ? 1.0 - std::sqrt(static_cast<double>(on) / static_cast<double>(segments)) : 1.0;
  return std::sqrt(std::exp(-(d * d) / (kernel_width * kernel_width)));
}

/// The substrate of switched-off superpixels: the fill image, or the fill colour everywhere, or
/// each superpixel's mean colour over its pixels (in double, then rounded to float).
inline Image lime_fill(const Image& img, const SegmentMap& seg, int segments, const LimeOptions& o) {
  if (!o.fill_image.empty()) return o.fill_image;
  const int C = img.channels();
  Image fill(img.height(), img.width(), C);
  if (!o.fill_color.empty()) {
    for (std::size_t p = 0; p < img.pixels(); ++p)
      for (int c = 0; c < C; ++c) fill.data()[p * static_cast<std::size_t>(C) + static_cast<std::size_t>(c)] =
          o.fill_color[static_cast<std::size_t>(c)];
    return fill;
  }
  std::vector<double> sum(static_cast<std::size_t>(segments) * static_cast<std::size_t>(C), 0.0);
  std::vector<double> count(static_cast<std::size_t>(segments), 0.0);
  for (std::size_t p = 0; p < img.pixels(); ++p) {
    const auto s = static_cast<std::size_t>(seg.data()[p]);
    count[s] += 1.0;
    for (int c = 0; c < C; ++c)
      sum[s * static_cast<std::size_t>(C) + static_cast<std::size_t>(c)] +=
          img.data()[p * static_cast<std::size_t>(C) + static_cast<std::size_t>(c)];
  }
  for (std::size_t p = 0; p < img.pixels(); ++p) {
    const auto s = static_cast<std::size_t>(seg.data()[p]);
    for (int c = 0; c < C; ++c)
      fill.data()[p * static_cast<std::size_t>(C) + static_cast<std::size_t>(c)] =
          static_cast<float>(sum[s * static_cast<std::size_t>(C) + static_cast<std::size_t>(c)] / count[s]);
  }
  return fill;
}

/// Checks every option against the image and labels before any model call; returns S.
inline int validate_lime(const Image& img, const SegmentMap& seg, const LimeOptions& o) {
  const char* where = "mcrise::lime()";
  const std::string w(where);
  if (img.empty())
    throw std::invalid_argument(w + ": the image is empty (" + std::to_string(img.height()) + " x " +
                                std::to_string(img.width()) + ")");
  check_finite(img, where, "the image");
  if (seg.rows() != img.height() || seg.cols() != img.width())
    throw std::invalid_argument(w + ": the segment labels are " + std::to_string(seg.rows()) + " x " +
                                std::to_string(seg.cols()) + " but the image is " + std::to_string(img.height()) +
                                " x " + std::to_string(img.width()));
  const int S = count_segments(seg, where);
  if (o.n_samples < 1) throw std::invalid_argument(w + ": n_samples must be >= 1, got " + std::to_string(o.n_samples));
  if (!(o.kernel_width > 0.0) || !std::isfinite(o.kernel_width))
    throw std::invalid_argument(w + ": kernel_width must be finite and > 0, got " + std::to_string(o.kernel_width));
  if (!(o.alpha >= 0.0) || !std::isfinite(o.alpha))
    throw std::invalid_argument(w + ": alpha must be finite and >= 0, got " + std::to_string(o.alpha));
  if (o.batch_size < 1) throw std::invalid_argument(w + ": batch_size must be >= 1, got " + std::to_string(o.batch_size));
  check_threads(o.threads, w);
  check_layout(o.layout, w);
  for (int c : o.classes)
    if (c < 0) throw std::invalid_argument(w + ": class index must be >= 0, got " + std::to_string(c));
  if (!o.fill_color.empty() && !o.fill_image.empty())
    throw std::invalid_argument(w + ": give fill_color or fill_image, not both");
  if (!o.fill_color.empty()) {
    if (static_cast<int>(o.fill_color.size()) != img.channels())
      throw std::invalid_argument(w + ": fill_color must have " + std::to_string(img.channels()) +
                                  " values (the image's channels), got " + std::to_string(o.fill_color.size()));
    for (float v : o.fill_color)
      if (!std::isfinite(v)) throw std::invalid_argument(w + ": fill_color must be finite, got " + std::to_string(v));
  }
  if (!o.fill_image.empty()) {
    if (o.fill_image.height() != img.height() || o.fill_image.width() != img.width() ||
        o.fill_image.channels() != img.channels())
      throw std::invalid_argument(w + ": fill_image must be " + std::to_string(img.height()) + " x " +
                                  std::to_string(img.width()) + " x " + std::to_string(img.channels()) +
                                  " like the image, got " + std::to_string(o.fill_image.height()) + " x " +
                                  std::to_string(o.fill_image.width()) + " x " +
                                  std::to_string(o.fill_image.channels()));
    check_finite(o.fill_image, where, "fill_image");
  }
  // Kept for the regression: N x S indicators (bytes) and N x T scores (doubles).
  const double targets = static_cast<double>(std::max<std::size_t>(o.classes.size(), 1));
  const double gib = static_cast<double>(o.n_samples) * (S + 8.0 * targets) / (1024.0 * 1024.0 * 1024.0);
  if (gib > 16.0)
    throw std::invalid_argument(w + ": n_samples " + std::to_string(o.n_samples) + " with " + std::to_string(S) +
                                " superpixels needs " + std::to_string(gib) + " GiB of samples (limit 16 GiB)");
  check_batch_buffers(where, static_cast<double>(std::min<std::int64_t>(o.batch_size, o.n_samples)), img,
                      "batch_size " + std::to_string(o.batch_size));
  return S;
}

/// The weighted ridge fit of LIME (see the file comment) from n samples: z (n x S bytes,
/// row-major) and y (n x T scores, row-major). Fills the result's coefficients, intercepts,
/// r_squared and local_predictions. Sums run in sample order in blocks of fixed size, so the
/// result is a function of the samples alone. A template (Result is LimeResult) only so that
/// Eigen's LDLT and complete orthogonal decomposition are instantiated where lime() is called: as
/// a plain inline function they cost every translation unit that includes this header about
/// 3.5 s of compile time (g++ 12, -O3), whether it calls lime() or not.
template <class Result>
void lime_fit(const std::vector<std::uint8_t>& z, const std::vector<double>& y, std::int64_t n, int S, int T,
              double kernel_width, double alpha, Result& res) {
  const auto row = [S](std::int64_t i) { return static_cast<std::size_t>(i) * static_cast<std::size_t>(S); };
  const auto yrow = [T](std::int64_t i) { return static_cast<std::size_t>(i) * static_cast<std::size_t>(T); };
  Eigen::VectorXd pi(n);
  double total = 0.0;
  Eigen::VectorXd xbar = Eigen::VectorXd::Zero(S), ybar = Eigen::VectorXd::Zero(T);
  for (std::int64_t i = 0; i < n; ++i) {
    int on = 0;
    for (int j = 0; j < S; ++j) on += z[row(i) + static_cast<std::size_t>(j)];
    pi(i) = lime_weight(on, S, kernel_width);
    total += pi(i);
    for (int j = 0; j < S; ++j) xbar(j) += pi(i) * z[row(i) + static_cast<std::size_t>(j)];
    for (int t = 0; t < T; ++t) ybar(t) += pi(i) * y[yrow(i) + static_cast<std::size_t>(t)];
  }
  xbar /= total;
  ybar /= total;

  // A = Σ π (z - x̄)(z - x̄)ᵀ + αI and B = Σ π (z - x̄)(y - ȳ)ᵀ, from blocks of sqrt(π)-scaled rows.
  constexpr std::int64_t block = 256;
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(S, S), B = Eigen::MatrixXd::Zero(S, T);
  Eigen::MatrixXd xc, yc;
  for (std::int64_t first = 0; first < n; first += block) {
    const auto rows = static_cast<Eigen::Index>(std::min(block, n - first));
    xc.resize(rows, S);
    yc.resize(rows, T);
    for (Eigen::Index r = 0; r < rows; ++r) {
      const double s = std::sqrt(pi(first + r));
      for (int j = 0; j < S; ++j) xc(r, j) = s * (z[row(first + r) + static_cast<std::size_t>(j)] - xbar(j));
      for (int t = 0; t < T; ++t) yc(r, t) = s * (y[yrow(first + r) + static_cast<std::size_t>(t)] - ybar(t));
    }
    A.noalias() += xc.transpose() * xc;
    B.noalias() += xc.transpose() * yc;
  }
  A.diagonal().array() += alpha;
  if (alpha > 0.0)
    res.coefficients = A.ldlt().solve(B);
  else
    res.coefficients = A.completeOrthogonalDecomposition().solve(B);
  res.intercepts = ybar - res.coefficients.transpose() * xbar;
  res.local_predictions = res.intercepts + res.coefficients.colwise().sum().transpose();

  // Weighted R² as scikit-learn's score(): 1 - Σπ(y - ŷ)² / Σπ(y - ȳ)²; for a constant y, 1 if the
  // fit is exact, else 0.
  Eigen::VectorXd rss = Eigen::VectorXd::Zero(T), tss = Eigen::VectorXd::Zero(T);
  for (std::int64_t i = 0; i < n; ++i)
    for (int t = 0; t < T; ++t) {
      double fit = res.intercepts(t);
      for (int j = 0; j < S; ++j)
        if (z[row(i) + static_cast<std::size_t>(j)]) fit += res.coefficients(j, t);
      const double yi = y[yrow(i) + static_cast<std::size_t>(t)];
      rss(t) += pi(i) * (yi - fit) * (yi - fit);
      tss(t) += pi(i) * (yi - ybar(t)) * (yi - ybar(t));
    }
  res.r_squared.resize(T);
  for (int t = 0; t < T; ++t) res.r_squared(t) = tss(t) > 0.0 ? 1.0 - rss(t) / tss(t) : (rss(t) == 0.0 ? 1.0 : 0.0);
}

}  // namespace detail

/// @brief LIME saliency for an image (Ribeiro et al., KDD 2016) as the `lime` package's image
///        explainer computes it: a weighted ridge regression of the model's score on which
///        superpixels are switched on, over n_samples perturbed images (see the file comment for
///        the sampling, the kernel and the fit).
/// @tparam Classifier a callable in either classifier form (see classifier.hpp / README#classifier)
/// @tparam Callbacks callables `(const Progress&)` returning void or bool (true stops the run; the
///         fit then uses the samples done so far)
/// @param model the black-box model; called only from this thread. Its first call holds sample 0,
///        the unperturbed image, which also gives the scores and the predicted class
/// @param image H x W x C, in the model's value range
/// @param segments H x W superpixel labels 0 .. S-1, every label used (quick shift, grid_segments()...)
/// @param options see LimeOptions
/// @param callbacks progress and early stop, called after each batch of samples (see callbacks.hpp)
/// @return the coefficients of every superpixel, the intercept, R² and the painted H x W map of
///         each target class. Sample n (its indicators and so its image) is a pure function of
///         (seed, n), and the fit sums in sample order: the result is bitwise identical for any
///         thread count, batch size and layout. Memory: N x S bytes of indicators and N x T
///         scores, no image per sample beyond the batch.
/// @throws std::invalid_argument for options out of range, an empty image or one with a NaN / inf
///         pixel, labels that do not match the image or are not 0 .. S-1 (all before any model
///         call), or a class index >= L (after the first batch); std::runtime_error for a model
///         answer of the wrong shape or a non-finite score (naming the sample); exceptions thrown by
///         the model pass through unchanged.
template <class Classifier, class... Callbacks>
LimeResult lime(Classifier&& model, const Image& image, const SegmentMap& segments, const LimeOptions& options = {},
                Callbacks&&... callbacks) {
  static_assert(detail::is_classifier_v<Classifier>, "mcrise::lime: " MCRISE_CLASSIFIER_REQUIREMENT);
  const char* where = "mcrise::lime()";
  const LimeOptions& o = options;
  const int S = detail::validate_lime(image, segments, o);
  const Image fill = detail::lime_fill(image, segments, S, o);
  const int H = image.height(), W = image.width(), C = image.channels();
  const std::int64_t N = o.n_samples;
  const int B = static_cast<int>(std::min<std::int64_t>(o.batch_size, N));

  detail::ClassifierRunner<std::remove_reference_t<Classifier>> run(model, where);
  detail::ThreadPool pool(std::min(detail::resolve_threads(o.threads), B));
  ImageBatch batch;
  batch.reshape_for_overwrite(B, H, W, C, o.layout);
  std::vector<std::uint8_t> z;  // N x S indicators, grown batch by batch
  std::vector<double> y;        // N x T target scores
  LimeResult res;
  res.num_segments = S;
  int T = 0;
  const auto Su = static_cast<std::size_t>(S);

  std::int64_t done = 0;
  while (done < N) {
    const int b = static_cast<int>(std::min<std::int64_t>(B, N - done));
    batch.resize(b);
    z.resize(static_cast<std::size_t>(done + b) * Su);
    const std::int64_t first = done;
    pool.parallel_for(b, [&](int i, int) {
      std::uint8_t* zi = z.data() + static_cast<std::size_t>(first + i) * Su;
      detail::lime_sample(o.seed, static_cast<std::uint64_t>(first + i), S, zi);
      float* dst = batch.image_data(i);
      for (int yy = 0; yy < H; ++yy)
        for (int x = 0; x < W; ++x) {
          const auto p = static_cast<std::size_t>(yy) * static_cast<std::size_t>(W) + static_cast<std::size_t>(x);
          const float* src = (zi[segments.data()[p]] ? image.data() : fill.data()) + p * static_cast<std::size_t>(C);
          for (int c = 0; c < C; ++c) dst[batch.offset(yy, x, c)] = src[c];
        }
    });
    const auto& scores = run(batch, first);
    if (first == 0) {  // sample 0 is the unperturbed image: its scores, and the predicted class
      res.scores = scores.row(0).transpose();
      res.classes = o.classes;
      if (res.classes.empty()) {
        Eigen::Index best = 0;
        res.scores.maxCoeff(&best);
        res.classes.push_back(static_cast<int>(best));
      }
      for (int c : res.classes)
        if (c >= res.scores.size())
          throw std::invalid_argument(std::string(where) + ": class " + std::to_string(c) +
                                      " is out of range: the model returns " + std::to_string(res.scores.size()) +
                                      " scores");
      T = static_cast<int>(res.classes.size());
    }
    y.resize(static_cast<std::size_t>(done + b) * static_cast<std::size_t>(T));
    for (int i = 0; i < b; ++i)
      for (int t = 0; t < T; ++t)
        y[static_cast<std::size_t>(first + i) * static_cast<std::size_t>(T) + static_cast<std::size_t>(t)] =
            scores(i, res.classes[static_cast<std::size_t>(t)]);
    done += b;
    if (detail::notify(Progress{"lime", done, N}, callbacks...)) break;
  }

  detail::lime_fit(z, y, done, S, T, o.kernel_width, o.alpha, res);
  res.samples_used = done;
  res.complete = done == N;
  res.maps.resize(static_cast<std::size_t>(T));
  for (int t = 0; t < T; ++t) {
    SaliencyMap& m = res.maps[static_cast<std::size_t>(t)];
    m.resize(H, W);
    for (Eigen::Index p = 0; p < m.size(); ++p) m.data()[p] = res.coefficients(segments.data()[p], t);
  }
  return res;
}

}  // namespace mcrise
