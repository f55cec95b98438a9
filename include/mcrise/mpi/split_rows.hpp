#pragma once
/// @file mpi/split_rows.hpp
/// @brief A data set over the ranks of an MPI communicator: items (images) 0..n-1 are computed
///        one per rank per round and written by rank 0 in item order, each once. Optional
///        component: needs MPI (Debian package libopenmpi-dev) and the CMake target mcrise::mpi.

#if !__has_include(<mpi.h>)
#error "mcrise/mpi/split_rows.hpp needs MPI: apt-get install libopenmpi-dev and link mcrise::mpi"
#else

#include <mcrise/mpi/agreement.hpp>

#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcrise {
namespace mpi {

/// @brief Computes items 0..n-1 over the ranks of `comm` and writes them on rank 0 in item order
///        (collective: every rank calls it with the same n). Round k gives item k·P + r to rank r
///        (P ranks); after each round the rows are gathered (one MPI_Allgather of their lengths,
///        one MPI_Allgatherv of their text) and rank 0 calls write() for them in item order, so the
///        rows come out in the same order as from one process, and each once. Memory: one round's
///        rows. To resume a data set, pass the items still missing (n of them) and map i to them.
///
/// Faults end the call on every rank (mpi/agreement.hpp): if compute() throws on a rank, every
/// rank throws at the end of that round, and if write() throws on rank 0, at the end of the next
/// (the rank that failed its own exception, the others one naming that rank and its message); the
/// rows of the rounds before the failed one are written. A rank killed part-way is the launcher's to end
/// (mpirun ends the job; under Slurm use srun --kill-on-bad-exit=1).
///
/// @param n number of items, >= 0, the same on every rank
/// @param compute callable std::string(std::int64_t i), i in [0, n): the row of item i; runs on the
///        rank that owns the item
/// @param write callable void(std::int64_t i, const std::string& row): called on rank 0 only, for
///        i = 0, 1, ..., n-1 in order
/// @param comm the communicator (every rank of it must call)
/// @throws std::invalid_argument on every rank if n < 0 or n differs between ranks; whatever
///         compute() or write() throws, on every rank as above; std::runtime_error if an MPI call
///         fails.
template <class Compute, class Write>
void split_rows(std::int64_t n, Compute&& compute, Write&& write, MPI_Comm comm = MPI_COMM_WORLD) {
  constexpr const char* where = "mcrise::mpi::split_rows()";
  detail::Agreement agreement(comm, where);
  try {
    if (n < 0) throw std::invalid_argument(std::string(where) + ": n must be >= 0, got " + std::to_string(n));
    agreement.agree({{"n", static_cast<std::uint64_t>(n), 'i'}});
    const std::int64_t P = agreement.size();
    for (std::int64_t k = 0; k * P < n; ++k) {
      const std::int64_t mine = k * P + agreement.rank();
      const std::vector<std::string> rows = agreement.agree({}, mine < n ? "+" + std::string(compute(mine)) : "-");
      // Rank 0's write errors are reported at the next step (the next round's, or finish()).
      for (std::int64_t r = 0; r < P && agreement.rank() == 0; ++r)
        if (rows[static_cast<std::size_t>(r)][0] == '+') write(k * P + r, rows[static_cast<std::size_t>(r)].substr(1));
    }
    agreement.finish();
  } catch (...) {
    agreement.fail(std::current_exception());
  }
}

}  // namespace mpi
}  // namespace mcrise

#endif  // __has_include(<mpi.h>)
