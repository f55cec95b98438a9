// Faults across ranks under mpirun (-np 2 or 3, as ctest runs it with a timeout): a model that
// throws on one rank, an option or image that differs on one rank, and an option that is bad on one
// rank end the call on every rank, with an exception that carries the error, and no rank is left
// waiting (the next call on the same communicator works). With the argument `kill`, the last rank
// kills itself part-way: mpirun must end the job (the test expects a failure, not a hang).
// Exit status 0 when every check passed on every rank; a failure prints what differs.
#include <mcrise/mpi/explain.hpp>

#include "mpi/support.hpp"

#include <mpi.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using mpi_test::expect;
using mpi_test::failures;
using mpi_test::rank;
using mpi_test::size;

// The model's own exception type: the failing rank must get it untouched.
struct ModelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A linear model of the first pixels; on rank `bad_rank`, after `calls_before` calls, it throws
// (or kills its process).
struct Model {
  int bad_rank = -1;
  int calls_before = 0;
  bool kill = false;
  int calls = 0;
  Eigen::MatrixXf operator()(const mcrise::ImageBatch& b) {
    if (rank == bad_rank && calls++ >= calls_before) {
      if (kill) std::raise(SIGKILL);
      throw ModelError("model failed on rank " + std::to_string(rank));
    }
    Eigen::MatrixXf out(b.size(), 2);
    for (int i = 0; i < b.size(); ++i) {
      const mcrise::Image im = b.image(i);
      out(i, 0) = 0.3f * im(0, 0, 0) + 0.2f * im(1, 2, 1);
      out(i, 1) = 1.0f - out(i, 0);
    }
    return out;
  }
};

mcrise::Image test_image(float shift) {
  mcrise::Image img(12, 10, 3);
  for (int y = 0; y < 12; ++y)
    for (int x = 0; x < 10; ++x)
      for (int k = 0; k < 3; ++k) img(y, x, k) = 0.5f + 0.4f * std::sin(0.5f * static_cast<float>(y + 2 * x + k) + shift);
  return img;
}

// Runs call() on this rank; expects an exception of type E on this rank whose message holds `text`.
template <class E, class Call>
void expect_throw(const char* name, Call&& call, const std::string& text) {
  try {
    call();
    expect(false, std::string(name) + ": no exception");
  } catch (const E& e) {
    expect(std::strstr(e.what(), text.c_str()) != nullptr,
           std::string(name) + ": the message '" + e.what() + "' lacks '" + text + "'");
  } catch (const std::exception& e) {
    expect(false, std::string(name) + ": an exception of another type: " + e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  mpi_test::start(argc, argv);
  const int last = size - 1;
  const mcrise::Image img = test_image(0.0f);
  mcrise::McRiseOptions o;
  o.classes = {0};
  o.n_masks = 400;
  o.batch_size = 16;
  o.grid_h = o.grid_w = 3;
  o.se_groups = 8;
  o.threads = 1;

  if (argc > 1 && std::string(argv[1]) == "kill") {
    Model m{last, 3, true};
    mcrise::mpi::mc_rise(m, img, o);  // the last rank dies in its third batch; mpirun ends the job
    std::printf("rank %d: not ended\n", rank);
    MPI_Finalize();
    return 1;
  }

  // The model throws on the last rank at its first call (the scores of the image) or in its first
  // batch: its own exception there, the others name it and carry its message (the other ranks
  // run their share, then learn of it).
  for (int calls_before : {0, 1}) {
    Model m{last, calls_before};
    const std::string text = "model failed on rank " + std::to_string(last);
    if (rank == last)
      expect_throw<ModelError>("throw in the first round", [&] { mcrise::mpi::mc_rise(m, img, o); }, text);
    else
      expect_throw<std::runtime_error>("throw in the first round", [&] { mcrise::mpi::mc_rise(m, img, o); },
                                       "mcrise::mpi::mc_rise(): rank " + std::to_string(last) + " failed: " + text);
  }
  // The same in a later round of an adaptive run (after the ranks combined their sums once).
  {
    mcrise::McRiseOptions a = o;
    a.n_masks = 4000;
    a.target_relative_se = 1e-9;  // never reached: every round runs
    Model m{last, 40};
    const std::string text = "model failed on rank " + std::to_string(last);
    if (rank == last)
      expect_throw<ModelError>("throw in a later round", [&] { mcrise::mpi::mc_rise(m, img, a); }, text);
    else
      expect_throw<std::runtime_error>("throw in a later round", [&] { mcrise::mpi::mc_rise(m, img, a); }, text);
  }
  // An option that differs on one rank: every rank names it and both values.
  {
    mcrise::McRiseOptions mine = o;
    if (rank == last) mine.n_masks = 300;
    Model m;
    expect_throw<std::invalid_argument>(
        "n_masks differs", [&] { mcrise::mpi::mc_rise(m, img, mine); },
        "every rank must pass the same image and options, but rank " + std::to_string(last) +
            "'s n_masks is 300 and rank 0's is 400");
  }
  // An image that differs on one rank.
  {
    const mcrise::Image other = test_image(rank == last ? 1.0f : 0.0f);
    Model m;
    mcrise::RiseOptions r;
    r.n_masks = 64;
    r.threads = 1;
    expect_throw<std::invalid_argument>("image differs", [&] { mcrise::mpi::rise(m, other, r); },
                                        "rank " + std::to_string(last) + "'s image differs from rank 0's");
  }
  // A fill that differs on one rank (the same image, another blur; and MC-RISE's colours).
  {
    const mcrise::Image img2 = test_image(0.5f);
    Model m;
    mcrise::RiseOptions r;
    r.n_masks = 64;
    r.threads = 1;
    r.fill = mcrise::Fill::blurred(img2, rank == last ? 2.0 : 1.0);
    expect_throw<std::invalid_argument>("fill differs", [&] { mcrise::mpi::rise(m, img2, r); },
                                        "rank " + std::to_string(last) + "'s fill differs from rank 0's");
    mcrise::McRiseOptions mine = o;
    mine.colors = {{1, 0, 0}, {0, 0, rank == last ? 0.5f : 1.0f}};
    expect_throw<std::invalid_argument>("colours differ", [&] { mcrise::mpi::mc_rise(m, img, mine); },
                                        "rank " + std::to_string(last) + "'s fill differs from rank 0's");
  }
  // An option bad on one rank only (threads is not compared: it may differ): that rank's
  // std::invalid_argument, and the same type and message on the others.
  {
    mcrise::McRiseOptions mine = o;
    if (rank == last) mine.threads = -3;
    Model m;
    expect_throw<std::invalid_argument>("bad option on one rank", [&] { mcrise::mpi::mc_rise(m, img, mine); },
                                        "threads must be in [0, 1024], got -3");
  }
  // Different functions on different ranks.
  if (size > 1) {
    Model m;
    mcrise::RiseOptions r;
    r.n_masks = 64;
    r.threads = 1;
    auto call = [&] {
      if (rank == last)
        mcrise::mpi::debiased_rise(m, img, r);
      else
        mcrise::mpi::rise(m, img, r);
    };
    expect_throw<std::invalid_argument>("different functions", call, "'s function differs from rank 0's");
  }
  // After all of that the communicator is clean: a correct call gives one process's maps.
  try {
    Model m;
    const auto spread = mcrise::mpi::mc_rise(m, img, o);
    const auto alone = mcrise::mc_rise(m, img, o);
    double top = 0.0, diff = 0.0;
    for (std::size_t k = 0; k < alone.map(0).size(); ++k) {
      top = std::max(top, alone.map(0)[k].cwiseAbs().maxCoeff());
      diff = std::max(diff, (spread.map(0)[k] - alone.map(0)[k]).cwiseAbs().maxCoeff());
    }
    expect(diff <= 1e-12 * top, "a correct call after the faults: maps equal one process's");
  } catch (const std::exception& e) {
    expect(false, std::string("a correct call after the faults threw: ") + e.what());
  }
  // mcrise::mpi::together: a caller's own work, failing on one rank.
  expect_throw<std::runtime_error>(
      "together",
      [&] {
        mcrise::mpi::together(
            [&] {
              if (rank == last) throw std::runtime_error("disk full on rank " + std::to_string(last));
            },
            MPI_COMM_WORLD, "my_tool");
      },
      "disk full on rank " + std::to_string(last));

  return mpi_test::finish("mpi_faults_test");
}
