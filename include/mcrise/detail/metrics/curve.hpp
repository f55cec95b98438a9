#pragma once
/// @file detail/metrics/curve.hpp
/// @brief Shared machinery of the faithfulness metrics (deletion, insertion,
///        CA-deletion): pixel ordering, the step-image engine that pushes the
///        sequence of step images through the classifier in batches, and the
///        trapezoid AUC.
///
/// Every metric is the same mechanism: a start image, a target image (per
/// pixel, what the pixel becomes when it is "processed") and an ordering of
/// the H*W pixels. Step j (j = 0 .. n_steps) is the start image with the
/// first min(j*step, H*W) pixels of the ordering replaced by the target's
/// pixels. Deletion: start = the image, target = the substrate. Insertion:
/// start = the substrate, target = the image. CA-deletion: start = the image,
/// target = per pixel its argmin colour.

#include <mcrise/auc.hpp>
#include <mcrise/callbacks.hpp>
#include <mcrise/classifier.hpp>
#include <mcrise/image.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcrise {
namespace detail {

/// @brief Pixel indices 0..n-1 sorted by `key`, decreasing if `descending`
///        else increasing; equal keys keep increasing pixel index (stable).
///        -0 and +0 are equal keys.
///
/// A stable LSD radix sort on the keys' bits (11-bit digits, 6 passes),
/// about 4x faster than std::stable_sort at 224 x 224 (0.95 vs 4.1 ms, 12% of
/// a 225-step deletion curve with a trivial model). Each double is mapped to
/// an unsigned integer with the same order; decreasing order flips it.
/// @param key n values, none NaN (checked by the caller)
inline std::vector<std::int64_t> metric_order(const double* key, std::int64_t n, bool descending) {
  const auto N = static_cast<std::size_t>(n);
  std::vector<std::uint64_t> bits(N), bits_tmp(N);
  std::vector<std::int64_t> order(N), order_tmp(N);
  for (std::size_t i = 0; i < N; ++i) {
    std::uint64_t u;
    std::memcpy(&u, key + i, sizeof u);
    if ((u << 1) == 0) u = 0;  // -0 -> +0 (also under -ffast-math)
    u = (u >> 63) != 0 ? ~u : u | (std::uint64_t{1} << 63);  // IEEE order -> unsigned order
    bits[i] = descending ? ~u : u;
    order[i] = static_cast<std::int64_t>(i);
  }
  constexpr int digit = 11;
  constexpr std::size_t buckets = std::size_t{1} << digit;
  std::vector<std::size_t> count(buckets);
  for (int shift = 0; shift < 64; shift += digit) {
    std::fill(count.begin(), count.end(), 0);
    for (std::size_t i = 0; i < N; ++i) ++count[(bits[i] >> shift) & (buckets - 1)];
    if (count[(bits.empty() ? 0 : bits[0] >> shift) & (buckets - 1)] == N) continue;  // one bucket: order unchanged
    std::size_t sum = 0;
    for (auto& c : count) {
      const std::size_t here = c;
      c = sum;
      sum += here;
    }
    for (std::size_t i = 0; i < N; ++i) {
      const std::size_t to = count[(bits[i] >> shift) & (buckets - 1)]++;
      bits_tmp[to] = bits[i];
      order_tmp[to] = order[i];
    }
    bits.swap(bits_tmp);
    order.swap(order_tmp);
  }
  return order;
}

/// @brief Throws std::invalid_argument unless `map` is H x W and NaN-free.
/// @param what how the message names the map, e.g. "the saliency map" or "colour map 2"
inline void check_metric_map(const SaliencyMap& map, const Image& img, const char* where, const std::string& what) {
  require(where, map.rows() == img.height() && map.cols() == img.width(), what, " is ", map.rows(), " x ", map.cols(),
          " but the image is ", img.height(), " x ", img.width());
  const double* d = map.data();
  for (Eigen::Index i = 0; i < map.size(); ++i)
    if (std::isnan(d[i])) fail(where, what, " has a NaN at pixel (", i / map.cols(), ", ", i % map.cols(), ")");
}

/// @brief Number of curve points for H*W pixels and `step` pixels per step:
///        ceil(HW / step) + 1 (0 removed, ..., all removed).
inline std::int64_t metric_points(std::int64_t pixels, std::int64_t step) {
  return pixels / step + (pixels % step != 0 ? 1 : 0) + 1;  // no overflow for any step >= 1
}

/// @brief Common option checks: non-empty image, step >= 1, batch_size >= 1, class >= 0, and a
///        batch buffer (min(batch_size, curve points) images) of at most 16 GiB.
inline void check_metric_options(const Image& img, std::int64_t step, int batch_size, int cls, const char* where) {
  require(where, !img.empty(), "the image is empty");
  check_finite(img, where, "the image");
  require(where, step >= 1, "step must be >= 1, got ", step);
  require(where, batch_size >= 1, "batch_size must be >= 1, got ", batch_size);
  require(where, cls >= 0, "class index must be >= 0, got ", cls);
  const std::int64_t points = metric_points(static_cast<std::int64_t>(img.pixels()), step);
  check_batch_buffers(where, static_cast<double>(std::min<std::int64_t>(batch_size, points)), img,
                      "batch_size " + std::to_string(batch_size));
}

/// @brief What the engine computed: the curve prefix and whether it is whole.
struct CurveData {
  std::vector<double> fractions;    ///< removal fraction of each evaluated point
  std::vector<double> confidences;  ///< class score of each evaluated point
  bool complete = false;            ///< all ceil(HW/step)+1 points evaluated
};

/// @brief The step-image engine shared by every metric.
///
/// Builds the step images one batch at a time, each from the previous one
/// (only the `step` newly processed pixels are written), so memory is
/// batch_size images plus one working image whatever the number of steps.
/// After each batch every callback sees Progress{task, points done, points
/// total}; one returning true stops the run with the prefix evaluated so far.
///
/// @param start H x W x C image at step 0
/// @param target H x W x C image giving each processed pixel's new value (unused with `fill`)
/// @param fill if not null, every processed pixel's new value (C values): no target image needed
/// @param order the H*W pixel indices in processing order
/// @param step pixels per step, >= 1
/// @param cls class whose score is recorded; checked against L after the first model call
/// @param buffer optional caller-owned batch reused across calls (reshaped here); null: a fresh one
/// @throws std::invalid_argument if cls >= L; std::runtime_error on a bad model
///         answer (from ClassifierRunner); the model's own exceptions pass through.
template <class Classifier, class... Callbacks>
CurveData run_metric_curve(Classifier& model, const Image& start, const Image& target, const Color* fill,
                           const std::vector<std::int64_t>& order, std::int64_t step, int batch_size, Layout layout,
                           int cls, ImageBatch* buffer, const char* where, [[maybe_unused]] const char* task,
                           Callbacks&... callbacks) {
  check_layout(layout, where);
  const int H = start.height(), W = start.width(), C = start.channels();
  const std::int64_t pixels = static_cast<std::int64_t>(start.pixels());
  const std::int64_t total = metric_points(pixels, step);
  const auto C_sz = static_cast<std::size_t>(C);

  ClassifierRunner<Classifier> run(model, where);
  const int capacity = static_cast<int>(std::min<std::int64_t>(batch_size, total));
  ImageBatch own;
  ImageBatch& batch = buffer != nullptr ? *buffer : own;
  batch.reshape(capacity, H, W, C, layout);
  Image current = start;

  CurveData out;
  out.fractions.reserve(static_cast<std::size_t>(total));
  out.confidences.reserve(static_cast<std::size_t>(total));
  std::int64_t processed = 0;  // pixels of `order` already written into `current`
  std::int64_t done = 0;       // curve points evaluated
  while (done < total) {
    const int B = static_cast<int>(std::min<std::int64_t>(capacity, total - done));
    batch.resize(B);
    for (int b = 0; b < B; ++b) {
      const std::int64_t j = done + b;
      const std::int64_t upto = j >= total - 1 ? pixels : std::min(j * step, pixels);  // j * step < pixels + step here
      for (; processed < upto; ++processed) {
        const auto p = static_cast<std::size_t>(order[static_cast<std::size_t>(processed)]);
        const float* from = fill != nullptr ? fill->data() : target.data() + p * C_sz;
        float* to = current.data() + p * C_sz;
        for (std::size_t c = 0; c < C_sz; ++c) to[c] = from[c];
      }
      copy_into_batch(current, batch, b);
      out.fractions.push_back(static_cast<double>(upto) / static_cast<double>(pixels));
    }
    const auto& scores = run(batch, done);
    if (cls >= scores.cols())
      throw std::invalid_argument(std::string(where) + ": class " + std::to_string(cls) +
                                  " is out of range: the model returns " + std::to_string(scores.cols()) + " scores");
    for (int b = 0; b < B; ++b) out.confidences.push_back(scores(b, cls));
    done += B;
    if constexpr (sizeof...(Callbacks) > 0) {
      const Progress progress{task, done, total};
      if (notify(progress, callbacks...) && done < total) break;
    }
  }
  out.complete = done == total;
  return out;
}

}  // namespace detail
}  // namespace mcrise
