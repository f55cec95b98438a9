#pragma once
/// @file classifier.hpp
/// @brief The classifier contract: what a user's model must look like, the
///        compile-time checks that enforce it, and the one place where mcrise
///        calls the model and validates what it returns.
///
/// A classifier is any callable, taken as a template parameter, in one of two
/// forms (the batch form wins when both are possible):
///  - batch form:  `model(const mcrise::ImageBatch&) -> M`, where M is a B x L
///    matrix-like type (`rows()`, `cols()`, `operator()(i, j)` convertible to
///    double; e.g. `Eigen::MatrixXf`), row b holding the L class scores of image b;
///  - single form: `model(const mcrise::Image&) -> V`, where V is a vector-like
///    type of L scores (`size()`, `operator[](i)`; e.g. `std::vector<float>`,
///    `Eigen::VectorXf`).
/// mcrise calls the model only from the thread that called the algorithm, one
/// call at a time, so the model need not be thread-safe. L must be the same for
/// every call; every score must be finite.

#include <mcrise/image.hpp>
#include <mcrise/detail/checks.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace mcrise {
namespace detail {

template <class T, class = void>
struct is_score_matrix : std::false_type {};
template <class T>
struct is_score_matrix<T, std::void_t<decltype(static_cast<long long>(std::declval<const T&>().rows())),
                                      decltype(static_cast<long long>(std::declval<const T&>().cols())),
                                      decltype(static_cast<double>(std::declval<const T&>()(0, 0)))>>
    : std::true_type {};

template <class T, class = void>
struct is_score_vector : std::false_type {};
template <class T>
struct is_score_vector<T, std::void_t<decltype(static_cast<long long>(std::declval<const T&>().size())),
                                      decltype(static_cast<double>(std::declval<const T&>()[0]))>>
    : std::true_type {};

template <class C, class = void>
struct batch_result_ok : std::false_type {};
template <class C>
struct batch_result_ok<C, std::enable_if_t<std::is_invocable_v<C&, const ImageBatch&>>>
    : is_score_matrix<std::decay_t<std::invoke_result_t<C&, const ImageBatch&>>> {};

template <class C, class = void>
struct image_result_ok : std::false_type {};
template <class C>
struct image_result_ok<C, std::enable_if_t<std::is_invocable_v<C&, const Image&>>>
    : is_score_vector<std::decay_t<std::invoke_result_t<C&, const Image&>>> {};

/// True if C is callable as `C&(const ImageBatch&)` returning a B x L score matrix.
template <class C>
inline constexpr bool is_batch_classifier_v = batch_result_ok<std::remove_reference_t<C>>::value;

/// True if C is callable as `C&(const Image&)` returning a vector of L scores.
template <class C>
inline constexpr bool is_image_classifier_v = image_result_ok<std::remove_reference_t<C>>::value;

/// True if C satisfies either classifier form.
template <class C>
inline constexpr bool is_classifier_v = is_batch_classifier_v<C> || is_image_classifier_v<C>;

}  // namespace detail

#if defined(__cpp_concepts) && __cpp_concepts >= 201907L
/// @brief C++20 concept for users: a callable in one of the two classifier forms.
template <class C>
concept ClassifierFor = detail::is_classifier_v<C>;
#endif

/// The message every entry point shows when its Classifier does not fit.
#define MCRISE_CLASSIFIER_REQUIREMENT                                                              \
  "Classifier must be callable as model(const mcrise::ImageBatch&) -> B x L score matrix "        \
  "(rows(), cols(), operator()(i,j); e.g. Eigen::MatrixXf), or as model(const mcrise::Image&) -> " \
  "vector of L class scores (size(), operator[]; e.g. std::vector<float>). See README#classifier."

namespace detail {

/// @brief Calls a user's classifier on batches and checks its answers.
///
/// Holds the number of classes L once known (from the first call) and a
/// scratch Image for the single-image form. Scores come back as a B x L
/// double matrix. Every failure names the function, and the global sample
/// index `first_index + b` of the image at fault.
template <class Classifier>
class ClassifierRunner {
  // Every public entry point asserts is_classifier_v under its own name. Here a callable of neither
  // form compiles to nothing, so that the user sees that one message and no other error.

 public:
  /// @param model the user's callable (kept by reference, never copied)
  /// @param where the public function name used in error messages, e.g. "mcrise::mc_rise()"
  ClassifierRunner(Classifier& model, const char* where) : model_(model), where_(where) {}

  /// @brief Number of classes L, or -1 before the first call.
  long long num_classes() const noexcept { return classes_; }

  /// @brief Scores of the batch: B x L, row-major (row b is contiguous).
  /// @param first_index sample index of image 0 of the batch, for error messages (-1: the
  ///        unperturbed image, a batch of one)
  /// @throws std::runtime_error if the model returns the wrong shape, a
  ///         non-finite score or one of magnitude over 1e18 (detail::max_abs_score); any exception from the model passes through untouched.
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>& operator()(const ImageBatch& batch,
                                                                                 std::int64_t first_index) {
    const int B = batch.size();
    if constexpr (is_batch_classifier_v<Classifier>) {
      const auto& out = model_(batch);
      const long long rows = static_cast<long long>(out.rows());
      const long long cols = static_cast<long long>(out.cols());
      if (rows != B)
        fail("the classifier returned " + std::to_string(rows) + " rows for a batch of " + std::to_string(B) +
             " images (" + (first_index < 0 ? sample_name(first_index) : "first " + sample_name(first_index)) + ")");
      check_classes(cols, first_index);
      scores_.resize(B, cols);
      for (int b = 0; b < B; ++b)
        for (long long j = 0; j < cols; ++j) scores_(b, j) = static_cast<double>(out(b, j));
    } else if constexpr (is_image_classifier_v<Classifier>) {
      if (scratch_.height() != batch.height() || scratch_.width() != batch.width() ||
          scratch_.channels() != batch.channels())
        scratch_ = Image(batch.height(), batch.width(), batch.channels());
      for (int b = 0; b < B; ++b) {
        batch.copy_to(b, scratch_);
        const auto& out = model_(static_cast<const Image&>(scratch_));
        const long long n = static_cast<long long>(out.size());
        check_classes(n, first_index + b);
        if (b == 0) scores_.resize(B, n);
        for (long long j = 0; j < n; ++j) scores_(b, j) = static_cast<double>(out[j]);
      }
      if (B == 0) scores_.resize(0, classes_ < 0 ? 0 : classes_);
    }
    for (int b = 0; b < B; ++b)
      for (long long j = 0; j < scores_.cols(); ++j)
        if (!std::isfinite(scores_(b, j)))
          fail("the classifier returned a non-finite score (" + std::to_string(scores_(b, j)) + ") for class " +
               std::to_string(j) + " of " + sample_name(first_index + b));
        else if (std::abs(scores_(b, j)) > max_abs_score)  // the sums of the estimators must stay finite
          fail("the classifier returned a score of magnitude over " + real_str(max_abs_score) + " (" +
               real_str(scores_(b, j)) + ") for class " + std::to_string(j) + " of " + sample_name(first_index + b));
    return scores_;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw std::runtime_error(std::string(where_) + ": " + what); }

  // Index -1 is the unperturbed image (the drivers' first call, which tells L).
  static std::string sample_name(std::int64_t index) {
    return index < 0 ? std::string("the unperturbed image") : "sample " + std::to_string(index);
  }

  void check_classes(long long n, std::int64_t index) {
    if (n <= 0) fail("the classifier returned no scores for " + sample_name(index));
    if (classes_ < 0) classes_ = n;
    if (n != classes_)
      fail("the classifier returned " + std::to_string(n) + " scores for " + sample_name(index) +
           " but " + std::to_string(classes_) + " before");
  }

  Classifier& model_;
  const char* where_;
  long long classes_ = -1;
  Image scratch_;
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> scores_;
};

/// @brief Copy an Image into slot b of a batch, in the batch's layout.
inline void copy_into_batch(const Image& img, ImageBatch& batch, int b) noexcept {
  float* dst = batch.image_data(b);
  if (batch.layout() == Layout::HWC) {
    std::copy(img.data(), img.data() + img.size(), dst);
    return;
  }
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x)
      for (int c = 0; c < img.channels(); ++c) dst[batch.offset(y, x, c)] = img(y, x, c);
}

}  // namespace detail

/// @brief Scores of the model on one image (a batch of one, in `layout`).
/// @tparam Classifier a callable in one of the two classifier forms (see classifier.hpp)
/// @param model the black-box model
/// @param image H x W x C, non-empty, in the model's value range
/// @param layout HWC or CHW, the layout of the ImageBatch a batch classifier receives
/// @return the L class scores
/// @throws std::invalid_argument for an empty image or an unknown layout; std::runtime_error for a
///         bad model answer (its message names "sample 0"); the model's own exceptions pass through.
template <class Classifier>
Eigen::VectorXd classify(Classifier&& model, const Image& image, Layout layout = Layout::HWC) {
  static_assert(detail::is_classifier_v<Classifier>, "mcrise::classify: " MCRISE_CLASSIFIER_REQUIREMENT);
  if (image.empty()) throw std::invalid_argument("mcrise::classify(): the image is empty");
  detail::check_layout(layout, "mcrise::classify()");
  ImageBatch batch(1, image.height(), image.width(), image.channels(), layout);
  detail::copy_into_batch(image, batch, 0);
  detail::ClassifierRunner<std::remove_reference_t<Classifier>> run(model, "mcrise::classify()");
  return run(batch, 0).row(0).transpose();
}

}  // namespace mcrise
