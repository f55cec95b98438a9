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

#include <mcrise/image.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcrise {
namespace signs {

/// @brief A small CNN for sign images, run with Eigen on the calling thread.
///
/// Thread-safety: all methods are const and keep no state between calls, so
/// one instance may be used from several threads at once.
class SignCnn {
 public:
  /// @brief Row-major float matrix, used for weights and feature maps.
  using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  /// @brief An empty model (num_classes() == 0); use load().
  SignCnn() = default;

  /// @brief Read a weights file (format in the file comment).
  /// @param path the file, e.g. bundled_weights_path()
  /// @return the model
  /// @throws std::runtime_error naming the path and the reason if the file is
  ///         missing, unreadable, truncated, has trailing bytes, a bad magic,
  ///         inconsistent shapes or non-finite weights.
  static SignCnn load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("mcrise::signs::SignCnn::load(): cannot open '" + path + "'");
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Reader r{bytes, 0, path};
    if (bytes.size() < 8 || std::memcmp(bytes.data(), "MCRSCNN1", 8) != 0)
      r.fail("not a sign CNN weights file (bad magic)");
    r.pos = 8;
    SignCnn m;
    m.height_ = r.dim("height");
    m.width_ = r.dim("width");
    m.channels_ = r.dim("channels");
    m.classes_ = r.dim("num_classes");
    const int n_conv = r.dim("n_conv");
    int c = m.channels_, h = m.height_, w = m.width_;
    for (int i = 0; i < n_conv; ++i) {
      Conv conv;
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
      conv.weight = r.floats(conv.cout, conv.cin * conv.k * conv.k);
      conv.bias = r.floats(conv.cout, 1).col(0);
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
    if (r.pos != bytes.size()) r.fail(std::to_string(bytes.size() - r.pos) + " trailing bytes");
    return m;
  }

  /// @brief Input rows H the model takes.
  int input_height() const noexcept { return height_; }
  /// @brief Input columns W the model takes.
  int input_width() const noexcept { return width_; }
  /// @brief Input channels C the model takes (3: RGB in [0, 1]).
  int input_channels() const noexcept { return channels_; }
  /// @brief Number of classes L.
  int num_classes() const noexcept { return classes_; }

  /// @brief Multiply-adds of one forward pass of one image (convs and fc).
  std::int64_t multiply_adds() const noexcept {
    std::int64_t total = 0, hw = static_cast<std::int64_t>(height_) * width_;
    for (const Conv& c : convs_) {
      total += hw * c.cout * c.cin * c.k * c.k;
      hw /= 4;
    }
    return total + fc_weight_.size();
  }

  /// @brief Pre-softmax class scores.
  /// @param batch B images of input_height() x input_width() x input_channels(),
  ///        HWC or CHW, values in [0, 1]
  /// @return B x L logits
  /// @throws std::invalid_argument if the image shape does not match the model
  ///         or the model is empty.
  Eigen::MatrixXf logits(const ImageBatch& batch) const {
    check_shape(batch.height(), batch.width(), batch.channels(), "logits");
    const int B = batch.size();
    Eigen::MatrixXf out(B, classes_);
    // Bounded memory: at most `chunk` images go through im2col at once.
    constexpr int chunk = 32;
    for (int b0 = 0; b0 < B; b0 += chunk) {
      const int n = std::min(chunk, B - b0);
      out.middleRows(b0, n) = forward(batch, b0, n).transpose();
    }
    return out;
  }

  /// @brief Class probabilities: the mcrise batch-classifier form.
  /// @param batch B images, see logits()
  /// @return B x L softmax probabilities (rows sum to 1)
  /// @throws std::invalid_argument as logits().
  Eigen::MatrixXf operator()(const ImageBatch& batch) const {
    Eigen::MatrixXf p = logits(batch);
    for (Eigen::Index i = 0; i < p.rows(); ++i) {
      p.row(i).array() -= p.row(i).maxCoeff();  // stable softmax
      p.row(i) = p.row(i).array().exp().matrix();
      p.row(i) /= p.row(i).sum();
    }
    return p;
  }

  /// @brief Class probabilities of one image.
  /// @param img input_height() x input_width() x input_channels(), values in [0, 1]
  /// @return L probabilities
  /// @throws std::invalid_argument if the image shape does not match the model.
  Eigen::VectorXf probabilities(const Image& img) const {
    check_shape(img.height(), img.width(), img.channels(), "probabilities");
    ImageBatch b(1, img.height(), img.width(), img.channels(), Layout::HWC);
    std::copy(img.data(), img.data() + img.size(), b.data());
    return (*this)(b).row(0).transpose();
  }

  /// @brief The most probable class of one image (ties: the lowest index).
  /// @throws std::invalid_argument if the image shape does not match the model.
  int predict(const Image& img) const {
    Eigen::Index best = 0;
    probabilities(img).maxCoeff(&best);
    return static_cast<int>(best);
  }

 private:
  struct Conv {
    int cin = 0, cout = 0, k = 0;
    RowMatrix weight;      // cout x (cin * k * k), column (ci * k + ky) * k + kx
    Eigen::VectorXf bias;  // cout
  };

  struct Reader {
    const std::vector<char>& bytes;
    std::size_t pos;
    const std::string& path;
    [[noreturn]] void fail(const std::string& why) const {
      throw std::runtime_error("mcrise::signs::SignCnn::load(): '" + path + "': " + why);
    }
    int dim(const char* what) {
      if (bytes.size() - pos < 4) fail(std::string("truncated before ") + what);
      std::uint32_t v = 0;
      for (int i = 0; i < 4; ++i)
        v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[pos + static_cast<std::size_t>(i)])) << (8 * i);
      pos += 4;
      if (v == 0 || v > 100000) fail(std::string(what) + " is " + std::to_string(v) + ", expected 1..100000");
      return static_cast<int>(v);
    }
    RowMatrix floats(int rows, int cols) {
      const std::size_t n = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
      if ((bytes.size() - pos) / 4 < n) fail("truncated weights");
      RowMatrix m(rows, cols);
      for (std::size_t i = 0; i < n; ++i) {
        std::uint32_t v = 0;
        for (int j = 0; j < 4; ++j)
          v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[pos + 4 * i + static_cast<std::size_t>(j)]))
               << (8 * j);
        float f;
        std::memcpy(&f, &v, 4);
        if (!std::isfinite(f)) fail("non-finite weight");
        m.data()[i] = f;
      }
      pos += 4 * n;
      return m;
    }
  };

  void check_shape(int h, int w, int c, const char* fn) const {
    if (classes_ == 0) throw std::invalid_argument(std::string("mcrise::signs::SignCnn::") + fn + "(): empty model, use SignCnn::load()");
    if (h != height_ || w != width_ || c != channels_)
      throw std::invalid_argument(std::string("mcrise::signs::SignCnn::") + fn + "(): images are " + std::to_string(h) +
                                  " x " + std::to_string(w) + " x " + std::to_string(c) + ", the model takes " +
                                  std::to_string(height_) + " x " + std::to_string(width_) + " x " +
                                  std::to_string(channels_));
  }

  /// Images b0 .. b0+n-1 -> L x n logits. Feature maps are C x (n*H*W)
  /// row-major matrices: row = channel, column = b*H*W + y*W + x.
  Eigen::MatrixXf forward(const ImageBatch& batch, int b0, int n) const {
    int H = height_, W = width_;
    const int C = channels_;
    // Working matrices are kept per thread and per layer, so that repeated
    // batches of the same size reuse their memory instead of asking the
    // kernel for fresh pages every call (which cost as much time as the
    // arithmetic). The model stays const and safe to share between threads.
    const std::size_t layers = convs_.size();
    thread_local std::vector<RowMatrix> xs, colss, ys;
    if (xs.size() < layers + 1) xs.resize(layers + 1), colss.resize(layers), ys.resize(layers);
    RowMatrix& x0 = xs[0];
    x0.resize(C, static_cast<Eigen::Index>(n) * H * W);
    for (int b = 0; b < n; ++b) {
      const float* src = batch.image_data(b0 + b);
      const Eigen::Index off = static_cast<Eigen::Index>(b) * H * W;
      if (batch.layout() == Layout::CHW) {
        for (int c = 0; c < C; ++c) std::copy(src + c * H * W, src + (c + 1) * H * W, &x0(c, off));
      } else {
        for (int p = 0; p < H * W; ++p)
          for (int c = 0; c < C; ++c) x0(c, off + p) = src[p * C + c];
      }
    }
    for (std::size_t l = 0; l < layers; ++l) {
      const Conv& conv = convs_[l];
      RowMatrix& cols = colss[l];
      RowMatrix& y = ys[l];
      const RowMatrix& x = xs[l];
      // im2col with zero padding k/2: row (ci*k + ky)*k + kx, column b*H*W + y*W + x.
      const int k = conv.k, pad = k / 2, HW = H * W;
      cols.resize(static_cast<Eigen::Index>(conv.cin) * k * k, static_cast<Eigen::Index>(n) * HW);
      for (int ci = 0; ci < conv.cin; ++ci)
        for (int ky = 0; ky < k; ++ky)
          for (int kx = 0; kx < k; ++kx) {
            float* row = &cols((ci * k + ky) * k + kx, 0);
            const float* plane = &x(ci, 0);
            for (int b = 0; b < n; ++b)
              for (int yy = 0; yy < H; ++yy) {
                const int sy = yy + ky - pad;
                float* dst = row + static_cast<std::ptrdiff_t>(b) * HW + yy * W;
                if (sy < 0 || sy >= H) {
                  std::fill(dst, dst + W, 0.0f);
                  continue;
                }
                const float* srow = plane + static_cast<std::ptrdiff_t>(b) * HW + sy * W;
                for (int xx = 0; xx < W; ++xx) {
                  const int sx = xx + kx - pad;
                  dst[xx] = (sx < 0 || sx >= W) ? 0.0f : srow[sx];
                }
              }
          }
      y.noalias() = conv.weight * cols;
      // bias + ReLU + 2x2 max-pool (max and ReLU commute, so pool first).
      const int H2 = H / 2, W2 = W / 2;
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

  int height_ = 0, width_ = 0, channels_ = 0, classes_ = 0;
  std::vector<Conv> convs_;
  RowMatrix fc_weight_;
  Eigen::VectorXf fc_bias_;
};

/// @brief Path of the bundled weights, paper/signs/sign_cnn.bin.
///
/// The environment variable MCRISE_SIGN_CNN, when set, wins; otherwise the
/// path is built from the MCRISE_SOURCE_DIR compile definition that the
/// project's CMake gives every test and example.
/// @throws std::runtime_error if neither is available.
inline std::string bundled_weights_path() {
  if (const char* env = std::getenv("MCRISE_SIGN_CNN"); env && *env) return env;
#ifdef MCRISE_SOURCE_DIR
  return std::string(MCRISE_SOURCE_DIR) + "/paper/signs/sign_cnn.bin";
#else
  throw std::runtime_error(
      "mcrise::signs::bundled_weights_path(): MCRISE_SOURCE_DIR is not defined and MCRISE_SIGN_CNN is not set; "
      "compile with -DMCRISE_SOURCE_DIR=\"/path/to/mcrise\" or call SignCnn::load(path)");
#endif
}

/// @brief Load the bundled sign CNN (see bundled_weights_path()).
/// @throws std::runtime_error with the path if the file is missing or corrupt.
inline SignCnn load_bundled_sign_cnn() { return SignCnn::load(bundled_weights_path()); }

}  // namespace signs
}  // namespace mcrise
