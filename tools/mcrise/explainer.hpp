#pragma once
/// @file explainer.hpp
/// @brief What both commands do to one image: load it at the model's input size, find its target
///        classes, run the chosen RISE-family method through the library.

#include "model.hpp"
#include "options.hpp"

#include <mcrise/image.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <string>
#include <vector>

namespace mcrise::cli {

/// @brief The layout of the batches the tool hands the model: channel-planar, which the adapters
///        pass to their runtime without a copy.
inline constexpr Layout batch_layout = Layout::CHW;

/// @brief The size images are brought to: --input-size, else the model's declared input size,
///        else (0, 0) for "each image as it is".
/// @throws std::runtime_error if --input-size is malformed or differs from the model's declared size.
std::pair<int, int> target_size(const ToolOptions& opt, const Model& model);

/// @brief An image file loaded as RGB in [0, 1] and brought to `size` (stretch: resize(); cover-crop:
///        resize_and_crop()), then checked against the model.
/// @param original filled with the file's own (H, W)
/// @throws mcrise::io_error for a missing or corrupt file; std::invalid_argument if the model refuses it.
Image load_model_image(const std::string& path, std::pair<int, int> size, const std::string& resize_mode,
                       const Model& model, std::pair<int, int>* original = nullptr);

/// @brief One method's maps of one image.
struct Explanation {
  std::vector<int> classes;                      ///< target classes, in order
  std::vector<std::vector<SaliencyMap>> maps;    ///< per class: the K colour maps (mc_rise) or the one map
  std::vector<NamedColor> colors;                ///< mc_rise: the K mask colours; else empty
  Eigen::VectorXd scores;                        ///< the model's scores on the image
  std::int64_t masks_used = 0;                   ///< N used
  double relative_standard_error = 0.0;          ///< worst over the classes; NaN if not computed
  std::vector<double> class_relative_se;         ///< per class
  std::string sampler;                           ///< "independent" or "balanced"
};

/// @brief Runs opt.method on `image` for `classes` (empty: the model's top class).
/// @param progress draw a progress bar on stderr
/// @throws what the library throws (e.g. a class out of range).
Explanation explain_image(Model& model, const Image& image, const std::vector<int>& classes, const ToolOptions& opt,
                          bool progress);

/// @brief One importance map per class, higher = the model relies more on the pixel: for mc_rise
///        minus the mean of the K colour maps (E[score | kept] - E[score | masked, any colour]), for
///        rise and debiased_rise the map itself.
SaliencyMap importance_map(const Explanation& e, std::size_t j);

/// @brief The model's L scores on one image (one call).
Eigen::VectorXd model_scores(Model& model, const Image& image);

/// @brief The index of the largest score (the first one on ties).
int top_class(const Eigen::VectorXd& scores);

}  // namespace mcrise::cli
