#pragma once
/// @file colors.hpp
/// @brief The paper's mask colours (MC-RISE §5.1) and their names.

#include <mcrise/image.hpp>
#include <mcrise/detail/checks.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace mcrise {

/// @brief The paper's five mask colours (§5.1) for an image with `channels`
///        channels whose values go up to `value_max`: red, green, blue, white,
///        black. With 4 channels the 4th (alpha) is value_max; with 1 channel
///        (grey) the colours are white and black.
/// @throws std::invalid_argument for another channel count or a value_max that is not finite and > 0.
inline std::vector<Color> paper_colors(int channels = 3, float value_max = 1.0f) {
  detail::require_finite_positive("mcrise::paper_colors()", "value_max", value_max);
  const float v = value_max;
  if (channels == 1) return {{v}, {0.0f}};
  if (channels != 3 && channels != 4)
    throw std::invalid_argument("mcrise::paper_colors(): default colours exist for 1, 3 or 4 channels, got " +
                                std::to_string(channels) + "; pass McRiseOptions::colors");
  std::vector<Color> c{{v, 0, 0}, {0, v, 0}, {0, 0, v}, {v, v, v}, {0, 0, 0}};
  if (channels == 4)
    for (auto& x : c) x.push_back(v);
  return c;
}

/// @brief Names of paper_colors(): "red", "green", "blue", "white", "black" (or "white", "black" for 1 channel).
/// @throws std::invalid_argument for a channel count other than 1, 3 or 4, as paper_colors() does.
inline std::vector<std::string> paper_color_names(int channels = 3) {
  if (channels == 1) return {"white", "black"};
  if (channels != 3 && channels != 4)
    throw std::invalid_argument("mcrise::paper_color_names(): default colours exist for 1, 3 or 4 channels, got " +
                                std::to_string(channels));
  return {"red", "green", "blue", "white", "black"};
}

}  // namespace mcrise
