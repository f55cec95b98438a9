#include "model.hpp"

#if MCRISE_CLI_WITH_OPENCV_DNN
#include <mcrise/opencv/dnn_classifier.hpp>
#endif
#if MCRISE_CLI_WITH_LIBTORCH
#include <mcrise/libtorch/torchscript_classifier.hpp>
#endif

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>

namespace mcrise::cli {

namespace {

// One adapter type behind the Model interface (the adapters share their members' names).
template <class Adapter>
class AdapterModel final : public Model {
 public:
  AdapterModel(const std::string& path, const ModelInput& input) : adapter_(path, input) {}
  Eigen::MatrixXf scores(const ImageBatch& batch) override { return adapter_(batch); }
  int input_height() const override { return std::max(0, adapter_.input_height()); }
  int input_width() const override { return std::max(0, adapter_.input_width()); }
  void check_image(const Image& image) const override { adapter_.check_image(image); }

 private:
  Adapter adapter_;
};

}  // namespace

std::string model_kind(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".onnx") return "onnx";
  if (ext == ".pt" || ext == ".torchscript") return "torchscript";
  throw std::runtime_error("model '" + path + "' has an unknown kind: its name must end in .onnx (ONNX) or .pt / "
                           ".torchscript (TorchScript)");
}

std::unique_ptr<Model> load_model(const std::string& path, const ModelInput& input) {
  const std::string kind = model_kind(path);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw std::runtime_error("model file '" + path + "' does not exist");
  if (!std::filesystem::is_regular_file(path, ec)) throw std::runtime_error("model '" + path + "' is not a file");
  if (kind == "onnx") {
#if MCRISE_CLI_WITH_OPENCV_DNN
    return std::make_unique<AdapterModel<OpenCvDnnClassifier>>(path, input);
#else
    (void)input;
    throw std::runtime_error("this mcrise was built without ONNX support: install Debian's libopencv-dnn-dev and "
                             "rebuild mcrise to explain '" + path + "'");
#endif
  }
#if MCRISE_CLI_WITH_LIBTORCH
  return std::make_unique<AdapterModel<TorchScriptClassifier>>(path, input);
#else
  (void)input;
  throw std::runtime_error("this mcrise was built without TorchScript support: install Debian's libtorch-dev and "
                           "rebuild mcrise to explain '" + path + "'");
#endif
}

}  // namespace mcrise::cli
