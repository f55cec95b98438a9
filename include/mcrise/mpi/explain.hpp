#pragma once
/// @file mpi/explain.hpp
/// @brief One explanation (rise, debiased_rise, mc_rise) spread over the ranks of an MPI
///        communicator: each rank draws a disjoint share of the masks (ranges of consecutive
///        mask numbers, dealt round-robin), runs the model on its share, and the ranks' sums are
///        combined on every rank, so every rank returns the whole result. Optional component:
///        needs MPI (Debian package libopenmpi-dev) and the CMake target mcrise::mpi.
///
/// The maps equal the single-process maps up to the order of the additions (within about 1e-15
/// of their largest value; standard errors, kept in float group sums, within about 1e-6), and are
/// the same bits on every run with the same number of ranks. Every rank must call with the same
/// image and options. Not supported here: target_relative_se (adaptive stopping) and
/// checkpoint_path (checkpoints); both are refused.
///
/// Communication: one MPI_Allgather of every rank's state (docs/checkpoints.md: about the size
/// of the sums and the standard-error group sums), after the model calls.

#if !__has_include(<mpi.h>)
#error "mcrise/mpi/explain.hpp needs MPI: apt-get install libopenmpi-dev and link mcrise::mpi"
#else

// The C API only: Open MPI's and MPICH's old C++ bindings are skipped (they draw warnings).
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <mcrise/mc_rise.hpp>
#include <mcrise/rise.hpp>
#include <mcrise/detail/checks.hpp>
#include <mcrise/detail/run/explain.hpp>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcrise {
namespace mpi {
namespace detail {

/// Throws std::runtime_error naming the MPI call unless rc is MPI_SUCCESS.
inline void check_mpi(int rc, const char* call) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string("mcrise::mpi: ") + call + " failed (error " +
                                                  std::to_string(rc) + ")");
}

/// The share of one rank: ranges of `chunk` consecutive masks, range c to rank c mod size.
struct MpiShare {
  static constexpr bool local = false;
  MPI_Comm comm;
  int rank = 0, size = 1;
  int batch = 1;

  /// Calls f(first, last) for this rank's ranges of [0, n); returns n.
  template <class F>
  std::int64_t run(std::int64_t n, F&& f) const {
    // About 4 ranges per rank, whole batches each: a deterministic split of (n, size, batch).
    const std::int64_t per = (n + 4 * static_cast<std::int64_t>(size) - 1) / (4 * static_cast<std::int64_t>(size));
    const std::int64_t chunk = std::max<std::int64_t>(batch, (per + batch - 1) / batch * batch);
    for (std::int64_t c = rank; c * chunk < n; c += size) f(c * chunk, std::min(n, (c + 1) * chunk));
    return n;
  }

  /// Makes acc the sums of every rank's samples, added in rank order (the same bits on every rank).
  template <class Accumulator>
  void combine(Accumulator& acc) const {
    const std::vector<unsigned char> mine = acc.to_bytes();
    mcrise::detail::require("mcrise::mpi", mine.size() <= static_cast<std::size_t>(INT_MAX), "a rank's state is ",
                            mine.size(), " bytes, over the 2 GiB of one MPI message");
    const int bytes = static_cast<int>(mine.size());
    std::vector<unsigned char> all(mine.size() * static_cast<std::size_t>(size));
    check_mpi(MPI_Allgather(mine.data(), bytes, MPI_UNSIGNED_CHAR, all.data(), bytes, MPI_UNSIGNED_CHAR, comm),
              "MPI_Allgather");
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
};

/// The share of this rank of `comm`, after checking the options the MPI run refuses.
template <class Options>
MpiShare share_of(MPI_Comm comm, const Options& o, const char* where) {
  mcrise::detail::require(where, o.target_relative_se == 0.0,
                          "target_relative_se (adaptive stopping) is not supported over MPI, got ",
                          o.target_relative_se);
  mcrise::detail::require(where, o.checkpoint_path.empty(), "checkpoint_path is not supported over MPI, got '",
                          o.checkpoint_path, "'");
  MpiShare s{comm};
  check_mpi(MPI_Comm_rank(comm, &s.rank), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(comm, &s.size), "MPI_Comm_size");
  s.batch = std::max(1, o.batch_size);
  return s;
}

}  // namespace detail

/// @brief mcrise::mc_rise() over the ranks of `comm` (collective: every rank calls it with the same
///        image and options, after MPI_Init). Each rank runs the model on about n_masks / ranks masks.
/// @return on every rank, the result of the whole run (see the file comment for its precision)
/// @throws as mcrise::mc_rise(); std::invalid_argument for target_relative_se > 0 or a checkpoint_path;
///         std::runtime_error if an MPI call fails.
template <class Classifier>
McRiseResult mc_rise(Classifier&& model, const Image& image, const McRiseOptions& options = {},
                     MPI_Comm comm = MPI_COMM_WORLD) {
  auto share = detail::share_of(comm, options, "mcrise::mpi::mc_rise()");
  return mcrise::detail::explain_shared<mcrise::detail::McRiseEstimator>(share, model, image, options);
}

/// @brief mcrise::rise() over the ranks of `comm` (see mpi::mc_rise).
/// @throws as mpi::mc_rise.
template <class Classifier>
SaliencyResult rise(Classifier&& model, const Image& image, const RiseOptions& options = {},
                    MPI_Comm comm = MPI_COMM_WORLD) {
  auto share = detail::share_of(comm, options, "mcrise::mpi::rise()");
  return mcrise::detail::explain_shared<mcrise::detail::RiseEstimator<mcrise::detail::RiseKind::plain>>(
      share, model, image, options);
}

/// @brief mcrise::debiased_rise() over the ranks of `comm` (see mpi::mc_rise).
/// @throws as mpi::mc_rise.
template <class Classifier>
SaliencyResult debiased_rise(Classifier&& model, const Image& image, const RiseOptions& options = {},
                             MPI_Comm comm = MPI_COMM_WORLD) {
  auto share = detail::share_of(comm, options, "mcrise::mpi::debiased_rise()");
  return mcrise::detail::explain_shared<mcrise::detail::RiseEstimator<mcrise::detail::RiseKind::debiased>>(
      share, model, image, options);
}

}  // namespace mpi
}  // namespace mcrise

#endif  // __has_include(<mpi.h>)
