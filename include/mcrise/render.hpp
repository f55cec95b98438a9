#pragma once
/// @file render.hpp
/// @brief Pictures of saliency maps: text, overlays, paper-style figures
///        (Fig. 1: image, RISE map and the K MC-RISE colour maps under a
///        swatch of each mask colour; Fig. 6: one such row per class) and
///        deletion / CA-deletion curve plots. Every function takes plain inputs
///        (Image, SaliencyMap, std::vector<SaliencyMap>, std::vector<Color>,
///        strings) and returns a Picture; save it with save_png().

#include <mcrise/auc.hpp>
#include <mcrise/colormap.hpp>
#include <mcrise/colors.hpp>
#include <mcrise/fill.hpp>
#include <mcrise/image.hpp>
#include <mcrise/picture.hpp>
#include <mcrise/resize.hpp>
#include <mcrise/detail/io/render_text.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace mcrise {

/// @brief Width in pixels of one line of text drawn by draw_text() at `scale`.
/// @param text ASCII text
/// @param scale integer magnification, >= 1 (not checked: smaller values give 0 or a negative width)
inline int text_width(const std::string& text, int scale = 1) { return detail::text_width(text, scale); }

/// @brief Height in pixels of one line of text at `scale` (for layout).
/// @param scale integer magnification, >= 1 (not checked: smaller values give 0 or a negative height)
inline int text_height(int scale = 1) { return detail::text_height(scale); }

/// @brief Draw one line of ASCII text (stb_easy_font) with its top-left
///        corner at column x, row y; each font pixel becomes a scale x scale block; clipped.
/// @param pic picture to draw on
/// @param x left column
/// @param y top row
/// @param text ASCII text
/// @param color text colour
/// @param scale integer magnification, >= 1 (smaller values draw nothing)
inline void draw_text(Picture& pic, int x, int y, const std::string& text, Rgb color = Rgb{0, 0, 0}, int scale = 1) {
  detail::draw_text(pic, x, y, text, color, scale);
}

/// @brief Resample a picture to height x width by nearest neighbour (source
///        pixel floor((i + 0.5) * H / height)); an integer magnification
///        replicates each pixel into an exact block.
/// @throws std::invalid_argument on an empty picture or a size < 1.
inline Picture resize_nearest(const Picture& pic, int height, int width) {
  if (pic.empty()) throw std::invalid_argument("mcrise::resize_nearest(): picture is empty");
  if (height < 1 || width < 1)
    throw std::invalid_argument("mcrise::resize_nearest(): size must be >= 1, got " + std::to_string(height) + " x " +
                                std::to_string(width));
  Picture out(height, width);
  for (int y = 0; y < height; ++y) {
    const int sy = std::min(pic.height() - 1, static_cast<int>((y + 0.5) * pic.height() / height));
    for (int x = 0; x < width; ++x) {
      const int sx = std::min(pic.width() - 1, static_cast<int>((x + 0.5) * pic.width() / width));
      out.set(y, x, pic.at(sy, sx));
    }
  }
  return out;
}

/// @brief Options of overlay().
struct OverlayOptions {
  double alpha = 0.5;                   ///< opacity of the map colour, in [0, 1] (0: the image, 1: the colour map)
  Colormap colormap = Colormap::diverging;  ///< colour map of the saliency values
  ColorScale scale{0.0, 0.0};           ///< value scale; lo == hi (default) means auto_scale() of the map
  float value_max = 1.0f;               ///< value of a full-intensity image channel, finite and > 0
};

/// @brief Blend a colour-mapped saliency map over an image:
///        out = (1 - alpha) * image + alpha * colour(map), per channel, rounded.
/// @param img H x W x C image (C = 1, 3 or 4), values in [0, opt.value_max]
/// @param map H x W map, finite values
/// @param opt opacity, colour map, scale, see OverlayOptions
/// @return H x W picture
/// @throws std::invalid_argument on an empty image, a size mismatch, alpha outside [0, 1], NaN or inf in the map,
///         an invalid scale, an image with other than 1, 3 or 4 channels, or a value_max that is not finite and > 0.
inline Picture overlay(const Image& img, const SaliencyMap& map, const OverlayOptions& opt = {}) {
  if (img.empty()) throw std::invalid_argument("mcrise::overlay(): the image is empty");
  if (map.rows() != img.height() || map.cols() != img.width())
    throw std::invalid_argument("mcrise::overlay(): map is " + std::to_string(map.rows()) + " x " +
                                std::to_string(map.cols()) + " but image is " + std::to_string(img.height()) + " x " +
                                std::to_string(img.width()));
  if (!(opt.alpha >= 0.0 && opt.alpha <= 1.0))
    throw std::invalid_argument("mcrise::overlay(): alpha must be in [0, 1], got " + std::to_string(opt.alpha));
  const ColorScale scale = (opt.scale.lo == opt.scale.hi) ? auto_scale(std::vector<SaliencyMap>{map}, opt.colormap) : opt.scale;
  const Picture base = to_picture(img, opt.value_max);
  const Picture col = colorize(map, opt.colormap, scale);
  Picture out(base.height(), base.width());
  for (std::size_t i = 0; i < out.pixels() * 3; ++i)
    out.data()[i] = static_cast<std::uint8_t>(
        std::lround((1.0 - opt.alpha) * base.data()[i] + opt.alpha * col.data()[i]));
  return out;
}

/// @brief One row of a saliency figure: the maps of one class.
struct FigureRow {
  std::string label;                     ///< row label drawn on the left (e.g. "predicted: stop"); may be empty
  std::vector<SaliencyMap> color_maps;   ///< the K colour-wise maps S(., k), each H x W (MC-RISE, eq. 9)
  SaliencyMap rise_map{};                ///< optional H x W RISE map; 0 x 0 means no RISE panel in this row
};

/// @brief Options of the saliency figures.
struct FigureOptions {
  int panel_size = 128;       ///< longest side of each panel in pixels (small images are upscaled by nearest neighbour), in [8, 32768]
  float value_max = 1.0f;     ///< value of a full-intensity channel of the image and the colours, finite and > 0
  std::string title{};        ///< heading drawn above everything; empty: none
  std::vector<std::string> color_names{};  ///< one label per colour; empty: a name guessed from the colour
  /// optional, one per colour (e.g. McRiseResult::fills()): where fills[k] is an image, the swatch of
  /// colour k shows thumbnails of that image and, without color_names, its heading is the fill's name
  std::vector<Fill> fills{};
  std::string image_label = "input";       ///< heading of the image column
  std::string rise_label = "RISE";         ///< heading of the RISE column
  /// scale of the colour maps; lo == hi (default): auto_scale() of all colour maps of all rows for `colormap`
  /// (symmetric_scale() for diverging, value_range() otherwise)
  ColorScale scale{0.0, 0.0};
  Colormap colormap = Colormap::diverging;  ///< colour map of the colour-wise maps
  /// colour map of the RISE maps (each row on its own auto_scale(): [min, max], symmetric if rise_colormap is diverging)
  Colormap rise_colormap = Colormap::jet;
  double overlay_alpha = 0.0;  ///< > 0: draw the colour maps over the image with this opacity instead of alone; <= 1
  bool color_bar = true;       ///< draw the colour bar of the shared scale on the right
  int text_scale = 1;          ///< integer size of all text, in [1, 64]
};

/// @brief Where everything goes in a saliency figure (all in pixels of the final picture).
struct FigureLayout {
  int height = 0;                          ///< picture rows
  int width = 0;                           ///< picture columns
  int panel_height = 0;                    ///< rows of every panel
  int panel_width = 0;                     ///< columns of every panel
  bool rise_column = false;                ///< whether column 1 is the RISE map
  std::vector<Rect> headers;               ///< one per column: its heading text box
  std::vector<Rect> swatches;              ///< K: the colour swatch above colour-map column k
  std::vector<std::vector<Rect>> panels;   ///< [row][column]: column 0 image, then RISE (if any), then the K maps
  std::vector<Rect> row_labels;            ///< one per row: the label text box (w = 0 when there are no labels)
  Rect color_bar{};                        ///< the colour bar picture (w = 0 if none)
  Rect title{};                            ///< the title text box (w = 0 if none)
};

namespace detail {

inline std::string guess_color_name(const Color& c, float value_max) {
  if (c.size() < 3) return c.size() == 1 ? "grey " + format_tick(c[0] / value_max) : "colour";
  struct Named {
    const char* name;
    float r, g, b;
  };
  static const Named names[] = {{"red", 1, 0, 0},     {"green", 0, 1, 0},  {"blue", 0, 0, 1},   {"white", 1, 1, 1},
                                {"black", 0, 0, 0},   {"yellow", 1, 1, 0}, {"cyan", 0, 1, 1},   {"magenta", 1, 0, 1},
                                {"grey", .5f, .5f, .5f}, {"orange", 1, .5f, 0}};
  const float r = c[0] / value_max, g = c[1] / value_max, b = c[2] / value_max;
  for (const auto& n : names)
    if (std::abs(r - n.r) < 0.02f && std::abs(g - n.g) < 0.02f && std::abs(b - n.b) < 0.02f) return n.name;
  return "(" + format_tick(c[0]) + "," + format_tick(c[1]) + "," + format_tick(c[2]) + ")";
}

inline Rgb color_to_rgb(const Color& c, float value_max) {
  if (c.empty()) return Rgb{0, 0, 0};
  if (c.size() < 3) {
    const std::uint8_t g = to_byte(c[0], value_max);
    return Rgb{g, g, g};
  }
  return Rgb{to_byte(c[0], value_max), to_byte(c[1], value_max), to_byte(c[2], value_max)};
}

/// An h x w strip of thumbnails of `fill` (each h rows high, its aspect kept), repeated left to right.
inline Picture fill_strip(const Image& fill, int h, int w, float value_max) {
  const int tw = std::clamp(static_cast<int>(std::lround(static_cast<double>(h) * fill.width() / fill.height())), 1, w);
  const Picture thumb = to_picture(resize(fill, h, tw), value_max);
  Picture strip(h, w);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) strip.set(y, x, thumb.at(y, x % tw));
  return strip;
}

inline void frame(Picture& pic, const Rect& r, Rgb c) {
  pic.fill(Rect{r.x - 1, r.y - 1, r.w + 2, 1}, c);
  pic.fill(Rect{r.x - 1, r.y + r.h, r.w + 2, 1}, c);
  pic.fill(Rect{r.x - 1, r.y, 1, r.h}, c);
  pic.fill(Rect{r.x + r.w, r.y, 1, r.h}, c);
}

inline void panel_size(int H, int W, int P, int& ph, int& pw) {
  const int longest = std::max(H, W);
  if (longest <= P) {
    const int k = P / longest;  // integer magnification: exact pixel blocks
    ph = H * k;
    pw = W * k;
  } else {
    ph = std::max(1, static_cast<int>(std::lround(static_cast<double>(H) * P / longest)));
    pw = std::max(1, static_cast<int>(std::lround(static_cast<double>(W) * P / longest)));
  }
}

inline std::vector<std::string> column_headers(const FigureOptions& opt, std::size_t K, bool rise,
                                               const std::vector<Color>& colors) {
  std::vector<std::string> h{opt.image_label};
  if (rise) h.push_back(opt.rise_label);
  for (std::size_t k = 0; k < K; ++k)
    h.push_back(k < opt.color_names.size()                       ? opt.color_names[k]
                : k < opt.fills.size() && opt.fills[k].is_image() ? opt.fills[k].name()
                                                                  : guess_color_name(colors[k], opt.value_max));
  return h;
}

inline ColorBarOptions figure_bar_options(int rows_h, const FigureOptions& opt) {
  ColorBarOptions cb;
  cb.height = std::max(8, rows_h);
  cb.text_scale = opt.text_scale;
  cb.bar_width = 10 + 4 * opt.text_scale;
  return cb;
}

inline ColorScale figure_scale(const std::vector<FigureRow>& rows, const FigureOptions& opt) {
  if (opt.scale.lo != opt.scale.hi) return opt.scale;
  std::vector<SaliencyMap> all;
  for (const auto& r : rows) all.insert(all.end(), r.color_maps.begin(), r.color_maps.end());
  return auto_scale(all, opt.colormap);
}

}  // namespace detail

/// @brief Compute the layout of class_comparison_figure() without drawing it.
/// @param image_height rows H of the image and maps, >= 1
/// @param image_width columns W, >= 1
/// @param rows the figure rows: their labels, K, whether a RISE map is present and, when the colour bar is
///        drawn with the default scale, the colour maps' values (they set the bar's tick labels; finite)
/// @param colors the K mask colours
/// @param opt see FigureOptions
/// @return positions of every part; panels are placed left to right with a
///         gap of 6 px (plus 2 px per text scale), rows top to bottom.
/// @throws std::invalid_argument for an empty image size, no rows, a row whose colour-map count differs from
///         colors.size(), panel_size outside [8, 32768], text_scale outside [1, 64], a figure over 32768 pixels
///         per side, a value_max that is not finite and > 0, and, when the
///         colour bar is drawn, an invalid opt.scale or NaN / inf in a colour map (map sizes are not checked here).
inline FigureLayout figure_layout(int image_height, int image_width, const std::vector<FigureRow>& rows,
                                  const std::vector<Color>& colors, const FigureOptions& opt = {}) {
  if (image_height < 1 || image_width < 1)
    throw std::invalid_argument("mcrise::figure_layout(): image is empty");
  if (rows.empty()) throw std::invalid_argument("mcrise::figure_layout(): need at least one row");
  if (opt.panel_size < 8)
    throw std::invalid_argument("mcrise::figure_layout(): panel_size must be >= 8, got " + std::to_string(opt.panel_size));
  if (opt.text_scale < 1)
    throw std::invalid_argument("mcrise::figure_layout(): text_scale must be >= 1, got " + std::to_string(opt.text_scale));
  detail::require_in("mcrise::figure_layout()", "panel_size", opt.panel_size, 8, detail::max_picture_side);
  detail::require_in("mcrise::figure_layout()", "text_scale", opt.text_scale, 1, detail::max_text_scale);
  detail::require_finite_positive("mcrise::figure_layout()", "value_max", opt.value_max);
  const std::size_t K = colors.size();
  bool rise = false;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].color_maps.size() != K)
      throw std::invalid_argument("mcrise::figure_layout(): row " + std::to_string(r) + " has " +
                                  std::to_string(rows[r].color_maps.size()) + " colour maps but there are " +
                                  std::to_string(K) + " colours");
    if (rows[r].rise_map.size() > 0) rise = true;
  }
  FigureLayout L;
  L.rise_column = rise;
  detail::panel_size(image_height, image_width, opt.panel_size, L.panel_height, L.panel_width);
  const int ts = opt.text_scale;
  const int margin = 10, gap = 6 + 2 * ts, th = detail::text_height(ts);
  int label_w = 0;
  for (const auto& r : rows) label_w = std::max(label_w, detail::text_width(r.label, ts));
  {
    // The whole extent first, in 64 bits: every coordinate below is then inside a Picture's side.
    const long long cols = 1 + (rise ? 1 : 0) + static_cast<long long>(K);
    const long long wide = margin + (label_w > 0 ? label_w + gap : 0) + cols * (L.panel_width + gap) - gap + margin;
    const long long tall = margin + (opt.title.empty() ? 0 : detail::text_height(ts + 1) + gap) + th + 2 +
                           (K > 0 ? std::max(10, L.panel_height / 8) + gap : 0) +
                           static_cast<long long>(rows.size()) * (L.panel_height + gap) - gap + margin;
    if (wide > detail::max_picture_side || tall > detail::max_picture_side)
      throw std::invalid_argument("mcrise::figure_layout(): the figure would be " + std::to_string(tall) + " x " +
                                  std::to_string(wide) + " pixels, over " + std::to_string(detail::max_picture_side) +
                                  " per side (panel_size, text_scale, labels, rows or colours too large)");
  }
  const int x0 = margin + (label_w > 0 ? label_w + gap : 0);
  int y = margin;
  if (!opt.title.empty()) {
    L.title = Rect{margin, y, detail::text_width(opt.title, ts + 1), detail::text_height(ts + 1)};
    y += L.title.h + gap;
  }
  const int ncols = 1 + (rise ? 1 : 0) + static_cast<int>(K);
  const int swatch_h = K > 0 ? std::max(10, L.panel_height / 8) : 0;
  const auto headers = detail::column_headers(opt, K, rise, colors);
  // column headings, then the swatches (colour columns only), then the rows of panels
  for (int c = 0; c < ncols; ++c) {
    const int cx = x0 + c * (L.panel_width + gap);
    const int tw = std::min(L.panel_width, detail::text_width(headers[static_cast<std::size_t>(c)], ts));
    L.headers.push_back(Rect{cx + (L.panel_width - tw) / 2, y, tw, th});
  }
  y += th + 2;
  const int first_color_col = 1 + (rise ? 1 : 0);
  for (std::size_t k = 0; k < K; ++k) {
    const int cx = x0 + (first_color_col + static_cast<int>(k)) * (L.panel_width + gap);
    L.swatches.push_back(Rect{cx, y, L.panel_width, swatch_h});
  }
  y += (K > 0 ? swatch_h + gap : 0);
  const int rows_top = y;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::vector<Rect> row;
    for (int c = 0; c < ncols; ++c)
      row.push_back(Rect{x0 + c * (L.panel_width + gap), y, L.panel_width, L.panel_height});
    L.panels.push_back(row);
    const int lw = detail::text_width(rows[r].label, ts);
    L.row_labels.push_back(Rect{x0 - gap - lw, y + (L.panel_height - th) / 2, lw, th});
    y += L.panel_height + gap;
  }
  const int right = x0 + ncols * (L.panel_width + gap) - gap;
  const int rows_h = y - gap - rows_top;
  L.width = right + margin;
  L.height = y - gap + margin;
  if (opt.color_bar && K > 0) {
    // The bar is measured exactly as it will be drawn (its labels depend on the scale).
    const Picture bar = color_bar(opt.colormap, detail::figure_scale(rows, opt), detail::figure_bar_options(rows_h, opt));
    const int pad = (bar.height() - rows_h) / 2;
    L.color_bar = Rect{right + gap, rows_top - pad, bar.width(), bar.height()};
    L.width = L.color_bar.x + L.color_bar.w + margin;
    L.height = std::max(L.height, L.color_bar.y + L.color_bar.h + 2);
  }
  return L;
}

namespace detail {

inline Picture map_panel(const SaliencyMap& map, Colormap cm, const ColorScale& s, const Image& img,
                         const FigureOptions& opt, int ph, int pw) {
  if (opt.overlay_alpha > 0.0) {
    OverlayOptions o;
    o.alpha = opt.overlay_alpha;
    o.colormap = cm;
    o.scale = s;
    o.value_max = opt.value_max;
    return resize_nearest(overlay(img, map, o), ph, pw);
  }
  return resize_nearest(colorize(map, cm, s), ph, pw);
}

}  // namespace detail

/// @brief Paper Fig. 6 style figure: one row per class (e.g. the predicted
///        and the true class), each with the image, the RISE map (if given)
///        and the K colour-wise maps; above each colour column a swatch of
///        the mask colour and its name; a row label on the left; the colour
///        bar of the scale shared by all K maps of all rows on the right.
/// @param img H x W x C image (C = 1, 3 or 4), values in [0, opt.value_max]
/// @param rows one FigureRow per class; every map H x W, K maps per row, finite values
/// @param colors the K mask colours, in the image's value range
/// @param opt see FigureOptions
/// @return one picture of figure_layout(H, W, rows, colors, opt) size
/// @throws std::invalid_argument on size mismatches, NaN or inf in a map, an image with other than 1, 3 or 4
///         channels, overlay_alpha > 1, or invalid options (see figure_layout()).
inline Picture class_comparison_figure(const Image& img, const std::vector<FigureRow>& rows,
                                       const std::vector<Color>& colors, const FigureOptions& opt = {}) {
  const FigureLayout L = figure_layout(img.height(), img.width(), rows, colors, opt);
  const int H = img.height(), W = img.width();
  for (std::size_t r = 0; r < rows.size(); ++r) {
    for (std::size_t k = 0; k < rows[r].color_maps.size(); ++k) {
      const auto& m = rows[r].color_maps[k];
      if (m.rows() != H || m.cols() != W)
        throw std::invalid_argument("mcrise::class_comparison_figure(): row " + std::to_string(r) + " map " +
                                    std::to_string(k) + " is " + std::to_string(m.rows()) + " x " +
                                    std::to_string(m.cols()) + ", image is " + std::to_string(H) + " x " +
                                    std::to_string(W));
    }
    if (rows[r].rise_map.size() > 0) {
      if (rows[r].rise_map.rows() != H || rows[r].rise_map.cols() != W)
        throw std::invalid_argument("mcrise::class_comparison_figure(): row " + std::to_string(r) +
                                    " RISE map has the wrong size");
    }
  }
  const ColorScale scale = detail::figure_scale(rows, opt);
  const int ts = opt.text_scale;
  const Rgb ink{0, 0, 0}, edge{140, 140, 140};
  Picture out(L.height, L.width);
  if (L.title.w > 0) detail::draw_text(out, L.title.x, L.title.y, opt.title, ink, ts + 1);
  const auto headers = detail::column_headers(opt, colors.size(), L.rise_column, colors);
  for (std::size_t c = 0; c < headers.size(); ++c)
    detail::draw_text(out, L.headers[c].x, L.headers[c].y, headers[c], ink, ts);
  for (std::size_t k = 0; k < colors.size(); ++k) {
    const Rect& sw = L.swatches[k];
    if (k < opt.fills.size() && opt.fills[k].is_image()) {
      // An image fill: thumbnails of it at the swatch's height (its aspect kept), side by side.
      out.paste(detail::fill_strip(*opt.fills[k].image(), sw.h, sw.w, opt.value_max), sw.y, sw.x);
    } else {
      out.fill(sw, detail::color_to_rgb(colors[k], opt.value_max));
    }
    detail::frame(out, sw, edge);
  }
  const Picture image_panel = [&] {
    const Image small = (std::max(H, W) > opt.panel_size) ? resize(img, L.panel_height, L.panel_width) : img;
    return resize_nearest(to_picture(small, opt.value_max), L.panel_height, L.panel_width);
  }();
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto& P = L.panels[r];
    std::size_t c = 0;
    out.paste(image_panel, P[c].y, P[c].x);
    ++c;
    if (L.rise_column) {
      if (rows[r].rise_map.size() > 0)
        out.paste(detail::map_panel(rows[r].rise_map, opt.rise_colormap, auto_scale(std::vector<SaliencyMap>{rows[r].rise_map}, opt.rise_colormap), img, opt, L.panel_height,
                                    L.panel_width),
                  P[c].y, P[c].x);
      ++c;
    }
    for (std::size_t k = 0; k < colors.size(); ++k, ++c)
      out.paste(detail::map_panel(rows[r].color_maps[k], opt.colormap, scale, img, opt, L.panel_height, L.panel_width),
                P[c].y, P[c].x);
    for (const auto& rect : P) detail::frame(out, rect, edge);
    if (L.row_labels[r].w > 0)
      detail::draw_text(out, L.row_labels[r].x, L.row_labels[r].y, rows[r].label, ink, ts);
  }
  if (L.color_bar.w > 0) {
    const int rows_h = L.panels.back().front().y + L.panel_height - L.panels.front().front().y;
    out.paste(color_bar(opt.colormap, scale, detail::figure_bar_options(rows_h, opt)), L.color_bar.y, L.color_bar.x);
  }
  return out;
}

/// @brief Paper Fig. 1 style figure: the image, then the K colour-wise maps
///        (one shared scale, symmetric with the default diverging colour map; colour bar on the right), each under a
///        swatch of its mask colour.
/// @param img H x W x C image, values in [0, opt.value_max]
/// @param color_maps K maps S(., k), each H x W
/// @param colors the K mask colours
/// @param opt see FigureOptions
/// @throws std::invalid_argument as class_comparison_figure().
inline Picture color_saliency_figure(const Image& img, const std::vector<SaliencyMap>& color_maps,
                                     const std::vector<Color>& colors, const FigureOptions& opt = {}) {
  return class_comparison_figure(img, {FigureRow{std::string(), color_maps, SaliencyMap()}}, colors, opt);
}

/// @brief Paper Fig. 1 style figure with a RISE column: the image, the RISE
///        map (sequential colour map, own scale), and the K colour-wise maps
///        under swatches of their mask colours.
/// @param img H x W x C image, values in [0, opt.value_max]
/// @param rise_map H x W RISE map
/// @param color_maps K maps S(., k), each H x W
/// @param colors the K mask colours
/// @param opt see FigureOptions
/// @throws std::invalid_argument as class_comparison_figure().
inline Picture color_saliency_figure(const Image& img, const SaliencyMap& rise_map,
                                     const std::vector<SaliencyMap>& color_maps, const std::vector<Color>& colors,
                                     const FigureOptions& opt = {}) {
  return class_comparison_figure(img, {FigureRow{std::string(), color_maps, rise_map}}, colors, opt);
}

/// @brief One curve of curve_plot().
struct Curve {
  std::string label;       ///< legend text (the AUC is appended when CurvePlotOptions::show_auc)
  std::vector<double> y;   ///< values (e.g. the class confidence after each deletion step), finite
  std::vector<double> x{}; ///< abscissae, strictly increasing, same length as y; empty: evenly spaced on [0, 1]
};

/// @brief Options of curve_plot().
struct CurvePlotOptions {
  int width = 560;                    ///< picture columns, in [160, 32768]
  int height = 380;                   ///< picture rows, in [120, 32768]
  std::string title{};                ///< heading; empty: none
  std::string x_label = "fraction of pixels removed";  ///< x axis label
  std::string y_label = "class confidence";            ///< y axis label
  double y_min = 0.0;                 ///< bottom of the y axis
  double y_max = 1.0;                 ///< top of the y axis (> y_min); values outside are clipped
  bool show_auc = true;               ///< append " (AUC 0.123)" to each legend entry
  int text_scale = 1;                 ///< integer size of all text, in [1, 64]
};

namespace detail {

inline void draw_line(Picture& pic, double x0, double y0, double x1, double y1, Rgb c, int thickness) {
  const double len = std::max(std::abs(x1 - x0), std::abs(y1 - y0));
  const int steps = std::max(1, static_cast<int>(std::ceil(len * 2)));
  const int r0 = -(thickness - 1) / 2, r1 = thickness / 2;
  for (int s = 0; s <= steps; ++s) {
    const double t = static_cast<double>(s) / steps;
    const int px = static_cast<int>(std::lround(x0 + (x1 - x0) * t));
    const int py = static_cast<int>(std::lround(y0 + (y1 - y0) * t));
    pic.fill(Rect{px + r0, py + r0, r1 - r0 + 1, r1 - r0 + 1}, c);
  }
}

inline Rgb curve_color(std::size_t i) {
  static const Rgb palette[] = {{31, 119, 180}, {214, 39, 40}, {44, 160, 44}, {255, 127, 14},
                                {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {127, 127, 127}};
  return palette[i % (sizeof palette / sizeof palette[0])];
}

}  // namespace detail

/// @brief Plot curves (e.g. deletion and CA-deletion confidence against the
///        fraction of pixels removed) with axes, ticks, a legend (AUC in each
///        label) and an optional title. The plot area is returned by `plot_area` if non-null.
/// @param curves one or more curves, each with >= 2 finite points
/// @param opt sizes and labels, see CurvePlotOptions
/// @param plot_area if not null, receives the rectangle of the data area (x range maps to its columns, y range to its rows)
/// @return opt.height x opt.width picture
/// @throws std::invalid_argument on no curves, an invalid curve or invalid options.
inline Picture curve_plot(const std::vector<Curve>& curves, const CurvePlotOptions& opt = {}, Rect* plot_area = nullptr) {
  if (curves.empty()) throw std::invalid_argument("mcrise::curve_plot(): need at least one curve");
  if (opt.width < 160 || opt.height < 120 || opt.text_scale < 1 || !(opt.y_max > opt.y_min) ||
      !std::isfinite(opt.y_min) || !std::isfinite(opt.y_max))
    throw std::invalid_argument("mcrise::curve_plot(): need width >= 160, height >= 120, text_scale >= 1 and finite y_min < y_max");
  detail::require_in("mcrise::curve_plot()", "width", opt.width, 160, detail::max_picture_side);
  detail::require_in("mcrise::curve_plot()", "height", opt.height, 120, detail::max_picture_side);
  detail::require_in("mcrise::curve_plot()", "text_scale", opt.text_scale, 1, detail::max_text_scale);
  std::vector<double> aucs;
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin;
  for (std::size_t i = 0; i < curves.size(); ++i) {
    const auto& c = curves[i];
    aucs.push_back(curve_auc(c.y, c.x));  // also validates the curve
    xmin = std::min(xmin, c.x.empty() ? 0.0 : c.x.front());
    xmax = std::max(xmax, c.x.empty() ? 1.0 : c.x.back());
  }
  const int ts = opt.text_scale, th = detail::text_height(ts), cap = detail::font_cap_height * ts;
  const Rgb ink{0, 0, 0}, grid{225, 225, 225};
  Picture out(opt.height, opt.width);
  std::vector<std::string> yt;
  int ytw = 0;
  for (int i = 0; i <= 4; ++i) {
    yt.push_back(detail::format_tick(opt.y_min + (opt.y_max - opt.y_min) * i / 4.0));
    ytw = std::max(ytw, detail::text_width(yt.back(), ts));
  }
  const int top = 10 + (opt.title.empty() ? 0 : detail::text_height(ts + 1) + 6) + th + 4;  // title, y label
  const int left = 10 + th + 4 + ytw + 6;  // y label, tick labels, tick marks
  const int bottom = opt.height - (10 + th + 4 + th + 4);
  const int right = opt.width - 14;
  const Rect area{left, top, right - left, bottom - top};
  if (area.w < 40 || area.h < 40) throw std::invalid_argument("mcrise::curve_plot(): picture too small for its text");
  if (plot_area) *plot_area = area;
  auto px = [&](double x) { return area.x + (x - xmin) / (xmax - xmin) * (area.w - 1); };
  auto py = [&](double y) {
    y = std::min(std::max(y, opt.y_min), opt.y_max);
    return area.y + (1.0 - (y - opt.y_min) / (opt.y_max - opt.y_min)) * (area.h - 1);
  };
  if (!opt.title.empty())
    detail::draw_text(out, (opt.width - detail::text_width(opt.title, ts + 1)) / 2, 10, opt.title, ink, ts + 1);
  for (int i = 0; i <= 4; ++i) {  // grid, ticks and tick labels
    const int gy = static_cast<int>(std::lround(py(opt.y_min + (opt.y_max - opt.y_min) * i / 4.0)));
    const int gx = static_cast<int>(std::lround(px(xmin + (xmax - xmin) * i / 4.0)));
    out.fill(Rect{area.x, gy, area.w, 1}, grid);
    out.fill(Rect{gx, area.y, 1, area.h}, grid);
    out.fill(Rect{area.x - 4, gy, 4, 1}, ink);
    out.fill(Rect{gx, area.y + area.h, 1, 4}, ink);
    const std::string& s = yt[static_cast<std::size_t>(i)];
    detail::draw_text(out, area.x - 6 - detail::text_width(s, ts), gy - cap / 2, s, ink, ts);
    const std::string xs = detail::format_tick(xmin + (xmax - xmin) * i / 4.0);
    detail::draw_text(out, gx - detail::text_width(xs, ts) / 2, area.y + area.h + 6, xs, ink, ts);
  }
  out.fill(Rect{area.x - 1, area.y, 1, area.h + 1}, ink);  // axes
  out.fill(Rect{area.x - 1, area.y + area.h, area.w + 1, 1}, ink);
  detail::draw_text(out, area.x + (area.w - detail::text_width(opt.x_label, ts)) / 2, opt.height - 10 - th + 2,
                    opt.x_label, ink, ts);
  // y label: stb_easy_font has no rotation, so stack it as a short horizontal label above the axis
  detail::draw_text(out, 10, top - th - 4, opt.y_label, ink, ts);
  for (std::size_t i = 0; i < curves.size(); ++i) {
    const auto& c = curves[i];
    const std::size_t n = c.y.size();
    auto X = [&](std::size_t j) { return c.x.empty() ? static_cast<double>(j) / static_cast<double>(n - 1) : c.x[j]; };
    for (std::size_t j = 0; j + 1 < n; ++j)
      detail::draw_line(out, px(X(j)), py(c.y[j]), px(X(j + 1)), py(c.y[j + 1]), detail::curve_color(i), 2);
  }
  // legend, top right inside the plot area
  int lw = 0;
  std::vector<std::string> labels;
  for (std::size_t i = 0; i < curves.size(); ++i) {
    std::string s = curves[i].label;
    if (opt.show_auc) {
      char buf[48];
      std::snprintf(buf, sizeof buf, "%sAUC %.3f", s.empty() ? "" : ", ", aucs[i]);
      s += buf;
    }
    labels.push_back(s);
    lw = std::max(lw, detail::text_width(s, ts));
  }
  const int row_h = th + 4, sw = 22;
  const Rect box{area.x + area.w - (lw + sw + 22), area.y + 8, lw + sw + 14, static_cast<int>(labels.size()) * row_h + 8};
  out.fill(box, Rgb{255, 255, 255});
  detail::frame(out, box, Rgb{160, 160, 160});
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const int ly = box.y + 4 + static_cast<int>(i) * row_h;
    out.fill(Rect{box.x + 5, ly + cap / 2 - 1, sw, 3}, detail::curve_color(i));
    detail::draw_text(out, box.x + 5 + sw + 5, ly, labels[i], ink, ts);
  }
  return out;
}

namespace detail {
template <class Result, class = void>
struct has_fills : std::false_type {};
template <class Result>
struct has_fills<Result, std::void_t<decltype(std::declval<const Result&>().fills())>> : std::true_type {};
}  // namespace detail

/// @brief Fig. 1 style figure straight from an mc_rise() result: the image and
///        the K colour maps of class `cls` under swatches of their colours (an image fill's
///        swatch: thumbnails of it, headed by its name).
/// @param img the explained image, H x W x C, values in [0, opt.value_max]
/// @tparam Result McRiseResult (anything with map(cls) -> K maps and colors() -> the K colours)
/// @param res the result of mc_rise() on `img`
/// @param cls a target class of `res`
/// @param opt see FigureOptions; with no color_names, the paper's colours get their names
/// @throws std::invalid_argument if `cls` was not a target class, or as class_comparison_figure().
template <class Result, class = decltype(std::declval<const Result&>().colors())>
Picture color_saliency_figure(const Image& img, const Result& res, int cls, FigureOptions opt = {}) {
  const int C = img.channels();
  if (opt.color_names.empty() && (C == 1 || C == 3 || C == 4) && opt.value_max > 0.0f && std::isfinite(opt.value_max) &&
      res.colors() == paper_colors(C, opt.value_max))
    opt.color_names = paper_color_names(img.channels());
  if constexpr (detail::has_fills<Result>::value)
    if (opt.fills.empty()) opt.fills = res.fills();  // image fills show as thumbnails named by the fill
  return color_saliency_figure(img, res.map(cls), res.colors(), opt);
}

}  // namespace mcrise
