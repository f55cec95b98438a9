// OpenCvDnnClassifier (include/mcrise/opencv/dnn_classifier.hpp) on the bundled sign CNN exported
// to ONNX: the checks shared with the TorchScript adapter (model_adapter_checks.hpp), and what
// OpenCV's adapter reads from the ONNX file itself. Built only where mcrise::opencv_dnn exists.
#include "model_adapter_checks.hpp"

#include <mcrise/opencv/dnn_classifier.hpp>

TEST_CASE("OpenCvDnnClassifier: the bundled sign CNN in ONNX", "[opencv_dnn]") {
  adapter_test::check_adapter<mcrise::OpenCvDnnClassifier>(adapter_test::source_path("examples/signs/sign_cnn.onnx"),
                                                           adapter_test::source_path("tests/data/models/rank3_output.onnx"),
                                                           /*rank3_refused_on_load=*/true);
}

TEST_CASE("OpenCvDnnClassifier: the declared input and output of an ONNX file", "[opencv_dnn]") {
  const std::string bytes = adapter_test::read_file(adapter_test::source_path("examples/signs/sign_cnn.onnx"));
  const mcrise::detail::OnnxGraphInfo info = mcrise::detail::read_onnx_info(bytes);
  REQUIRE(info.inputs.size() == 1);  // the weights (initializers) are not inputs
  CHECK(info.inputs[0].name == "input");
  CHECK(info.inputs[0].dims == std::vector<std::int64_t>{-1, 3, 48, 48});  // dynamic batch
  REQUIRE(info.outputs.size() == 1);
  CHECK(info.outputs[0].name == "logits");
  CHECK(info.outputs[0].dims == std::vector<std::int64_t>{-1, 10});
  // Every prefix of the file is refused with an exception, never read past its end.
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{7}, bytes.size() / 3, bytes.size() - 1}) {
    INFO("prefix of " << n << " bytes");
    CHECK_THROWS_AS(mcrise::detail::read_onnx_info(bytes.substr(0, n)), std::runtime_error);
  }
}
