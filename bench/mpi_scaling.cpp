// Scaling over MPI ranks (docs/mpi.md): one MC-RISE explanation (mcrise::mpi::mc_rise) and a data set
// of explanations (mcrise::mpi::split_rows), with a model that costs as much as a real one: it sleeps
// a fixed time per image (a number the machine's other load barely changes) and scores the image's
// mean. Run it with 1, 2, ... ranks and compare the seconds:
//   mpirun --allow-run-as-root --oversubscribe -np 2 ./mpi_scaling [ms_per_image] [masks] [images]
// Rank 0 prints one line per part: ranks, masks, seconds, masks per second, bytes of one rank's state.
#include <mcrise/mpi/explain.hpp>
#include <mcrise/mpi/split_rows.hpp>

#include <mpi.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace {

// Sleeps `ms` per image of the batch; two classes from the image's mean red value.
struct SleepingModel {
  double ms = 5.0;
  Eigen::MatrixXf operator()(const mcrise::ImageBatch& b) const {
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(ms * b.size()));
    Eigen::MatrixXf out(b.size(), 2);
    for (int i = 0; i < b.size(); ++i) {
      const mcrise::Image im = b.image(i);
      double s = 0;
      for (int y = 0; y < im.height(); y += 4)
        for (int x = 0; x < im.width(); x += 4) s += im(y, x, 0);
      out(i, 0) = static_cast<float>(s / ((im.height() / 4.0) * (im.width() / 4.0)));
      out(i, 1) = 1.0f - out(i, 0);
    }
    return out;
  }
};

mcrise::Image image_of(int i) {
  mcrise::Image img(224, 224, 3);
  for (int y = 0; y < 224; ++y)
    for (int x = 0; x < 224; ++x)
      for (int k = 0; k < 3; ++k)
        img(y, x, k) = 0.5f + 0.4f * std::sin(0.05f * static_cast<float>(y * (i + 1) + x) + static_cast<float>(k));
  return img;
}

double now() { return MPI_Wtime(); }

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const SleepingModel model{argc > 1 ? std::atof(argv[1]) : 5.0};
  const std::int64_t masks = argc > 2 ? std::atoll(argv[2]) : 2000;
  const int images = argc > 3 ? std::atoi(argv[3]) : 8;

  mcrise::McRiseOptions o;
  o.classes = {0};
  o.n_masks = masks;
  o.threads = 1;  // one core per rank
  o.batch_size = 32;

  // One explanation: every rank's share of the masks, then one gather of the states.
  MPI_Barrier(MPI_COMM_WORLD);
  double t0 = now();
  const mcrise::McRiseResult res = mcrise::mpi::mc_rise(model, image_of(0), o);
  double t = now() - t0;
  const mcrise::McRiseAccumulator acc(mcrise::MaskGenerator(224, 224, static_cast<int>(res.mask_colors.size())), {0},
                                      o.se_groups);
  if (rank == 0)
    std::printf("explanation: %d ranks, %lld masks, %.2f s, %.0f masks/s, %zu bytes per rank's state\n", size,
                static_cast<long long>(res.masks_used), t, static_cast<double>(res.masks_used) / t,
                acc.to_bytes().size());

  // A data set: one explanation per image, one image per rank per round, rows in order on rank 0.
  mcrise::McRiseOptions d = o;
  d.n_masks = masks / 4;
  MPI_Barrier(MPI_COMM_WORLD);
  t0 = now();
  double sum = 0.0;
  mcrise::mpi::split_rows(
      images,
      [&](std::int64_t i) {
        const auto r = mcrise::mc_rise(model, image_of(static_cast<int>(i)), d);
        return std::to_string(r.map(0)[0].sum());
      },
      [&](std::int64_t, const std::string& row) { sum += std::stod(row); });
  t = now() - t0;
  if (rank == 0)
    std::printf("data set: %d ranks, %d images x %lld masks, %.2f s, %.0f masks/s (checksum %.6g)\n", size, images,
                static_cast<long long>(d.n_masks), t, static_cast<double>(images * d.n_masks) / t, sum);
  MPI_Finalize();
  return 0;
}
