#pragma once
/// @file opencv/dnn_classifier.hpp
/// @brief OpenCvDnnClassifier: an ONNX model run with OpenCV's DNN module, as a ready mcrise
///        batch classifier. Optional component: needs OpenCV's dnn module (Debian
///        `libopencv-dnn-dev`); link the CMake target `mcrise::opencv_dnn`.
///
/// @code
/// #include <mcrise/mcrise.hpp>
/// #include <mcrise/opencv/dnn_classifier.hpp>
/// mcrise::ModelInput in;  in.softmax = true;            // the model returns logits
/// mcrise::OpenCvDnnClassifier model("sign_cnn.onnx", in);
/// auto res = mcrise::mc_rise(model, img, opt);
/// @endcode

#if !__has_include(<opencv2/dnn.hpp>)
#error "mcrise/opencv/dnn_classifier.hpp needs OpenCV's DNN module: apt-get install libopencv-dnn-dev, and link the CMake target mcrise::opencv_dnn (it adds -I/usr/include/opencv4)"
#else

#include <mcrise/detail/onnx_info.hpp>
#include <mcrise/image.hpp>
#include <mcrise/io_error.hpp>
#include <mcrise/model_input.hpp>

#include <Eigen/Core>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mcrise {

/// @brief An ONNX classifier run by OpenCV's DNN module (CPU): `model(batch)` -> B x L scores.
///
/// The model must take one N x C x H x W float tensor (N may be dynamic) and return one N x L
/// tensor. Each call converts the batch (HWC or CHW) to that tensor, applying the ModelInput
/// preprocessing, runs the network, and returns the scores (after a softmax if
/// ModelInput::softmax). What is checked, and when:
///  - construction: the file exists and is an ONNX model OpenCV can load (else mcrise::io_error);
///    a declared input that is not 4-D, or a declared output that is not 2-D (else std::invalid_argument);
///  - every call: the images' size against the declared input size, the output's shape (B x L), and
///    L the same as in the first call. mcrise's drivers classify the unperturbed image first, so a
///    wrong image size or a bad model is reported before any perturbed batch is built.
///
/// Not thread-safe (cv::dnn::Net keeps state between runs); mcrise calls a classifier from one
/// thread at a time. OpenCV parallelises each run itself (cv::setNumThreads).
class OpenCvDnnClassifier {
 public:
  /// @brief Load an ONNX model.
  /// @param onnx_path the .onnx file
  /// @param input preprocessing and output options (see ModelInput); checked against the model's
  ///        declared channel count when it has one, otherwise at the first call
  /// @throws mcrise::io_error if the file is missing, unreadable, empty or not an ONNX model OpenCV
  ///         can load; std::invalid_argument if the model's declared input is not N x C x H x W,
  ///         its declared output is not N x L, or `input` is invalid for its channels.
  explicit OpenCvDnnClassifier(const std::string& onnx_path, ModelInput input = {})
      : path_(onnx_path), input_(std::move(input)) {
    const std::string bytes = detail::read_model_file(onnx_path, "OpenCvDnnClassifier");
    detail::OnnxGraphInfo info;
    try {
      info = detail::read_onnx_info(bytes);
    } catch (const std::runtime_error& e) {
      throw io_error("OpenCvDnnClassifier", onnx_path, std::string("not an ONNX model: ") + e.what());
    }
    if (info.inputs.size() != 1 || info.outputs.size() != 1)
      throw std::invalid_argument(where() + ": the model must have one input and one output, it has " +
                                  std::to_string(info.inputs.size()) + " inputs and " +
                                  std::to_string(info.outputs.size()) + " outputs");
    const detail::OnnxValueInfo& in = info.inputs[0];
    if (in.ranked) {
      if (in.dims.size() != 4)
        throw std::invalid_argument(where() + ": the model's input must be N x C x H x W, it is declared " +
                                    detail::shape_string(in.dims));
      declared_.channels = static_cast<int>(in.dims[1]);
      declared_.height = static_cast<int>(in.dims[2]);
      declared_.width = static_cast<int>(in.dims[3]);
    }
    const detail::OnnxValueInfo& out = info.outputs[0];
    if (out.ranked && out.dims.size() != 2)
      throw std::invalid_argument(where() + ": the model's output must be N x L (one row of class scores per image), it is declared " +
                                  detail::shape_string(out.dims));
    if (declared_.channels > 0) check_model_input(input_, declared_.channels, where().c_str());
    try {
      net_ = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
    } catch (const cv::Exception& e) {
      throw io_error("OpenCvDnnClassifier", onnx_path, std::string("OpenCV cannot load the ONNX model: ") + e.what());
    }
    if (net_.empty()) throw io_error("OpenCvDnnClassifier", onnx_path, "OpenCV loaded an empty network");
    net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  }

  /// @brief Scores of a batch: the mcrise batch-classifier form.
  /// @param batch B >= 1 images of H x W x C, HWC or CHW, in the image's value range
  /// @return B x L scores (probabilities if ModelInput::softmax)
  /// @throws std::invalid_argument if the images' size differs from the declared input size (the
  ///         message names both and suggests mcrise::resize_and_crop), `input` does not fit C, or
  ///         the output is not B x L; std::runtime_error if OpenCV fails to run the model or L
  ///         differs from the first call.
  Eigen::MatrixXf operator()(const ImageBatch& batch) {
    declared_.check(batch.height(), batch.width(), batch.channels(), input_, where());
    const int sizes[4] = {batch.size(), batch.channels(), batch.height(), batch.width()};
    cv::Mat blob;
    if (batch.layout() == Layout::CHW && detail::is_identity_input(input_)) {
      blob = cv::Mat(4, sizes, CV_32F, const_cast<float*>(batch.data()));  // read only: no copy
    } else {
      blob_.create(4, sizes, CV_32F);
      detail::write_model_input(batch, input_, blob_.ptr<float>());
      blob = blob_;
    }
    cv::Mat out;
    try {
      net_.setInput(blob);
      out = net_.forward();
    } catch (const cv::Exception& e) {
      throw std::runtime_error(where() + ": OpenCV failed to run the model on a batch of " +
                               detail::shape_string({sizes[0], sizes[1], sizes[2], sizes[3]}) +
                               declared_.resize_hint() + ": " + e.what());
    }
    std::vector<std::int64_t> dims(static_cast<std::size_t>(out.dims));
    for (int i = 0; i < out.dims; ++i) dims[static_cast<std::size_t>(i)] = out.size[i];
    if (out.type() != CV_32F)
      throw std::runtime_error(where() + ": the model's output must be float32, got OpenCV type " + std::to_string(out.type()));
    if (!out.isContinuous()) out = out.clone();
    return detail::scores_from_output(out.ptr<float>(), dims, batch.size(), input_, classes_, where().c_str());
  }

  /// @brief Image rows H the model declares, or -1 if dynamic or not declared.
  int input_height() const noexcept { return declared_.height; }
  /// @brief Image columns W the model declares, or -1 if dynamic or not declared.
  int input_width() const noexcept { return declared_.width; }
  /// @brief Image channels C the model declares, or -1 if dynamic or not declared.
  int input_channels() const noexcept { return declared_.channels; }
  /// @brief Number of classes L, or -1 before the first call.
  long long num_classes() const noexcept { return classes_; }
  /// @brief The preprocessing applied to every batch.
  const ModelInput& model_input() const noexcept { return input_; }

  /// @brief Check, without running the model, that `img` fits the model's declared input.
  /// @param img H x W x C
  /// @throws std::invalid_argument naming both sizes and suggesting mcrise::resize_and_crop if they
  ///         differ, or if the ModelInput does not fit C.
  void check_image(const Image& img) const { declared_.check(img.height(), img.width(), img.channels(), input_, where()); }

 private:
  std::string where() const { return "mcrise::OpenCvDnnClassifier('" + path_ + "')"; }

  std::string path_;
  ModelInput input_;
  detail::DeclaredInput declared_;
  cv::dnn::Net net_;
  cv::Mat blob_;
  std::int64_t classes_ = -1;
};

}  // namespace mcrise

#endif  // __has_include(<opencv2/dnn.hpp>)
