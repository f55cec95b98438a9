// TorchScriptClassifier (include/mcrise/libtorch/torchscript_classifier.hpp) on the bundled sign
// CNN traced to TorchScript: the checks shared with the OpenCV adapter (model_adapter_checks.hpp)
// and the device option. Built only where mcrise::libtorch exists. The only translation unit of the
// tests that includes LibTorch (about 10 s to compile).
#include "model_adapter_checks.hpp"

#include <mcrise/libtorch/torchscript_classifier.hpp>

TEST_CASE("TorchScriptClassifier: the bundled sign CNN in TorchScript", "[libtorch]") {
  // A trace does not record its output's shape: the 3-D output is refused at the first call.
  adapter_test::check_adapter<mcrise::TorchScriptClassifier>(adapter_test::source_path("examples/signs/sign_cnn.pt"),
                                                             adapter_test::source_path("tests/data/models/rank3_output.pt"),
                                                             /*rank3_refused_on_load=*/false);
}

TEST_CASE("TorchScriptClassifier: devices", "[libtorch]") {
  const std::string path = adapter_test::source_path("examples/signs/sign_cnn.pt");
  CHECK_THROWS_WITH(mcrise::TorchScriptClassifier(path, {}, "abacus"), Catch::Contains("device must be \"cpu\" or \"cuda[:N]\", got \"abacus\""));
  if (!torch::cuda::is_available()) {
    CHECK_THROWS_WITH(mcrise::TorchScriptClassifier(path, {}, "cuda"), Catch::Contains("needs a LibTorch built with CUDA"));
  } else {
    mcrise::ModelInput in;
    in.softmax = true;
    mcrise::TorchScriptClassifier gpu(path, in, "cuda");
    const mcrise::ImageBatch batch = adapter_test::held_out_batch(mcrise::Layout::CHW, 20);
    CHECK((gpu(batch) - adapter_test::eigen_cnn()(batch)).cwiseAbs().maxCoeff() <= 1e-5f);
  }
}

TEST_CASE("TorchScriptClassifier: a malformed input_shape.txt is refused", "[libtorch]") {
  // Only the extra file differs from the bundled model.
  torch::jit::Module m = torch::jit::load(adapter_test::source_path("examples/signs/sign_cnn.pt"));
  m.save("bad_shape.pt", {{"input_shape.txt", "3 48"}});
  CHECK_THROWS_WITH(mcrise::TorchScriptClassifier("bad_shape.pt"), Catch::Contains("input_shape.txt must hold three positive integers C H W, got '3 48'"));
  m.save("no_shape.pt");
  const mcrise::TorchScriptClassifier any("no_shape.pt");
  CHECK(any.input_height() == -1);
  CHECK_NOTHROW(any.check_image(mcrise::Image(64, 80, 3)));
  // Without a declared size the model itself fails on a wrong one; the message says how to resize.
  mcrise::TorchScriptClassifier undeclared("no_shape.pt");
  CHECK_THROWS_WITH(undeclared(mcrise::ImageBatch(1, 64, 80, 3, mcrise::Layout::CHW)),
                    Catch::Contains("LibTorch failed to run the model on a batch of 1 x 3 x 64 x 80") &&
                        Catch::Contains("resize_and_crop"));
}
