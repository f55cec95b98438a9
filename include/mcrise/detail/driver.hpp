#pragma once
/// @file detail/driver.hpp
/// @brief The one sampling loop behind rise, debiased_rise and mc_rise:
///        sample -> perturb (threads) -> classify (caller's thread) -> accumulate
///        (in sample order, so results are bitwise identical for any thread
///        count and batch size).

#include <mcrise/callbacks.hpp>
#include <mcrise/classifier.hpp>
#include <mcrise/image.hpp>
#include <mcrise/masks.hpp>
#include <mcrise/perturb.hpp>
#include <mcrise/detail/thread_pool.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcrise {
namespace detail {

/// The MaskOptions part of a driver's options.
template <class Options>
MaskOptions mask_options(const Options& o) {
  MaskOptions m;
  m.grid_h = o.grid_h;
  m.grid_w = o.grid_w;
  m.mask_probability = o.mask_probability;
  m.seed = o.seed;
  m.upsampling = o.upsampling;
  m.random_shift = o.random_shift;
  return m;
}

/// Checks the options every sampling driver shares; throws std::invalid_argument
/// naming `where`, the option and the value. Runs before any model call.
template <class Options>
void validate_sampling_options(const Image& img, const Options& o, const char* where) {
  const std::string w(where);
  if (img.empty())
    throw std::invalid_argument(w + ": the image is empty (" + std::to_string(img.height()) + " x " +
                                std::to_string(img.width()) + ")");
  for (std::size_t i = 0; i < img.size(); ++i)
    if (!std::isfinite(img.data()[i]))
      throw std::invalid_argument(w + ": the image has a non-finite value at float index " + std::to_string(i));
  if (o.n_masks < 1) throw std::invalid_argument(w + ": n_masks must be >= 1, got " + std::to_string(o.n_masks));
  if (!(o.mask_probability > 0.0 && o.mask_probability < 1.0))
    throw std::invalid_argument(w + ": mask_probability must be in (0, 1), got " + std::to_string(o.mask_probability));
  if (o.batch_size < 1) throw std::invalid_argument(w + ": batch_size must be >= 1, got " + std::to_string(o.batch_size));
  if (o.threads < 0) throw std::invalid_argument(w + ": threads must be >= 0, got " + std::to_string(o.threads));
  for (int c : o.classes)
    if (c < 0) throw std::invalid_argument(w + ": class index must be >= 0, got " + std::to_string(c));
  (void)MaskGeometry::make(img.height(), img.width(), mask_options(o), where);
}

/// Scores on the unperturbed image and the resolved target classes (argmax if none given).
/// @throws std::invalid_argument if a class is >= L.
template <class Classifier>
std::vector<int> resolve_classes(ClassifierRunner<Classifier>& run, const Image& img, Layout layout,
                                 std::vector<int> classes, Eigen::VectorXd& scores, const char* where) {
  ImageBatch one(1, img.height(), img.width(), img.channels(), layout);
  copy_into_batch(img, one, 0);
  scores = run(one, -1).row(0).transpose();
  if (classes.empty()) {
    Eigen::Index best = 0;
    scores.maxCoeff(&best);
    classes.push_back(static_cast<int>(best));
  }
  for (int c : classes)
    if (c >= scores.size())
      throw std::invalid_argument(std::string(where) + ": class " + std::to_string(c) +
                                  " is out of range: the model returns " + std::to_string(scores.size()) + " scores");
  return classes;
}

/// Runs samples [0, n_masks) through the model in batches and adds them to
/// `acc` in sample order. Returns the number of samples used (fewer than
/// n_masks if a callback asked to stop).
template <class Classifier, class Accumulator, class... Callbacks>
std::int64_t run_masks(ClassifierRunner<Classifier>& run, const MaskGenerator& gen, const Perturber& perturb,
                       Accumulator& acc, std::int64_t n_masks, int batch_size, int threads, Layout layout,
                       int channels, const char* task, Callbacks&... callbacks) {
  const auto& g = gen.geometry();
  const int B = static_cast<int>(std::min<std::int64_t>(batch_size, n_masks));
  ThreadPool pool(std::min(resolve_threads(threads), B));
  ImageBatch batch(B, g.height, g.width, channels, layout);
  std::vector<MaskSample> samples(static_cast<std::size_t>(B));
  std::vector<Perturber::Scratch> scratch(static_cast<std::size_t>(pool.size()));
  std::int64_t done = 0;
  while (done < n_masks) {
    const int b = static_cast<int>(std::min<std::int64_t>(B, n_masks - done));
    batch.resize(b);
    const std::int64_t first = done;
    pool.parallel_for(b, [&](int i, int worker) {
      auto& s = samples[static_cast<std::size_t>(i)];
      gen.sample(static_cast<std::uint64_t>(first + i), s);
      perturb(s, batch.image_data(i), layout, scratch[static_cast<std::size_t>(worker)]);
    });
    const auto& scores = run(batch, first);
    for (int i = 0; i < b; ++i) acc.add(samples[static_cast<std::size_t>(i)], scores.row(i).transpose());
    done += b;
    if (notify(Progress{task, done, n_masks}, callbacks...)) break;
  }
  return done;
}

}  // namespace detail
}  // namespace mcrise
