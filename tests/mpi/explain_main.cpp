// mcrise::mpi::{rise, debiased_rise, mc_rise} under mpirun: every rank's result equals the
// single-process run within 1e-12 of the largest map value, with a fixed number of masks and with
// adaptive stopping (stopped where one process stops, the same bits run to run and on every rank).
// Exit status 0 on success; a failure prints what differs.
#include <mcrise/mpi/explain.hpp>

#include "mpi/support.hpp"

#include <mpi.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <vector>

namespace {

using mpi_test::expect;
using mpi_test::failures;
using mpi_test::rank;
using mpi_test::size;

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
  mpi_test::start(argc, argv);
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
    // Adaptive stopping: the ranks stop together, where one process stops, with its maps.
    mcrise::McRiseOptions probe = o;
    probe.n_masks = 1500;
    mcrise::McRiseOptions adaptive = o;
    adaptive.n_masks = 4000;
    adaptive.target_relative_se = mcrise::mc_rise(model, img, probe).relative_standard_error;
    const mcrise::McRiseResult alone = mcrise::mc_rise(model, img, adaptive);
    const mcrise::McRiseResult first = mcrise::mpi::mc_rise(model, img, adaptive);
    const mcrise::McRiseResult again = mcrise::mpi::mc_rise(model, img, adaptive);
    expect(alone.target_reached && alone.masks_used < adaptive.n_masks, "adaptive: one process stops early");
    if (rank == 0)
      std::printf("adaptive: one process stopped at %lld masks, the ranks at %lld\n",
                  static_cast<long long>(alone.masks_used), static_cast<long long>(first.masks_used));
    expect(first.masks_used == alone.masks_used, "adaptive: the ranks stop where one process stops");
    expect(first.target_reached && first.relative_standard_error <= adaptive.target_relative_se,
           "adaptive: the target is reached");
    mcrise::McRiseOptions fixed = o;
    fixed.n_masks = first.masks_used;
    const mcrise::McRiseResult same_n = mcrise::mc_rise(model, img, fixed);
    for (int c : {0, 1}) {
      expect(close(first.map(c), same_n.map(c)), "adaptive: maps equal one process's with as many masks");
      expect(close({first.baseline(c)}, {same_n.baseline(c)}), "adaptive: baselines");
      expect(first.map(c) == again.map(c), "adaptive: the same bits run to run");
    }
    // Standard errors from float group sums: within 1e-5 of one process's.
    expect(std::abs(first.relative_standard_error - same_n.relative_standard_error) <=
               1e-5 * same_n.relative_standard_error,
           "adaptive: relative standard error");
    // Every rank holds the same bits.
    const mcrise::SaliencyMap& m = first.map(1)[0];
    const std::uint64_t h = mcrise::detail::fnv1a64(m.data(), static_cast<std::size_t>(m.size()) * sizeof(double));
    std::uint64_t lo = 0, hi = 0;
    MPI_Allreduce(&h, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&h, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
    expect(lo == hi, "adaptive: every rank holds the same maps");
    // Debiased RISE with a target, too.
    mcrise::RiseOptions ra = r;
    ra.se_groups = 8;
    ra.n_masks = 3000;
    ra.target_relative_se = 0.2;
    const mcrise::SaliencyResult d1 = mcrise::debiased_rise(model, img, ra);
    const mcrise::SaliencyResult dn = mcrise::mpi::debiased_rise(model, img, ra);
    expect(dn.masks_used == d1.masks_used, "adaptive debiased_rise: the same masks_used");
    ra.target_relative_se = 0.0;
    ra.n_masks = dn.masks_used;
    expect(close({dn.map(1)}, {mcrise::debiased_rise(model, img, ra).map(1)}), "adaptive debiased_rise: maps");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rank %d: exception: %s\n", rank, e.what());
    ++failures;
  }
  return mpi_test::finish("mpi_explain_test");
}
