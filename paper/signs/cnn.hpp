#pragma once
/// @file cnn.hpp
/// @brief The bundled traffic-sign CNN: plain C++/Eigen inference (im2col +
///        GEMM), batched, HWC or CHW, returning softmax probabilities. It is a
///        ready-made mcrise classifier: `mcrise::rise(model, img, opt)`.
///
/// Architecture (fixed by the weights file, bundled: 48 x 48 x 3 -> 10):
///   [conv 3x3 'same' -> ReLU -> 2x2 max-pool] x 3 with 16, 24, 48 channels
///   (48 -> 24 -> 12 -> 6 pixels), flatten in (channel, y, x) order,
///   fully connected 1728 -> 10, softmax.
/// About 4.5 M multiply-adds per image (multiply_adds()).
///
/// Weights file (little-endian), written by paper/signs/train/train.py:
///   "MCRSCNN1", u32 height, u32 width, u32 channels, u32 num_classes, u32 n_conv,
///   n_conv x { u32 cin, u32 cout, u32 k, f32 weight[cout][cin][k][k], f32 bias[cout] },
///   u32 fc_in, u32 fc_out, f32 weight[fc_out][fc_in], f32 bias[fc_out].
/// The input is RGB in [0, 1], as rendered by render.hpp.
///
/// Example-side header (namespace mcrise::signs), not part of the library.

#include "classes.hpp"
#include "conv.hpp"

#include <mcrise/image.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcrise {
namespace signs {

/// @brief A small CNN for sign images, run with Eigen on the calling thread.
///
/// Also provides (from detail::SoftmaxClassifier) logits(ImageBatch) -> B x L, input_height(), input_width(),
/// input_channels(), num_classes(), operator()(ImageBatch) -> B x L softmax
/// probabilities, probabilities(img) and predict(img).
/// Thread-safety: all methods are const and keep no state between calls, so
/// one instance may be used from several threads at once.
class SignCnn : public detail::SoftmaxClassifier<SignCnn> {
 public:
  /// @brief Row-major float matrix, used for weights and feature maps.
  using RowMatrix = detail::RowMatrix;
  /// @brief The name in error messages.
  static constexpr const char* class_name = "SignCnn";

  /// @brief An empty model (num_classes() == 0); use load().
  SignCnn() = default;

  /// @brief Read a weights file (format in the file comment).
  /// @param path the file, e.g. bundled_weights_path()
  /// @return the model
  /// @throws std::runtime_error naming the path and the reason if the file is
  ///         missing, unreadable, truncated, has trailing bytes, a bad magic,
  ///         inconsistent shapes or non-finite weights.
  static SignCnn load(const std::string& path) {
    detail::WeightReader r(path, "MCRSCNN1", "mcrise::signs::SignCnn::load()");
    SignCnn m;
    m.read_shape(r);
    const int n_conv = r.dim("n_conv");
    int c = m.channels_, h = m.height_, w = m.width_;
    for (int i = 0; i < n_conv; ++i) {
      detail::Conv2d conv;
      conv.cin = r.dim("conv cin");
      conv.cout = r.dim("conv cout");
      conv.k = r.dim("conv k");
      if (conv.cin != c)
        r.fail("conv " + std::to_string(i) + " takes " + std::to_string(conv.cin) + " channels, previous layer gives " +
               std::to_string(c));
      if (conv.k % 2 == 0) r.fail("conv " + std::to_string(i) + " has an even kernel size " + std::to_string(conv.k));
      if (h % 2 != 0 || w % 2 != 0)
        r.fail("conv " + std::to_string(i) + " input " + std::to_string(h) + " x " + std::to_string(w) +
               " cannot be 2x2 max-pooled");
      conv.read_weights(r);
      m.convs_.push_back(std::move(conv));
      c = m.convs_.back().cout;
      h /= 2;
      w /= 2;
    }
    const int fc_in = r.dim("fc_in"), fc_out = r.dim("fc_out");
    if (fc_in != c * h * w)
      r.fail("fc_in is " + std::to_string(fc_in) + ", the last conv gives " + std::to_string(c * h * w));
    if (fc_out != m.classes_)
      r.fail("fc_out is " + std::to_string(fc_out) + ", num_classes is " + std::to_string(m.classes_));
    m.fc_weight_ = r.floats(fc_out, fc_in);
    m.fc_bias_ = r.floats(fc_out, 1).col(0);
    r.expect_end();
    return m;
  }

  /// @brief Multiply-adds of one forward pass of one image (convs and fc).
  std::int64_t multiply_adds() const noexcept {
    std::int64_t total = 0, hw = static_cast<std::int64_t>(height_) * width_;
    for (const detail::Conv2d& c : convs_) {
      total += hw * c.cout * c.cin * c.k * c.k;
      hw /= 4;
    }
    return total + fc_weight_.size();
  }

 private:
  friend class detail::SoftmaxClassifier<SignCnn>;

  /// Images b0 .. b0+n-1 -> L x n logits (feature-map layout: conv.hpp).
  Eigen::MatrixXf forward(const ImageBatch& batch, int b0, int n) const {
    int H = height_, W = width_;
    // Working matrices are kept per thread and per layer, so that repeated
    // batches of the same size reuse their memory instead of asking the
    // kernel for fresh pages every call (which cost as much time as the
    // arithmetic). The model stays const and safe to share between threads.
    const std::size_t layers = convs_.size();
    thread_local std::vector<RowMatrix> xs, colss, ys;
    if (xs.size() < layers + 1) xs.resize(layers + 1), colss.resize(layers), ys.resize(layers);
    detail::batch_to_planes(batch, b0, n, xs[0]);
    for (std::size_t l = 0; l < layers; ++l) {
      const detail::Conv2d& conv = convs_[l];
      RowMatrix& y = ys[l];
      conv.apply(xs[l], n, H, W, colss[l], y);
      // bias + ReLU + 2x2 max-pool (max and ReLU commute, so pool first).
      const int H2 = H / 2, W2 = W / 2, HW = H * W;
      RowMatrix& out = xs[l + 1];
      out.resize(conv.cout, static_cast<Eigen::Index>(n) * H2 * W2);
      for (int co = 0; co < conv.cout; ++co) {
        const float bias = conv.bias[co];
        for (int b = 0; b < n; ++b)
          for (int yy = 0; yy < H2; ++yy)
            for (int xx = 0; xx < W2; ++xx) {
              const Eigen::Index p = static_cast<Eigen::Index>(b) * HW + (2 * yy) * W + 2 * xx;
              const float m = std::max(std::max(y(co, p), y(co, p + 1)), std::max(y(co, p + W), y(co, p + W + 1)));
              out(co, static_cast<Eigen::Index>(b) * H2 * W2 + yy * W2 + xx) = std::max(m + bias, 0.0f);
            }
      }
      H = H2;
      W = W2;
    }
    // Flatten each image in (channel, y, x) order, as torch.flatten does.
    const RowMatrix& x = xs[layers];
    const int HW = H * W, D = static_cast<int>(x.rows()) * HW;
    Eigen::MatrixXf f(D, n);
    for (int b = 0; b < n; ++b)
      for (Eigen::Index c = 0; c < x.rows(); ++c)
        for (int p = 0; p < HW; ++p) f(c * HW + p, b) = x(c, static_cast<Eigen::Index>(b) * HW + p);
    Eigen::MatrixXf logits = fc_weight_ * f;
    logits.colwise() += fc_bias_;
    return logits;
  }

  std::vector<detail::Conv2d> convs_;
  RowMatrix fc_weight_;
  Eigen::VectorXf fc_bias_;
};

/// @brief Path of the bundled weights, paper/signs/sign_cnn.bin.
///
/// The environment variable MCRISE_SIGN_CNN, when set, wins; otherwise the
/// path is built from the MCRISE_SOURCE_DIR compile definition that the
/// project's CMake gives every test and example.
/// @throws std::runtime_error if neither is available.
inline std::string bundled_weights_path() { return detail::bundled_path("MCRISE_SIGN_CNN", "sign_cnn.bin"); }

/// @brief Load the bundled sign CNN (see bundled_weights_path()).
/// @throws std::runtime_error with the path if the file is missing or corrupt.
inline SignCnn load_bundled_sign_cnn() { return SignCnn::load(bundled_weights_path()); }

}  // namespace signs
}  // namespace mcrise
