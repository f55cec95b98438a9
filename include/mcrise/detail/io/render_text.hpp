#pragma once
/// @file detail/io/render_text.hpp
/// @brief Text for figures: stb_easy_font lays a string out as axis-aligned
///        quads, which we rasterise ourselves, scaled by an integer factor.

#include <mcrise/detail/io/stb.hpp>
#include <mcrise/picture.hpp>

#include <algorithm>
#include <climits>
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

/// `text` with every byte stb_easy_font has no glyph for (outside ' '..'~', newline kept) replaced
/// by '?': stb indexes its glyph table with the byte minus 32, so a control character or any byte
/// of a UTF-8 sequence read before the table.
inline std::string drawable_text(const std::string& text) {
  std::string buf = text;
  for (char& ch : buf)
    if (ch != '\n' && (ch < ' ' || ch > '~')) ch = '?';
  return buf;
}

/// Width in pixels of `text` (one line) at integer `scale` (>= 1), at most INT_MAX.
inline int text_width(const std::string& text, int scale) {
  if (text.empty()) return 0;
  std::string buf = drawable_text(text);
  // stb_easy_font_width counts the trailing inter-character gap; trim it.
  const int w = stb::stb_easy_font_width(&buf[0]);
  return static_cast<int>(std::min<long long>(std::max(0, w - 1) * static_cast<long long>(scale), INT_MAX));
}

/// Height in pixels of one text line at `scale` (>= 1), for layout, at most INT_MAX.
inline int text_height(int scale) {
  return static_cast<int>(std::min<long long>(font_line_height * static_cast<long long>(scale), INT_MAX));
}

/// Draw `text` with its top-left corner at (x, y), every font pixel a
/// scale x scale block, clipped to the picture. Bytes without a glyph (non-ASCII, control
/// characters) are drawn as '?'; text past about a million glyph strokes is not drawn.
inline void draw_text(Picture& pic, int x, int y, const std::string& text, Rgb color, int scale) {
  if (text.empty() || scale < 1) return;
  std::string buf = drawable_text(text);
  // ~270 bytes per character on average per stb's docs; be generous, up to 64 MiB (a million
  // strokes, far more than a picture of at most 32768 x 32768 can show of one text).
  std::vector<char> vbuf(std::min<std::size_t>(buf.size() * 1200 + 1200, std::size_t{64} << 20));
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
    // In 64 bits and clipped to the picture, so that no scale or position overflows an int.
    // Capitals and digits occupy rows 0..6 of the line, descenders reach row 8.
    const auto at = [&](float v, int origin, int size) {
      return static_cast<int>(std::clamp<long long>(origin + std::llround(v) * static_cast<long long>(scale), -1, size));
    };
    const int qx0 = at(x0, x, pic.width()), qx1 = at(x1, x, pic.width());
    const int qy0 = at(y0, y, pic.height()), qy1 = at(y1, y, pic.height());
    pic.fill(Rect{qx0, qy0, qx1 - qx0, qy1 - qy0}, color);
  }
}

}  // namespace detail
}  // namespace mcrise
