// libFuzzer target for mcrise's image loader (issue 7): decode_image() on
// arbitrary bytes must either return a well-formed Image or throw
// mcrise::io_error. Any other exception, a crash, a sanitizer report, a leak
// or an allocation beyond libFuzzer's -rss_limit_mb is a bug.
//
// The first byte picks the options (channels 1..4, 8- or 255-scaled values),
// the rest is the file. max_pixels is kept small so that a header declaring a
// huge image is refused before allocation, as the library promises.
// Build and run: fuzz/run.sh (clang++ -fsanitize=fuzzer,address,undefined).
#include <mcrise/io.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  mcrise::LoadOptions opt;
  opt.channels = 1 + (data[0] & 3);
  opt.value_max = (data[0] & 4) ? 255.0f : 1.0f;
  opt.max_pixels = std::int64_t{1} << 20;
  try {
    const mcrise::Image img = mcrise::decode_image(data + 1, size - 1, opt);
    // A decoded image is well formed: declared shape, finite values in [0, value_max].
    if (img.height() < 1 || img.width() < 1 || img.channels() != opt.channels) std::abort();
    if (static_cast<std::int64_t>(img.pixels()) > opt.max_pixels) std::abort();
    for (std::size_t i = 0; i < img.size(); ++i) {
      const float v = img.data()[i];
      if (!std::isfinite(v) || v < 0.0f || v > opt.value_max) std::abort();
    }
  } catch (const mcrise::io_error& e) {
    if (e.path() != "<memory>" || e.reason().empty()) std::abort();
  }
  return 0;
}
