// Loading, saving, resizing and cropping images (mcrise/io.hpp).
#include <mcrise/io.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::string tmp_path(const std::string& name) { return (fs::temp_directory_path() / ("mcrise_io_test_" + name)).string(); }

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const std::vector<char>& b) {
  std::ofstream out(path, std::ios::binary);
  out.write(b.data(), static_cast<std::streamsize>(b.size()));
}

mcrise::Image gradient(int H, int W, int C) {
  mcrise::Image img(H, W, C);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < C; ++c) img(y, x, c) = static_cast<float>((y * 7 + x * 13 + c * 101) % 256) / 255.0f;
  return img;
}

// The bytes of `img` saved as PNG by mcrise::save_png.
std::vector<std::uint8_t> png_bytes(const mcrise::Image& img) {
  const std::string p = tmp_path("png_bytes.png");
  mcrise::save_png(p, img);
  const auto b = read_bytes(p);
  std::remove(p.c_str());
  return std::vector<std::uint8_t>(b.begin(), b.end());
}

}  // namespace

TEST_CASE("PNG round trip keeps every 8-bit value exactly", "[io]") {
  for (int C : {1, 3, 4}) {
    const mcrise::Image img = gradient(9, 14, C);
    const std::string p = tmp_path("rt" + std::to_string(C) + ".png");
    mcrise::save_png(p, img);
    mcrise::LoadOptions o;
    o.channels = C;
    const mcrise::Image back = mcrise::load_image(p, o);
    REQUIRE(back.height() == 9);
    REQUIRE(back.width() == 14);
    REQUIRE(back.channels() == C);
    for (std::size_t i = 0; i < img.size(); ++i) REQUIRE(back.data()[i] == Approx(img.data()[i]).margin(1e-6));
    std::remove(p.c_str());
  }
}

TEST_CASE("Arbitrary values come back within half a quantisation step, clamped to the range", "[io]") {
  mcrise::Image img(5, 6, 3);
  for (std::size_t i = 0; i < img.size(); ++i) img.data()[i] = static_cast<float>(std::fmod(i * 0.137, 1.3) - 0.1);
  const std::string p = tmp_path("clamp.png");
  mcrise::save_png(p, img);
  const mcrise::Image back = mcrise::load_image(p);
  for (std::size_t i = 0; i < img.size(); ++i) {
    const float expect = std::min(1.0f, std::max(0.0f, img.data()[i]));
    REQUIRE(std::abs(back.data()[i] - expect) <= 0.5f / 255.0f + 1e-6f);
  }
  std::remove(p.c_str());
}

TEST_CASE("value_max scales loading and saving (0..255 images)", "[io]") {
  mcrise::Image img(4, 4, 3);
  for (std::size_t i = 0; i < img.size(); ++i) img.data()[i] = static_cast<float>((i * 17) % 256);
  const std::string p = tmp_path("v255.png");
  mcrise::save_png(p, img, 255.0f);
  mcrise::LoadOptions o;
  o.value_max = 255.0f;
  REQUIRE(mcrise::load_image(p, o) == img);
  std::remove(p.c_str());
}

TEST_CASE("Picture round trip is lossless and grey images load as RGB", "[io]") {
  mcrise::Picture pic(7, 5);
  for (int y = 0; y < 7; ++y)
    for (int x = 0; x < 5; ++x)
      pic.set(y, x, mcrise::Rgb{static_cast<std::uint8_t>(y * 30), static_cast<std::uint8_t>(x * 50), 77});
  const std::string p = tmp_path("pic.png");
  mcrise::save_png(p, pic);
  const mcrise::Image back = mcrise::load_image(p);
  REQUIRE(mcrise::to_picture(back) == pic);

  mcrise::Image grey(3, 3, 1, 0.4f);
  mcrise::save_png(p, grey);
  const mcrise::Image rgb = mcrise::load_image(p);
  REQUIRE(rgb.channels() == 3);
  for (std::size_t i = 0; i < rgb.size(); ++i) REQUIRE(rgb.data()[i] == Approx(102.0f / 255.0f));
  std::remove(p.c_str());
}

TEST_CASE("decode_image reads bytes from memory", "[io]") {
  const std::string p = tmp_path("mem.png");
  const mcrise::Image img = gradient(3, 4, 3);
  mcrise::save_png(p, img);
  const auto bytes = read_bytes(p);
  const mcrise::Image back =
      mcrise::decode_image(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  REQUIRE(back == mcrise::load_image(p));
  REQUIRE_THROWS_AS(mcrise::decode_image(nullptr, 0), mcrise::io_error);
  std::remove(p.c_str());
}

// Known stb_image 2.27 bugs that cannot be refused up front (tests/data/stb_known/README.md):
// a normal build must still refuse them with io_error and not crash. Under the
// sanitizers the read inside stb is reported, so the check is skipped there.
TEST_CASE("inputs that trip known stb bugs are refused without a crash (normal builds)", "[io]") {
#if defined(MCRISE_SANITIZED)
  SUCCEED("skipped under sanitizers: the out-of-bounds read is inside Debian's stb_image");
#else
  const fs::path dir = fs::path(MCRISE_SOURCE_DIR) / "tests" / "data" / "stb_known";
  int n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".md") continue;
    INFO(entry.path().string());
    CHECK_THROWS_AS(mcrise::load_image(entry.path().string()), mcrise::io_error);
    ++n;
  }
  CHECK(n >= 1);
#endif
}

TEST_CASE("Every file of the broken corpus yields io_error naming the path", "[io]") {
  const fs::path dir = fs::path(MCRISE_SOURCE_DIR) / "tests" / "data" / "broken";
  int n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".md") continue;
    const std::string p = entry.path().string();
    INFO(p);
    try {
      (void)mcrise::load_image(p);
      FAIL("no exception for " << p);
    } catch (const mcrise::io_error& e) {
      REQUIRE(std::string(e.what()).find(p) != std::string::npos);
      REQUIRE(e.path() == p);
      REQUIRE(!e.reason().empty());
    }
    ++n;
  }
  REQUIRE(n >= 6);
}

TEST_CASE("Specific failures give specific reasons", "[io]") {
  const fs::path dir = fs::path(MCRISE_SOURCE_DIR) / "tests" / "data" / "broken";
  auto reason = [](const std::string& p, mcrise::LoadOptions o = {}) {
    try {
      (void)mcrise::load_image(p, o);
    } catch (const mcrise::io_error& e) {
      return e.reason();
    }
    return std::string("no error");
  };
  CHECK(reason((dir / "empty.png").string()) == "file is empty");
  CHECK(reason((dir / "huge_declared.png").string()).find("12000 x 12000") != std::string::npos);
  CHECK(reason((dir / "huge_declared.png").string()).find("max_pixels") != std::string::npos);
  CHECK(reason((dir / "wrong_magic.png").string()).find("not a readable image") != std::string::npos);
  CHECK(reason((dir / "truncated.png").string()).find("corrupt or truncated") != std::string::npos);
  // stb fails on this zlib stream without a reason of its own; the one it last set came from probing
  // the file as JPEG ("no SOI"), which would mislead: it is not passed on.
  CHECK(reason((dir / "corrupt_idat.png").string()) == "corrupt or truncated image data (stb_image gives no reason)");
  CHECK(reason((dir / "jpeg_huffman_assert.jpg").string()) == "corrupt or truncated image data (unknown marker)");
  CHECK(reason(tmp_path("does_not_exist.png")).find("cannot open file") != std::string::npos);

  // The limit is an option: a valid 8 x 8 image is refused with max_pixels = 63.
  const std::string p = tmp_path("limit.png");
  mcrise::save_png(p, mcrise::Image(8, 8, 3, 0.5f));
  mcrise::LoadOptions o;
  o.max_pixels = 63;
  CHECK(reason(p, o).find("exceeds max_pixels = 63") != std::string::npos);
  o.max_pixels = 64;
  CHECK(reason(p, o) == "no error");
  std::remove(p.c_str());
}

// The signature and IHDR chunk of a PNG (no image data: enough for stb_image's header
// read; stb does not check CRCs), RGB at the given bit depth.
std::vector<std::uint8_t> png_header_only(std::uint32_t w, std::uint32_t h, std::uint8_t depth) {
  std::vector<std::uint8_t> f = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
  for (std::uint32_t v : {w, h})
    for (int s = 24; s >= 0; s -= 8) f.push_back(static_cast<std::uint8_t>(v >> s));
  f.insert(f.end(), {depth, 2, 0, 0, 0, 0, 0, 0, 0});  // colour type 2 (RGB), no interlace, CRC
  return f;
}

TEST_CASE("16-bit images too large for stb_image's 32-bit sizes are refused, whatever max_pixels says", "[io]") {
  auto reason = [](const std::vector<std::uint8_t>& f, std::int64_t max_pixels) {
    mcrise::LoadOptions o;
    o.max_pixels = max_pixels;
    o.channels = 4;
    try {
      (void)mcrise::decode_image(f.data(), f.size(), o);
    } catch (const mcrise::io_error& e) {
      return e.reason();
    }
    return std::string("no error");
  };
  const std::int64_t big = std::int64_t{1} << 30;
  // 16384 x 16384 = 2^28 pixels: at 4 channels of 2 bytes, 2^31 bytes, one past INT_MAX.
  CHECK(reason(png_header_only(16384, 16384, 16), big).find("too large for stb_image") != std::string::npos);
  CHECK(reason(png_header_only(16384, 16384, 16), big).find("268435455") != std::string::npos);
  // 16383 x 16385 = INT_MAX / 8 pixels, the most that fits: refused later, for its missing data.
  CHECK(reason(png_header_only(16383, 16385, 16), big).find("too large") == std::string::npos);
  CHECK(reason(png_header_only(16383, 16385, 16), big) != "no error");
  // 8-bit images have no such limit (stb checks their sizes itself); max_pixels still applies.
  CHECK(reason(png_header_only(16384, 16384, 8), big).find("too large") == std::string::npos);
  CHECK(reason(png_header_only(16384, 16384, 16), std::int64_t{1} << 26).find("exceeds max_pixels") !=
        std::string::npos);
}

TEST_CASE("Truncating a valid PNG anywhere never crashes", "[io]") {
  const std::string p = tmp_path("trunc_src.png");
  mcrise::save_png(p, gradient(12, 12, 3));
  const auto bytes = read_bytes(p);
  const std::string q = tmp_path("trunc.png");
  // Every cut before the final IEND chunk (12 bytes) loses image data.
  for (std::size_t n = 0; n + 12 < bytes.size(); n += 3) {
    write_bytes(q, std::vector<char>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n)));
    REQUIRE_THROWS_AS(mcrise::load_image(q), mcrise::io_error);
  }
  std::remove(p.c_str());
  std::remove(q.c_str());
}

// Radiance HDR, W x 3 RGBE pixels: flat (4 bytes a pixel), or as stb_image's run-length
// scanlines (2, 2, W; then per component runs "128 + n, value" of up to 127 and literals
// "n, n bytes" of up to 128). Red and exponent repeat along a row (runs; two of them when
// W > 127), green is a literal for x < 128 and a run after it, blue is literals throughout.
std::vector<std::uint8_t> hdr_file(int W, bool rle) {
  const int H = 3;
  auto px = [](int x, int y, int k) {
    switch (k) {
      case 0: return static_cast<std::uint8_t>(200);
      case 1: return static_cast<std::uint8_t>(x < 128 ? (2 * x + y) % 256 : 77 + y);
      case 2: return static_cast<std::uint8_t>((11 * x + y) % 256);
      default: return static_cast<std::uint8_t>(128 + y);
    }
  };
  const std::string head = "#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 3 +X " + std::to_string(W) + "\n";
  std::vector<std::uint8_t> f(head.begin(), head.end());
  for (int y = 0; y < H; ++y) {
    if (!rle) {
      for (int x = 0; x < W; ++x)
        for (int k = 0; k < 4; ++k) f.push_back(px(x, y, k));
      continue;
    }
    f.insert(f.end(), {2, 2, static_cast<std::uint8_t>(W >> 8), static_cast<std::uint8_t>(W & 255)});
    for (int k = 0; k < 4; ++k) {
      std::vector<std::uint8_t> row;
      for (int x = 0; x < W; ++x) row.push_back(px(x, y, k));
      for (std::size_t i = 0; i < row.size();) {
        std::size_t r = 1;
        while (i + r < row.size() && r < 127 && row[i + r] == row[i]) ++r;
        if (r >= 3) {
          f.insert(f.end(), {static_cast<std::uint8_t>(128 + r), row[i]});
          i += r;
          continue;
        }
        std::size_t l = 0;  // a literal, up to where a run of 3 starts
        while (i + l < row.size() && l < 128 &&
               !(i + l + 2 < row.size() && row[i + l] == row[i + l + 1] && row[i + l] == row[i + l + 2]))
          ++l;
        f.push_back(static_cast<std::uint8_t>(l));
        f.insert(f.end(), row.begin() + static_cast<std::ptrdiff_t>(i), row.begin() + static_cast<std::ptrdiff_t>(i + l));
        i += l;
      }
    }
  }
  return f;
}

TEST_CASE("Radiance HDR: run-length scanlines decode like flat pixels; a file cut short is refused", "[io]") {
  for (int W : {10, 200}) {  // 200: literals of 128 and runs of 127 + 73
    INFO("width " << W);
    const auto flat = hdr_file(W, false), rle = hdr_file(W, true);
    const mcrise::Image a = mcrise::decode_image(flat.data(), flat.size());
    const mcrise::Image b = mcrise::decode_image(rle.data(), rle.size());
    REQUIRE(a.height() == 3);
    REQUIRE(a.width() == W);
    REQUIRE(b == a);  // the same pixels, however they are encoded: no valid scanline is refused
    const std::size_t header = flat.size() - static_cast<std::size_t>(4 * 3 * W);
    REQUIRE(rle[header] == 2);
    // A literal of length 0 inside the data is read past (by stb too): still the same pixels.
    auto padded = rle;
    padded.insert(padded.begin() + static_cast<std::ptrdiff_t>(header + 6), std::uint8_t{0});
    REQUIRE(mcrise::decode_image(padded.data(), padded.size()) == a);
    // Cut anywhere in the pixel data: stb would loop forever on a run-length count past the end,
    // fill flat pixels from uninitialised memory, or read a missing byte as 0. Every cut is
    // refused (a cut just after a scanline's "2, 2" by stb itself: its length reads as 0).
    for (const std::vector<std::uint8_t>* file : {&flat, &rle})
      for (std::size_t n = header; n < file->size(); ++n) {
        INFO("cut at " << n << " of " << file->size() << (file == &rle ? " (run-length)" : " (flat)"));
        CHECK_THROWS_AS(mcrise::decode_image(file->data(), n), mcrise::io_error);
      }
  }
  // Width below 8: always flat; cut short, refused as well.
  const auto narrow = hdr_file(5, false);
  REQUIRE(mcrise::decode_image(narrow.data(), narrow.size()).width() == 5);
  try {
    (void)mcrise::decode_image(narrow.data(), narrow.size() - 1);
    FAIL("no exception");
  } catch (const mcrise::io_error& e) {
    CHECK(e.reason().find("truncated HDR") != std::string::npos);
  }
}

// A Softimage PIC of an 8-bit RGB image: header, one uncompressed R G B packet, the pixels row by row.
std::vector<std::uint8_t> pic_file(const mcrise::Image& img, bool alpha = false) {
  std::vector<std::uint8_t> f = {0x53, 0x80, 0xF6, 0x34};
  f.insert(f.end(), 84, 0);
  f.insert(f.end(), {'P', 'I', 'C', 'T', 0, static_cast<std::uint8_t>(img.width()), 0,
                     static_cast<std::uint8_t>(img.height())});
  f.insert(f.end(), 8, 0);            // ratio, fields, pad
  // Not chained, 8 bits, uncompressed, R G B; with `alpha` a second packet for A, made of G's values.
  f.insert(f.end(), {static_cast<std::uint8_t>(alpha ? 1 : 0), 8, 0, 0xE0});
  if (alpha) f.insert(f.end(), {0, 8, 0, 0x10});
  auto byte = [&](int y, int x, int c) { return static_cast<std::uint8_t>(std::lround(img(y, x, c) * 255.0f)); };
  for (int y = 0; y < img.height(); ++y) {
    for (int x = 0; x < img.width(); ++x)
      for (int c = 0; c < 3; ++c) f.push_back(byte(y, x, c));
    if (alpha)
      for (int x = 0; x < img.width(); ++x) f.push_back(byte(y, x, 1));
  }
  return f;
}

TEST_CASE("Softimage PIC: every channel count gives what the same PNG gives; a cut file is refused, not read as null",
          "[io]") {
  const mcrise::Image img = gradient(5, 7, 3);
  const auto png = png_bytes(img), pic = pic_file(img);
  for (int C = 1; C <= 4; ++C) {
    INFO("channels " << C);
    mcrise::LoadOptions o;
    o.channels = C;
    const mcrise::Image a = mcrise::decode_image(png.data(), png.size(), o);
    const mcrise::Image b = mcrise::decode_image(pic.data(), pic.size(), o);
    REQUIRE(b == a);  // stb's own conversion, from RGBA for PIC and from RGB for PNG
    // Cut inside the pixels: stb fails to decode, then (2.27) converts a null buffer unless C = 4.
    for (std::size_t n = 110; n < pic.size(); n += 5)
      CHECK_THROWS_AS(mcrise::decode_image(pic.data(), n, o), mcrise::io_error);
  }
}

// True if decode_image gives, for 1-4 channels asked, exactly the pixels of stb_image's own 8-bit
// (wide = false) or 16-bit decoding of `file`.
bool decodes_as_stb(const std::vector<std::uint8_t>& file, bool wide) {
  bool same = true;
  for (int C = 1; C <= 4; ++C) {
    int w = 0, h = 0, c = 0;
    const int n = static_cast<int>(file.size());
    void* ref = wide ? static_cast<void*>(mcrise::detail::stb::mcrise_detail_stbi_load_16_from_memory(file.data(), n, &w, &h, &c, C))
                     : static_cast<void*>(mcrise::detail::stb::mcrise_detail_stbi_load_from_memory(file.data(), n, &w, &h, &c, C));
    if (ref == nullptr) return false;
    mcrise::LoadOptions o;
    o.channels = C;
    o.value_max = wide ? 65535.0f : 255.0f;
    const mcrise::Image got = mcrise::decode_image(file.data(), file.size(), o);
    same = same && got.height() == h && got.width() == w;
    for (std::size_t i = 0; same && i < got.size(); ++i)
      same = got.data()[i] == static_cast<float>(wide ? static_cast<const unsigned short*>(ref)[i]
                                                      : static_cast<const unsigned char*>(ref)[i]);
    mcrise::detail::stb::mcrise_detail_stbi_image_free(ref);
  }
  return same;
}

TEST_CASE("decode_image gives stb_image's own pixels for every channel count (PNG, JPEG, PIC with alpha)", "[io]") {
  const mcrise::Image img = gradient(6, 9, 3);
  // JPEG files (stb_image_write's JPEG encoder trips UBSan, so they are made once, not here):
  // tests/data/colour_24x16.jpg (see tests/data/README.md), chroma subsampled, and the fuzzer's
  // seed without subsampling (minus its first byte, the fuzz target's options).
  auto bytes_of = [](const fs::path& path, std::size_t skip) {
    const auto b = read_bytes(path.string());
    return std::vector<std::uint8_t>(b.begin() + static_cast<std::ptrdiff_t>(skip), b.end());
  };
  const fs::path src(MCRISE_SOURCE_DIR);
  const std::vector<std::uint8_t> jpg = bytes_of(src / "tests" / "data" / "colour_24x16.jpg", 0),
                                  jpg95 = bytes_of(src / "fuzz" / "corpus" / "rgb_3x2_q95.jpg", 1);
  const std::vector<std::uint8_t> png8 = png_bytes(img), pic = pic_file(img, true);
  const std::vector<const std::vector<std::uint8_t>*> files = {&png8, &jpg, &jpg95, &pic};
  for (const auto* file : files) {
    INFO((file == &png8 ? "PNG" : file == &pic ? "PIC" : "JPEG"));
    CHECK(decodes_as_stb(*file, false));
  }
}

// A Photoshop PSD of w x h pixels, RGB mode, from `planes` (one per channel, values row by row, 8 or
// 16 bits): raw, or PackBits with each row one literal (w <= 128).
std::vector<std::uint8_t> psd_file(int w, int h, int depth, bool packbits, const std::vector<std::vector<unsigned>>& planes) {
  std::vector<std::uint8_t> f = {'8', 'B', 'P', 'S', 0, 1, 0, 0, 0, 0, 0, 0};
  auto put = [&](std::uint32_t v, int bytes) {
    for (int s = 8 * (bytes - 1); s >= 0; s -= 8) f.push_back(static_cast<std::uint8_t>(v >> s));
  };
  put(static_cast<std::uint32_t>(planes.size()), 2);
  put(static_cast<std::uint32_t>(h), 4);
  put(static_cast<std::uint32_t>(w), 4);
  put(static_cast<std::uint32_t>(depth), 2);
  put(3, 2);                      // RGB
  for (int k = 0; k < 3; ++k) put(0, 4);  // no mode data, image resources, layers
  put(packbits ? 1 : 0, 2);
  if (packbits) {
    for (std::size_t r = 0; r < planes.size() * static_cast<std::size_t>(h); ++r) put(static_cast<std::uint32_t>(w + 1), 2);
    for (const auto& pl : planes)
      for (int y = 0; y < h; ++y) {
        f.push_back(static_cast<std::uint8_t>(w - 1));  // a literal of w bytes
        for (int x = 0; x < w; ++x) f.push_back(static_cast<std::uint8_t>(pl[static_cast<std::size_t>(y * w + x)]));
      }
  } else {
    for (const auto& pl : planes)
      for (unsigned v : pl) put(v, depth / 8);
  }
  return f;
}

TEST_CASE("PSD with transparency: colour premultiplied onto white decodes as stb decodes it; colour below it is refused",
          "[io]") {
  const int W = 5, H = 3;
  for (int depth : {8, 16})
    for (bool packbits : {false, true})
      for (int channels : {4, 6}) {  // channels past the 4th are never read
        if (depth == 16 && packbits) continue;  // stb reads PackBits data as bytes: the 8-bit case
        INFO(depth << "-bit, " << (packbits ? "PackBits" : "raw") << ", " << channels << " channels");
        const unsigned top = depth == 16 ? 65535u : 255u;
        // Alpha: 0 and top (stb leaves those pixels alone, colour 0 included), and values between,
        // with colour from the lowest premultiplied value (top - alpha, which stb maps to 0) upwards.
        std::vector<std::vector<unsigned>> planes(static_cast<std::size_t>(channels), std::vector<unsigned>(W * H));
        for (int i = 0; i < W * H; ++i) {
          const unsigned a = i == 0 ? 0u : i == 1 ? top : top / 15u * static_cast<unsigned>(i);
          planes[3][static_cast<std::size_t>(i)] = a;
          for (int c = 0; c < 3; ++c)
            planes[static_cast<std::size_t>(c)][static_cast<std::size_t>(i)] =
                i < 2 ? 0u : top - a + (static_cast<unsigned>(c * i) * 37u) % (a + 1u);
          for (int c = 4; c < channels; ++c) planes[static_cast<std::size_t>(c)][static_cast<std::size_t>(i)] = 7;
        }
        // With transparency, 16-bit files are read at 8 bits (by their high bytes), as stb's 8-bit path
        // reads them: stb's matte removal in float is exact only there.
        CHECK(decodes_as_stb(psd_file(W, H, depth, packbits, planes), false));
        // One value below the premultiplied range, in any of R, G, B: stb's float result would be -1
        // or less, and its conversion undefined. Refused, with the reason. (At 16 bits, below in the
        // high byte, which is what stb reads.)
        for (int c = 0; c < 3; ++c) {
          auto bad_planes = planes;
          const std::size_t i = 9;
          const unsigned a = planes[3][i];
          bad_planes[static_cast<std::size_t>(c)][i] = depth == 8 ? 255u - a - 1u : ((255u - (a >> 8) - 1u) << 8) | 0xFFu;
          const auto bad = psd_file(W, H, depth, packbits, bad_planes);
          try {
            (void)mcrise::decode_image(bad.data(), bad.size());
            FAIL("no exception");
          } catch (const mcrise::io_error& e) {
            CHECK(e.reason().find("not premultiplied onto white") != std::string::npos);
          }
        }
      }
}

TEST_CASE("16-bit PSD: without transparency read at 16 bits; with it, white at a small alpha stays white", "[io]") {
  // stb 2.27 never says a PSD is 16-bit (its test reads the height as the depth): decode_image
  // sends 16-bit files without transparency through stb's 16-bit path itself.
  std::vector<std::vector<unsigned>> rgb(3, std::vector<unsigned>(6));
  for (std::size_t c = 0; c < 3; ++c)
    for (std::size_t i = 0; i < 6; ++i) rgb[c][i] = static_cast<unsigned>(10007 * (c + 1) + 4099 * i) % 65536u;
  const auto file = psd_file(3, 2, 16, false, rgb);
  CHECK(decodes_as_stb(file, true));
  mcrise::LoadOptions o;
  o.value_max = 65535.0f;
  CHECK(mcrise::decode_image(file.data(), file.size(), o)(1, 2, 1) == static_cast<float>(rgb[1][5]));  // not rounded to 8 bits

  // With transparency stb's 16-bit path removes the matte in float, 512 a step at this size: white
  // at alpha 1 came out as 65536 (undefined; black in practice) and, with FMA, colour 65528 at
  // alpha 7 (premultiplied: valid) as -17. So these files are read at 8 bits, where both are white.
  for (const auto& [colour, alpha] : {std::pair<unsigned, unsigned>{65535, 1}, {65528, 7}}) {
    INFO("colour " << colour << ", alpha " << alpha);
    const auto px = psd_file(1, 1, 16, false, {{colour}, {colour}, {colour}, {alpha}});
    CHECK(decodes_as_stb(px, false));
    const mcrise::Image img = mcrise::decode_image(px.data(), px.size());
    CHECK(img == mcrise::Image(1, 1, 3, 1.0f));
  }
  // stb's test says yes to a PSD 2^20 rows high (its height's high half reads as depth 16): it too
  // is decided by decode_image, and its white pixels at alpha 1 stay white.
  const int tall = 1 << 20;
  const auto big = psd_file(1, tall, 16, false,
                            {std::vector<unsigned>(tall, 65535u), std::vector<unsigned>(tall, 65535u),
                             std::vector<unsigned>(tall, 65535u), std::vector<unsigned>(tall, 1u)});
  REQUIRE(mcrise::detail::stb::mcrise_detail_stbi_is_16_bit_from_memory(big.data(), static_cast<int>(big.size())) == 1);
  CHECK(mcrise::decode_image(big.data(), big.size()) == mcrise::Image(tall, 1, 3, 1.0f));
}

TEST_CASE("Bad options and unwritable paths", "[io]") {
  mcrise::LoadOptions o;
  o.channels = 5;
  REQUIRE_THROWS_AS(mcrise::load_image("x.png", o), std::invalid_argument);
  o = {};
  o.value_max = 0.0f;
  REQUIRE_THROWS_AS(mcrise::load_image("x.png", o), std::invalid_argument);
  REQUIRE_THROWS_AS(mcrise::save_png("/nonexistent_dir_mcrise/x.png", mcrise::Image(2, 2, 3)), mcrise::io_error);
  REQUIRE_THROWS_AS(mcrise::save_png(tmp_path("empty.png"), mcrise::Image()), mcrise::io_error);
  REQUIRE_THROWS_AS(mcrise::save_png(tmp_path("c5.png"), mcrise::Image(2, 2, 5)), std::invalid_argument);

  // A directory is no file: io_error naming the path and the reason (libstdc++ throws its own
  // exception from inside the stream; it must not escape).
  const std::string d = tmp_path("a_directory.png");
  std::filesystem::create_directories(d);
  try {
    (void)mcrise::load_image(d);
    FAIL("no exception");
  } catch (const mcrise::io_error& e) {
    CHECK(e.path() == d);
    CHECK(e.reason().find("directory") != std::string::npos);
  }

  // stb_image_write sizes its buffer as (W·C + 1)·H in an int: for 65536 x 21846 x 3 that overflows
  // (an ASan build reported a heap-buffer-overflow write). mcrise refuses more than 512 MiB of rows
  // before stb (checked on the sizes alone: the picture itself would take 4 GB).
  CHECK_THROWS_WITH(mcrise::detail::check_png_size("big.png", 65536, 21846, 3, "save_png"),
                    Catch::Contains("too large for PNG") && Catch::Contains("65536 x 21846 x 3"));
  CHECK_THROWS_AS(mcrise::detail::check_png_size("big.png", 13108, 13653, 3, "save_png"), mcrise::io_error);
  CHECK_NOTHROW(mcrise::detail::check_png_size("big.png", 13107, 13653, 3, "save_png"));
}

TEST_CASE("resize: identity, constants, exact 2x2 averaging, pixel-centre upsampling", "[io][resize]") {
  const mcrise::Image img = gradient(6, 8, 3);
  REQUIRE(mcrise::resize(img, 6, 8) == img);

  const mcrise::Image c = mcrise::resize(mcrise::Image(5, 7, 3, 0.25f), 13, 3);
  for (std::size_t i = 0; i < c.size(); ++i) REQUIRE(c.data()[i] == Approx(0.25f));

  // Halving: output centre (i + 0.5) * 2 - 0.5 = 2i + 0.5 lies midway between source pixels 2i and 2i + 1.
  const mcrise::Image h = mcrise::resize(img, 3, 4);
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 4; ++x)
      for (int ch = 0; ch < 3; ++ch) {
        const float avg = (img(2 * y, 2 * x, ch) + img(2 * y, 2 * x + 1, ch) + img(2 * y + 1, 2 * x, ch) +
                           img(2 * y + 1, 2 * x + 1, ch)) / 4.0f;
        REQUIRE(h(y, x, ch) == Approx(avg).margin(1e-6));
      }

  // Doubling a 1 x 2 ramp [0, 1]: centres at -0.25, 0.25, 0.75, 1.25 -> clamp, 0.25, 0.75, clamp.
  mcrise::Image r(1, 2, 1);
  r(0, 1, 0) = 1.0f;
  const mcrise::Image d = mcrise::resize(r, 1, 4);
  CHECK(d(0, 0, 0) == Approx(0.0f));
  CHECK(d(0, 1, 0) == Approx(0.25f));
  CHECK(d(0, 2, 0) == Approx(0.75f));
  CHECK(d(0, 3, 0) == Approx(1.0f));

  REQUIRE_THROWS_AS(mcrise::resize(img, 0, 3), std::invalid_argument);
  REQUIRE_THROWS_AS(mcrise::resize(mcrise::Image(), 3, 3), std::invalid_argument);
}

TEST_CASE("centre_crop and resize_and_crop", "[io][resize]") {
  const mcrise::Image img = gradient(10, 7, 3);
  const mcrise::Image c = mcrise::centre_crop(img, 4, 3);
  REQUIRE(c.height() == 4);
  REQUIRE(c.width() == 3);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 3; ++x)
      for (int ch = 0; ch < 3; ++ch) REQUIRE(c(y, x, ch) == img(y + 3, x + 2, ch));
  REQUIRE(mcrise::centre_crop(img, 10, 7) == img);
  REQUIRE_THROWS_AS(mcrise::centre_crop(img, 11, 7), std::invalid_argument);

  // 20 x 40 -> 10 x 10: scale 0.5 to 10 x 20, then the central 10 columns (5..14).
  const mcrise::Image wide = gradient(20, 40, 3);
  const mcrise::Image rc = mcrise::resize_and_crop(wide, 10, 10);
  const mcrise::Image ref = mcrise::centre_crop(mcrise::resize(wide, 10, 20), 10, 10);
  REQUIRE(rc == ref);
  // Already the right size: unchanged.
  REQUIRE(mcrise::resize_and_crop(img, 10, 7) == img);

  // A 1 x 1000 strip to 1000 x 1: the covering resize would be 1000 x 1,000,000 (12 GB); only the
  // kept column is computed. It is column 499,999 of that resize: source x = 499,999.5 / 1000 - 0.5
  // = 499.4995, between columns 499 and 500, the same in every row (one source row).
  const mcrise::Image strip = gradient(1, 1000, 3);
  const mcrise::Image col = mcrise::resize_and_crop(strip, 1000, 1);
  REQUIRE(col.height() == 1000);
  REQUIRE(col.width() == 1);
  const float t = static_cast<float>(499999.5 * (1000.0 / 1000000.0) - 0.5 - 499.0);
  for (int ch = 0; ch < 3; ++ch) {
    const float want = strip(0, 499, ch) + (strip(0, 500, ch) - strip(0, 499, ch)) * t;
    for (int y = 0; y < 1000; ++y) REQUIRE(col(y, 0, ch) == want);
  }
}

TEST_CASE("resize interpolates rows and columns with their own weights", "[io][resize]") {
  // 2 x 3 -> 4 x 5: source centre s = (i + 0.5) * n_in / n_out - 0.5, clamped to [0, n_in - 1];
  // rows: t_y = 0, 0.25, 0.75, 1 (clamped); columns: t_x = 0, 0.4, 1.0, 1.6, 2 (clamped).
  mcrise::Image img(2, 3, 1);
  const float v[6] = {0.0f, 1.0f, 4.0f, 9.0f, 16.0f, 25.0f};  // not bilinear in (y, x): no cancellation
  for (int p = 0; p < 6; ++p) img.data()[p] = v[p];
  const mcrise::Image out = mcrise::resize(img, 4, 5);
  auto centre = [](int i, int n_in, int n_out) {
    return std::min(std::max((i + 0.5) * n_in / n_out - 0.5, 0.0), static_cast<double>(n_in - 1));
  };
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 5; ++j) {
      const double sy = centre(i, 2, 4), sx = centre(j, 3, 5);
      const int y0 = static_cast<int>(std::floor(sy)), x0 = static_cast<int>(std::floor(sx));
      const int y1 = std::min(y0 + 1, 1), x1 = std::min(x0 + 1, 2);
      const double ty = sy - y0, tx = sx - x0;
      auto at = [&](int y, int x) { return static_cast<double>(img(y, x, 0)); };
      const double expect = (1 - ty) * ((1 - tx) * at(y0, x0) + tx * at(y0, x1)) + ty * ((1 - tx) * at(y1, x0) + tx * at(y1, x1));
      INFO("output (" << i << ", " << j << ")");
      CHECK(out(i, j, 0) == Approx(expect).margin(1e-5));
    }
}
