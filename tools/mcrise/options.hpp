#pragma once
/// @file options.hpp
/// @brief The options the mcrise tool's commands share, and how their text becomes values.

#include <mcrise/fill.hpp>
#include <mcrise/image.hpp>
#include <mcrise/model_input.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mcrise::cli {

/// @brief Options common to `explain` and `evaluate`, as given on the command line.
struct ToolOptions {
  std::string model;                    ///< model file (.onnx, .pt, .torchscript)
  std::string method = "mc_rise";       ///< mc_rise, rise or debiased_rise
  std::int64_t masks = 8000;            ///< N, the number of masks (the maximum with target_se)
  double target_se = 0.0;               ///< stop at this relative standard error; 0: off
  std::vector<std::string> colors{};    ///< mask colours, names or #rrggbb; empty: the paper's five
  std::string input_size{};             ///< "HxW"; empty: the model's declared input (else the image's size)
  std::string resize = "cover-crop";    ///< stretch or cover-crop
  std::vector<float> mean{};            ///< per-channel mean subtracted after scaling; empty: none
  std::vector<float> std{};             ///< per-channel standard deviation divided by; empty: none
  bool bgr = false;                     ///< hand the model BGR instead of RGB
  bool softmax = false;                 ///< softmax the model's outputs (for a model that returns logits)
  int threads = 0;                      ///< threads for the masks; 0: all CPUs
  int batch = 64;                       ///< images per model call
  std::uint64_t seed = 2020;            ///< mask n depends only on (seed, n)
};

/// @brief A mask colour (or a blurred-copy fill) and the name it was given by.
struct NamedColor {
  std::string name;          ///< as written ("red", "#ff8000", "blur:5")
  Color value;               ///< 3 values in [0, 1]; for a blur fill, empty
  double blur_sigma = -1.0;  ///< "blur:S": the image blurred with σ = S pixels fills; < 0: a colour
};

/// @brief The colours of --colors: red, green, blue, white, black, yellow, cyan, magenta, grey
///        (gray), orange, #rrggbb, or blur:S (a blurred copy of the image, σ = S pixels, S in
///        [0, 1e5]); empty text list: the paper's five colours.
/// @throws std::runtime_error naming the first colour that is none of these.
std::vector<NamedColor> parse_colors(const std::vector<std::string>& text);

/// @brief The mask fills of `colors` for `image`: each colour, or Fill::blurred(image, S) for blur:S.
std::vector<Fill> make_fills(const std::vector<NamedColor>& colors, const Image& image);

/// @brief "HxW" (e.g. "224x224") as (H, W), each in [1, 65535].
/// @throws std::runtime_error for any other text.
std::pair<int, int> parse_size(const std::string& text);

/// @brief The model's preprocessing from the options (mean, std, bgr, softmax).
/// @throws std::runtime_error if mean or std has a count other than 3, or a std value is not > 0.
ModelInput model_input(const ToolOptions& opt);

/// @brief Class names from a file with one label per line (trailing '\r' removed).
/// @throws std::runtime_error naming the file and the line if it is missing, empty or has an empty line.
std::vector<std::string> read_labels(const std::string& path);

}  // namespace mcrise::cli
