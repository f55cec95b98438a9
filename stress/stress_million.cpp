// Stress program (issue 7), not a test: a million masks through a tiny model
// must complete with memory flat in N. Prints the peak resident set size
// (VmHWM) of this process after one run with N masks.
//   stress_million [rise|mc_rise] N
// Run once per N (each in a fresh process, so peaks do not mix), e.g.
//   for n in 10000 1000000; do ./stress_million mc_rise $n; done
#include <mcrise/mc_rise.hpp>
#include <mcrise/rise.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace {

long peak_rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string which = argc > 1 ? argv[1] : "mc_rise";
  const long long n = argc > 2 ? std::atoll(argv[2]) : 1000000;
  // 32 x 32 RGB image, 8 x 8 grid; the model is the mean of channel 0 in the top-left quarter.
  const mcrise::Image img(32, 32, 3, 0.5f);
  auto model = [](const mcrise::ImageBatch& b) {
    Eigen::MatrixXf out(b.size(), 2);
    for (int i = 0; i < b.size(); ++i) {
      float s = 0;
      for (int y = 0; y < 16; ++y)
        for (int x = 0; x < 16; ++x) s += b.image_data(i)[b.offset(y, x, 0)];
      out(i, 0) = s / 256.0f;
      out(i, 1) = 1.0f - out(i, 0);
    }
    return out;
  };
  const auto t0 = std::chrono::steady_clock::now();
  double checksum = 0;
  long long used = 0;
  if (which == "rise") {
    mcrise::RiseOptions o;
    o.n_masks = n;
    o.classes = {0};
    o.batch_size = 256;
    const auto r = mcrise::debiased_rise(model, img, o);
    checksum = r.map(0).sum();
    used = r.masks_used;
  } else {
    mcrise::McRiseOptions o;
    o.n_masks = n;
    o.classes = {0};
    o.batch_size = 256;
    const auto r = mcrise::mc_rise(model, img, o);
    checksum = r.map(0)[0].sum();
    used = r.masks_used;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%s N=%lld masks_used=%lld time=%.1f s peak_rss=%ld KiB checksum=%.6g\n", which.c_str(), n, used, secs,
              peak_rss_kib(), checksum);
  return used == n ? 0 : 1;
}
