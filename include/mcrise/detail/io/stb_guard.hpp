#pragma once
/// @file detail/io/stb_guard.hpp
/// @brief The guards in front of stb_image: byte streams it would misread, loop on or crash
///        on are refused with a reason before it sees them, and its reasons are reworded.

#include <mcrise/detail/io/stb.hpp>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace mcrise {
namespace detail {

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

}  // namespace detail
}  // namespace mcrise
