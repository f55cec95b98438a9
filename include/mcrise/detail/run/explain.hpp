#pragma once
/// @file detail/run/explain.hpp
/// @brief The one run behind every explanation (rise, debiased_rise, mc_rise): check the options
///        once, draw, perturb, classify and accumulate (driver.hpp), then measure or defer the maps.
///        What differs between the explanations is a small Estimator policy:
///
///   struct Estimator {
///     using Options = ...; using Result = ...; using Accumulator = ...;
///     static constexpr const char* where = "mcrise::fn()";  // names the function in messages
///     static constexpr const char* task = "fn";             // Progress::task
///     // The mask colours (RISE: one all-zero fill), after checking the options that make them.
///     static std::vector<Fill> fills(const Image&, const Options&);
///     static void keep_colors(Result&, const std::vector<Fill>&);
///     // The maps of every class into r (with_extras: also what only the final result keeps).
///     static void maps(const Accumulator&, Result& r, bool with_extras);
///     static auto standard_error(const Accumulator&, const Result& r, std::size_t j);
///     static double relative_standard_error(const Result& r, std::size_t j);
///     // maps_on_demand: the accumulator moves into the result.
///     static void defer(Result&, Accumulator&&);
///   };

#include <mcrise/accumulator.hpp>
#include <mcrise/classifier.hpp>
#include <mcrise/fill.hpp>
#include <mcrise/image.hpp>
#include <mcrise/masks.hpp>
#include <mcrise/perturb.hpp>
#include <mcrise/detail/run/adaptive.hpp>
#include <mcrise/detail/checks.hpp>
#include <mcrise/detail/file.hpp>
#include <mcrise/detail/run/driver.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace mcrise {
namespace detail {

/// The drivers' access to the parts' constructors that take arguments already checked.
struct PartsAccess {
  static MaskGenerator generator(int height, int width, int num_colors, const MaskOptions& opt) {
    return MaskGenerator(Checked{}, height, width, num_colors, opt);
  }
  static Perturber perturber(const Image& image, const MaskGenerator& gen, const std::vector<Fill>& fills) {
    return Perturber(Checked{}, image, gen, fills);
  }
};

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
  m.sampler = o.sampler;
  return m;
}

/// Options that check_options() accepted: the masks' and the fills.
struct CheckedOptions {
  MaskOptions masks;
  std::vector<Fill> fills;
};

/// Every rule on an explanation's options, checked once, before the first model call: the run
/// loop's own fields here, each part's fields by their owner (the estimator's colours,
/// MaskOptions::check, GridAccumulator::check_se_groups), and the rules that tie fields together.
/// Throws std::invalid_argument naming Estimator::where, the option and the value.
template <class Estimator>
CheckedOptions check_options(const Image& img, const typename Estimator::Options& o) {
  constexpr const char* where = Estimator::where;
  // The run loop's fields.
  require(where, !img.empty(), "the image is empty (", img.height(), " x ", img.width(), ")");
  check_finite(img, where, "the image");
  check_layout(o.layout, where);
  require(where, o.n_masks >= 1, "n_masks must be >= 1, got ", o.n_masks);
  require(where, o.batch_size >= 1, "batch_size must be >= 1, got ", o.batch_size);
  check_threads(o.threads, where);
  // The batch buffer holds min(batch_size, n_masks) images (two with overlap).
  check_batch_buffers(where,
                      static_cast<double>(std::min<std::int64_t>(o.batch_size, o.n_masks)) * (o.overlap ? 2.0 : 1.0),
                      img, "batch_size " + std::to_string(o.batch_size) + (o.overlap ? " with overlap" : ""));
  for (int c : o.classes) require(where, c >= 0, "class index must be >= 0, got ", c);
  require(where, o.checkpoint_every >= 1, "checkpoint_every must be >= 1, got ", o.checkpoint_every);
  require(where, o.target_relative_se >= 0.0 && std::isfinite(o.target_relative_se),
          "target_relative_se must be finite and >= 0 (0: off), got ", o.target_relative_se);
  // The parts' fields, by their owners.
  CheckedOptions checked{mask_options(o), Estimator::fills(img, o)};
  checked.masks.check(img.height(), img.width(), static_cast<int>(checked.fills.size()), where);
  GridAccumulator::check_se_groups(o.se_groups, where);
  // The rules that tie fields together.
  require(where, !(o.all_classes && !o.classes.empty()), "all_classes computes every class; leave classes empty (got ",
          o.classes.size(), " classes)");
  require(where, !(o.all_classes && o.target_relative_se > 0.0),
          "all_classes computes no standard errors, so target_relative_se must be 0");
  require(where, !(o.target_relative_se > 0.0 && o.se_groups == 0),
          "target_relative_se needs standard errors, but se_groups is 0");
  require(where, !(o.maps_on_demand && !o.all_classes && o.se_groups != 0),
          "maps_on_demand computes no standard errors: set se_groups = 0 (got ", o.se_groups, ")");
  return checked;
}

/// The tag of a checkpointed run's state file: what its sums depend on besides the options the
/// accumulator checks itself (the image and the fill colours; the model cannot be fingerprinted).
/// A hash of a run's fills, continuing `h`: each fill's kind (zero, colour, image), then its
/// colour's or its image's values. Used by the checkpoint tag and by the MPI ranks' agreement.
inline std::uint64_t fills_hash(const std::vector<Fill>& fills, std::uint64_t h = fnv1a64(nullptr, 0)) {
  for (const Fill& f : fills) {
    const unsigned char kind = f.is_image() ? 2 : (f.is_zero() ? 0 : 1);  // a zero fill and an empty colour differ
    h = fnv1a64(&kind, 1, h);
    if (f.is_image()) h = fnv1a64(f.image()->data(), f.image()->size() * sizeof(float), h);
    else h = fnv1a64(f.color().data(), f.color().size() * sizeof(float), h);
  }
  return h;
}

inline std::uint64_t checkpoint_tag(const Image& img, const std::vector<Fill>& fills, Layout layout) {
  const std::int64_t shape[4] = {img.height(), img.width(), img.channels(), static_cast<std::int64_t>(layout)};
  std::uint64_t h = fnv1a64(shape, sizeof shape);
  h = fnv1a64(img.data(), img.size() * sizeof(float), h);
  return fills_hash(fills, h);
}

/// The run of an explanation (see the file comment for the Estimator policy).
///
/// Checkpoints (opt.checkpoint_path not empty): the accumulator keeps sums (never the samples),
/// is saved after the batch that reaches each multiple of checkpoint_every and at the end, and a
/// run that finds a state file resumes from its N (samples N, N+1, ...). Bitwise the same maps
/// as a run never stopped: the samples are pure functions of (seed, n), the sums see them in
/// order, the state holds every sum (groups included), and the adaptive stop replays its
/// schedule over the batch boundaries before N (the same batch_size gives the same boundaries).
///
/// `share` says which samples this process draws: LocalShare, all of them (with checkpoints and
/// adaptive stopping); another share (MPI, mcrise/mpi/explain.hpp) has `void run(first, last, f)`,
/// which calls f(a, b) for each range of samples in [first, last) this process draws (ranges of
/// whole batches), `combine(acc)`, which makes acc the sums of every process's samples (the same
/// bits in every process), `bool keeps_total()`, false in the processes that start each round
/// from empty sums, and `finish()`, called last (where the processes agree that all went well).
/// Such a run goes in rounds: each ends at the batch boundary where the adaptive stop measures
/// next (or at n_masks), so every process measures the same combined sums and takes the same
/// decision at the same boundaries as one process would.
template <class Estimator, class Share, class Classifier, class... Callbacks>
typename Estimator::Result explain_shared([[maybe_unused]] Share& share, Classifier& model, const Image& img,
                                          const typename Estimator::Options& opt, Callbacks&... callbacks) {
  using Result = typename Estimator::Result;
  using Accumulator = typename Estimator::Accumulator;
  CheckedOptions checked = check_options<Estimator>(img, opt);
  const MaskGenerator gen =
      PartsAccess::generator(img.height(), img.width(), static_cast<int>(checked.fills.size()), checked.masks);
  ClassifierRunner<Classifier> run(model, Estimator::where);
  Result res;
  res.sampler = gen.sampler();
  res.classes = resolve_classes(run, img, opt.layout, opt.classes, opt.all_classes, res.scores, Estimator::where);
  Estimator::keep_colors(res, checked.fills);
  const Perturber perturb = PartsAccess::perturber(img, gen, checked.fills);
  const int se_groups = opt.all_classes ? 0 : opt.se_groups;
  // Without standard errors the run's N is known: the accumulator may keep the samples (see RiseAccumulator).
  const bool checkpoints = Share::local && !opt.checkpoint_path.empty();
  Accumulator acc(gen, res.classes, se_groups, opt.threads,
                  se_groups == 0 && !checkpoints && Share::local ? opt.n_masks : 0);
  const std::uint64_t tag = checkpoints ? checkpoint_tag(img, checked.fills, opt.layout) : 0;
  std::int64_t start = 0;
  if (checkpoints && path_exists(opt.checkpoint_path)) {
    acc.load(opt.checkpoint_path, tag);
    start = acc.count();
    require(Estimator::where, start <= opt.n_masks, "the checkpoint '", opt.checkpoint_path, "' holds ", start,
            " masks, more than n_masks = ", opt.n_masks);
  }
  // Maps and standard errors of every class from the samples so far; returns the worst relative SE.
  auto measure = [&](Result& r, bool with_extras) {
    Estimator::maps(acc, r, with_extras);
    r.standard_errors.clear();
    r.relative_standard_errors.clear();
    double worst = 0.0;
    for (std::size_t j = 0; j < r.classes.size() && se_groups != 0; ++j) {
      r.standard_errors.push_back(Estimator::standard_error(acc, r, j));
      r.relative_standard_errors.push_back(Estimator::relative_standard_error(r, j));
      worst = std::max(worst, r.relative_standard_errors.back());
    }
    r.relative_standard_error = se_groups == 0 ? std::numeric_limits<double>::quiet_NaN() : worst;
    return r.relative_standard_error;
  };
  auto stop = make_adaptive_stop(opt.target_relative_se, se_groups * gen.block_size(), [&] {
    Result probe;
    probe.classes = res.classes;
    return measure(probe, false);
  });
  // A checkpoint is saved after a batch, so the accumulator must not lag behind (no window).
  const std::int64_t window =
      driver_window(acc, run.num_classes(), opt.batch_size, opt.n_masks, opt.target_relative_se > 0.0 || checkpoints);
  std::int64_t next_save = (start / opt.checkpoint_every + 1) * opt.checkpoint_every;
  auto save = [&](const Progress& p) {
    if (!checkpoints || p.done < next_save) return;
    acc.save(opt.checkpoint_path, tag);
    next_save = (p.done / opt.checkpoint_every + 1) * opt.checkpoint_every;
  };
  if constexpr (Share::local) {
    // A resumed run first takes the decision the whole run took at the checkpoint's batch boundary.
    stop.resume(start, std::min<std::int64_t>(opt.batch_size, opt.n_masks));
    const bool stopped = start > 0 && stop(Progress{Estimator::task, start, opt.n_masks});
    res.masks_used = stopped ? start
                             : run_masks_pipelined(run, gen, perturb, acc, opt.n_masks, opt.batch_size, opt.threads,
                                                   opt.layout, img.channels(), opt.overlap, opt.buffer, window, start,
                                                   Estimator::task, callbacks..., stop, save);
    if (checkpoints) acc.save(opt.checkpoint_path, tag);
  } else {
    static_cast<void>(save);
    const std::int64_t B = std::min<std::int64_t>(opt.batch_size, opt.n_masks);
    std::int64_t done = 0;
    for (bool stopped = false; done < opt.n_masks && !stopped;) {
      // The first batch boundary at or past the next measurement, and past `done`.
      const std::int64_t next = std::max(stop.next_measurement(), done + 1);
      const std::int64_t end = next >= opt.n_masks ? opt.n_masks : std::min(opt.n_masks, (next + B - 1) / B * B);
      if (done > 0 && !share.keeps_total())
        acc = Accumulator(gen, res.classes, se_groups, opt.threads, 0);  // the total stays with one process
      share.run(done, end, [&](std::int64_t first, std::int64_t last) {
        run_masks_pipelined(run, gen, perturb, acc, last, opt.batch_size, opt.threads, opt.layout, img.channels(),
                            opt.overlap, opt.buffer, window, first, Estimator::task, callbacks...);
      });
      share.combine(acc);
      done = end;
      stopped = stop(Progress{Estimator::task, done, opt.n_masks});
    }
    res.masks_used = done;
  }
  if (opt.maps_on_demand && acc.count() > 0)
    Estimator::defer(res, std::move(acc));
  else
    measure(res, true);
  res.se_groups = se_groups;
  res.target_reached = opt.target_relative_se > 0.0 && res.relative_standard_error <= opt.target_relative_se;
  res.complete = res.masks_used == opt.n_masks || res.target_reached;
  if constexpr (!Share::local) share.finish();
  return res;
}

/// The share of a run in one process: every sample.
struct LocalShare {
  static constexpr bool local = true;
};

/// The run of an explanation in this process (see explain_shared).
template <class Estimator, class Classifier, class... Callbacks>
typename Estimator::Result explain(Classifier& model, const Image& img, const typename Estimator::Options& opt,
                                   Callbacks&... callbacks) {
  LocalShare share;
  return explain_shared<Estimator>(share, model, img, opt, callbacks...);
}

}  // namespace detail
}  // namespace mcrise
