#pragma once
/// @file figures.hpp
/// @brief A helper the paper's figure programs share: a map over its image as one panel.
///
/// Example-side header (namespace mcrise::signs), not part of the library.

#include <mcrise/colormap.hpp>
#include <mcrise/image.hpp>
#include <mcrise/picture.hpp>
#include <mcrise/render.hpp>

namespace mcrise {
namespace signs {

/// @brief @p map over @p img (alpha 0.7) in colour map @p cm on @p scale, resized
///        (nearest neighbour) to a side x side panel.
/// @param img H x W x C image, values in [0, 1]
/// @param map H x W finite map
/// @param side panel side in pixels, >= 1
/// @return the panel
/// @throws std::invalid_argument as mcrise::overlay() and mcrise::resize_nearest().
inline Picture map_panel(const Image& img, const SaliencyMap& map, Colormap cm, ColorScale scale, int side) {
  OverlayOptions o;
  o.alpha = 0.7;
  o.colormap = cm;
  o.scale = scale;
  return resize_nearest(overlay(img, map, o), side, side);
}

}  // namespace signs
}  // namespace mcrise
