#pragma once
/// @file model.hpp
/// @brief The model file the tool explains: its kind from the file name, loaded through the
///        runtime adapter the tool was built with.

#include <mcrise/image.hpp>
#include <mcrise/model_input.hpp>

#include <Eigen/Core>

#include <memory>
#include <string>

namespace mcrise::cli {

/// @brief A loaded model: a batch classifier with a declared input size.
class Model {
 public:
  virtual ~Model() = default;
  /// @brief B x L scores of a batch (preprocessing and softmax as configured).
  virtual Eigen::MatrixXf scores(const ImageBatch& batch) = 0;
  /// @brief Declared input rows, or 0 if the model takes any height.
  virtual int input_height() const = 0;
  /// @brief Declared input columns, or 0 if the model takes any width.
  virtual int input_width() const = 0;
  /// @brief Throws std::invalid_argument, naming both sizes, if the model cannot take `image`.
  virtual void check_image(const Image& image) const = 0;
};

/// @brief A Model as an mcrise batch classifier (mcrise calls it as an lvalue, never copies it).
struct ModelRef {
  Model* model;
  /// @brief The model's B x L scores of `batch`.
  Eigen::MatrixXf operator()(const ImageBatch& batch) const { return model->scores(batch); }
};

/// @brief Which runtime a model file needs, from its extension: "onnx" (.onnx) or "torchscript"
///        (.pt, .torchscript).
/// @throws std::runtime_error for another extension.
std::string model_kind(const std::string& path);

/// @brief Loads a model file with the runtime its kind needs.
/// @param path an .onnx, .pt or .torchscript file
/// @param input preprocessing applied to every batch, and the softmax option
/// @throws std::runtime_error if the file is missing or of an unknown kind, or the tool was built
///         without its runtime (the message names the Debian package to install); the adapter's
///         exceptions for a corrupt file.
std::unique_ptr<Model> load_model(const std::string& path, const ModelInput& input);

}  // namespace mcrise::cli
