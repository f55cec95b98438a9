#include "explainer.hpp"

#include <mcrise/callbacks.hpp>
#include <mcrise/io.hpp>
#include <mcrise/mc_rise.hpp>
#include <mcrise/rise.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

namespace mcrise::cli {

namespace {

const char* sampler_name(Sampler s) { return s == Sampler::balanced ? "balanced" : "independent"; }

template <class Options>
void fill_sampling(Options& o, const std::vector<int>& classes, const ToolOptions& opt) {
  o.classes = classes;
  o.n_masks = opt.masks;
  o.target_relative_se = opt.target_se;
  o.threads = opt.threads;
  o.batch_size = opt.batch;
  o.seed = opt.seed;
  o.layout = batch_layout;
}

// What McRiseResult and SaliencyResult share, copied into the explanation.
template <class Result>
Explanation& take_summary(const Result& r, Explanation& e) {
  e.classes = r.classes;
  e.scores = r.scores;
  e.masks_used = r.masks_used;
  e.relative_standard_error = r.relative_standard_error;
  e.class_relative_se = r.relative_standard_errors;
  e.sampler = sampler_name(r.sampler);
  return e;
}

}  // namespace

std::pair<int, int> target_size(const ToolOptions& opt, const Model& model) {
  const std::pair<int, int> declared{model.input_height(), model.input_width()};
  if (opt.input_size.empty()) return declared;
  const auto size = parse_size(opt.input_size);
  if (declared.first > 0 && declared.second > 0 && size != declared)
    throw std::runtime_error("--input-size " + std::to_string(size.first) + "x" + std::to_string(size.second) +
                             " does not match the model's input " + std::to_string(declared.first) + "x" +
                             std::to_string(declared.second) + ": leave --input-size out to use the model's");
  return size;
}

Image load_model_image(const std::string& path, std::pair<int, int> size, const std::string& resize_mode,
                       const Model& model, std::pair<int, int>* original) {
  Image img = load_image(path);
  if (original) *original = {img.height(), img.width()};
  if (size.first > 0 && size.second > 0 && (img.height() != size.first || img.width() != size.second))
    img = resize_mode == "stretch" ? resize(img, size.first, size.second)
                                   : resize_and_crop(img, size.first, size.second);
  model.check_image(img);
  return img;
}

Eigen::VectorXd model_scores(Model& model, const Image& image) {
  ImageBatch batch(1, image.height(), image.width(), image.channels(), batch_layout);
  for (int y = 0; y < image.height(); ++y)
    for (int x = 0; x < image.width(); ++x)
      for (int c = 0; c < image.channels(); ++c) batch(0, y, x, c) = image(y, x, c);
  const Eigen::MatrixXf s = model.scores(batch);
  if (s.rows() != 1 || s.cols() < 1)
    throw std::runtime_error("the model returned a " + std::to_string(s.rows()) + " x " + std::to_string(s.cols()) +
                             " answer for one image");
  return s.row(0).transpose().cast<double>();
}

int top_class(const Eigen::VectorXd& scores) {
  Eigen::Index best = 0;
  scores.maxCoeff(&best);
  return static_cast<int>(best);
}

Explanation explain_image(Model& model, const Image& image, const std::vector<int>& classes, const ToolOptions& opt,
                          bool progress) {
  ModelRef ref{&model};
  std::unique_ptr<ProgressBar> bar = progress ? std::make_unique<ProgressBar>(std::cerr) : nullptr;
  auto report = [&](const Progress& p) {
    if (bar) (*bar)(p);
  };
  Explanation e;
  if (opt.method == "mc_rise") {
    McRiseOptions o;
    fill_sampling(o, classes, opt);
    e.colors = parse_colors(opt.colors);
    o.fills = make_fills(e.colors, image);
    const McRiseResult r = mc_rise(ref, image, o, report);
    for (int c : r.classes) e.maps.push_back(r.map(c));
    return take_summary(r, e);
  }
  RiseOptions o;
  fill_sampling(o, classes, opt);
  const SaliencyResult r =
      opt.method == "rise" ? rise(ref, image, o, report) : debiased_rise(ref, image, o, report);
  for (int c : r.classes) e.maps.push_back({r.map(c)});
  return take_summary(r, e);
}

SaliencyMap importance_map(const Explanation& e, std::size_t j) {
  const auto& maps = e.maps[j];
  if (maps.size() == 1 && e.colors.empty()) return maps[0];
  SaliencyMap sum = SaliencyMap::Zero(maps[0].rows(), maps[0].cols());
  for (const auto& m : maps) sum += m;
  return -sum / static_cast<double>(maps.size());
}

}  // namespace mcrise::cli
