#pragma once
/// @file conv.hpp
/// @brief What the bundled sign models (cnn.hpp, resnet.hpp) share: the weights
///        file reader, the batch -> feature-map layout, 2-D convolution as
///        im2col + Eigen GEMM, and the softmax classifier interface.
///
/// Feature maps of n images are C x (n*H*W) row-major matrices: row = channel,
/// column = b*H*W + y*W + x. Example-side header (namespace mcrise::signs),
/// not part of the library.

#include <mcrise/image.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
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
namespace detail {

/// @brief Row-major float matrix, used for weights and feature maps.
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// @brief Little-endian reader of a weights file; every failure names the file.
struct WeightReader {
  std::vector<char> bytes;  ///< the whole file
  std::size_t pos = 0;      ///< read position
  std::string path;         ///< for messages
  std::string who;          ///< e.g. "mcrise::signs::SignCnn::load()"

  /// @brief Read the whole file and check its 8-byte magic.
  /// @throws std::runtime_error if it cannot be opened or the magic differs.
  WeightReader(const std::string& file, const char* magic, std::string fn) : path(file), who(std::move(fn)) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(who + ": cannot open '" + path + "'");
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (bytes.size() < 8 || std::memcmp(bytes.data(), magic, 8) != 0)
      fail(std::string("not a ") + magic + " weights file (bad magic)");
    pos = 8;
  }
  /// @brief Throw std::runtime_error "<who>: '<path>': <why>".
  [[noreturn]] void fail(const std::string& why) const { throw std::runtime_error(who + ": '" + path + "': " + why); }
  /// @brief Next u32, which must be in 1..100000 (or 0..1 when @p flag).
  int dim(const char* what, bool flag = false) {
    if (bytes.size() - pos < 4) fail(std::string("truncated before ") + what);
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
      v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[pos + static_cast<std::size_t>(i)])) << (8 * i);
    pos += 4;
    if (flag ? v > 1 : (v == 0 || v > 100000))
      fail(std::string(what) + " is " + std::to_string(v) + (flag ? ", expected 0 or 1" : ", expected 1..100000"));
    return static_cast<int>(v);
  }
  /// @brief Next rows x cols float32 values, row-major; all must be finite.
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
  /// @brief Throw if bytes are left after the last field.
  void expect_end() const {
    if (pos != bytes.size()) fail(std::to_string(bytes.size() - pos) + " trailing bytes");
  }
};

/// @brief A 2-D convolution with zero padding k/2: weight cout x (cin*k*k),
///        column (ci*k + ky)*k + kx (torch's [cout][cin][k][k] order), bias cout.
struct Conv2d {
  int cin = 0, cout = 0, k = 0, stride = 1;
  RowMatrix weight;
  Eigen::VectorXf bias;

  /// @brief Output side of an input side @p n: (n + 2*(k/2) - k)/stride + 1.
  int out_size(int n) const noexcept { return (n + 2 * (k / 2) - k) / stride + 1; }

  /// @brief Read weight then bias of a conv whose shape is already set.
  void read_weights(WeightReader& r) {
    if (k % 2 == 0) r.fail("a conv has an even kernel size " + std::to_string(k));
    weight = r.floats(cout, cin * k * k);
    bias = r.floats(cout, 1).col(0);
  }

  /// @brief y = weight * im2col(x): the convolution WITHOUT its bias.
  /// @param x cin x (n*H*W) feature maps
  /// @param n, H, W images and their size
  /// @param cols scratch (resized here), kept by the caller to reuse memory
  /// @param y cout x (n*Ho*Wo) output, Ho = out_size(H), Wo = out_size(W)
  void apply(const RowMatrix& x, int n, int H, int W, RowMatrix& cols, RowMatrix& y) const {
    const int pad = k / 2, Ho = out_size(H), Wo = out_size(W), HW = H * W, HWo = Ho * Wo;
    cols.resize(static_cast<Eigen::Index>(cin) * k * k, static_cast<Eigen::Index>(n) * HWo);
    for (int ci = 0; ci < cin; ++ci)
      for (int ky = 0; ky < k; ++ky)
        for (int kx = 0; kx < k; ++kx) {
          float* row = &cols((ci * k + ky) * k + kx, 0);
          const float* plane = &x(ci, 0);
          for (int b = 0; b < n; ++b)
            for (int yy = 0; yy < Ho; ++yy) {
              const int sy = yy * stride + ky - pad;
              float* dst = row + static_cast<std::ptrdiff_t>(b) * HWo + yy * Wo;
              if (sy < 0 || sy >= H) {
                std::fill(dst, dst + Wo, 0.0f);
                continue;
              }
              const float* srow = plane + static_cast<std::ptrdiff_t>(b) * HW + sy * W;
              for (int xx = 0; xx < Wo; ++xx) {
                const int sx = xx * stride + kx - pad;
                dst[xx] = (sx < 0 || sx >= W) ? 0.0f : srow[sx];
              }
            }
        }
    y.noalias() = weight * cols;
  }
};

/// @brief Images b0 .. b0+n-1 of @p batch (HWC or CHW) as C x (n*H*W) feature maps.
inline void batch_to_planes(const ImageBatch& batch, int b0, int n, RowMatrix& x0) {
  const int H = batch.height(), W = batch.width(), C = batch.channels();
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
}

/// @brief The classifier interface both sign models share (CRTP): @p Derived
///        provides `Eigen::MatrixXf forward(const ImageBatch&, int b0, int n) const`
///        (images b0 .. b0+n-1 -> L x n logits; it may be private if it befriends
///        this class) and reads its shape with read_shape() when it loads.
template <class Derived>
class SoftmaxClassifier {
 public:
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
      out.middleRows(b0, n) = static_cast<const Derived&>(*this).forward(batch, b0, n).transpose();
    }
    return out;
  }

  /// @brief Input rows H the model takes.
  int input_height() const noexcept { return height_; }
  /// @brief Input columns W the model takes.
  int input_width() const noexcept { return width_; }
  /// @brief Input channels C the model takes (3: RGB in [0, 1]).
  int input_channels() const noexcept { return channels_; }
  /// @brief Number of classes L.
  int num_classes() const noexcept { return classes_; }

  /// @brief Class probabilities: the mcrise batch-classifier form.
  /// @param batch B images of input_height() x input_width() x input_channels(),
  ///        HWC or CHW, values in [0, 1]
  /// @return B x L softmax probabilities (rows sum to 1)
  /// @throws std::invalid_argument if the image shape does not match the model
  ///         or the model is empty.
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

 protected:
  /// @brief Read u32 height, width, channels, num_classes (the start of both weights files).
  void read_shape(WeightReader& r) {
    height_ = r.dim("height");
    width_ = r.dim("width");
    channels_ = r.dim("channels");
    classes_ = r.dim("num_classes");
  }

  /// @brief Throw std::invalid_argument unless h x w x c is the model's input.
  void check_shape(int h, int w, int c, const char* fn) const {
    const std::string name = std::string("mcrise::signs::") + Derived::class_name + "::" + fn + "(): ";
    if (classes_ == 0)
      throw std::invalid_argument(name + "empty model, use " + Derived::class_name + "::load()");
    if (h != height_ || w != width_ || c != channels_)
      throw std::invalid_argument(name + "images are " + std::to_string(h) + " x " + std::to_string(w) + " x " +
                                  std::to_string(c) + ", the model takes " + std::to_string(height_) + " x " +
                                  std::to_string(width_) + " x " + std::to_string(channels_));
  }

  int height_ = 0, width_ = 0, channels_ = 0, classes_ = 0;  ///< set by the derived load()
};

/// @brief Path of a bundled weights file: the environment variable @p env when
///        set, else MCRISE_SOURCE_DIR/paper/signs/@p file.
/// @throws std::runtime_error if neither is available.
inline std::string bundled_path(const char* env, const char* file) {
  if (const char* v = std::getenv(env); v && *v) return v;
#ifdef MCRISE_SOURCE_DIR
  return std::string(MCRISE_SOURCE_DIR) + "/paper/signs/" + file;
#else
  (void)file;
  throw std::runtime_error(std::string("mcrise::signs: MCRISE_SOURCE_DIR is not defined and ") + env +
                           " is not set; compile with -DMCRISE_SOURCE_DIR=\"/path/to/mcrise\" or load(path)");
#endif
}

}  // namespace detail
}  // namespace signs
}  // namespace mcrise
