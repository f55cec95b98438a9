#pragma once
/// @file npy.hpp
/// @brief Write saliency maps as NumPy .npy files (format version 1.0), so
///        they can be analysed with `numpy.load`.

#include <mcrise/detail/file.hpp>
#include <mcrise/image.hpp>
#include <mcrise/io_error.hpp>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mcrise {

/// @brief Element type of a written .npy array (always little-endian).
enum class NpyDtype {
  float32,  ///< '<f4'
  float64   ///< '<f8'
};

namespace detail {

inline bool host_is_little_endian() noexcept {
  const std::uint16_t one = 1;
  unsigned char b;
  std::memcpy(&b, &one, 1);
  return b == 1;
}

/// The complete NPY 1.0 header for a C-order array: magic, version, header
/// length, the dict, space padding and a newline, total a multiple of 64 bytes.
inline std::string npy_header(const std::vector<std::int64_t>& shape, NpyDtype dtype) {
  std::string dict = std::string("{'descr': '") + (dtype == NpyDtype::float32 ? "<f4" : "<f8") +
                     "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    dict += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) dict += ",";
    if (i + 1 < shape.size()) dict += " ";
  }
  dict += "), }";
  const std::size_t preamble = 10;  // magic (6) + version (2) + header length (2)
  std::size_t total = preamble + dict.size() + 1;
  total = (total + 63) / 64 * 64;
  dict.append(total - preamble - dict.size() - 1, ' ');
  dict += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  const std::size_t len = dict.size();
  out += static_cast<char>(len & 0xff);
  out += static_cast<char>((len >> 8) & 0xff);
  return out + dict;
}

template <class T>
inline void append_le(std::string& buf, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  if (!host_is_little_endian())
    for (std::size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(b[i], b[sizeof(T) - 1 - i]);
  buf.append(b, sizeof(T));
}

inline void write_npy_values(const std::string& path, const std::vector<std::int64_t>& shape,
                             const std::vector<const double*>& blocks, std::size_t block_size, NpyDtype dtype,
                             const char* fn) {
  std::string buf = npy_header(shape, dtype);
  buf.reserve(buf.size() + blocks.size() * block_size * (dtype == NpyDtype::float32 ? 4 : 8));
  for (const double* b : blocks)
    for (std::size_t i = 0; i < block_size; ++i) {
      if (dtype == NpyDtype::float32)
        append_le(buf, static_cast<float>(b[i]));
      else
        append_le(buf, b[i]);
    }
  write_file(path, buf.data(), buf.size(), fn);
}

}  // namespace detail

/// @brief Write one map as an H x W array: `numpy.load(path).shape == (H, W)`,
///        element [y, x] = map(y, x).
/// @param path file to write (overwritten); by convention it ends in ".npy"
/// @param map H x W map (row-major, as everywhere in mcrise)
/// @param dtype float64 (default, exact) or float32
/// @throws io_error if the file cannot be written.
inline void write_npy(const std::string& path, const SaliencyMap& map, NpyDtype dtype = NpyDtype::float64) {
  detail::write_npy_values(path, {static_cast<std::int64_t>(map.rows()), static_cast<std::int64_t>(map.cols())},
                           {map.data()}, static_cast<std::size_t>(map.size()), dtype, "write_npy");
}

/// @brief Write K maps of one size as a K x H x W array (e.g. the K
///        colour-wise MC-RISE maps of one class): element [k, y, x] = maps[k](y, x).
/// @param path file to write (overwritten)
/// @param maps K >= 1 maps, all H x W
/// @param dtype float64 (default) or float32
/// @throws std::invalid_argument if maps is empty or the sizes differ; io_error if the file cannot be written.
inline void write_npy(const std::string& path, const std::vector<SaliencyMap>& maps,
                      NpyDtype dtype = NpyDtype::float64) {
  if (maps.empty()) throw std::invalid_argument("mcrise::write_npy(): no maps");
  std::vector<const double*> blocks;
  for (std::size_t k = 0; k < maps.size(); ++k) {
    if (maps[k].rows() != maps[0].rows() || maps[k].cols() != maps[0].cols())
      throw std::invalid_argument("mcrise::write_npy(): map " + std::to_string(k) + " is " +
                                  std::to_string(maps[k].rows()) + " x " + std::to_string(maps[k].cols()) +
                                  ", map 0 is " + std::to_string(maps[0].rows()) + " x " +
                                  std::to_string(maps[0].cols()));
    blocks.push_back(maps[k].data());
  }
  detail::write_npy_values(path,
                           {static_cast<std::int64_t>(maps.size()), static_cast<std::int64_t>(maps[0].rows()),
                            static_cast<std::int64_t>(maps[0].cols())},
                           blocks, static_cast<std::size_t>(maps[0].size()), dtype, "write_npy");
}

}  // namespace mcrise
