// Loading, saving, resizing and cropping images (mcrise/io.hpp).
#include <mcrise/io.hpp>

#include <catch2/catch.hpp>

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
  // One row less fits: refused later, for its missing data, not for its size.
  CHECK(reason(png_header_only(16384, 16383, 16), big).find("too large") == std::string::npos);
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

// Radiance HDR, 10 x 3 RGBE pixels: flat (4 bytes a pixel), or as stb_image's run-length
// scanlines (2, 2, width; then per component runs "128 + n, value" and literals "n, n bytes").
// The pixels make runs where a component repeats, literals where it does not.
std::vector<std::uint8_t> hdr_file(bool rle) {
  const int W = 10, H = 3;
  auto px = [](int x, int y, int k) {
    return static_cast<std::uint8_t>(k == 3 ? 128 + y : (k == 0 ? 200 : (x < 6 ? 40 * k + 20 * y : 11 * x + k)));
  };
  const std::string head = "#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 3 +X 10\n";
  std::vector<std::uint8_t> f(head.begin(), head.end());
  for (int y = 0; y < H; ++y) {
    if (!rle) {
      for (int x = 0; x < W; ++x)
        for (int k = 0; k < 4; ++k) f.push_back(px(x, y, k));
      continue;
    }
    f.insert(f.end(), {2, 2, 0, static_cast<std::uint8_t>(W)});
    for (int k = 0; k < 4; ++k) {
      if (k == 0 || k == 3) {  // one run of the whole row
        f.insert(f.end(), {static_cast<std::uint8_t>(128 + W), px(0, y, k)});
      } else {  // a run of 6, then a literal of 4
        f.insert(f.end(), {128 + 6, px(0, y, k), 4});
        for (int x = 6; x < W; ++x) f.push_back(px(x, y, k));
      }
    }
  }
  return f;
}

TEST_CASE("Radiance HDR: run-length scanlines decode; a file cut inside one (stb would loop forever) is refused",
          "[io]") {
  const auto flat = hdr_file(false), rle = hdr_file(true);
  const mcrise::Image a = mcrise::decode_image(flat.data(), flat.size());
  const mcrise::Image b = mcrise::decode_image(rle.data(), rle.size());
  REQUIRE(a.height() == 3);
  REQUIRE(a.width() == 10);
  REQUIRE(b == a);  // the same pixels, however they are encoded: no valid scanline is refused

  const std::size_t data = rle.size() - 3 * 22;  // the first scanline (22 bytes each, see hdr_file)
  REQUIRE(rle[data] == 2);
  // A literal of length 0 inside the data is read past (by stb too): still the same pixels.
  auto padded = rle;
  padded.insert(padded.begin() + static_cast<std::ptrdiff_t>(data + 6), std::uint8_t{0});  // before green's run
  REQUIRE(mcrise::decode_image(padded.data(), padded.size()) == a);

  // Cut anywhere in the scanlines: past the end stb reads zeros without moving on. A cut inside a
  // scanline's component data (offsets 4 .. 20 of its 22 bytes) leaves a count to be read there:
  // refused. Cut after the header's "2, 2" (offsets 2, 3) the scanline length reads as 0: stb's
  // own error. Cut before them (0, 1) stb decodes the rest as flat (zero) pixels, and a cut of the
  // last value byte alone (21) reads that value as 0: those decode. None hangs.
  for (std::size_t n = data; n < rle.size(); ++n) {
    INFO("cut at " << n << " of " << rle.size());
    const std::size_t offset = (n - data) % 22;
    if (offset >= 2 && offset <= 20) {
      try {
        (void)mcrise::decode_image(rle.data(), n);
        FAIL("no exception");
      } catch (const mcrise::io_error& e) {
        if (offset >= 4) CHECK(e.reason().find("truncated HDR") != std::string::npos);
      }
    } else {
      CHECK_NOTHROW(mcrise::decode_image(rle.data(), n));
    }
  }
}

// A Softimage PIC of an 8-bit RGB image: header, one uncompressed R G B packet, the pixels row by row.
std::vector<std::uint8_t> pic_file(const mcrise::Image& img) {
  std::vector<std::uint8_t> f = {0x53, 0x80, 0xF6, 0x34};
  f.insert(f.end(), 84, 0);
  f.insert(f.end(), {'P', 'I', 'C', 'T', 0, static_cast<std::uint8_t>(img.width()), 0,
                     static_cast<std::uint8_t>(img.height())});
  f.insert(f.end(), 8, 0);            // ratio, fields, pad
  f.insert(f.end(), {0, 8, 0, 0xE0});  // not chained, 8 bits, uncompressed, R G B
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x)
      for (int c = 0; c < 3; ++c) f.push_back(static_cast<std::uint8_t>(std::lround(img(y, x, c) * 255.0f)));
  return f;
}

TEST_CASE("Softimage PIC: every channel count gives what the same PNG gives; a cut file is refused, not read as null",
          "[io]") {
  const mcrise::Image img = gradient(5, 7, 3);
  const std::string p = tmp_path("pic_twin.png");
  mcrise::save_png(p, img);
  const auto png = read_bytes(p);
  std::remove(p.c_str());
  const auto pic = pic_file(img);
  for (int C = 1; C <= 4; ++C) {
    INFO("channels " << C);
    mcrise::LoadOptions o;
    o.channels = C;
    const mcrise::Image a = mcrise::decode_image(reinterpret_cast<const std::uint8_t*>(png.data()), png.size(), o);
    const mcrise::Image b = mcrise::decode_image(pic.data(), pic.size(), o);
    REQUIRE(b == a);  // stb's own conversion, from RGBA for PIC and from RGB for PNG
    // Cut inside the pixels: stb fails to decode, then (2.27) converts a null buffer unless C = 4.
    for (std::size_t n = 110; n < pic.size(); n += 5) CHECK_THROWS_AS(mcrise::decode_image(pic.data(), n, o), mcrise::io_error);
  }
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
}
