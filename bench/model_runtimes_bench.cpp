// model_runtimes_bench: the same MC-RISE explanation of the bundled sign CNN (48 x 48, K = 5, the
// stop sign, class 0) through the three runtimes that can run it: the example's Eigen code
// (examples/signs/cnn.hpp), OpenCV's DNN module on sign_cnn.onnx and LibTorch on sign_cnn.pt.
// Prints a Markdown table: masks/s and the share of the wall time spent inside the model (the rest
// is mcrise: sampling, perturbation, accumulation), the median of --repeat runs, and the largest
// difference of each runtime's map from the Eigen one.
//
//   model_runtimes_bench                          # 4000 masks, batch 64, 3 repeats
//   model_runtimes_bench --masks 8000 --batch 128 --threads 2 --repeat 5 --model-threads 2
//
// Built where mcrise::opencv_dnn or mcrise::libtorch exists; a runtime that is missing is left out.
#include "signs/cnn.hpp"
#include "signs/render.hpp"

#include <mcrise/mc_rise.hpp>
#include <mcrise/model_input.hpp>
#if MCRISE_BENCH_OPENCV_DNN
#include <mcrise/opencv/dnn_classifier.hpp>
#endif
#if MCRISE_BENCH_LIBTORCH
#include <mcrise/libtorch/torchscript_classifier.hpp>
#include <ATen/Parallel.h>
#include <torch/version.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// Times the model's calls.
template <class Model>
struct Timed {
  Model& model;
  double seconds = 0.0;
  Eigen::MatrixXf operator()(const mcrise::ImageBatch& b) {
    const auto t0 = Clock::now();
    Eigen::MatrixXf out = model(b);
    seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    return out;
  }
};

struct Options {
  std::int64_t masks = 4000;
  int batch = 64;
  int threads = 2;
  int repeat = 3;
  int model_threads = 2;  // OpenCV's and LibTorch's thread pools (the Eigen CNN runs on the calling thread)
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::vector<mcrise::SaliencyMap> reference_maps;

template <class Model>
void row(const char* name, Model& model, const mcrise::Image& img, const Options& o) {
  mcrise::McRiseOptions opt;
  opt.n_masks = o.masks;
  opt.batch_size = o.batch;
  opt.threads = o.threads;
  opt.classes = {0};
  opt.layout = mcrise::Layout::CHW;  // what ONNX and TorchScript models take: no copy where no preprocessing
  std::vector<double> rates, shares;
  mcrise::McRiseResult res;
  for (int r = 0; r < o.repeat; ++r) {
    Timed<Model> timed{model};
    const auto t0 = Clock::now();
    res = mcrise::mc_rise(timed, img, opt);
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    rates.push_back(static_cast<double>(res.masks_used) / wall);
    shares.push_back(timed.seconds / wall);
  }
  double diff = 0.0, largest = 0.0;
  if (reference_maps.empty()) reference_maps = res.map(0);
  for (std::size_t k = 0; k < reference_maps.size(); ++k) {
    diff = std::max(diff, (res.map(0)[k] - reference_maps[k]).cwiseAbs().maxCoeff());
    largest = std::max(largest, reference_maps[k].cwiseAbs().maxCoeff());
  }
  std::printf("| %s | %.0f | %.0f %% | %.1e |\n", name, median(rates), 100.0 * median(shares), diff / largest);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "usage: %s [--masks N] [--batch B] [--threads T] [--repeat R] [--model-threads M]\n", argv[0]);
      return 2;
    }
    const long long v = std::atoll(argv[++i]);
    if (a == "--masks") o.masks = v;
    else if (a == "--batch") o.batch = static_cast<int>(v);
    else if (a == "--threads") o.threads = static_cast<int>(v);
    else if (a == "--repeat") o.repeat = std::max(1, static_cast<int>(v));
    else if (a == "--model-threads") o.model_threads = std::max(1, static_cast<int>(v));
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  namespace signs = mcrise::signs;
  const mcrise::Image img = signs::render_sign(signs::canonical_sign_params(signs::SignClass::stop));
  const std::string dir = std::string(MCRISE_SOURCE_DIR) + "/examples/signs/";
  std::printf("MC-RISE, sign CNN 48 x 48, K = 5, %lld masks, batch %d, %d mcrise threads, median of %d runs\n\n",
              static_cast<long long>(o.masks), o.batch, o.threads, o.repeat);
  std::printf("| runtime | masks/s | model share of wall time | max map difference / max map |\n|---|---|---|---|\n");
  const signs::SignCnn eigen = signs::load_bundled_sign_cnn();
  row("Eigen (examples/signs/cnn.hpp, calling thread)", eigen, img, o);
  mcrise::ModelInput in;
  in.softmax = true;  // the exported models return logits; SignCnn returns probabilities
#if MCRISE_BENCH_OPENCV_DNN
  cv::setNumThreads(o.model_threads);
  mcrise::OpenCvDnnClassifier onnx(dir + "sign_cnn.onnx", in);
  row(("OpenCV " CV_VERSION " DNN (" + std::to_string(cv::getNumThreads()) + " threads)").c_str(), onnx, img, o);
#endif
#if MCRISE_BENCH_LIBTORCH
  at::set_num_threads(o.model_threads);
  mcrise::TorchScriptClassifier pt(dir + "sign_cnn.pt", in);
  row(("LibTorch " + std::string(TORCH_VERSION) + " (" + std::to_string(at::get_num_threads()) + " threads)").c_str(), pt, img, o);
#endif
  return 0;
}
