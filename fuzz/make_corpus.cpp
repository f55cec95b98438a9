// Writes the seed corpus fuzz/corpus/ (run once by hand; the files are committed).
// Each file is one options byte (see load_image_fuzz.cpp) followed by a tiny
// image: valid PNG (RGB, grey+alpha, 16-bit, interlaced), BMP, TGA, JPEG (with and
// without chroma subsampling), PPM, PGM, GIF, HDR (flat and run-length), PSD (raw
// and PackBits, RGBA, 16-bit), Softimage PIC, and a few broken ones. Uses Debian's stb_image_write (and its zlib
// compressor for the hand-built PNGs), not mcrise's private copy.
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
void put32be(std::vector<unsigned char>& v, unsigned x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<unsigned char>(x >> s));
}
void put16be(std::vector<unsigned char>& v, unsigned x) {
  v.push_back(static_cast<unsigned char>(x >> 8));
  v.push_back(static_cast<unsigned char>(x));
}
unsigned crc32(const unsigned char* p, std::size_t n) {
  unsigned c = 0xffffffffu;
  for (std::size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return c ^ 0xffffffffu;
}
void png_chunk(std::vector<unsigned char>& png, const char* type, const std::vector<unsigned char>& data) {
  put32be(png, static_cast<unsigned>(data.size()));
  std::vector<unsigned char> td(type, type + 4);
  td.insert(td.end(), data.begin(), data.end());
  png.insert(png.end(), td.begin(), td.end());
  put32be(png, crc32(td.data(), td.size()));
}
// A PNG of w x h pixels of `bpp` bytes each (colour type `ctype`, bit depth `depth`), rows
// unfiltered; interlaced with Adam7 if `adam7`. pixel(x, y) gives the bpp bytes of a pixel.
template <class Pixel>
std::vector<unsigned char> make_png(int w, int h, int depth, int ctype, int bpp, bool adam7, Pixel pixel) {
  std::vector<unsigned char> raw;
  auto pass = [&](int x0, int y0, int dx, int dy) {
    for (int y = y0; y < h; y += dy) {
      if (x0 >= w) return;  // an empty pass has no rows at all
      raw.push_back(0);     // filter: none
      for (int x = x0; x < w; x += dx) {
        const std::vector<unsigned char> px = pixel(x, y);
        raw.insert(raw.end(), px.begin(), px.begin() + bpp);
      }
    }
  };
  if (adam7) {
    const int p[7][4] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};
    for (const auto& q : p) pass(q[0], q[1], q[2], q[3]);
  } else {
    pass(0, 0, 1, 1);
  }
  int zlen = 0;
  unsigned char* z = stbi_zlib_compress(raw.data(), static_cast<int>(raw.size()), &zlen, 8);
  std::vector<unsigned char> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, ihdr;
  put32be(ihdr, static_cast<unsigned>(w));
  put32be(ihdr, static_cast<unsigned>(h));
  ihdr.insert(ihdr.end(), {static_cast<unsigned char>(depth), static_cast<unsigned char>(ctype), 0, 0,
                           static_cast<unsigned char>(adam7 ? 1 : 0)});
  png_chunk(png, "IHDR", ihdr);
  png_chunk(png, "IDAT", std::vector<unsigned char>(z, z + zlen));
  png_chunk(png, "IEND", {});
  STBIW_FREE(z);
  return png;
}
std::vector<unsigned char> bytes_of(const std::string& s) { return std::vector<unsigned char>(s.begin(), s.end()); }
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
  save(dir, "rgb_3x2.jpg", 2, jpg);  // quality <= 90: stb_image_write subsamples the chroma 2 x 2
  stbi_write_jpg_to_func(sink, nullptr, 3, 2, 3, rgb, 95);
  save(dir, "rgb_3x2_q95.jpg", 2, take());  // no subsampling
  const std::string ppm = "P6\n3 2\n255\n" + std::string(reinterpret_cast<const char*>(rgb), 18);
  save(dir, "rgb_3x2.ppm", 2, std::vector<unsigned char>(ppm.begin(), ppm.end()));
  const std::string pgm = "P5 2 2 255 \x01\x80\xff\x10";
  save(dir, "grey_2x2.pgm", 0, std::vector<unsigned char>(pgm.begin(), pgm.end()));
  // A 1 x 1 GIF89a, one colour, LZW min code size 2.
  const std::vector<unsigned char> gif = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x80, 0, 0, 255, 0, 0, 0, 0, 0,
                                          ',', 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, ';'};
  save(dir, "red_1x1.gif", 2, gif);
  // PNG: 16 bits per channel (RGB, 2 x 2), and Adam7-interlaced (RGB, 3 x 3: five non-empty passes).
  save(dir, "rgb16_2x2.png", 2, make_png(2, 2, 16, 2, 6, false, [](int x, int y) {
         std::vector<unsigned char> p;
         for (int c = 0; c < 3; ++c) put16be(p, static_cast<unsigned>(x * 20000 + y * 9000 + c * 3000));
         return p;
       }));
  save(dir, "rgb_3x3_interlaced.png", 2, make_png(3, 3, 8, 2, 3, true, [](int x, int y) {
         return std::vector<unsigned char>{static_cast<unsigned char>(x * 80), static_cast<unsigned char>(y * 80),
                                           static_cast<unsigned char>(x * y * 30)};
       }));
  // Radiance HDR: 3 x 2 flat RGBE pixels; and 8 x 1 in the run-length scanline form (width >= 8),
  // one component a run, the others literals.
  std::vector<unsigned char> hdr = bytes_of("#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 2 +X 3\n");
  for (int i = 0; i < 6; ++i) hdr.insert(hdr.end(), {static_cast<unsigned char>(40 * i), 100, 200, 128});
  save(dir, "rgbe_3x2.hdr", 2, hdr);
  std::vector<unsigned char> rle = bytes_of("#?RGBE\nFORMAT=32-bit_rle_rgbe\n\n-Y 1 +X 8\n");
  rle.insert(rle.end(), {2, 2, 0, 8});
  rle.insert(rle.end(), {128 + 8, 90});                       // R: a run of 8
  for (int c = 0; c < 3; ++c) {                               // G, B, E: literals of 8
    rle.push_back(8);
    for (int x = 0; x < 8; ++x) rle.push_back(static_cast<unsigned char>(c == 2 ? 129 : 30 * x + c));
  }
  save(dir, "rgbe_8x1_rle.hdr", 2, rle);
  // Photoshop PSD: 3 x 2, RGB, 8 bits; raw planes, and PackBits rows. Then RGBA (colour
  // premultiplied onto white, which stb undoes), and 16 bits a channel.
  auto psd_header = [](unsigned compression, unsigned channels = 3, unsigned depth = 8) {
    std::vector<unsigned char> p = bytes_of("8BPS");
    put16be(p, 1);
    p.insert(p.end(), 6, 0);
    put16be(p, channels);
    put32be(p, 2);   // height
    put32be(p, 3);   // width
    put16be(p, depth);
    put16be(p, 3);   // RGB
    put32be(p, 0);   // colour mode data
    put32be(p, 0);   // image resources
    put32be(p, 0);   // layers and masks
    put16be(p, compression);
    return p;
  };
  std::vector<unsigned char> psd = psd_header(0);
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 6; ++i) psd.push_back(rgb[i * 3 + c]);
  save(dir, "rgb_3x2.psd", 2, psd);
  std::vector<unsigned char> psd_rle = psd_header(1);
  for (int r = 0; r < 6; ++r) put16be(psd_rle, r % 2 ? 2 : 4);  // byte count of each packed row (3 channels x 2 rows)
  for (int c = 0; c < 3; ++c) {
    psd_rle.insert(psd_rle.end(), {2, rgb[c], rgb[3 + c], rgb[6 + c]});  // a literal of 3
    psd_rle.insert(psd_rle.end(), {static_cast<unsigned char>(256 - 2), rgb[9 + c]});  // a run of 3
  }
  save(dir, "rgb_3x2_packbits.psd", 2, psd_rle);
  std::vector<unsigned char> psd_alpha = psd_header(0, 4);
  const unsigned char alpha[6] = {0, 255, 64, 128, 192, 250};
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 6; ++i)  // c' = c a / 255 + 255 - a: at least 255 - a
      psd_alpha.push_back(static_cast<unsigned char>(rgb[i * 3 + c] * alpha[i] / 255 + 255 - alpha[i]));
  psd_alpha.insert(psd_alpha.end(), alpha, alpha + 6);
  save(dir, "rgba_3x2.psd", 2, psd_alpha);
  std::vector<unsigned char> psd16 = psd_header(0, 3, 16);
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 6; ++i) put16be(psd16, rgb[i * 3 + c] * 257u + static_cast<unsigned>(i));
  save(dir, "rgb16_3x2.psd", 2, psd16);
  // Softimage PIC: 3 x 2, one uncompressed RGB packet.
  std::vector<unsigned char> pic = {0x53, 0x80, 0xF6, 0x34};
  pic.insert(pic.end(), 84, 0);
  pic.insert(pic.end(), {'P', 'I', 'C', 'T'});
  put16be(pic, 3);
  put16be(pic, 2);
  pic.insert(pic.end(), 8, 0);            // ratio, fields, pad
  pic.insert(pic.end(), {0, 8, 0, 0xE0});  // not chained, 8 bits, uncompressed, R G B
  pic.insert(pic.end(), rgb, rgb + 18);
  save(dir, "rgb_3x2.pic", 2, pic);
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
