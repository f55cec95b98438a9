// mcrise::mpi::{rise, debiased_rise, mc_rise} under mpirun: every rank's result equals the
// single-process run within 1e-12 of the largest map value; bad options are refused on every rank.
// Exit status 0 on success; a failure prints what differs.
#include <mcrise/mpi/explain.hpp>

#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <vector>

namespace {

// A smooth model of the whole image, two classes (as the tests' toy_scores).
struct Model {
  Eigen::MatrixXf operator()(const mcrise::ImageBatch& b) const {
    Eigen::MatrixXf out(b.size(), 2);
    for (int i = 0; i < b.size(); ++i) {
      const mcrise::Image im = b.image(i);
      double a = 0, c = 0;
      for (int y = 0; y < im.height(); ++y)
        for (int x = 0; x < im.width(); ++x) {
          const double wy = (im.height() - y) / static_cast<double>(im.height());
          const double wx = (im.width() - x) / static_cast<double>(im.width());
          a += wy * wx * (im(y, x, 0) - 0.5 * im(y, x, 1));
          c += (1 - wy) * (1 - wx) * (im(y, x, 1) + im(y, x, 2));
        }
      const double n = static_cast<double>(im.pixels());
      out(i, 0) = static_cast<float>(1.0 / (1.0 + std::exp(-4.0 * a / n)));
      out(i, 1) = static_cast<float>(std::tanh(c / n));
    }
    return out;
  }
};

int failures = 0;
int rank = 0;

void expect(bool ok, const char* what) {
  if (!ok) {
    ++failures;
    std::fprintf(stderr, "rank %d: FAILED: %s\n", rank, what);
  }
}

// max |a - b| <= 1e-12 · max |b| over all maps.
bool close(const std::vector<mcrise::SaliencyMap>& a, const std::vector<mcrise::SaliencyMap>& b) {
  if (a.size() != b.size()) return false;
  double top = 0.0, diff = 0.0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k].rows() != b[k].rows() || a[k].cols() != b[k].cols()) return false;
    top = std::max(top, b[k].cwiseAbs().maxCoeff());
    diff = std::max(diff, (a[k] - b[k]).cwiseAbs().maxCoeff());
  }
  return diff <= 1e-12 * top;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  mcrise::Image img(18, 21, 3);
  for (int y = 0; y < 18; ++y)
    for (int x = 0; x < 21; ++x)
      for (int k = 0; k < 3; ++k) img(y, x, k) = static_cast<float>(0.5 + 0.45 * std::sin(0.7 * y + 1.3 * x + 2.1 * k));
  Model model;
  try {
    mcrise::McRiseOptions o;
    o.classes = {0, 1};
    o.n_masks = 1000;  // not a multiple of the batch or of the ranks' ranges
    o.batch_size = 24;
    o.grid_h = o.grid_w = 4;
    o.se_groups = 8;
    o.threads = 1;
    const mcrise::McRiseResult one = mcrise::mc_rise(model, img, o);
    const mcrise::McRiseResult spread = mcrise::mpi::mc_rise(model, img, o);
    expect(spread.masks_used == one.masks_used, "mc_rise: masks_used");
    for (int c : {0, 1}) expect(close(spread.map(c), one.map(c)), "mc_rise: maps within 1e-12 of the largest value");
    mcrise::RiseOptions r;
    r.classes = {1};
    r.n_masks = 700;
    r.batch_size = 16;
    r.grid_h = r.grid_w = 5;
    r.se_groups = 0;
    r.threads = 1;
    expect(close({mcrise::mpi::rise(model, img, r).map(1)}, {mcrise::rise(model, img, r).map(1)}), "rise: maps");
    expect(close({mcrise::mpi::debiased_rise(model, img, r).map(1)}, {mcrise::debiased_rise(model, img, r).map(1)}),
           "debiased_rise: maps");
    mcrise::McRiseOptions adaptive = o;
    adaptive.target_relative_se = 0.1;
    bool refused = false;
    try {
      mcrise::mpi::mc_rise(model, img, adaptive);
    } catch (const std::invalid_argument&) {
      refused = true;
    }
    expect(refused, "target_relative_se is refused");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rank %d: exception: %s\n", rank, e.what());
    ++failures;
  }
  int all = 0;
  MPI_Allreduce(&failures, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) std::printf("%s\n", all == 0 ? "mpi_explain_test: all passed" : "mpi_explain_test: FAILED");
  MPI_Finalize();
  return all == 0 ? 0 : 1;
}
