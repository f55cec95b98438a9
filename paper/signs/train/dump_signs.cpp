// Dumps rendered signs for the training script (train.py).
//   dump_signs OUT SEED FIRST COUNT
// OUT layout (little-endian): "SIGNDUMP", u32 count, u32 height, u32 width,
// u32 channels, u8 labels[count], u8 pixels[count][height][width][channels]
// (HWC, value = round(255 * v) for v in [0, 1]).
#include "signs/render.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s OUT SEED FIRST COUNT\n", argv[0]);
    return 2;
  }
  const std::uint64_t seed = std::strtoull(argv[2], nullptr, 10), first = std::strtoull(argv[3], nullptr, 10);
  const auto count = static_cast<std::uint32_t>(std::strtoul(argv[4], nullptr, 10));
  const std::uint32_t S = mcrise::signs::image_size, C = 3;
  std::vector<std::uint8_t> labels(count), pixels(static_cast<std::size_t>(count) * S * S * C);
  for (std::uint32_t i = 0; i < count; ++i) {
    const auto s = mcrise::signs::render_sample(seed, first + i);
    labels[i] = static_cast<std::uint8_t>(s.label);
    for (std::size_t j = 0; j < s.image.size(); ++j)
      pixels[i * s.image.size() + j] = static_cast<std::uint8_t>(std::lround(s.image.data()[j] * 255.0f));
  }
  std::FILE* f = std::fopen(argv[1], "wb");
  if (!f) {
    std::fprintf(stderr, "cannot open %s\n", argv[1]);
    return 1;
  }
  const std::uint32_t header[4] = {count, S, S, C};
  std::fwrite("SIGNDUMP", 1, 8, f);
  std::fwrite(header, sizeof header, 1, f);  // the training machine is little-endian (x86-64 / arm64)
  std::fwrite(labels.data(), 1, labels.size(), f);
  std::fwrite(pixels.data(), 1, pixels.size(), f);
  return std::fclose(f) == 0 ? 0 : 1;
}
