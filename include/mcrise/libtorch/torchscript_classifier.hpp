#pragma once
/// @file libtorch/torchscript_classifier.hpp
/// @brief TorchScriptClassifier: a TorchScript model (torch.jit.trace / torch.jit.script, saved
///        with torch.jit.save) run with LibTorch, as a ready mcrise batch classifier. Optional
///        component: needs LibTorch (Debian `libtorch-dev`); link the CMake target `mcrise::libtorch`.
///
/// @code
/// #include <mcrise/mcrise.hpp>
/// #include <mcrise/libtorch/torchscript_classifier.hpp>
/// mcrise::ModelInput in;  in.softmax = true;            // the model returns logits
/// mcrise::TorchScriptClassifier model("sign_cnn.pt", in);
/// auto res = mcrise::mc_rise(model, img, opt);
/// @endcode
///
/// LibTorch's headers are large (a translation unit that includes this one takes about 10 s to
/// compile): include it in one source file of your program.

#if !__has_include(<torch/script.h>) || !__has_include(<torch/cuda.h>)
#error "mcrise/libtorch/torchscript_classifier.hpp needs LibTorch: apt-get install libtorch-dev, and link the CMake target mcrise::libtorch (it adds LibTorch's include directories)"
#else

#include <mcrise/image.hpp>
#include <mcrise/io_error.hpp>
#include <mcrise/model_input.hpp>

#include <Eigen/Core>
#include <torch/cuda.h>
#include <torch/script.h>

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mcrise {

/// @brief A TorchScript classifier run by LibTorch: `model(batch)` -> B x L scores.
///
/// The model's forward() must take one N x C x H x W float tensor and return one N x L tensor.
/// TorchScript files do not record an input size; if the file holds an extra file
/// `input_shape.txt` with "C H W" (written by
/// `torch.jit.save(m, "net.pt", _extra_files={"input_shape.txt": "3 224 224"})`), that is the
/// declared input size, checked like OpenCvDnnClassifier's.
///
/// Each call hands the batch to the model without a copy (torch::from_blob on the batch buffer)
/// when the batch is CHW and the ModelInput leaves values and channel order unchanged; otherwise it
/// writes one preprocessed N x C x H x W tensor. The model runs under torch::InferenceMode.
/// What is checked, and when:
///  - construction: the file exists and is a TorchScript archive (else mcrise::io_error), the
///    device is valid and available (else std::invalid_argument);
///  - every call: the images' size against the declared input size, the output (one tensor,
///    B x L), and L the same as in the first call. mcrise's drivers classify the unperturbed image
///    first, so a wrong image size or a bad model is reported before any perturbed batch.
///
/// Not thread-safe; mcrise calls a classifier from one thread at a time. LibTorch parallelises
/// each run itself (torch::set_num_threads).
class TorchScriptClassifier {
 public:
  /// @brief Load a TorchScript model.
  /// @param path the .pt / .torchscript file written by torch.jit.save
  /// @param input preprocessing and output options (see ModelInput)
  /// @param device "cpu", or "cuda" / "cuda:N" where LibTorch was built with CUDA and a GPU is present
  /// @throws mcrise::io_error if the file is missing, unreadable, empty or not a TorchScript model,
  ///         or its input_shape.txt is malformed; std::invalid_argument for an unknown or
  ///         unavailable device, or an `input` invalid for the declared channels.
  explicit TorchScriptClassifier(const std::string& path, ModelInput input = {}, std::string device = "cpu")
      : path_(path), input_(std::move(input)), device_(parse_device(device)) {
    std::string bytes = detail::read_model_file(path, "TorchScriptClassifier");
    std::unordered_map<std::string, std::string> extra{{"input_shape.txt", ""}};
    try {
      std::istringstream in(std::move(bytes));
      module_ = torch::jit::load(in, device_, extra);
    } catch (const std::exception& e) {
      throw io_error("TorchScriptClassifier", path, std::string("not a TorchScript model LibTorch can load: ") + summary(e));
    }
    module_.eval();
    const std::string& shape = extra["input_shape.txt"];
    if (!shape.empty()) {
      std::istringstream s(shape);
      std::string rest;
      if (!(s >> declared_.channels >> declared_.height >> declared_.width) || (s >> rest) || declared_.channels < 1 ||
          declared_.height < 1 || declared_.width < 1)
        throw io_error("TorchScriptClassifier", path, "input_shape.txt must hold three positive integers C H W, got '" + shape + "'");
      check_model_input(input_, declared_.channels, where().c_str());
    }
  }

  /// @brief Scores of a batch: the mcrise batch-classifier form.
  /// @param batch B >= 1 images of H x W x C, HWC or CHW, in the image's value range
  /// @return B x L scores (probabilities if ModelInput::softmax)
  /// @throws std::invalid_argument if the images' size differs from the declared input size (the
  ///         message names both and suggests mcrise::resize_and_crop), `input` does not fit C, or
  ///         the output is not one B x L tensor; std::runtime_error if LibTorch fails to run the
  ///         model or L differs from the first call.
  Eigen::MatrixXf operator()(const ImageBatch& batch) {
    declared_.check(batch.height(), batch.width(), batch.channels(), input_, where());
    const std::vector<std::int64_t> sizes{batch.size(), batch.channels(), batch.height(), batch.width()};
    c10::InferenceMode guard;
    torch::Tensor x;
    if (batch.layout() == Layout::CHW && detail::is_identity_input(input_)) {
      // The model only reads its input; from_blob needs a non-const pointer.
      x = torch::from_blob(const_cast<float*>(batch.data()), sizes, torch::kFloat32);
    } else {
      blob_.resize(static_cast<std::size_t>(batch.size()) * batch.image_floats());
      detail::write_model_input(batch, input_, blob_.data());
      x = torch::from_blob(blob_.data(), sizes, torch::kFloat32);
    }
    torch::jit::IValue result;
    try {
      if (device_ != torch::Device(torch::kCPU)) x = x.to(device_);
      result = module_.forward({x});
    } catch (const std::exception& e) {  // c10::Error, or torch::jit::JITException from the interpreter
      throw std::runtime_error(where() + ": LibTorch failed to run the model on a batch of " + detail::shape_string(sizes) +
                               declared_.resize_hint() + ": " + summary(e));
    }
    if (!result.isTensor())
      throw std::invalid_argument(where() + ": the model must return one tensor of B x L class scores, it returned a " +
                                  result.tagKind());
    const torch::Tensor out = result.toTensor().to(torch::kCPU, torch::kFloat32).contiguous();
    const std::vector<std::int64_t> dims(out.sizes().begin(), out.sizes().end());
    return detail::scores_from_output(out.data_ptr<float>(), dims, batch.size(), input_, classes_, where().c_str());
  }

  /// @brief Image rows H the model declares (input_shape.txt), or -1 if it does not.
  int input_height() const noexcept { return declared_.height; }
  /// @brief Image columns W the model declares (input_shape.txt), or -1 if it does not.
  int input_width() const noexcept { return declared_.width; }
  /// @brief Image channels C the model declares (input_shape.txt), or -1 if it does not.
  int input_channels() const noexcept { return declared_.channels; }
  /// @brief Number of classes L, or -1 before the first call.
  long long num_classes() const noexcept { return classes_; }
  /// @brief The preprocessing applied to every batch.
  const ModelInput& model_input() const noexcept { return input_; }

  /// @brief Check, without running the model, that `img` fits the model's declared input.
  /// @param img H x W x C
  /// @throws std::invalid_argument naming both sizes and suggesting mcrise::resize_and_crop if they
  ///         differ, or if the ModelInput does not fit C.
  void check_image(const Image& img) const {
    declared_.check(img.height(), img.width(), img.channels(), input_, where());
  }

 private:
  std::string where() const { return "mcrise::TorchScriptClassifier('" + path_ + "')"; }

  static std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

  /// One line of a LibTorch error: the interpreter's message ends with the Python-style
  /// "RuntimeError: ..." line after a traceback; c10::Error's first line is its message.
  static std::string summary(const std::exception& e) {
    const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
    std::string msg = c10_error ? c10_error->what_without_backtrace() : e.what();
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    const std::size_t last = msg.rfind('\n');
    if (last != std::string::npos && msg.find("Error", last) != std::string::npos) return msg.substr(last + 1);
    return first_line(msg);
  }

  static torch::Device parse_device(const std::string& name) {
    torch::Device device(torch::kCPU);
    try {
      device = torch::Device(name);
    } catch (const c10::Error&) {
      throw std::invalid_argument("mcrise::TorchScriptClassifier(): device must be \"cpu\" or \"cuda[:N]\", got \"" + name + "\"");
    }
    if (device.is_cuda() && !torch::cuda::is_available())
      throw std::invalid_argument("mcrise::TorchScriptClassifier(): device \"" + name +
                                  "\" needs a LibTorch built with CUDA and a GPU; this LibTorch sees none "
                                  "(Debian's libtorch-dev is CPU-only): use \"cpu\"");
    if (!device.is_cpu() && !device.is_cuda())
      throw std::invalid_argument("mcrise::TorchScriptClassifier(): device must be \"cpu\" or \"cuda[:N]\", got \"" + name + "\"");
    return device;
  }

  std::string path_;
  ModelInput input_;
  torch::Device device_;
  detail::DeclaredInput declared_;
  torch::jit::script::Module module_;
  std::vector<float> blob_;
  std::int64_t classes_ = -1;
};

}  // namespace mcrise

#endif  // __has_include(<torch/script.h>)
