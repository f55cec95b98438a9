#pragma once
/// @file resnet.hpp
/// @brief The bundled traffic-sign residual network: plain C++/Eigen inference
///        (im2col + GEMM, shared with cnn.hpp through conv.hpp), batched, HWC or
///        CHW, returning softmax probabilities. A ready-made mcrise classifier.
///
/// Architecture (fixed by the weights file, bundled: 48 x 48 x 3 -> 10), after
/// ResNet (He et al., CVPR 2016) at a small scale:
///   stem: conv 3x3 stride 2 (16) -> BN -> ReLU                          48 -> 24 pixels
///   basic block 16 -> 24, stride 2 (1x1 stride-2 conv + BN shortcut)   24 -> 12
///   basic block 24 -> 48, stride 2 (1x1 stride-2 conv + BN shortcut)   12 -> 6
///   global average pool -> fully connected 48 -> 10 -> softmax.
/// A basic block is relu(BN(conv3x3(relu(BN(conv3x3(x))))) + shortcut(x)).
/// Batch normalisation is folded into the convolutions when the training code
/// exports them (w' = w γ/√(σ² + ε), b' = β − μ γ/√(σ² + ε)), so inference is
/// convolutions with bias only. 42.7 k parameters, 2.7 M multiply-adds per image.
/// The loader takes any number of blocks, identity (stride 1, same width) or projected.
///
/// Weights file (little-endian), written by paper/signs/train/train.py --arch resnet:
///   "MCRSRES1", u32 height, u32 width, u32 channels, u32 num_classes, u32 n_blocks,
///   conv stem, n_blocks x { u32 has_projection, conv conv1, conv conv2, [conv projection] },
///   u32 fc_in, u32 fc_out, f32 weight[fc_out][fc_in], f32 bias[fc_out];
///   conv = { u32 cin, u32 cout, u32 k, u32 stride, f32 weight[cout][cin][k][k], f32 bias[cout] }.
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

/// @brief A small residual network for sign images, run with Eigen on the
///        calling thread.
///
/// Provides (from detail::SoftmaxClassifier) logits(ImageBatch) -> B x L, input_height(), input_width(),
/// input_channels(), num_classes(), operator()(ImageBatch) -> B x L softmax
/// probabilities, probabilities(img) and predict(img).
/// Thread-safety: all methods are const and keep no state between calls, so
/// one instance may be used from several threads at once.
class SignResNet : public detail::SoftmaxClassifier<SignResNet> {
 public:
  /// @brief Row-major float matrix, used for weights and feature maps.
  using RowMatrix = detail::RowMatrix;
  /// @brief The name in error messages.
  static constexpr const char* class_name = "SignResNet";

  /// @brief An empty model (num_classes() == 0); use load().
  SignResNet() = default;

  /// @brief Read a weights file (format in the file comment).
  /// @param path the file, e.g. bundled_resnet_path()
  /// @return the model
  /// @throws std::runtime_error naming the path and the reason if the file is
  ///         missing, truncated, has trailing bytes, a bad magic, inconsistent
  ///         shapes or non-finite weights.
  static SignResNet load(const std::string& path) {
    detail::WeightReader r(path, "MCRSRES1", "mcrise::signs::SignResNet::load()");
    SignResNet m;
    m.read_shape(r);
    const int n_blocks = r.dim("n_blocks");
    int c = m.channels_;
    m.stem_ = read_conv(r, c, "stem");
    c = m.stem_.cout;
    for (int i = 0; i < n_blocks; ++i) {
      const std::string name = "block " + std::to_string(i);
      Block b;
      const bool proj = r.dim("has_projection", true) == 1;
      b.conv1 = read_conv(r, c, (name + " conv1").c_str());
      b.conv2 = read_conv(r, b.conv1.cout, (name + " conv2").c_str());
      if (b.conv2.stride != 1) r.fail(name + " conv2 has stride " + std::to_string(b.conv2.stride) + ", expected 1");
      if (proj) {
        b.projection = read_conv(r, c, (name + " projection").c_str());
        if (b.projection.cout != b.conv2.cout || b.projection.stride != b.conv1.stride || b.projection.k != 1)
          r.fail(name + " projection must be 1x1 with conv1's stride and conv2's width");
      } else if (b.conv1.stride != 1 || b.conv2.cout != c) {
        r.fail(name + " changes the shape but has no projection");
      }
      b.has_projection = proj;
      c = b.conv2.cout;
      m.blocks_.push_back(std::move(b));
    }
    const int fc_in = r.dim("fc_in"), fc_out = r.dim("fc_out");
    if (fc_in != c) r.fail("fc_in is " + std::to_string(fc_in) + ", the last block gives " + std::to_string(c));
    if (fc_out != m.classes_)
      r.fail("fc_out is " + std::to_string(fc_out) + ", num_classes is " + std::to_string(m.classes_));
    m.fc_weight_ = r.floats(fc_out, fc_in);
    m.fc_bias_ = r.floats(fc_out, 1).col(0);
    r.expect_end();
    return m;
  }

  /// @brief Multiply-adds of one forward pass of one image (convs and fc).
  std::int64_t multiply_adds() const noexcept {
    int H = stem_.out_size(height_), W = stem_.out_size(width_);
    auto macs = [](const detail::Conv2d& c, int h, int w) {
      return static_cast<std::int64_t>(c.out_size(h)) * c.out_size(w) * c.cout * c.cin * c.k * c.k;
    };
    std::int64_t total = macs(stem_, height_, width_);
    for (const Block& b : blocks_) {
      total += macs(b.conv1, H, W) + (b.has_projection ? macs(b.projection, H, W) : 0);
      H = b.conv1.out_size(H);
      W = b.conv1.out_size(W);
      total += macs(b.conv2, H, W);
    }
    return total + fc_weight_.size();
  }

 private:
  friend class detail::SoftmaxClassifier<SignResNet>;

  struct Block {
    detail::Conv2d conv1, conv2, projection;
    bool has_projection = false;
  };

  static detail::Conv2d read_conv(detail::WeightReader& r, int cin, const char* what) {
    detail::Conv2d conv;
    conv.cin = r.dim("conv cin");
    conv.cout = r.dim("conv cout");
    conv.k = r.dim("conv k");
    conv.stride = r.dim("conv stride");
    if (conv.cin != cin)
      r.fail(std::string(what) + " takes " + std::to_string(conv.cin) + " channels, previous layer gives " +
             std::to_string(cin));
    conv.read_weights(r);
    return conv;
  }

  /// y += bias per channel (row), then ReLU when asked.
  static void add_bias(RowMatrix& y, const Eigen::VectorXf& bias, bool relu) {
    y.colwise() += bias;
    if (relu) y = y.cwiseMax(0.0f);
  }

  /// Images b0 .. b0+n-1 -> L x n logits (feature-map layout: conv.hpp).
  Eigen::MatrixXf forward(const ImageBatch& batch, int b0, int n) const {
    // Per-thread working matrices, one set per layer, so that repeated batches
    // reuse their memory (see cnn.hpp); the model stays const and shareable.
    const std::size_t nb = blocks_.size();
    thread_local std::vector<RowMatrix> cols, ys, xs;
    if (xs.size() < nb + 2) cols.resize(3 * nb + 1), ys.resize(3 * nb + 1), xs.resize(nb + 2);
    detail::batch_to_planes(batch, b0, n, xs[0]);
    int H = height_, W = width_;
    stem_.apply(xs[0], n, H, W, cols[0], xs[1]);
    add_bias(xs[1], stem_.bias, true);
    H = stem_.out_size(H);
    W = stem_.out_size(W);
    for (std::size_t i = 0; i < nb; ++i) {
      const Block& blk = blocks_[i];
      const RowMatrix& x = xs[i + 1];
      RowMatrix &h = ys[3 * i + 1], &z = ys[3 * i + 2], &s = ys[3 * i + 3];
      blk.conv1.apply(x, n, H, W, cols[3 * i + 1], h);
      add_bias(h, blk.conv1.bias, true);
      const int Ho = blk.conv1.out_size(H), Wo = blk.conv1.out_size(W);
      blk.conv2.apply(h, n, Ho, Wo, cols[3 * i + 2], z);
      add_bias(z, blk.conv2.bias, false);
      RowMatrix& out = xs[i + 2];
      if (blk.has_projection) {
        blk.projection.apply(x, n, H, W, cols[3 * i + 3], s);
        add_bias(s, blk.projection.bias, false);
        out = (z + s).cwiseMax(0.0f);
      } else {
        out = (z + x).cwiseMax(0.0f);
      }
      H = Ho;
      W = Wo;
    }
    // Global average pool: channel means per image.
    const RowMatrix& x = xs[nb + 1];
    const int HW = H * W;
    Eigen::MatrixXf f(x.rows(), n);
    for (int b = 0; b < n; ++b) f.col(b) = x.middleCols(static_cast<Eigen::Index>(b) * HW, HW).rowwise().mean();
    Eigen::MatrixXf logits = fc_weight_ * f;
    logits.colwise() += fc_bias_;
    return logits;
  }

  detail::Conv2d stem_;
  std::vector<Block> blocks_;
  RowMatrix fc_weight_;
  Eigen::VectorXf fc_bias_;
};

/// @brief Path of the bundled residual network's weights, paper/signs/sign_resnet.bin.
///
/// The environment variable MCRISE_SIGN_RESNET, when set, wins; otherwise the
/// path is built from the MCRISE_SOURCE_DIR compile definition.
/// @throws std::runtime_error if neither is available.
inline std::string bundled_resnet_path() { return detail::bundled_path("MCRISE_SIGN_RESNET", "sign_resnet.bin"); }

/// @brief Load the bundled residual network (see bundled_resnet_path()).
/// @throws std::runtime_error with the path if the file is missing or corrupt.
inline SignResNet load_bundled_sign_resnet() { return SignResNet::load(bundled_resnet_path()); }

}  // namespace signs
}  // namespace mcrise
