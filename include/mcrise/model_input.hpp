#pragma once
/// @file model_input.hpp
/// @brief ModelInput: the preprocessing a model-file classifier (OpenCvDnnClassifier,
///        TorchScriptClassifier) applies to every batch it is given, and the helpers the
///        adapters share. Core header: needs only Eigen.
///
/// The preprocessing is part of the classifier, so it runs on the *perturbed* images, after
/// masking: the image, the mask colours and the fills all stay in the image's own value range and
/// colour space, as in the paper, and the model still sees exactly what it was trained on.

#include <mcrise/image.hpp>
#include <mcrise/io_error.hpp>

#include <Eigen/Core>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcrise {

/// @brief How a model-file classifier turns a batch of images into the model's input tensor,
///        and what it does with the model's output.
///
/// For image channel c the model receives `(x * scale - mean[c]) / std[c]`; then, if `bgr`, the
/// first and third channels change places (an RGB image becomes the BGR input a model trained
/// with OpenCV or Caffe expects). `mean` and `std` are indexed by the image's channel, before that
/// swap. Example, a torchvision ImageNet model on [0,1] RGB images:
/// `ModelInput in; in.mean = {0.485f, 0.456f, 0.406f}; in.std = {0.229f, 0.224f, 0.225f}; in.softmax = true;`
struct ModelInput {
  float scale = 1.0f;        ///< multiplies every value first; finite (e.g. 255 for a model trained on 0..255)
  std::vector<float> mean{}; ///< per-channel value subtracted after scaling; empty: 0; else exactly C finite values
  std::vector<float> std{};  ///< per-channel divisor applied last; empty: 1; else exactly C values, each finite and > 0
  bool bgr = false;          ///< swap channels 0 and 2 before the model (RGB image -> BGR model); needs C >= 3
  bool softmax = false;      ///< apply a softmax to each row of the model's output (logits -> probabilities)
};

/// @brief Check that a ModelInput can be applied to images of `channels` channels.
/// @param input the preprocessing
/// @param channels C of the images, >= 1
/// @param where the caller's name for the message, e.g. "mcrise::OpenCvDnnClassifier()"
/// @throws std::invalid_argument ("<where>: ModelInput.std[1] must be finite and > 0, got 0") for a
///         non-finite scale, a mean or std of neither 0 nor C values, a non-finite mean, a std
///         value that is not finite and > 0, or bgr with fewer than 3 channels.
inline void check_model_input(const ModelInput& input, int channels, const char* where) {
  const auto fail = [&](const std::string& what) { throw std::invalid_argument(std::string(where) + ": " + what); };
  if (channels < 1) fail("images must have at least 1 channel, got " + std::to_string(channels));
  if (!std::isfinite(input.scale)) fail("ModelInput.scale must be finite, got " + std::to_string(input.scale));
  const auto count = [&](const std::vector<float>& v, const char* name) {
    if (!v.empty() && v.size() != static_cast<std::size_t>(channels))
      fail(std::string("ModelInput.") + name + " must have 0 or " + std::to_string(channels) +
           " values (one per image channel), got " + std::to_string(v.size()));
  };
  count(input.mean, "mean");
  count(input.std, "std");
  for (std::size_t c = 0; c < input.mean.size(); ++c)
    if (!std::isfinite(input.mean[c]))
      fail("ModelInput.mean[" + std::to_string(c) + "] must be finite, got " + std::to_string(input.mean[c]));
  for (std::size_t c = 0; c < input.std.size(); ++c)
    if (!std::isfinite(input.std[c]) || !(input.std[c] > 0.0f))
      fail("ModelInput.std[" + std::to_string(c) + "] must be finite and > 0, got " + std::to_string(input.std[c]));
  if (input.bgr && channels < 3)
    fail("ModelInput.bgr needs at least 3 channels, got " + std::to_string(channels));
}

namespace detail {

/// True if the ModelInput leaves the values and the channel order unchanged, so a CHW batch can be
/// handed to the runtime as it is, without a copy.
inline bool is_identity_input(const ModelInput& input) noexcept {
  if (input.scale != 1.0f || input.bgr) return false;
  for (float m : input.mean)
    if (m != 0.0f) return false;
  for (float s : input.std)
    if (s != 1.0f) return false;
  return true;
}

/// Writes the batch, preprocessed, as one B x C x H x W (NCHW) float tensor into `dst`
/// (B * C * H * W floats), whatever the batch's layout. `input` must have passed check_model_input.
inline void write_model_input(const ImageBatch& batch, const ModelInput& input, float* dst) {
  const int B = batch.size(), C = batch.channels();
  const std::size_t HW = static_cast<std::size_t>(batch.height()) * static_cast<std::size_t>(batch.width());
  for (int b = 0; b < B; ++b) {
    const float* src = batch.image_data(b);
    float* out = dst + static_cast<std::size_t>(b) * batch.image_floats();
    for (int c = 0; c < C; ++c) {
      const float mean = input.mean.empty() ? 0.0f : input.mean[static_cast<std::size_t>(c)];
      const float sd = input.std.empty() ? 1.0f : input.std[static_cast<std::size_t>(c)];
      const int mc = input.bgr && (c == 0 || c == 2) ? 2 - c : c;  // the model's channel
      float* plane = out + static_cast<std::size_t>(mc) * HW;
      if (batch.layout() == Layout::CHW) {
        const float* in = src + static_cast<std::size_t>(c) * HW;
        for (std::size_t p = 0; p < HW; ++p) plane[p] = (in[p] * input.scale - mean) / sd;
      } else {
        const float* in = src + c;
        for (std::size_t p = 0; p < HW; ++p) plane[p] = (in[p * static_cast<std::size_t>(C)] * input.scale - mean) / sd;
      }
    }
  }
}

/// Softmax of each row, in place (shifted by the row maximum, so large logits do not overflow).
inline void softmax_rows(Eigen::MatrixXf& scores) {
  for (Eigen::Index i = 0; i < scores.rows(); ++i) {
    scores.row(i).array() -= scores.row(i).maxCoeff();
    scores.row(i) = scores.row(i).array().exp().matrix();
    scores.row(i) /= scores.row(i).sum();
  }
}

/// The bytes of a model file. Throws mcrise::io_error("<function>(): '<path>': <reason>") if the
/// file cannot be opened or read, or is empty.
inline std::string read_model_file(const std::string& path, const char* function) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw io_error(function, path, "is a directory, not a model file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error(function, path, "cannot open the model file (missing or unreadable)");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw io_error(function, path, "cannot read the model file");
  if (bytes.empty()) throw io_error(function, path, "the model file is empty");
  return bytes;
}

/// "2 x 3 x 48" for error messages.
inline std::string shape_string(const std::vector<std::int64_t>& dims) {
  std::string s;
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? " x " : "") + std::to_string(dims[i]);
  return s.empty() ? std::string("a scalar") : s;
}

/// What a model-file classifier knows about its model's input, and the checks every batch passes.
/// Sizes are -1 where the model does not declare them (a dynamic or unknown dimension).
struct DeclaredInput {
  int channels = -1, height = -1, width = -1;

  /// Throws std::invalid_argument naming both sizes if an image of h x w x c does not fit, or if
  /// `input` is invalid for c channels.
  void check(int h, int w, int c, const ModelInput& input, const std::string& where) const {
    if ((height >= 0 && h != height) || (width >= 0 && w != width))
      throw std::invalid_argument(
          std::string(where) + ": the model takes " + dim(height) + " x " + dim(width) + " images, got " +
          std::to_string(h) + " x " + std::to_string(w) + "; resize the image first, e.g. img = mcrise::resize_and_crop(img, " +
          std::to_string(height >= 0 ? height : h) + ", " + std::to_string(width >= 0 ? width : w) + ")");
    if (channels >= 0 && c != channels)
      throw std::invalid_argument(std::string(where) + ": the model takes images of " + std::to_string(channels) +
                                  " channels, got " + std::to_string(c));
    check_model_input(input, c, where.c_str());
  }

  /// The hint added to a runtime's own error where the model declares no size (-1).
  std::string resize_hint() const {
    return height < 0 || width < 0 ? " (if the model takes one image size only, resize the images to it with mcrise::resize_and_crop)"
                                   : "";
  }

 private:
  static std::string dim(int v) { return v >= 0 ? std::to_string(v) : std::string("any"); }
};

/// The B x L output of a runtime, row-major floats, as the classifier's B x L matrix (softmax
/// applied if asked). Throws std::invalid_argument if `dims` is not B x L with L >= 1, and
/// std::runtime_error if L differs from a previous call (`classes`, -1 before the first).
inline Eigen::MatrixXf scores_from_output(const float* data, const std::vector<std::int64_t>& dims, int batch,
                                          const ModelInput& input, std::int64_t& classes, const char* where) {
  if (dims.size() != 2 || dims[0] != batch || dims[1] < 1)
    throw std::invalid_argument(std::string(where) + ": the model's output must be B x L (one row of class scores per image), got " +
                                shape_string(dims) + " for a batch of " + std::to_string(batch));
  if (classes >= 0 && dims[1] != classes)
    throw std::runtime_error(std::string(where) + ": the model returned " + std::to_string(dims[1]) +
                             " scores per image, " + std::to_string(classes) + " before");
  classes = dims[1];
  Eigen::MatrixXf scores =
      Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(data, batch, dims[1]);
  if (input.softmax) softmax_rows(scores);
  return scores;
}

}  // namespace detail
}  // namespace mcrise
