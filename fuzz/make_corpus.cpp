// Writes the seed corpus fuzz/corpus/ (run once by hand; the files are committed).
// Each file is one options byte (see load_image_fuzz.cpp) followed by a tiny
// image: valid PNG (RGB, grey+alpha), BMP, TGA, JPEG, PPM, PGM, GIF, and a few
// broken ones. Uses Debian's stb_image_write, not mcrise's private copy.
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {
std::vector<unsigned char> buf;
void sink(void*, void* data, int size) {
  auto* p = static_cast<unsigned char*>(data);
  buf.insert(buf.end(), p, p + size);
}
void save(const std::string& dir, const std::string& name, unsigned char opt, const std::vector<unsigned char>& bytes) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.put(static_cast<char>(opt));
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}
std::vector<unsigned char> take() {
  auto b = buf;
  buf.clear();
  return b;
}
}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "fuzz/corpus";
  unsigned char rgb[2 * 3 * 3], ga[3 * 2 * 2];
  for (int i = 0; i < 18; ++i) rgb[i] = static_cast<unsigned char>(i * 14);
  for (int i = 0; i < 12; ++i) ga[i] = static_cast<unsigned char>(255 - i * 20);
  stbi_write_png_to_func(sink, nullptr, 3, 2, 3, rgb, 9);
  const auto png = take();
  save(dir, "rgb_3x2.png", 2, png);
  stbi_write_png_to_func(sink, nullptr, 2, 3, 2, ga, 4);
  save(dir, "grey_alpha_2x3.png", 3, take());
  stbi_write_bmp_to_func(sink, nullptr, 3, 2, 3, rgb);
  save(dir, "rgb_3x2.bmp", 2, take());
  stbi_write_tga_to_func(sink, nullptr, 3, 2, 3, rgb);
  save(dir, "rgb_3x2.tga", 6, take());
  stbi_write_jpg_to_func(sink, nullptr, 3, 2, 3, rgb, 90);
  const auto jpg = take();
  save(dir, "rgb_3x2.jpg", 2, jpg);
  const std::string ppm = "P6\n3 2\n255\n" + std::string(reinterpret_cast<const char*>(rgb), 18);
  save(dir, "rgb_3x2.ppm", 2, std::vector<unsigned char>(ppm.begin(), ppm.end()));
  const std::string pgm = "P5 2 2 255 \x01\x80\xff\x10";
  save(dir, "grey_2x2.pgm", 0, std::vector<unsigned char>(pgm.begin(), pgm.end()));
  // A 1 x 1 GIF89a, one colour, LZW min code size 2.
  const std::vector<unsigned char> gif = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x80, 0, 0, 255, 0, 0, 0, 0, 0,
                                          ',', 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, ';'};
  save(dir, "red_1x1.gif", 2, gif);
  // Broken: truncated PNG and JPEG, a PNG with a flipped byte in IDAT, a huge declared PPM.
  save(dir, "truncated.png", 2, std::vector<unsigned char>(png.begin(), png.begin() + static_cast<long>(png.size() / 2)));
  save(dir, "truncated.jpg", 2, std::vector<unsigned char>(jpg.begin(), jpg.begin() + static_cast<long>(jpg.size() / 2)));
  auto flipped = png;
  flipped[flipped.size() - 20] ^= 0x5a;
  save(dir, "flipped.png", 1, flipped);
  const std::string huge = "P6\n60000 60000\n255\n\x01\x02\x03";
  save(dir, "huge.ppm", 2, std::vector<unsigned char>(huge.begin(), huge.end()));
  std::printf("corpus written to %s\n", dir.c_str());
  return 0;
}
