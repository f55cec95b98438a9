// Contact sheet of rendered signs, to eyeball the renderer.
// Build and run from the repository root:
//   g++ -std=c++17 -O2 -Iinclude -Ipaper -I/usr/include/eigen3 paper/signs/contact_sheet.cpp -o /tmp/contact_sheet
//   /tmp/contact_sheet signs_sheet.png [seed] [rows]
// Writes a grid with one column per class (num_classes columns), `rows` rows
// (default 8), each image upscaled 2x.
#include "signs/render.hpp"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  using namespace mcrise::signs;
  const std::string out = argc > 1 ? argv[1] : "signs_sheet.png";
  const std::uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  const int rows = argc > 3 ? std::atoi(argv[3]) : 8;
  const int zoom = 2, S = image_size, pad = 2, cell = S * zoom + pad;
  const int W = num_classes * cell, H = rows * cell;
  std::vector<unsigned char> px(static_cast<std::size_t>(W * H * 3), 255);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < num_classes; ++c) {
      const auto idx = static_cast<std::uint64_t>(r * num_classes + c);
      const mcrise::Image img = r == 0 && argc > 4 ? render_sign(canonical_sign_params(static_cast<SignClass>(c)))
                                                   : render_sample(seed, idx).image;
      for (int y = 0; y < S * zoom; ++y)
        for (int x = 0; x < S * zoom; ++x)
          for (int k = 0; k < 3; ++k)
            px[static_cast<std::size_t>(((r * cell + y) * W + c * cell + x) * 3 + k)] =
                static_cast<unsigned char>(img(y / zoom, x / zoom, k) * 255.0f + 0.5f);
    }
  if (!stbi_write_png(out.c_str(), W, H, 3, px.data(), W * 3)) {
    std::fprintf(stderr, "cannot write %s\n", out.c_str());
    return 1;
  }
  return 0;
}
