// A user's program with an ONNX model through OpenCV (built and linked, not run).
#include <mcrise/mcrise.hpp>
#include <mcrise/opencv/dnn_classifier.hpp>

int main(int argc, char** argv) {
  if (argc < 2) return 0;
  mcrise::OpenCvDnnClassifier model(argv[1]);
  return mcrise::mc_rise(model, mcrise::Image(48, 48, 3, 0.5f), {}).complete ? 0 : 1;
}
