#pragma once
// The checks every model-file classifier (OpenCvDnnClassifier, TorchScriptClassifier) must pass,
// written once and run by opencv_dnn_test.cpp and torchscript_test.cpp on the bundled sign CNN
// exported by examples/signs/train/export.py (which returns logits).
//
// Reference: the Eigen SignCnn on the same weights. Held-out signs use seed 5, which neither
// training (1), validation (2) nor the other sign tests (3, 4) use.

#include "signs/cnn.hpp"
#include "signs/render.hpp"

#include <mcrise/mcrise.hpp>
#include <mcrise/model_input.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace adapter_test {

inline const mcrise::signs::SignCnn& eigen_cnn() {
  static const mcrise::signs::SignCnn model = mcrise::signs::load_bundled_sign_cnn();
  return model;
}

inline std::string source_path(const std::string& rel) { return std::string(MCRISE_SOURCE_DIR) + "/" + rel; }

/// The 200 held-out signs, as one batch in `layout`.
inline mcrise::ImageBatch held_out_batch(mcrise::Layout layout, int count = 200) {
  mcrise::ImageBatch b(count, 48, 48, 3, layout);
  for (int i = 0; i < count; ++i) mcrise::detail::copy_into_batch(mcrise::signs::render_sample(5, static_cast<std::uint64_t>(i)).image, b, i);
  return b;
}

/// Counts the calls and the images an adapter is given, to show when a check fires.
template <class Model>
struct Counting {
  Model& model;
  int calls = 0;
  int images = 0;
  Eigen::MatrixXf operator()(const mcrise::ImageBatch& b) {
    ++calls;
    images += b.size();
    return model(b);
  }
};

/// Writes `bytes` to a file in the test's working directory and returns its path.
inline std::string write_file(const std::string& name, const std::string& bytes) {
  std::ofstream(name, std::ios::binary) << bytes;
  return name;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// Largest |a - b| over two equally long lists of maps, and the largest |a|.
inline void map_difference(const std::vector<mcrise::SaliencyMap>& a, const std::vector<mcrise::SaliencyMap>& b,
                           double& max_diff, double& max_value) {
  REQUIRE(a.size() == b.size());
  for (std::size_t k = 0; k < a.size(); ++k) {
    max_diff = std::max(max_diff, (a[k] - b[k]).cwiseAbs().maxCoeff());
    max_value = std::max(max_value, a[k].cwiseAbs().maxCoeff());
  }
}

/// Every check, for an adapter type constructed as Adapter(path, ModelInput). `model_path` is the
/// sign CNN, `rank3_path` a model of N x 3 x 8 x 8 -> N x 2 x 2.
template <class Adapter>
void check_adapter(const std::string& model_path, const std::string& rank3_path, bool rank3_refused_on_load) {
  mcrise::ModelInput probabilities;
  probabilities.softmax = true;

  SECTION("scores on 200 held-out signs equal the Eigen CNN's within 1e-5, HWC and CHW, any batch size") {
    Adapter model(model_path, probabilities);
    CHECK(model.input_height() == 48);
    CHECK(model.input_width() == 48);
    for (mcrise::Layout layout : {mcrise::Layout::HWC, mcrise::Layout::CHW}) {
      const mcrise::ImageBatch batch = held_out_batch(layout);
      const Eigen::MatrixXf want = eigen_cnn()(batch);
      const Eigen::MatrixXf got = model(batch);
      REQUIRE(got.rows() == 200);
      REQUIRE(got.cols() == 10);
      CHECK((got - want).cwiseAbs().maxCoeff() <= 1e-5f);
      // A batch of one and one of 7 (the drivers' first call, a last partial batch).
      mcrise::ImageBatch small = held_out_batch(layout, 7);
      CHECK((model(small) - want.topRows(7)).cwiseAbs().maxCoeff() <= 1e-5f);
      small.resize(1);
      CHECK((model(small) - want.topRows(1)).cwiseAbs().maxCoeff() <= 1e-5f);
    }
    CHECK(model.num_classes() == 10);
  }

  SECTION("without softmax the scores are the logits") {
    Adapter model(model_path);
    const mcrise::ImageBatch batch = held_out_batch(mcrise::Layout::CHW, 50);
    const Eigen::MatrixXf want = eigen_cnn().logits(batch);
    // Logits reach about 60 in magnitude: float sums of ~1700 terms in another order differ by a
    // few 1e-5 (relative 1e-6, as the probabilities).
    CHECK((model(batch) - want).cwiseAbs().maxCoeff() <= 1e-5f * std::max(1.0f, want.cwiseAbs().maxCoeff()));
  }

  SECTION("preprocessing: an image in another value range and channel order gives the same scores") {
    // The model sees (x * scale - mean) / std with channels 0 and 2 swapped; feed it x chosen so
    // that this is the original RGB image, and the scores must be the original ones.
    mcrise::ModelInput in = probabilities;
    in.scale = 255.0f;
    in.mean = {0.25f * 255.0f, 0.5f * 255.0f, 0.75f * 255.0f};  // indexed by the fed image's channel
    in.std = {2.0f, 4.0f, 0.5f};
    in.bgr = true;
    Adapter model(model_path, in);
    const mcrise::ImageBatch rgb = held_out_batch(mcrise::Layout::HWC, 20);
    for (mcrise::Layout layout : {mcrise::Layout::HWC, mcrise::Layout::CHW}) {
      mcrise::ImageBatch fed(20, 48, 48, 3, layout);
      for (int b = 0; b < 20; ++b)
        for (int y = 0; y < 48; ++y)
          for (int x = 0; x < 48; ++x)
            for (int c = 0; c < 3; ++c) {
              const int mc = 2 - c;  // the fed channel c reaches the model as channel 2 - c
              const std::size_t i = static_cast<std::size_t>(c);
              fed(b, y, x, c) = (rgb(b, y, x, mc) * in.std[i] + in.mean[i]) / in.scale;
            }
      CHECK((model(fed) - eigen_cnn()(rgb)).cwiseAbs().maxCoeff() <= 1e-5f);
    }
  }

  SECTION("mc_rise through the adapter equals mc_rise through the Eigen CNN (same masks)") {
    const mcrise::Image img = mcrise::signs::render_sample(5, 3).image;
    mcrise::McRiseOptions opt;
    opt.n_masks = 192;
    opt.batch_size = 64;
    opt.classes = {3};
    opt.threads = 1;
    const mcrise::McRiseResult want = mcrise::mc_rise(eigen_cnn(), img, opt);
    for (mcrise::Layout layout : {mcrise::Layout::HWC, mcrise::Layout::CHW}) {
      opt.layout = layout;
      Adapter model(model_path, probabilities);
      const mcrise::McRiseResult got = mcrise::mc_rise(model, img, opt);
      double diff = 0.0, largest = 0.0;
      map_difference(want.map(3), got.map(3), diff, largest);
      const std::vector<mcrise::SaliencyMap> base_want{want.baseline(3)}, base_got{got.baseline(3)};
      map_difference(base_want, base_got, diff, largest);
      INFO("largest |map| " << largest << ", largest difference " << diff);
      CHECK(largest > 0.0);
      CHECK(diff <= 1e-6 * largest);
    }
  }

  SECTION("an image of another size is refused, naming both sizes and resize_and_crop, before any perturbed batch") {
    Adapter model(model_path, probabilities);
    const mcrise::Image big(64, 80, 3, 0.5f);
    CHECK_THROWS_WITH(model.check_image(big), Catch::Contains("takes 48 x 48 images, got 64 x 80") &&
                                                  Catch::Contains("resize_and_crop(img, 48, 48)"));
    CHECK_NOTHROW(model.check_image(mcrise::resize_and_crop(big, 48, 48)));
    Counting<Adapter> counted{model};
    mcrise::McRiseOptions opt;
    opt.n_masks = 64;
    CHECK_THROWS_AS(mcrise::mc_rise(counted, big, opt), std::invalid_argument);
    CHECK(counted.calls == 1);  // the unperturbed image only
    CHECK(counted.images == 1);
    const mcrise::Image gray(48, 48, 1, 0.5f);
    CHECK_THROWS_WITH(model.check_image(gray), Catch::Contains("3 channels, got 1"));
  }

  SECTION("a model whose output is not B x L is refused before any perturbed batch") {
    if (rank3_refused_on_load) {
      CHECK_THROWS_WITH(Adapter(rank3_path), Catch::Contains("output must be N x L") && Catch::Contains("2 x 2"));
    } else {
      Adapter model(rank3_path);
      Counting<Adapter> counted{model};
      mcrise::McRiseOptions opt;
      opt.n_masks = 64;
      CHECK_THROWS_WITH(mcrise::mc_rise(counted, mcrise::Image(8, 8, 3, 0.5f), opt),
                        Catch::Contains("output must be B x L") && Catch::Contains("got 1 x 2 x 2 for a batch of 1"));
      CHECK(counted.calls == 1);
      CHECK(counted.images == 1);
    }
  }

  SECTION("missing, empty, corrupt and truncated files are refused with mcrise::io_error naming the path") {
    CHECK_THROWS_AS(Adapter("no_such_model.file"), mcrise::io_error);
    CHECK_THROWS_WITH(Adapter("no_such_model.file"), Catch::Contains("'no_such_model.file'") && Catch::Contains("cannot open"));
    CHECK_THROWS_WITH(Adapter("."), Catch::Contains("is a directory"));
    CHECK_THROWS_WITH(Adapter(write_file("empty.model", "")), Catch::Contains("'empty.model'") && Catch::Contains("empty"));
    const std::string garbage = write_file("garbage.model", "this is not a model, only a sentence\n");
    CHECK_THROWS_AS(Adapter(garbage), mcrise::io_error);
    const std::string bytes = read_file(model_path);
    REQUIRE(bytes.size() > 1000);
    const std::string half = write_file("truncated.model", bytes.substr(0, bytes.size() / 2));
    CHECK_THROWS_AS(Adapter(half), mcrise::io_error);
    CHECK_THROWS_WITH(Adapter(half), Catch::Contains("'truncated.model'"));
  }

  SECTION("an invalid ModelInput is refused") {
    mcrise::ModelInput in;
    in.std = {1.0f, 0.0f, 1.0f};
    CHECK_THROWS_WITH(Adapter(model_path, in), Catch::Contains("ModelInput.std[1] must be finite and > 0, got 0"));
    in.std = {};
    in.mean = {0.5f, 0.5f};
    CHECK_THROWS_WITH(Adapter(model_path, in), Catch::Contains("ModelInput.mean must have 0 or 3 values"));
  }
}

}  // namespace adapter_test
