#pragma once
/// @file mpi/agreement.hpp
/// @brief How the MPI functions end the same way on every rank: at each of their collective
///        points every rank reports "fine" or its error (one MPI_Allgather of a length and one
///        MPI_Allgatherv of the reports), and if any rank failed, every rank throws. The rank that
///        failed rethrows its own exception untouched; the others throw an exception that names
///        the failed rank and carries its message (std::invalid_argument if the failed rank's
///        was one, else std::runtime_error). mcrise::mpi::together() offers the same to a caller's
///        own work. Optional component: needs MPI (Debian package libopenmpi-dev) and the CMake
///        target mcrise::mpi.

#if !__has_include(<mpi.h>)
#error "mcrise/mpi/agreement.hpp needs MPI: apt-get install libopenmpi-dev and link mcrise::mpi"
#else

// The C API only: Open MPI's and MPICH's old C++ bindings are skipped (they draw warnings).
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mcrise {
namespace mpi {
namespace detail {

/// Throws std::runtime_error naming the MPI call unless rc is MPI_SUCCESS.
inline void check_mpi(int rc, const char* call) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string("mcrise::mpi: ") + call + " failed (error " +
                                                  std::to_string(rc) + ")");
}

/// Every rank's `mine`, in rank order, on every rank (collective: one MPI_Allgather of the
/// lengths, one MPI_Allgatherv of the bytes).
inline std::vector<std::string> all_gather_text(MPI_Comm comm, const std::string& mine) {
  int size = 1;
  check_mpi(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  if (mine.size() > static_cast<std::size_t>(INT_MAX))
    throw std::invalid_argument("mcrise::mpi: a rank's report is " + std::to_string(mine.size()) +
                                " bytes, over the 2 GiB of one MPI message");
  int len = static_cast<int>(mine.size());
  std::vector<int> lens(static_cast<std::size_t>(size)), at(static_cast<std::size_t>(size));
  check_mpi(MPI_Allgather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, comm), "MPI_Allgather");
  long long total = 0;
  for (int r = 0; r < size; ++r) {
    at[static_cast<std::size_t>(r)] = static_cast<int>(total);
    total += lens[static_cast<std::size_t>(r)];
  }
  if (total > INT_MAX)
    throw std::invalid_argument("mcrise::mpi: the ranks' reports are " + std::to_string(total) +
                                " bytes, over the 2 GiB of one MPI message");
  std::string all(static_cast<std::size_t>(total), '\0');
  check_mpi(MPI_Allgatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), at.data(), MPI_CHAR, comm),
            "MPI_Allgatherv");
  std::vector<std::string> out;
  for (int r = 0; r < size; ++r)
    out.push_back(all.substr(static_cast<std::size_t>(at[static_cast<std::size_t>(r)]),
                             static_cast<std::size_t>(lens[static_cast<std::size_t>(r)])));
  return out;
}

/// One named value every rank must pass alike (a field of the options, or a hash of the image).
struct Field {
  const char* name;      ///< as the options struct spells it ("n_masks"), or "image"
  std::uint64_t value;   ///< the value, or its bits, or a hash
  char kind;             ///< 'i' integer, 'u' unsigned, 'r' real (the bits of a double), 'h' a hash
};

/// The value of a field as a message shows it (a hash is not shown).
inline std::string field_text(const Field& f) {
  if (f.kind == 'i') return std::to_string(static_cast<std::int64_t>(f.value));
  if (f.kind == 'u') return std::to_string(f.value);
  if (f.kind == 'r') {
    double d = 0.0;
    std::memcpy(&d, &f.value, sizeof d);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    return buf;
  }
  return "(hash " + std::to_string(f.value) + ")";
}

/// The collective points of one MPI call (see the file comment). A report is one byte of kind
/// ('.' fine, 'I' failed with std::invalid_argument, 'E' failed otherwise, 'F' fine with the
/// fields that follow) and the message or the fields.
///
/// Every rank runs the same sequence of collective steps, and an error between two of them is
/// reported at the next one (fail()), where the other ranks wait. An error inside a collective
/// step (an agreed failure, an MPI error) is rethrown without another step: every rank is then at
/// the same step. The call's last step is finish(): after it no rank reports anything, since the
/// others may have returned.
class Agreement {
 public:
  /// @param where the public function ("mcrise::mpi::mc_rise()"), for the messages
  Agreement(MPI_Comm comm, const char* where) : comm_(comm), where_(where) {
    check_mpi(MPI_Comm_rank(comm, &rank_), "MPI_Comm_rank");
    check_mpi(MPI_Comm_size(comm, &size_), "MPI_Comm_size");
  }

  int rank() const noexcept { return rank_; }
  int size() const noexcept { return size_; }
  MPI_Comm comm() const noexcept { return comm_; }
  const char* where() const noexcept { return where_; }

  /// Runs a collective step `step()` of the caller's own (every rank runs it at the same point):
  /// an error inside it is not reported again.
  template <class Step>
  void collective(Step&& step) {
    between_ = false;
    step();
    between_ = true;
  }

  /// The call's last collective step: every rank is fine, or every rank throws (see agree()).
  void finish() {
    agree();
    between_ = false;
  }

  /// A collective point at which this rank is fine: throws on every rank if any rank failed,
  /// std::invalid_argument if any rank's `fields` differ from rank 0's (naming the first field
  /// and both values). Returns the reports' payloads (`payload` of every rank, in rank order).
  std::vector<std::string> agree(const std::vector<Field>& fields = {}, const std::string& payload = "") {
    between_ = false;
    std::string mine = fields.empty() ? "." : "F";
    if (!fields.empty()) {
      for (const Field& f : fields) mine.append(reinterpret_cast<const char*>(&f.value), sizeof f.value);
    }
    mine += payload;
    std::vector<std::string> all = all_gather_text(comm_, mine);
    throw_if_failed(all, nullptr);
    std::vector<std::string> out;
    const std::size_t fixed = fields.size() * sizeof(std::uint64_t);
    for (int r = 0; r < size_; ++r) {
      const std::string& rep = all[static_cast<std::size_t>(r)];
      const bool has_fields = rep[0] == 'F';
      if (has_fields != !fields.empty() || rep.size() < 1 + fixed)
        throw std::logic_error(std::string(where_) + ": rank " + std::to_string(r) +
                               " reached another collective point (the ranks call different functions)");
      for (std::size_t k = 0; k < fields.size(); ++k) {
        std::uint64_t v = 0;
        std::memcpy(&v, rep.data() + 1 + k * sizeof v, sizeof v);
        std::uint64_t v0 = 0;
        std::memcpy(&v0, all[0].data() + 1 + k * sizeof v0, sizeof v0);
        if (v != v0) {
          Field theirs = fields[k], first = fields[k];
          theirs.value = v;
          first.value = v0;
          const std::string what = fields[k].kind == 'h'
                                       ? " differs from rank 0's"
                                       : " is " + field_text(theirs) + " and rank 0's is " + field_text(first);
          throw std::invalid_argument(std::string(where_) + ": every rank must pass the same image and options, but " +
                                      "rank " + std::to_string(r) + "'s " + fields[k].name + what);
        }
      }
      out.push_back(rep.substr(1 + fixed));
    }
    between_ = true;
    return out;
  }

  /// Called with the exception that ends this rank's work: reports it at the collective step
  /// the other ranks wait at (if this rank was between two), then rethrows it. Never returns.
  [[noreturn]] void fail(std::exception_ptr error) {
    if (!between_) std::rethrow_exception(error);
    between_ = false;
    std::string mine = "E";
    try {
      std::rethrow_exception(error);
    } catch (const std::invalid_argument& e) {
      mine = std::string("I") + e.what();
    } catch (const std::exception& e) {
      mine += e.what();
    } catch (...) {
      mine += "an exception that is not a std::exception";
    }
    const std::vector<std::string> all = all_gather_text(comm_, mine);
    throw_if_failed(all, &error);
    std::rethrow_exception(error);  // not reached: this rank's report is a failure
  }

 private:
  // Throws if a report is a failure: this rank's own exception if it is one of them, else an
  // exception naming the first failed rank (and how many failed).
  void throw_if_failed(const std::vector<std::string>& all, const std::exception_ptr* own) const {
    int first = -1, failed = 0;
    for (int r = 0; r < size_; ++r) {
      const char k = all[static_cast<std::size_t>(r)].empty() ? '?' : all[static_cast<std::size_t>(r)][0];
      if (k == 'I' || k == 'E') {
        ++failed;
        if (first < 0) first = r;
      }
    }
    if (failed == 0) return;
    if (own != nullptr) std::rethrow_exception(*own);
    const std::string& rep = all[static_cast<std::size_t>(first)];
    std::string msg = std::string(where_) + ": rank " + std::to_string(first) + " failed: " + rep.substr(1);
    if (failed > 1) msg += " (and " + std::to_string(failed - 1) + " more rank" + (failed > 2 ? "s" : "") + " failed)";
    if (rep[0] == 'I') throw std::invalid_argument(msg);
    throw std::runtime_error(msg);
  }

  MPI_Comm comm_;
  const char* where_;
  int rank_ = 0, size_ = 1;
  bool between_ = true;  // between two collective steps (or before the first)
};

}  // namespace detail

/// @brief Runs `work()` on every rank of `comm` and ends the same way on every rank (collective:
///        every rank calls it). If work() throws on any rank, every rank throws: that rank its own
///        exception, untouched; the others an exception naming the failed rank with its message
///        (std::invalid_argument if the failed rank's was one, else std::runtime_error).
/// @param work a callable taking no arguments; its return value is ignored
/// @param comm the communicator (every rank of it must call)
/// @param where the caller's name, the start of the other ranks' messages (e.g. "my_tool")
/// @throws whatever work() throws on this rank; as above when it threw on another rank;
///         std::runtime_error if an MPI call fails.
template <class Work>
void together(Work&& work, MPI_Comm comm = MPI_COMM_WORLD, const char* where = "mcrise::mpi::together()") {
  detail::Agreement agreement(comm, where);
  try {
    work();
  } catch (...) {
    agreement.fail(std::current_exception());
  }
  agreement.finish();
}

}  // namespace mpi
}  // namespace mcrise

#endif  // __has_include(<mpi.h>)
