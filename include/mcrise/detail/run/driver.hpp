#pragma once
/// @file detail/run/driver.hpp
/// @brief The one sampling loop behind rise, debiased_rise and mc_rise:
///        sample -> perturb (threads) -> classify (caller's thread) -> accumulate
///        (in sample order, so results are bitwise identical for any thread
///        count and batch size).

#include <mcrise/accumulator.hpp>
#include <mcrise/callbacks.hpp>
#include <mcrise/classifier.hpp>
#include <mcrise/image.hpp>
#include <mcrise/masks.hpp>
#include <mcrise/perturb.hpp>
#include <mcrise/detail/thread_pool.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <utility>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcrise {
namespace detail {

/// Scores on the unperturbed image and the resolved target classes: 0 .. L-1 if `all`,
/// else `classes`, or the argmax if none given.
/// @throws std::invalid_argument if a class is >= L.
template <class Classifier>
std::vector<int> resolve_classes(ClassifierRunner<Classifier>& run, const Image& img, Layout layout,
                                 std::vector<int> classes, bool all, Eigen::VectorXd& scores, const char* where) {
  ImageBatch one(1, img.height(), img.width(), img.channels(), layout);
  copy_into_batch(img, one, 0);
  scores = run(one, -1).row(0).transpose();
  if (all) {
    classes.resize(static_cast<std::size_t>(scores.size()));
    for (std::size_t j = 0; j < classes.size(); ++j) classes[j] = static_cast<int>(j);
  } else if (classes.empty()) {
    Eigen::Index best = 0;
    scores.maxCoeff(&best);
    classes.push_back(static_cast<int>(best));
  }
  for (int c : classes)
    require(where, c < scores.size(), "class ", c, " is out of range: the model returns ", scores.size(), " scores");
  return classes;
}

/// How run_masks spreads one batch over the pool: whole images per task, or,
/// when the batch has fewer images than threads, bands of rows of one image.
/// A band is at least min_band_floats output floats, so that a band costs more
/// than handing it to a thread (the pool's threads spin briefly between jobs, see
/// ThreadPool; measured, MC-RISE batch 1 on 2 threads at 224 x 224 x 3, two bands
/// of 75,264 floats: 21,600-23,900 masks/s, against 17,900-18,300 for whole images
/// with threads that slept between jobs and 16,900-17,100 on one thread; waking a
/// sleeping thread cost as much as the whole image, and the threshold was 2^17).
struct BatchPlan {
  static constexpr std::size_t min_band_floats = std::size_t{1} << 16;
  int bands = 1;  ///< row bands per image (1: one task per image)

  BatchPlan(int batch, int threads, int height, std::size_t image_floats) {
    if (batch >= threads) return;
    const auto by_size = static_cast<int>(std::min<std::size_t>(image_floats / min_band_floats, 1u << 20));
    bands = std::max(1, std::min({height, (threads + batch - 1) / batch, by_size}));
  }
  /// Rows [first, last) of band `k` of an image with `height` rows.
  static std::pair<int, int> rows(int k, int bands, int height) {
    return {static_cast<int>(static_cast<long long>(height) * k / bands),
            static_cast<int>(static_cast<long long>(height) * (k + 1) / bands)};
  }
};

/// Samples to gather before adding them to an accumulator (the `window` of run_masks_pipelined).
/// 0 (add each batch) unless there are many target classes (at least 64: each cell update is a
/// vector add of 512 bytes or more) and the accumulator's sums (`acc_bytes`) outgrow a cache
/// (16 MiB); then about 16 samples per shift, so that each shift's block of sums is updated
/// many times while it is in cache (each flush streams the whole table through memory once),
/// with the gathered scores (L doubles per sample) capped at 128 MiB and at a quarter of the
/// sums, never less than one batch, never more than the run. Memory stays independent of N.
inline std::int64_t add_window(std::size_t acc_bytes, std::size_t shifts, std::size_t targets, long long num_classes,
                               int batch_size, std::int64_t n_masks) {
  constexpr std::size_t cache_bytes = std::size_t{16} << 20, cap_bytes = std::size_t{128} << 20;
  if (targets < 64 || acc_bytes <= cache_bytes || num_classes < 1) return 0;
  const std::size_t row_bytes = static_cast<std::size_t>(num_classes) * sizeof(double);
  const auto by_memory = static_cast<std::int64_t>(std::min(cap_bytes, acc_bytes / 4) / row_bytes);
  const auto wanted = static_cast<std::int64_t>(16 * shifts);
  return std::min<std::int64_t>(n_masks, std::max<std::int64_t>(batch_size, std::min(wanted, by_memory)));
}

/// The window the drivers use for accumulator `acc`: add_window() of its sums, or 0 with
/// adaptive stopping, which reads the accumulator after every batch, and while it keeps the
/// samples themselves (no sums to stream through).
template <class Accumulator>
std::int64_t driver_window(const Accumulator& acc, long long num_classes, int batch_size, std::int64_t n_masks,
                           bool adaptive) {
  return adaptive || acc.keeps_samples() ? 0
                  : add_window(acc.memory_bytes(), acc.shifts(), acc.classes().size(), num_classes, batch_size,
                               n_masks);
}

/// Double-buffered sampling loop: samples [start, n_masks) go through the model in
/// batches and are added to `acc` in sample order (start > 0: a run resumed from a
/// checkpoint whose accumulator holds samples [0, start)). Returns the number of
/// samples used, start included (fewer than n_masks if a callback asked to stop).
///
/// With `overlap`, two batch buffers are used: while the caller's thread runs
/// the model on batch b (and accumulates it), the pool's workers already draw
/// and perturb batch b + 1; the caller joins that work when it is done. The
/// model is still only ever called from the caller's thread, one batch at a
/// time. Costs one more batch buffer (batch_size x H x W x C floats).
///
/// With `window` > batch size (see add_window), the samples and scores of
/// several batches are gathered and added to `acc` at once, when the next batch
/// would not fit, and before returning. The accumulator then must not be read
/// by a callback (no adaptive stopping): it lags up to `window` samples. If the
/// model or a callback throws, the gathered samples are not added (the drivers
/// discard their accumulator then anyway).
///
/// Every sample is a pure function of (seed, n), every perturbed value is
/// computed by the same expression whatever the thread, band or buffer, and the
/// accumulator sees samples in order: results are bitwise identical for any
/// thread count, batch size, overlap setting and window.
template <class Classifier, class Accumulator, class... Callbacks>
std::int64_t run_masks_pipelined(ClassifierRunner<Classifier>& run, const MaskGenerator& gen, const Perturber& perturb,
                                 Accumulator& acc, std::int64_t n_masks, int batch_size, int threads, Layout layout,
                                 int channels, bool overlap, ImageBatch* buffer, std::int64_t window,
                                 std::int64_t start, const char* task, Callbacks&... callbacks) {
  if (start >= n_masks) return start;
  const auto& g = gen.geometry();
  // The batch boundaries of a resumed run are those of the whole run: start is one of them.
  const int B = static_cast<int>(std::min<std::int64_t>(batch_size, n_masks));
  const int T = resolve_threads(threads);
  const BatchPlan plan(B, T, g.height,
                       static_cast<std::size_t>(g.height) * static_cast<std::size_t>(g.width) *
                           static_cast<std::size_t>(channels));
  ThreadPool pool(std::min(T, B * plan.bands));
  const int buffers = overlap && n_masks - start > B ? 2 : 1;
  // Batch buffer 0 is the caller's `buffer` if given (reshaped, its memory reused), else our own.
  std::vector<ImageBatch> own(static_cast<std::size_t>(buffers));
  std::vector<ImageBatch*> batch(static_cast<std::size_t>(buffers));
  std::vector<std::vector<MaskSample>> samples(static_cast<std::size_t>(buffers));
  for (int k = 0; k < buffers; ++k) {
    auto* bat = k == 0 && buffer != nullptr ? buffer : &own[static_cast<std::size_t>(k)];
    bat->reshape_for_overwrite(B, g.height, g.width, channels, layout);
    batch[static_cast<std::size_t>(k)] = bat;
    samples[static_cast<std::size_t>(k)].resize(static_cast<std::size_t>(B));
  }
  std::vector<Perturber::Scratch> scratch(static_cast<std::size_t>(pool.size()));

  // Work of one batch: samples [first, first + b) into buffer k, as pool tasks.
  auto fill_task = [&](int k, std::int64_t first, int b) -> std::pair<int, std::function<void(int, int)>> {
    auto& bat = *batch[static_cast<std::size_t>(k)];
    auto& smp = samples[static_cast<std::size_t>(k)];
    bat.resize(b);
    if (plan.bands == 1)
      return {b, [&gen, &perturb, &bat, &smp, &scratch, first, layout](int i, int worker) {
                auto& s = smp[static_cast<std::size_t>(i)];
                gen.sample(static_cast<std::uint64_t>(first + i), s);
                perturb(s, bat.image_data(i), layout, scratch[static_cast<std::size_t>(worker)]);
              }};
    for (int i = 0; i < b; ++i) gen.sample(static_cast<std::uint64_t>(first + i), smp[static_cast<std::size_t>(i)]);
    const int bands = plan.bands, H = g.height;
    return {b * bands, [&perturb, &bat, &smp, &scratch, layout, bands, H](int t, int worker) {
              const int i = t / bands;
              const auto r = BatchPlan::rows(t % bands, bands, H);
              perturb(smp[static_cast<std::size_t>(i)], bat.image_data(i), layout,
                      scratch[static_cast<std::size_t>(worker)], r.first, r.second);
            }};
  };
  // A started job must finish before the buffers it writes are destroyed,
  // also when the model or a callback throws.
  struct Join {
    ThreadPool& pool;
    ~Join() {
      try {
        pool.wait();
      } catch (...) {
      }
    }
  } join{pool};

  // The window: gathered samples (swapped out of the batch, no copy of their cells) and score rows.
  const int gather = window > B ? static_cast<int>(std::min<std::int64_t>(window, n_masks)) : 0;
  std::vector<MaskSample> win_samples(static_cast<std::size_t>(gather));
  RowMatrixXd win_scores;
  int win_fill = 0;
  auto flush = [&] {
    if (win_fill > 0) acc.add(win_samples, win_fill, win_scores.topRows(win_fill), buffers == 2 ? nullptr : &pool);
    win_fill = 0;
  };

  std::int64_t done = start;
  int cur = 0;
  {
    auto job = fill_task(0, start, static_cast<int>(std::min<std::int64_t>(B, n_masks - start)));
    pool.parallel_for(job.first, job.second);
  }
  while (done < n_masks) {
    const int b = batch[static_cast<std::size_t>(cur)]->size();
    const std::int64_t first = done;
    const std::int64_t next_first = first + b;
    const int next_b = static_cast<int>(std::min<std::int64_t>(B, n_masks - next_first));
    if (buffers == 2 && next_b > 0) {
      auto job = fill_task(1 - cur, next_first, next_b);
      pool.start(job.first, std::move(job.second));
    }
    const auto& scores = run(*batch[static_cast<std::size_t>(cur)], first);
    auto& smp = samples[static_cast<std::size_t>(cur)];
    // Added in sample order; the pool (idle now unless it perturbs the next batch) may split the classes.
    if (gather == 0) {
      acc.add(smp, b, scores, buffers == 2 ? nullptr : &pool);
    } else {
      if (win_scores.rows() == 0) win_scores.resize(gather, scores.cols());
      win_scores.middleRows(win_fill, b) = scores.topRows(b);
      for (int i = 0; i < b; ++i)
        std::swap(win_samples[static_cast<std::size_t>(win_fill + i)], smp[static_cast<std::size_t>(i)]);
      win_fill += b;
      if (win_fill + B > gather) flush();
    }
    done += b;
    const bool stop = notify(Progress{task, done, n_masks}, callbacks...);
    if (stop || next_b <= 0) {
      flush();
      break;
    }
    if (buffers == 2) {
      pool.wait();
      cur = 1 - cur;
    } else {
      auto job = fill_task(0, next_first, next_b);
      pool.parallel_for(job.first, job.second);
    }
  }
  return done;
}

/// Runs samples [0, n_masks) through the model in batches and adds them to
/// `acc` in sample order, without overlap (see run_masks_pipelined). Returns
/// the number of samples used (fewer than n_masks if a callback asked to stop).
template <class Classifier, class Accumulator, class... Callbacks>
std::int64_t run_masks(ClassifierRunner<Classifier>& run, const MaskGenerator& gen, const Perturber& perturb,
                       Accumulator& acc, std::int64_t n_masks, int batch_size, int threads, Layout layout,
                       int channels, const char* task, Callbacks&... callbacks) {
  return run_masks_pipelined(run, gen, perturb, acc, n_masks, batch_size, threads, layout, channels, false, nullptr,
                             0, 0, task, callbacks...);
}

}  // namespace detail
}  // namespace mcrise
