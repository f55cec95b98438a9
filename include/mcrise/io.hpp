#pragma once
/// @file io.hpp
/// @brief Images in and out: load PNG / JPEG / BMP / TGA (and the other
///        formats stb_image reads) into an mcrise::Image, save Images and
///        Pictures as PNG, and bring an image to a model's input size
///        (bilinear resize, centre crop).
///
/// The stb implementation is compiled privately into every translation unit
/// that includes this header (see detail/io_stb.hpp): it never clashes with a
/// user who uses stb_image / stb_image_write themselves, in the same program
/// or the same file, before or after this header.

#include <mcrise/detail/checks.hpp>
#include <mcrise/detail/file.hpp>
#include <mcrise/detail/io_stb.hpp>
#include <mcrise/image.hpp>
#include <mcrise/io_error.hpp>
#include <mcrise/picture.hpp>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <ios>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcrise {

/// @brief Options of load_image().
struct LoadOptions {
  /// Value of a full-intensity channel in the returned Image: 1 gives [0,1]
  /// (the default), 255 gives 0..255. Must be finite and > 0.
  float value_max = 1.0f;
  /// Channels of the returned Image: 3 (RGB, the default; grey is replicated,
  /// alpha dropped), 1 (grey), 2 (grey + alpha) or 4 (RGBA), converted by stb_image.
  int channels = 3;
  /// Refuse an image whose declared size W * H exceeds this many pixels,
  /// before anything is decoded (a tiny file can declare a gigantic image). Must be >= 1.
  /// 16-bit images are refused above 268,435,455 pixels whatever this says (stb_image's
  /// buffer sizes for them are 32-bit ints and would wrap around).
  std::int64_t max_pixels = std::int64_t{1} << 26;
};

namespace detail {

inline void check_load_options(const LoadOptions& opt, const char* fn) {
  require_finite_positive(std::string("mcrise::") + fn + "()", "value_max", opt.value_max);
  if (opt.channels < 1 || opt.channels > 4)
    throw std::invalid_argument(std::string("mcrise::") + fn + "(): channels must be in 1..4, got " +
                                std::to_string(opt.channels));
  if (opt.max_pixels < 1)
    throw std::invalid_argument(std::string("mcrise::") + fn + "(): max_pixels must be >= 1, got " +
                                std::to_string(opt.max_pixels));
}

/// What a failed decode reports when stb_image gives no reason of its own.
inline constexpr const char* no_stb_reason = "stb_image gives no reason";

inline std::string stb_reason() {
  const char* r = stb::mcrise_detail_stbi_failure_reason();
  return r ? std::string(r) : std::string(no_stb_reason);
}

/// stb_image's reason for a failed decode. stb keeps the last reason it set, also one set while
/// it probed other formats (its format tests fail with "no SOI", "bad png sig", "not GIF" or "not
/// BMP"), and some of its decoders fail without setting one: a PNG with a corrupt IDAT used to be
/// reported with JPEG's "no SOI". A format's own decoder runs only after its test passed, so it
/// never fails for one of those reasons: they are dropped.
inline std::string stb_decode_reason() {
  std::string r = stb_reason();
  for (const char* probe : {"no SOI", "bad png sig", "not GIF", "not BMP"})
    if (r == probe) r = no_stb_reason;
  return r;
}

/// Checks a binary PNM (P5/P6) header before stb_image sees it; returns the
/// reason to refuse it, or an empty string. Two stb_image 2.27 bugs, both found
/// by fuzz/run.sh: (1) header numbers are parsed into an int without an
/// overflow check (signed overflow; regression file pnm_header_overflow.ppm),
/// so numbers of more than 9 digits are refused; (2) a 16-bit PNM (maxval >
/// 255) whose pixel data is truncated comes back as a buffer shorter than the
/// image (heap overflow on read; pnm16_truncated.ppm), so 16-bit PNMs are refused.
inline std::string pnm_header_problem(const unsigned char* b, std::size_t n) {
  if (n < 2 || b[0] != 'P' || (b[1] != '5' && b[1] != '6')) return {};
  std::size_t i = 2;
  long long value[3] = {0, 0, 0};
  for (int field = 0; field < 3; ++field) {  // width, height, maxval
    for (;;) {                                // whitespace and # comments
      while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r' || b[i] == '\v' || b[i] == '\f')) ++i;
      if (i < n && b[i] == '#') {
        while (i < n && b[i] != '\n' && b[i] != '\r') ++i;
        continue;
      }
      break;
    }
    std::size_t digits = 0;
    while (i < n && b[i] >= '0' && b[i] <= '9') {
      if (++digits > 9) return "corrupt PNM header: a number has more than 9 digits";
      value[field] = value[field] * 10 + (b[i++] - '0');
    }
    if (digits == 0) return {};  // malformed: stb rejects it safely
  }
  if (value[2] > 255) return "16-bit PNM (maxval " + std::to_string(value[2]) + ") is not supported";
  return {};
}

/// An encoded stream as stb_image reads it: a byte past the end reads as 0 (and a read there does
/// not move on), numbers are big-endian. The stream checks below walk a file with it to see what
/// stb will see.
struct StbBytes {
  const unsigned char* b;
  std::size_t n;
  std::size_t p = 0;  ///< where get8() reads next

  std::size_t at(std::size_t k) const noexcept { return k < n ? b[k] : 0; }
  std::size_t be16_at(std::size_t k) const noexcept { return at(k) << 8 | at(k + 1); }
  std::uint32_t be32_at(std::size_t k) const noexcept {
    return static_cast<std::uint32_t>(at(k) << 24 | at(k + 1) << 16 | at(k + 2) << 8 | at(k + 3));
  }
  unsigned get8() noexcept { return p < n ? b[p++] : 0u; }
  unsigned get16() noexcept {
    const unsigned z = get8();
    return (z << 8) | get8();
  }
  std::uint32_t get32() noexcept {
    const std::uint32_t z = get16();
    return (z << 16) | get16();
  }
};

/// Why stb_image 2.27 must not see a PNG stream, or "" if it may (or is no PNG). Walks the
/// chunk list (4-byte length, 4-byte type, data, 4-byte CRC) up to IEND, as stb does:
/// - a zero-length IDAT chunk before any image data: stb calls memcpy with a null
///   destination (undefined behaviour; found by fuzz/run.sh, regression file png_empty_idat.png);
/// - a chunk whose declared length runs past the end of the file: stb grows its IDAT buffer to
///   the declared size (doubling, up to 2 GiB for a 123-byte file) before it notices the data is
///   missing (found by fuzz/run.sh, png_chunk_past_end.png). stb refuses every such file in the
///   end (its reads run out of data), so this refuses no PNG that stb would decode.
inline std::string png_stream_problem(const unsigned char* b, std::size_t n) {
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  if (n < 8 || !std::equal(sig, sig + 8, b)) return {};
  const StbBytes s{b, n};
  bool data_seen = false;
  for (std::size_t i = 8; i + 8 <= n;) {
    const std::size_t len = s.be32_at(i);
    const bool idat = b[i + 4] == 'I' && b[i + 5] == 'D' && b[i + 6] == 'A' && b[i + 7] == 'T';
    const bool iend = b[i + 4] == 'I' && b[i + 5] == 'E' && b[i + 6] == 'N' && b[i + 7] == 'D';
    if (iend) return {};
    if (idat && len == 0 && !data_seen) return "PNG whose first IDAT chunk is empty is not supported";
    if (len > n - (i + 8))
      return "corrupt or truncated PNG: a chunk declares " + std::to_string(len) + " bytes but only " +
             std::to_string(n - (i + 8)) + " follow";
    data_seen = data_seen || idat;
    i += 12 + len;  // length, type, data, CRC
  }
  return {};
}

/// Why stb_image 2.27 must not see a Radiance HDR stream, or "" if it may (or is no HDR): its pixel
/// data ends early. Past the end of the data stb_image reads 0 without moving on, so
/// - in a run-length scanline a count of 0 (a literal of no bytes) is read again and again: it
///   loops forever (found by fuzz/run.sh with an HDR seed; tests/data/broken/hdr_truncated_scanline.hdr);
/// - flat pixels (widths below 8 or from 32768, or a scanline without the run-length header) are
///   read 4 bytes at a time by a call that, short of data, leaves them unwritten: the image would
///   hold uninitialised memory;
/// - a missing run value or literal byte would silently read as 0.
/// This walks the stream as stb does (the header lines as stbi__hdr_gettoken cuts them, the
/// "-Y h +X w" line with stb's own conversions, then the scanlines) and refuses it at the first
/// read past the end. Where stb fails on its own first (a scanline of the wrong length, a count
/// longer than the rest of the scanline) it returns "" and stb's error stands.
inline std::string hdr_stream_problem(const unsigned char* b, std::size_t n) {
  auto starts = [&](const char* sig) {
    const std::size_t k = std::strlen(sig);
    return n >= k && std::equal(sig, sig + k, b);
  };
  if (!starts("#?RADIANCE\n") && !starts("#?RGBE\n")) return {};
  StbBytes s{b, n};
  std::size_t& p = s.p;
  // One header line as stb_image's stbi__hdr_gettoken reads it: at most 1023 bytes (the rest of a
  // longer line is skipped), a byte read at the end of the data is dropped, and a NUL ends the text.
  auto token = [&]() {
    std::string t;
    unsigned c = s.get8();
    while (p < n && c != '\n') {
      t.push_back(static_cast<char>(c));
      if (t.size() == 1023) {
        while (p < n && s.get8() != '\n') {
        }
        break;
      }
      c = s.get8();
    }
    return std::string(t.c_str());
  };
  token();  // the signature
  while (!token().empty()) {
  }
  const std::string dims = token();
  if (dims.compare(0, 3, "-Y ") != 0) return {};  // stb: unsupported layout
  char* end = nullptr;
  const int height = static_cast<int>(std::strtol(dims.c_str() + 3, &end, 10));  // stb's conversions, exactly
  while (*end == ' ') ++end;
  if (std::strncmp(end, "+X ", 3) != 0) return {};
  const int width = static_cast<int>(std::strtol(end + 3, nullptr, 10));
  if (width <= 0 || height <= 0) return {};  // stb's header check refuses it
  const std::string why = "truncated HDR: the pixel data ends before the last pixel";
  // From q on, stb reads every pixel flat (4 bytes each, from the first pixel again).
  auto flat_from = [&](std::size_t q) {
    const std::int64_t have = q < n ? static_cast<std::int64_t>(n - q) : 0;
    return have < 4 * static_cast<std::int64_t>(width) * height ? why : std::string();
  };
  if (width < 8 || width >= 32768) return flat_from(p);
  for (int j = 0; j < height; ++j) {
    if (s.at(p) != 2 || s.at(p + 1) != 2 || (s.at(p + 2) & 0x80)) return flat_from(p);
    if (static_cast<int>(s.be16_at(p + 2)) != width) return {};  // stb: bad scanline length
    if (p + 4 > n) return why;
    p += 4;
    for (int k = 0; k < 4; ++k)
      for (int i = 0; i < width;) {
        if (p >= n) return why;  // stb would read a count of 0 here, again and again
        int count = b[p++];
        if (count > 128) {  // a run: one value, count - 128 times
          count -= 128;
          if (count > width - i) return {};  // stb: bad RLE data
          if (p >= n) return why;
          ++p;
        } else {  // a literal of count bytes (a count of 0 inside the data is read past, as stb does)
          if (count > width - i) return {};
          if (static_cast<std::size_t>(count) > n - p) return why;
          p += static_cast<std::size_t>(count);
        }
        i += count;
      }
  }
  return {};
}

/// True if the stream is a Photoshop PSD (stb_image takes every stream starting "8BPS" as one).
inline bool is_psd_stream(const unsigned char* b, std::size_t n) noexcept {
  return n >= 4 && b[0] == '8' && b[1] == 'B' && b[2] == 'P' && b[3] == 'S';
}

/// Whether decode_image sends a PSD through stb_image's 16-bit path: 16 bits a channel and fewer
/// than 4 channels (no transparency). stb 2.27's own test cannot be used for PSD: stbi__psd_is16
/// skips the height and width with STBI_NOTUSED, which outside MSVC evaluates nothing, and reads
/// the height as the depth, so it says no to 16-bit files (their low 8 bits were lost) and yes to
/// files about 2^20 rows high. With 4 or more channels stb removes the white matte in float, where
/// at 16 bits a float step is 512 and valid pixels come out of range (white at alpha 1 gives 65536,
/// undefined for unsigned short, black in practice; found by a review of the check below): those
/// files take the 8-bit path, where the matte removal is exact, and keep 8 bits.
inline bool psd_takes_16bit_path(const unsigned char* b, std::size_t n) noexcept {
  return n >= 24 && b[12] == 0 && b[13] < 4 && b[22] == 0 && b[23] == 16;
}

/// Why stb_image 2.27 must not decode a Photoshop PSD stream, or "" if it may (or is no PSD): it has
/// transparency (4 or more channels) and a pixel whose colour lies below what premultiplication onto
/// white allows (some R, G or B value below 255 - alpha, with 0 < alpha < 255). stb removes the
/// white matte as c / a + 255 (1 - 1 / a), in float, and converts the result to unsigned char: for
/// such a pixel it is -1 or below, and that conversion is undefined behaviour (found by fuzz/run.sh in
/// CI's fixed-seed run; tests/data/broken/psd_alpha_below_matte.psd). Photoshop writes the composite
/// of a transparent image premultiplied onto white, so a file it wrote never has such a pixel. For
/// every (alpha, colour) pair, with and without FMA contraction, stb's float result is -1 or below
/// exactly when colour + alpha < 255 (checked exhaustively by a review), so the rule refuses nothing
/// else. Such files always take stb's 8-bit path (psd_takes_16bit_path), which reads 16-bit raw
/// values by their high byte.
/// This walks the stream as stb reads it: the header, the planes R, G, B, A (later channels are
/// never read), raw or PackBits, with 0 read past the end of the data. Where stb fails on its own
/// (a header it refuses, a PackBits run longer than the rest of the plane) it returns "" and stb's
/// error stands. It keeps one plane (a byte a pixel), so call it after the size checks.
inline std::string psd_stream_problem(const unsigned char* b, std::size_t n) {
  if (!is_psd_stream(b, n)) return {};
  StbBytes s{b, n, 4};
  std::size_t& p = s.p;
  auto skip = [&](std::uint32_t k) { p = k > static_cast<std::uint32_t>(INT_MAX) ? n : p + k; };  // stb: an int
  if (s.get16() != 1) return {};
  skip(6);
  const unsigned channels = s.get16();
  if (channels < 4 || channels > 16) return {};  // stb refuses more than 16, and removes no matte below 4
  const std::uint32_t h = s.get32(), w = s.get32();
  if (h == 0 || w == 0 || h > (1u << 24) || w > (1u << 24)) return {};
  const unsigned depth = s.get16();
  if ((depth != 8 && depth != 16) || s.get16() != 3) return {};
  for (int k = 0; k < 3; ++k) skip(s.get32());  // mode data, image resources, layers and masks
  const unsigned compression = s.get16();
  if (compression > 1 || 4ull * w * h > static_cast<unsigned long long>(INT_MAX)) return {};
  const std::size_t count = static_cast<std::size_t>(w) * h;
  if (compression) skip(2 * h * channels);  // the byte count of every packed row, which stb skips
  // One plane as stb reads it, each value handed to on(pixel, value); false where stb fails. Past the
  // end of the data every value is 0 (in PackBits a literal of one 0, again and again): from the
  // first such pixel on, zeros_from(pixel) is called instead, once.
  auto plane = [&](auto&& on, auto&& zeros_from) {
    std::size_t i = 0;
    if (!compression) {
      for (; i < count && p < n; ++i) on(i, depth == 16 ? s.get16() >> 8 : s.get8());  // stb's 8-bit path
    } else {
      while (i < count && p < n) {  // PackBits: bytes, whatever the depth (as stb reads it)
        unsigned len = s.get8();
        if (len == 128) continue;  // no-op
        const bool run = len > 128;
        len = run ? 257 - len : len + 1;
        if (len > count - i) return false;  // stb: "bad RLE data"
        const unsigned v = run ? s.get8() : 0u;
        for (; len > 0; --len) on(i++, run ? v : s.get8());
      }
    }
    if (i < count) zeros_from(i);
    return true;
  };
  auto nothing = [](std::size_t) {};
  const std::size_t start = p;
  if (!compression)
    p += 3 * count * (depth / 8);  // the colour planes, skipped as stb reads them (0 past the end)
  else
    for (int c = 0; c < 3; ++c)
      if (!plane([](std::size_t, unsigned) {}, nothing)) return {};
  std::vector<std::uint8_t> alpha(count);  // 0 where the data has ended
  bool partial = false;                    // a pixel whose matte stb removes: 0 < alpha < 255
  auto keep = [&](std::size_t i, unsigned v) {
    alpha[i] = static_cast<std::uint8_t>(v);
    partial = partial || (v != 0 && v != 255);
  };
  if (!plane(keep, nothing)) return {};
  if (!partial) return {};
  p = start;
  bool below = false;
  for (int c = 0; c < 3 && !below; ++c)
    plane([&](std::size_t i, unsigned v) { below = below || (alpha[i] != 0 && alpha[i] != 255 && v + alpha[i] < 255); },
          [&](std::size_t from) {  // colour 0: below wherever 0 < alpha < 255
            for (std::size_t i = from; i < count && !below; ++i) below = alpha[i] != 0 && alpha[i] != 255;
          });
  if (!below) return {};
  return "PSD with transparency whose colour is not premultiplied onto white (a value below 255 - alpha): "
         "stb_image's removal of the white matte is undefined for it";
}

/// True if stb_image takes the stream as a Softimage PIC (its magic number, and "PICT" at byte 88).
inline bool is_pic_stream(const unsigned char* b, std::size_t n) noexcept {
  static const unsigned char magic[4] = {0x53, 0x80, 0xF6, 0x34};
  return n >= 92 && std::equal(magic, magic + 4, b) && b[88] == 'P' && b[89] == 'I' && b[90] == 'C' && b[91] == 'T';
}

/// True if a JPEG stream holds a Huffman table (DHT) that declares more than
/// 256 codes. Debian's stb_image (2.27) writes past its table arrays on such
/// input before it notices (found by fuzz/run.sh; regression files
/// tests/data/broken/jpeg_dht_*.jpg), so these streams are refused before stb
/// sees them. stb's own parser can reach a DHT marker at positions a
/// length-based walk of the segments would skip (it consumes segments by their
/// content), so every 0xFF 0xC4 in the stream is read as a DHT, table after
/// table, exactly as stb reads one (bytes past the end read as 0). A valid
/// stream never has such a table, so this refuses no valid JPEG.
inline bool jpeg_has_oversized_huffman_table(const unsigned char* b, std::size_t n) noexcept {
  // stb takes a stream as JPEG if it starts with 0xFF, any number of 0xFF fill
  // bytes, then SOI (0xD8).
  std::size_t start = 0;
  while (start < n && b[start] == 0xFF) ++start;
  if (start == 0 || start >= n || b[start] != 0xD8) return false;
  const StbBytes s{b, n};
  for (std::size_t i = start + 1; i + 1 < n; ++i) {
    if (b[i] != 0xFF || b[i + 1] != 0xC4) continue;
    long long left = static_cast<long long>(s.be16_at(i + 2)) - 2;
    std::size_t p = i + 4;
    while (left > 0) {
      const std::size_t q = s.at(p);
      if ((q >> 4) > 1 || (q & 15) > 3) break;  // stb stops here with "bad DHT header"
      std::size_t codes = 0;
      for (std::size_t k = 1; k <= 16; ++k) codes += s.at(p + k);
      if (codes > 256) return true;
      p += 17 + codes;
      left -= static_cast<long long>(17 + codes);
    }
  }
  return false;
}

/// Pixels returned by stb_image, freed by stb_image_free however the scope is left.
struct StbFree {
  void operator()(void* p) const noexcept { stb::mcrise_detail_stbi_image_free(p); }
};
template <class T>
using StbPixels = std::unique_ptr<T, StbFree>;

/// Decode an in-memory encoded image; `name` is used in error messages.
inline Image decode_image(const unsigned char* bytes, std::size_t size, const LoadOptions& opt, const std::string& name,
                          const char* fn) {
  if (size == 0) throw io_error(fn, name, "file is empty");
  if (size > static_cast<std::size_t>(INT_MAX)) throw io_error(fn, name, "file is too large (over 2 GiB)");
  if (jpeg_has_oversized_huffman_table(bytes, size))
    throw io_error(fn, name, "corrupt JPEG: a Huffman table declares more than 256 codes");
  if (const std::string why = pnm_header_problem(bytes, size); !why.empty()) throw io_error(fn, name, why);
  if (const std::string why = png_stream_problem(bytes, size); !why.empty()) throw io_error(fn, name, why);
  if (const std::string why = hdr_stream_problem(bytes, size); !why.empty()) throw io_error(fn, name, why);
  const int len = static_cast<int>(size);
  int w = 0, h = 0, comp = 0;
  // Read only the header first: refuse absurd declared sizes before allocating anything.
  if (!stb::mcrise_detail_stbi_info_from_memory(bytes, len, &w, &h, &comp)) {
    const std::string why = stb_reason();
    if (why == "too large")  // stb refuses headers whose size overflows its own limits
      throw io_error(fn, name, "declared image size is too large (stb: " + why + ")");
    throw io_error(fn, name, "not a readable image (wrong magic or corrupt header: " + why + ")");
  }
  if (w <= 0 || h <= 0) throw io_error(fn, name, "image declares an empty size");
  const std::int64_t declared = static_cast<std::int64_t>(w) * static_cast<std::int64_t>(h);
  if (declared > opt.max_pixels)
    throw io_error(fn, name,
                   "declared size " + std::to_string(w) + " x " + std::to_string(h) + " = " +
                       std::to_string(declared) + " pixels exceeds max_pixels = " + std::to_string(opt.max_pixels));
  if (const std::string why = psd_stream_problem(bytes, size); !why.empty()) throw io_error(fn, name, why);
  const int C = opt.channels;
  int dw = 0, dh = 0, dc = 0;
  Image out;
  const bool sixteen = is_psd_stream(bytes, size) ? psd_takes_16bit_path(bytes, size)
                                                  : stb::mcrise_detail_stbi_is_16_bit_from_memory(bytes, len) != 0;
  stb::stbi__g_failure_reason = nullptr;  // what a failed decode reports is its own reason, or none
  if (sixteen) {
    // stb_image 2.27 sizes its 16-bit channel conversion (stbi__convert_format16) as an int,
    // without an overflow check: past 2^31 bytes it allocates a wrapped-around size and writes
    // past it. 4 channels x 2 bytes a pixel bounds every buffer it makes for a 16-bit image.
    constexpr std::int64_t max_16bit = static_cast<std::int64_t>(INT_MAX) / 8;
    if (declared > max_16bit)
      throw io_error(fn, name,
                     "16-bit image of " + std::to_string(declared) + " pixels is too large for stb_image (at most " +
                         std::to_string(max_16bit) + " pixels: its buffer sizes are 32-bit)");
    const StbPixels<unsigned short> px(stb::mcrise_detail_stbi_load_16_from_memory(bytes, len, &dw, &dh, &dc, C));
    if (!px) throw io_error(fn, name, "corrupt or truncated image data (" + stb_decode_reason() + ")");
    out = Image(dh, dw, C);
    const float s = opt.value_max / 65535.0f;
    for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = static_cast<float>(px.get()[i]) * s;
  } else {
    // A Softimage PIC whose pixel data is corrupt or cut short makes stb_image 2.27 convert a null
    // buffer to the channels asked for (a null read; found by fuzz/run.sh, regression file
    // tests/data/broken/pic_truncated.pic) unless they are its own 4: so PIC is decoded to RGBA
    // and converted here, by stb's own conversion, to the same values stb would give.
    const bool pic = is_pic_stream(bytes, size);
    StbPixels<unsigned char> px(stb::mcrise_detail_stbi_load_from_memory(bytes, len, &dw, &dh, &dc, pic ? 4 : C));
    if (px && pic && C != 4)  // stb's conversion frees its input
      px.reset(stb::stbi__convert_format(px.release(), 4, C, static_cast<unsigned>(dw), static_cast<unsigned>(dh)));
    if (!px) throw io_error(fn, name, "corrupt or truncated image data (" + stb_decode_reason() + ")");
    out = Image(dh, dw, C);
    const float s = opt.value_max / 255.0f;
    for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = static_cast<float>(px.get()[i]) * s;
  }
  return out;
}

inline std::uint8_t to_byte(float v, float value_max) noexcept {
  const float t = v / value_max;
  if (!(t > 0.0f)) return 0;  // also NaN -> 0
  if (t >= 1.0f) return 255;
  return static_cast<std::uint8_t>(std::lround(t * 255.0f));
}

/// Throws io_error if stb_image_write cannot write a w x h x comp PNG: an empty image, or one too large.
inline void check_png_size(const std::string& path, int w, int h, int comp, const char* fn) {
  if (w <= 0 || h <= 0) throw io_error(fn, path, "cannot write an empty image");
  // stb_image_write 1.16 sizes its buffers with int arithmetic and no overflow check: the filtered
  // rows take (w·comp + 1)·h bytes (past 2^31 the int overflows, in practice into a small buffer
  // and a heap overflow), and its zlib output grows by doubling an int (past about 1 GiB). mcrise
  // refuses more than half a GiB of rows, well inside both.
  const long long filtered = (static_cast<long long>(w) * comp + 1) * h;
  if (filtered > (1ll << 29))
    throw io_error(fn, path,
                   "image too large for PNG: " + std::to_string(w) + " x " + std::to_string(h) + " x " +
                       std::to_string(comp) +
                       " is over 512 MiB of pixel rows (mcrise's limit, which keeps stb_image_write's int sizes safe)");
}

inline void write_png_bytes(const std::string& path, int w, int h, int comp, const std::uint8_t* data,
                            const char* fn) {
  check_png_size(path, w, h, comp, fn);
  // Encoded in memory, then written by write_file(), which checks every step (stb's own file
  // writer ignores the results of fwrite and fclose: a full disk went unnoticed).
  std::vector<unsigned char> png;
  const auto sink = [](void* ctx, void* bytes, int n) {
    auto* out = static_cast<std::vector<unsigned char>*>(ctx);
    out->insert(out->end(), static_cast<unsigned char*>(bytes), static_cast<unsigned char*>(bytes) + n);
  };
  if (!stb::stbi_write_png_to_func(sink, &png, w, h, comp, data, w * comp))
    throw io_error(fn, path, "cannot encode PNG (out of memory)");
  write_file(path, png.data(), png.size(), fn);
}

}  // namespace detail

/// @brief Load an image file into an Image.
///
/// Formats: PNG (8 and 16 bit), JPEG (baseline and progressive), BMP, TGA,
/// GIF (first frame), PSD, PNM, HDR, PIC, all through stb_image.
/// @param path file to read
/// @param opt value range, channel count and size limit, see LoadOptions
/// @return H x W x opt.channels image, values in [0, opt.value_max]
///         (16-bit PNGs, and 16-bit PSDs without transparency, keep their precision).
/// @throws io_error if the file is missing, not a regular file (a FIFO, device or directory: refused
///         without blocking), over 16 GiB, empty, not an image, corrupt or
///         truncated, declares more than opt.max_pixels pixels, or is one of
///         the hostile inputs refused before stb_image sees them (README,
///         "Untrusted image files"); the message names the path and the reason.
/// @throws std::invalid_argument on invalid options.
inline Image load_image(const std::string& path, const LoadOptions& opt = {}) {
  detail::check_load_options(opt, "load_image");
  const auto bytes = detail::read_file(path, "load_image");
  return detail::decode_image(bytes.data(), bytes.size(), opt, path, "load_image");
}

/// @brief Decode an encoded image (the bytes of a PNG, JPEG, ... file) held in memory.
/// @param bytes the encoded file, `size` bytes
/// @param size number of bytes
/// @param opt see LoadOptions
/// @return as load_image()
/// @throws io_error (with path "<memory>") as load_image(); std::invalid_argument on invalid options
///         or a null `bytes` with size > 0.
inline Image decode_image(const std::uint8_t* bytes, std::size_t size, const LoadOptions& opt = {}) {
  detail::check_load_options(opt, "decode_image");
  if (bytes == nullptr && size != 0) throw std::invalid_argument("mcrise::decode_image(): bytes is null");
  return detail::decode_image(bytes, size, opt, "<memory>", "decode_image");
}

/// @brief Convert an Image to an 8-bit Picture: value v becomes
///        round(255 * v / value_max), clamped to 0..255 (NaN -> 0).
/// @param img H x W x C image with C = 1 (grey, replicated), 3 (RGB) or 4 (alpha dropped)
/// @param value_max value of a full-intensity channel, > 0
/// @throws std::invalid_argument on an empty image, another channel count or a value_max not finite or <= 0.
inline Picture to_picture(const Image& img, float value_max = 1.0f) {
  detail::require_finite_positive("mcrise::to_picture()", "value_max", value_max);
  if (img.empty()) throw std::invalid_argument("mcrise::to_picture(): the image is empty");
  const int C = img.channels();
  if (C != 1 && C != 3 && C != 4)
    throw std::invalid_argument("mcrise::to_picture(): image must have 1, 3 or 4 channels, got " + std::to_string(C));
  Picture out(img.height(), img.width());
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x) {
      const float* p = img.pixel(y, x);
      if (C == 1) {
        const std::uint8_t g = detail::to_byte(p[0], value_max);
        out.set(y, x, Rgb{g, g, g});
      } else {
        out.set(y, x, Rgb{detail::to_byte(p[0], value_max), detail::to_byte(p[1], value_max),
                          detail::to_byte(p[2], value_max)});
      }
    }
  return out;
}

/// @brief Convert a Picture to an RGB Image with values in [0, value_max].
/// @param pic the picture
/// @param value_max value of 255, > 0
/// @throws std::invalid_argument if value_max is not finite or <= 0.
inline Image to_image(const Picture& pic, float value_max = 1.0f) {
  detail::require_finite_positive("mcrise::to_image()", "value_max", value_max);
  Image out(pic.height(), pic.width(), 3);
  for (std::size_t i = 0; i < out.size(); ++i) out.data()[i] = static_cast<float>(pic.data()[i]) * value_max / 255.0f;
  return out;
}

/// @brief Save an 8-bit RGB Picture as PNG, losslessly.
/// @param path file to write (overwritten)
/// @param pic non-empty picture
/// @throws io_error if the picture is empty, too large for stb_image_write ((3·W + 1)·H over
///         512 MiB, from about 13,400 x 13,400) or the file cannot be written.
inline void save_png(const std::string& path, const Picture& pic) {
  detail::write_png_bytes(path, pic.width(), pic.height(), 3, pic.data(), "save_png");
}

/// @brief Save an Image as an 8-bit PNG with 1, 2, 3 or 4 channels (grey,
///        grey + alpha, RGB, RGBA): value v is written as
///        round(255 * v / value_max), clamped to 0..255.
/// @param path file to write (overwritten)
/// @param img non-empty H x W x C image, C in 1..4
/// @param value_max value of a full-intensity channel (1 for [0,1] images, 255 for 0..255), > 0
/// @throws std::invalid_argument on C > 4 or a value_max not finite or <= 0; io_error if the image is empty, too
///         large for stb_image_write ((C·W + 1)·H over 512 MiB) or the file cannot be written.
inline void save_png(const std::string& path, const Image& img, float value_max = 1.0f) {
  detail::require_finite_positive("mcrise::save_png()", "value_max", value_max);
  if (img.channels() > 4)
    throw std::invalid_argument("mcrise::save_png(): image must have 1 to 4 channels, got " +
                                std::to_string(img.channels()));
  detail::check_png_size(path, img.width(), img.height(), img.channels(), "save_png");  // before the copy
  std::vector<std::uint8_t> bytes(img.size());
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = detail::to_byte(img.data()[i], value_max);
  detail::write_png_bytes(path, img.width(), img.height(), img.channels(), bytes.data(), "save_png");
}

namespace detail {

/// The rows y0 .. y0 + rows - 1 and columns x0 .. x0 + cols - 1 of img resized to full_h x full_w
/// (see resize(); each output pixel depends only on its own coordinates, so a window is exactly
/// the crop of the whole). The full size may exceed an int; the window must be inside it.
inline Image resize_window(const Image& img, std::int64_t full_h, std::int64_t full_w, std::int64_t y0,
                           std::int64_t x0, int rows, int cols) {
  const int H = img.height(), W = img.width(), C = img.channels();
  Image out(rows, cols, C);
  struct Tap {
    int i0, i1;
    float t;
  };
  auto taps = [](std::int64_t first, int count, std::int64_t n_out, int n_in) {
    std::vector<Tap> v(static_cast<std::size_t>(count));
    const double scale = static_cast<double>(n_in) / static_cast<double>(n_out);
    for (int k = 0; k < count; ++k) {
      double s = (static_cast<double>(first + k) + 0.5) * scale - 0.5;
      s = std::min(std::max(s, 0.0), static_cast<double>(n_in - 1));
      const int i0 = static_cast<int>(std::floor(s));
      const int i1 = std::min(i0 + 1, n_in - 1);
      v[static_cast<std::size_t>(k)] = Tap{i0, i1, static_cast<float>(s - i0)};
    }
    return v;
  };
  const auto ty = taps(y0, rows, full_h, H), tx = taps(x0, cols, full_w, W);
  for (int i = 0; i < rows; ++i) {
    const Tap& a = ty[static_cast<std::size_t>(i)];
    for (int j = 0; j < cols; ++j) {
      const Tap& b = tx[static_cast<std::size_t>(j)];
      const float* p00 = img.pixel(a.i0, b.i0);
      const float* p01 = img.pixel(a.i0, b.i1);
      const float* p10 = img.pixel(a.i1, b.i0);
      const float* p11 = img.pixel(a.i1, b.i1);
      float* q = out.pixel(i, j);
      for (int c = 0; c < C; ++c) {
        const float top = p00[c] + (p01[c] - p00[c]) * b.t;
        const float bot = p10[c] + (p11[c] - p10[c]) * b.t;
        q[c] = top + (bot - top) * a.t;
      }
    }
  }
  return out;
}

}  // namespace detail

/// @brief Bilinear resize to height x width (every channel).
///
/// Convention (pixel centres, as OpenCV INTER_LINEAR and PyTorch
/// `align_corners=False`): output pixel (i, j) has its centre at source
/// coordinates y = (i + 0.5) * H / height - 0.5, x = (j + 0.5) * W / width - 0.5;
/// the value there is the bilinear blend of the 4 surrounding source pixels,
/// coordinates outside [0, H-1] x [0, W-1] clamped to the edge. Resizing to the
/// same size returns the image unchanged; halving averages 2 x 2 blocks.
/// There is no anti-aliasing: for shrink factors above 2 it samples.
/// @param img source image, non-empty
/// @param height output rows, >= 1
/// @param width output columns, >= 1
/// @return height x width x C image
/// @throws std::invalid_argument on an empty image or a size < 1.
inline Image resize(const Image& img, int height, int width) {
  if (img.empty()) throw std::invalid_argument("mcrise::resize(): image is empty");
  if (height < 1 || width < 1)
    throw std::invalid_argument("mcrise::resize(): size must be >= 1, got " + std::to_string(height) + " x " +
                                std::to_string(width));
  return detail::resize_window(img, height, width, 0, 0, height, width);
}

/// @brief Cut the central height x width window out of an image.
///
/// The window starts at row (H - height) / 2 and column (W - width) / 2
/// (integer division: when the margin is odd, the extra pixel is left at the
/// bottom / right).
/// @param img source image
/// @param height rows to keep, 1 <= height <= H
/// @param width columns to keep, 1 <= width <= W
/// @return height x width x C image
/// @throws std::invalid_argument if the window does not fit.
inline Image centre_crop(const Image& img, int height, int width) {
  if (height < 1 || width < 1 || height > img.height() || width > img.width())
    throw std::invalid_argument("mcrise::centre_crop(): crop " + std::to_string(height) + " x " +
                                std::to_string(width) + " does not fit in image " + std::to_string(img.height()) +
                                " x " + std::to_string(img.width()));
  const int y0 = (img.height() - height) / 2, x0 = (img.width() - width) / 2, C = img.channels();
  Image out(height, width, C);
  for (int y = 0; y < height; ++y) {
    const float* src = img.pixel(y0 + y, x0);
    std::copy(src, src + static_cast<std::ptrdiff_t>(width) * C, out.pixel(y, 0));
  }
  return out;
}

/// @brief Bring an image to a model's input size without distorting it:
///        resize (bilinear, see resize()) so that it covers height x width
///        with its aspect ratio kept, then centre_crop() the excess
///        (torchvision's Resize + CenterCrop). Only the kept window is computed, so
///        the cost is that of the output whatever the aspect ratio.
/// @param img source image, non-empty
/// @param height model input rows, >= 1
/// @param width model input columns, >= 1
/// @return height x width x C image
/// @throws std::invalid_argument on an empty image or a size < 1.
inline Image resize_and_crop(const Image& img, int height, int width) {
  if (img.empty()) throw std::invalid_argument("mcrise::resize_and_crop(): image is empty");
  if (height < 1 || width < 1)
    throw std::invalid_argument("mcrise::resize_and_crop(): size must be >= 1, got " + std::to_string(height) +
                                " x " + std::to_string(width));
  const double s = std::max(static_cast<double>(height) / img.height(), static_cast<double>(width) / img.width());
  // The resized size can be huge (a 1 x 1000 strip to 1000 x 1 is 1000 x 10^6): only the window
  // that centre_crop would keep is computed.
  const std::int64_t rh = std::max<std::int64_t>(height, std::llround(img.height() * s));
  const std::int64_t rw = std::max<std::int64_t>(width, std::llround(img.width() * s));
  if (rh == img.height() && rw == img.width()) return centre_crop(img, height, width);
  return detail::resize_window(img, rh, rw, (rh - height) / 2, (rw - width) / 2, height, width);
}

}  // namespace mcrise
