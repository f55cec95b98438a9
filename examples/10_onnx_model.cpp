// Explain a model file: an ONNX classifier run by OpenCV's DNN module (mcrise::opencv_dnn).
//   10_onnx_model [model.onnx] [image.png | ""] [out.png] [n_masks]
// Defaults: the bundled sign CNN (examples/signs/sign_cnn.onnx, which returns logits), a rendered
// stop sign, stop_onnx.png, 2000 masks. Built where OpenCV's dnn module is found.
#include "signs/render.hpp"

#include <mcrise/mcrise.hpp>
#include <mcrise/opencv/dnn_classifier.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) try {
  namespace signs = mcrise::signs;
  const std::string path = argc > 1 ? argv[1] : std::string(MCRISE_SOURCE_DIR) + "/examples/signs/sign_cnn.onnx";
  mcrise::ModelInput in;                              // applied to every perturbed batch:
  in.softmax = true;                                  // logits -> probabilities (also scale, mean, std, bgr)
  mcrise::OpenCvDnnClassifier model(path, in);        // checks the file and the model's input and output

  mcrise::Image img = argc > 2 && *argv[2] ? mcrise::load_image(argv[2])
                               : signs::render_sign(signs::canonical_sign_params(signs::SignClass::stop));
  if (model.input_height() > 0 && (img.height() != model.input_height() || img.width() != model.input_width()))
    img = mcrise::resize_and_crop(img, model.input_height(), model.input_width());

  mcrise::McRiseOptions opt;
  opt.n_masks = argc > 4 ? std::atoll(argv[4]) : 2000;
  opt.layout = mcrise::Layout::CHW;                   // the model's NCHW layout: no copy per batch
  const mcrise::McRiseResult res = mcrise::mc_rise(model, img, opt);
  const int cls = res.classes[0];
  const std::string out = argc > 3 ? argv[3] : "stop_onnx.png";
  mcrise::save_png(out, mcrise::color_saliency_figure(img, res, cls));
  std::printf("class %d, score %.4f, %lld masks -> %s\n", cls, res.scores[cls], static_cast<long long>(res.masks_used),
              out.c_str());
} catch (const std::exception& e) {
  std::fprintf(stderr, "10_onnx_model: %s\n", e.what());
  return 1;
}
