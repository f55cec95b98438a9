#pragma once
/// @file render_text.hpp
/// @brief Text for figures: stb_easy_font lays a string out as axis-aligned
///        quads, which we rasterise ourselves, scaled by an integer factor.

#include <mcrise/detail/io_stb.hpp>
#include <mcrise/picture.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

namespace mcrise {
namespace detail {

/// Cap height of stb_easy_font glyphs at scale 1 (digits and capitals), in pixels.
inline constexpr int font_cap_height = 7;
/// Line height used for layout at scale 1 (cap height, descenders and a little air).
inline constexpr int font_line_height = 10;

/// Width in pixels of `text` (one line) at integer `scale` (>= 1).
inline int text_width(const std::string& text, int scale) {
  if (text.empty()) return 0;
  std::string buf = text;
  // stb_easy_font_width counts the trailing inter-character gap; trim it.
  const int w = stb::stb_easy_font_width(&buf[0]);
  return std::max(0, w - 1) * scale;
}

/// Height in pixels of one text line at `scale` (>= 1), for layout.
inline int text_height(int scale) { return font_line_height * scale; }

/// Draw `text` with its top-left corner at (x, y), every font pixel a
/// scale x scale block, clipped to the picture. Non-ASCII characters are skipped by stb.
inline void draw_text(Picture& pic, int x, int y, const std::string& text, Rgb color, int scale) {
  if (text.empty() || scale < 1) return;
  std::string buf = text;
  // ~270 bytes per character on average per stb's docs; be generous.
  std::vector<char> vbuf(buf.size() * 1200 + 1200);
  const int quads = stb::stb_easy_font_print(0.0f, 0.0f, &buf[0], nullptr, vbuf.data(), static_cast<int>(vbuf.size()));
  for (int q = 0; q < quads; ++q) {
    // 4 vertices of 16 bytes each: x, y, z (float) and a colour; the quad is axis aligned.
    float v[4][2];
    for (int k = 0; k < 4; ++k) {
      std::memcpy(&v[k][0], vbuf.data() + (static_cast<std::size_t>(q) * 4 + static_cast<std::size_t>(k)) * 16, 4);
      std::memcpy(&v[k][1], vbuf.data() + (static_cast<std::size_t>(q) * 4 + static_cast<std::size_t>(k)) * 16 + 4, 4);
    }
    float x0 = v[0][0], x1 = v[0][0], y0 = v[0][1], y1 = v[0][1];
    for (int k = 1; k < 4; ++k) {
      x0 = std::min(x0, v[k][0]);
      x1 = std::max(x1, v[k][0]);
      y0 = std::min(y0, v[k][1]);
      y1 = std::max(y1, v[k][1]);
    }
    const int px0 = static_cast<int>(std::lround(x0)) * scale, px1 = static_cast<int>(std::lround(x1)) * scale;
    // Capitals and digits occupy rows 0..6 of the line, descenders reach row 8.
    const int py0 = static_cast<int>(std::lround(y0)) * scale, py1 = static_cast<int>(std::lround(y1)) * scale;
    pic.fill(Rect{x + px0, y + py0, px1 - px0, py1 - py0}, color);
  }
}

}  // namespace detail
}  // namespace mcrise
