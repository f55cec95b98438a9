#pragma once
/// @file io.hpp
/// @brief Images in and out: load PNG / JPEG / BMP / TGA (and the other
///        formats stb_image reads) into an mcrise::Image, and save Images and
///        Pictures as PNG. (Resizing is in resize.hpp, Image <-> Picture in
///        picture.hpp; both are included here.)
///
/// The stb implementation is compiled privately into every translation unit
/// that includes this header (see detail/io/stb.hpp): it never clashes with a
/// user who uses stb_image / stb_image_write themselves, in the same program
/// or the same file, before or after this header.

#include <mcrise/image.hpp>
#include <mcrise/io_error.hpp>
#include <mcrise/picture.hpp>
#include <mcrise/resize.hpp>
#include <mcrise/detail/checks.hpp>
#include <mcrise/detail/file.hpp>
#include <mcrise/detail/io/stb.hpp>
#include <mcrise/detail/io/stb_guard.hpp>

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

}  // namespace mcrise
