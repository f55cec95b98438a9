#pragma once
// What the MPI test programs share: this rank, the count of failed checks, and the end of a
// program, where the ranks add up their failures (exit status 0 only if none failed anywhere).
#include <mpi.h>

#include <cstdio>
#include <string>

namespace mpi_test {

inline int failures = 0;  ///< failed checks on this rank
inline int rank = 0, size = 1;

/// MPI_Init, then this rank and the number of ranks.
inline void start(int& argc, char**& argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
}

/// Counts a failed check and says which, naming the rank.
inline void expect(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    std::fprintf(stderr, "rank %d: FAILED: %s\n", rank, what.c_str());
  }
}

/// The failures of every rank added up; rank 0 prints the verdict; MPI_Finalize; the exit status.
inline int finish(const char* program) {
  int all = 0;
  MPI_Allreduce(&failures, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) std::printf("%s: %s\n", program, all == 0 ? "all passed" : "FAILED");
  MPI_Finalize();
  return all == 0 ? 0 : 1;
}

}  // namespace mpi_test
