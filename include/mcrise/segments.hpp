#pragma once
/// @file segments.hpp
/// @brief Superpixel label images for lime(): the SegmentMap type, a check of
///        its labels, and a regular grid of rectangles (no dependency). Quick
///        shift superpixels, as the `lime` package uses, are in
///        mcrise/vlfeat/quickshift.hpp (optional, needs VLFeat).

#include <Eigen/Core>

#include <stdexcept>
#include <string>
#include <vector>

namespace mcrise {

/// @brief A superpixel label image: H rows x W columns, row-major like SaliencyMap, entry (y, x) the
///        superpixel of pixel (y, x). Valid labels are 0 .. S-1 with every label used by some pixel.
using SegmentMap = Eigen::Matrix<int, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// @brief The number of superpixels S of a label image, after checking that its labels are
///        exactly 0 .. S-1, each used by at least one pixel.
/// @param segments H x W labels, H, W >= 1
/// @param where the calling function, for the message (e.g. "mcrise::lime()")
/// @return S >= 1
/// @throws std::invalid_argument for an empty label image, a negative label, or a label in
///         0 .. max that no pixel has (the message names it).
inline int count_segments(const SegmentMap& segments, const char* where = "mcrise::count_segments()") {
  const std::string w(where);
  if (segments.size() == 0)
    throw std::invalid_argument(w + ": the segment labels are empty (" + std::to_string(segments.rows()) + " x " +
                                std::to_string(segments.cols()) + ")");
  const int lo = segments.minCoeff(), hi = segments.maxCoeff();
  if (lo < 0) throw std::invalid_argument(w + ": segment labels must be >= 0, got " + std::to_string(lo));
  if (static_cast<double>(hi) >= static_cast<double>(segments.size()))
    throw std::invalid_argument(w + ": segment labels must be 0 .. S-1 with every label used, got label " +
                                std::to_string(hi) + " in " + std::to_string(segments.size()) + " pixels");
  std::vector<char> used(static_cast<std::size_t>(hi) + 1, 0);
  for (Eigen::Index i = 0; i < segments.size(); ++i) used[static_cast<std::size_t>(segments.data()[i])] = 1;
  for (std::size_t s = 0; s < used.size(); ++s)
    if (!used[s])
      throw std::invalid_argument(w + ": segment labels must be 0 .. S-1 with every label used; label " +
                                  std::to_string(s) + " has no pixel (largest label " + std::to_string(hi) + ")");
  return hi + 1;
}

/// @brief A regular grid of rows x cols rectangular superpixels, labelled row by row: pixel (y, x)
///        gets (y·rows / H)·cols + x·cols / W. A dependency-free alternative to quick shift.
/// @param height H >= 1
/// @param width W >= 1
/// @param rows grid rows, in [1, H]
/// @param cols grid columns, in [1, W]
/// @return H x W labels 0 .. rows·cols - 1, every label used
/// @throws std::invalid_argument for a size or grid out of range.
inline SegmentMap grid_segments(int height, int width, int rows, int cols) {
  if (height < 1 || width < 1)
    throw std::invalid_argument("mcrise::grid_segments(): the image must be at least 1 x 1, got " +
                                std::to_string(height) + " x " + std::to_string(width));
  if (rows < 1 || rows > height)
    throw std::invalid_argument("mcrise::grid_segments(): rows must be in [1, " + std::to_string(height) + "], got " +
                                std::to_string(rows));
  if (cols < 1 || cols > width)
    throw std::invalid_argument("mcrise::grid_segments(): cols must be in [1, " + std::to_string(width) + "], got " +
                                std::to_string(cols));
  SegmentMap s(height, width);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      s(y, x) = static_cast<int>(static_cast<long long>(y) * rows / height) * cols +
                static_cast<int>(static_cast<long long>(x) * cols / width);
  return s;
}

}  // namespace mcrise
