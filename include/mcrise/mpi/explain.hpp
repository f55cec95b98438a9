#pragma once
/// @file mpi/explain.hpp
/// @brief One explanation (rise, debiased_rise, mc_rise) spread over the ranks of an MPI
///        communicator: each rank draws a disjoint share of the masks (ranges of consecutive
///        mask numbers, dealt round-robin), runs the model on its share, and the ranks' sums are
///        combined on every rank, so every rank returns the whole result. Optional component:
///        needs MPI (Debian package libopenmpi-dev) and the CMake target mcrise::mpi.
///
/// The maps equal the single-process maps of the same number of masks up to the order of the
/// additions (within about 1e-15 of their largest value; standard errors, kept in float group
/// sums, within about 1e-6), and are the same bits on every run with the same number of ranks.
/// With target_relative_se the run goes in rounds: each ends at the batch boundary where one
/// process would measure the standard error next; there the ranks combine their sums, and every
/// rank measures the same combined sums, so all stop together, at the boundary one process would
/// (up to the float rounding of the group sums). Not supported: checkpoint_path (refused).
///
/// Faults: every rank must call with the same image and options; the first collective step
/// compares them (a hash of the image, and every option that changes the result or the split)
/// and every rank throws std::invalid_argument naming the first that differs. An exception on
/// one rank (a bad option, the model, memory) is reported at the next collective step, and every
/// rank throws (mpi/agreement.hpp): none is left waiting. A rank that dies is the launcher's to
/// end (mpirun ends the job; under Slurm use srun --kill-on-bad-exit=1).
///
/// Communication: per round the agreement (a few bytes per rank), then one MPI_Allgather of every
/// rank's state (docs/checkpoints.md: about the size of the sums and the standard-error group
/// sums); one last agreement at the end. Without target_relative_se there is one round.

#if !__has_include(<mpi.h>)
#error "mcrise/mpi/explain.hpp needs MPI: apt-get install libopenmpi-dev and link mcrise::mpi"
#else

#include <mcrise/mpi/agreement.hpp>

#include <mcrise/mc_rise.hpp>
#include <mcrise/rise.hpp>
#include <mcrise/detail/checks.hpp>
#include <mcrise/detail/run/explain.hpp>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace mcrise {
namespace mpi {
namespace detail {

/// The share of one rank: ranges of `chunk` consecutive masks, range c to rank c mod size.
struct MpiShare {
  static constexpr bool local = false;
  Agreement& agreement;
  int batch = 1;

  /// Calls f(a, b) for this rank's ranges of [first, last) (first: a batch boundary).
  template <class F>
  void run(std::int64_t first, std::int64_t last, F&& f) const {
    // About 4 ranges per rank, whole batches each: a deterministic split of (last - first, size, batch).
    const std::int64_t n = last - first, size = agreement.size();
    const std::int64_t per = (n + 4 * size - 1) / (4 * size);
    const std::int64_t chunk = std::max<std::int64_t>(batch, (per + batch - 1) / batch * batch);
    for (std::int64_t c = agreement.rank(); c * chunk < n; c += size)
      f(first + c * chunk, first + std::min(n, (c + 1) * chunk));
  }

  /// Rank 0 keeps the total between rounds; the others start each round from empty sums.
  bool keeps_total() const noexcept { return agreement.rank() == 0; }

  /// Makes acc the sums of every rank's samples, added in rank order (the same bits on every
  /// rank), after every rank said it is fine.
  template <class Accumulator>
  void combine(Accumulator& acc) const {
    const std::vector<unsigned char> mine = acc.to_bytes();
    mcrise::detail::require("mcrise::mpi", mine.size() <= static_cast<std::size_t>(INT_MAX), "a rank's state is ",
                            mine.size(), " bytes, over the 2 GiB of one MPI message");
    agreement.agree();
    const int bytes = static_cast<int>(mine.size());
    const int size = agreement.size();
    std::vector<unsigned char> all(mine.size() * static_cast<std::size_t>(size));
    agreement.collective([&] {
      check_mpi(MPI_Allgather(mine.data(), bytes, MPI_UNSIGNED_CHAR, all.data(), bytes, MPI_UNSIGNED_CHAR,
                              agreement.comm()),
                "MPI_Allgather");
    });
    // The same on every rank; an error here (memory) is reported at the next step.
    Accumulator other = acc;
    for (int r = 0; r < size; ++r) {
      const auto at = all.begin() + static_cast<std::ptrdiff_t>(mine.size()) * r;
      const std::vector<unsigned char> part(at, at + bytes);
      if (r == 0) {
        acc.from_bytes(part, 0, "rank 0's state");
      } else {
        other.from_bytes(part, 0, "rank " + std::to_string(r) + "'s state");
        acc.merge(other);
      }
    }
  }

  /// The run's last step: every rank is fine, or every rank throws.
  void finish() const { agreement.finish(); }
};

/// A double as a Field.
inline Field real_field(const char* name, double v) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  return {name, bits, 'r'};
}

/// What every rank must pass alike: the function, a hash of the image, and every option that
/// changes the result or the split of the masks (not threads, overlap or buffer).
template <class Estimator>
std::vector<Field> fields_of(const Image& img, const typename Estimator::Options& o) {
  using mcrise::detail::fnv1a64;
  std::uint64_t image = fnv1a64(img.data(), img.size() * sizeof(float));
  std::uint64_t classes = fnv1a64(o.classes.data(), o.classes.size() * sizeof(int));
  std::vector<Field> f{{"function", fnv1a64(Estimator::task, std::strlen(Estimator::task)), 'h'},
                       {"image height", static_cast<std::uint64_t>(img.height()), 'i'},
                       {"image width", static_cast<std::uint64_t>(img.width()), 'i'},
                       {"image channels", static_cast<std::uint64_t>(img.channels()), 'i'},
                       {"image", image, 'h'},
                       {"classes", classes, 'h'},
                       {"n_masks", static_cast<std::uint64_t>(o.n_masks), 'i'},
                       real_field("mask_probability", o.mask_probability),
                       {"grid_h", static_cast<std::uint64_t>(o.grid_h), 'i'},
                       {"grid_w", static_cast<std::uint64_t>(o.grid_w), 'i'},
                       {"seed", o.seed, 'u'},
                       {"batch_size", static_cast<std::uint64_t>(o.batch_size), 'i'},
                       {"layout", static_cast<std::uint64_t>(o.layout), 'i'},
                       {"upsampling", static_cast<std::uint64_t>(o.upsampling), 'i'},
                       {"random_shift", static_cast<std::uint64_t>(o.random_shift), 'i'},
                       {"se_groups", static_cast<std::uint64_t>(o.se_groups), 'i'},
                       real_field("target_relative_se", o.target_relative_se),
                       {"sampler", static_cast<std::uint64_t>(o.sampler), 'i'},
                       {"all_classes", static_cast<std::uint64_t>(o.all_classes), 'i'},
                       {"maps_on_demand", static_cast<std::uint64_t>(o.maps_on_demand), 'i'}};
  if constexpr (std::is_same_v<typename Estimator::Options, McRiseOptions>)
    f.push_back(real_field("value_max", o.value_max));
  // The fills the run will use (MC-RISE's colours or fills, RISE's fill; checked here, as the run
  // would): the same hash as the checkpoint tag's.
  f.push_back({"fill", mcrise::detail::fills_hash(Estimator::fills(img, o)), 'h'});
  return f;
}

/// The MPI run of Estimator (see the file comment): agreed options, then the shared run.
template <class Estimator, class Classifier>
typename Estimator::Result explain_over(const char* where, MPI_Comm comm, Classifier& model, const Image& img,
                                        const typename Estimator::Options& o) {
  Agreement agreement(comm, where);
  try {
    mcrise::detail::require(where, o.checkpoint_path.empty(), "checkpoint_path is not supported over MPI, got '",
                            o.checkpoint_path, "'");
    agreement.agree(fields_of<Estimator>(img, o));
    MpiShare share{agreement, std::max(1, o.batch_size)};
    return mcrise::detail::explain_shared<Estimator>(share, model, img, o);
  } catch (...) {
    agreement.fail(std::current_exception());
  }
}

}  // namespace detail

/// @brief mcrise::mc_rise() over the ranks of `comm` (collective: every rank calls it with the same
///        image and options, after MPI_Init). Each rank runs the model on about n_masks / ranks masks;
///        with target_relative_se the ranks stop together (see the file comment).
/// @return on every rank, the result of the whole run (see the file comment for its precision)
/// @throws as mcrise::mc_rise() on every rank when it throws on one (the others name that rank);
///         std::invalid_argument for a checkpoint_path, or for an image or option that differs
///         between ranks (naming it); std::runtime_error if an MPI call fails.
template <class Classifier>
McRiseResult mc_rise(Classifier&& model, const Image& image, const McRiseOptions& options = {},
                     MPI_Comm comm = MPI_COMM_WORLD) {
  return detail::explain_over<mcrise::detail::McRiseEstimator>("mcrise::mpi::mc_rise()", comm, model, image, options);
}

/// @brief mcrise::rise() over the ranks of `comm` (see mpi::mc_rise).
/// @throws as mpi::mc_rise.
template <class Classifier>
SaliencyResult rise(Classifier&& model, const Image& image, const RiseOptions& options = {},
                    MPI_Comm comm = MPI_COMM_WORLD) {
  return detail::explain_over<mcrise::detail::RiseEstimator<mcrise::detail::RiseKind::plain>>(
      "mcrise::mpi::rise()", comm, model, image, options);
}

/// @brief mcrise::debiased_rise() over the ranks of `comm` (see mpi::mc_rise).
/// @throws as mpi::mc_rise.
template <class Classifier>
SaliencyResult debiased_rise(Classifier&& model, const Image& image, const RiseOptions& options = {},
                             MPI_Comm comm = MPI_COMM_WORLD) {
  return detail::explain_over<mcrise::detail::RiseEstimator<mcrise::detail::RiseKind::debiased>>(
      "mcrise::mpi::debiased_rise()", comm, model, image, options);
}

}  // namespace mpi
}  // namespace mcrise

#endif  // __has_include(<mpi.h>)
