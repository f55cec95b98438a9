#pragma once
/// @file colormap.hpp
/// @brief Colour maps for saliency maps: a diverging map for signed maps
///        (debiased RISE, MC-RISE: blue negative, white zero, red positive),
///        sequential maps for RISE, shared scales across the K maps of one
///        figure, and a colour bar that shows the numbers.

#include <mcrise/detail/checks.hpp>
#include <mcrise/detail/io/render_text.hpp>
#include <mcrise/image.hpp>
#include <mcrise/picture.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcrise {

/// @brief Which colour map turns values into colours.
enum class Colormap {
  diverging,  ///< blue (low) - white (middle) - red (high); for signed maps with a symmetric scale
  viridis,    ///< perceptually uniform dark purple - green - yellow; for RISE
  jet,        ///< dark blue - cyan - yellow - dark red, as in the RISE paper
  grey        ///< black - white
};

/// @brief A linear value scale: `lo` maps to the first colour of the colour
///        map, `hi` to the last, values outside are clamped. lo < hi.
struct ColorScale {
  double lo = -1.0;  ///< value shown with the first colour
  double hi = 1.0;   ///< value shown with the last colour
};

namespace detail {

struct ColorStop {
  double t;
  double r, g, b;
};

inline Rgb lerp_stops(const ColorStop* stops, std::size_t n, double t) {
  t = std::min(std::max(t, 0.0), 1.0);
  std::size_t i = 0;
  while (i + 2 < n && t > stops[i + 1].t) ++i;
  const ColorStop& a = stops[i];
  const ColorStop& b = stops[i + 1];
  const double u = (b.t > a.t) ? std::min(std::max((t - a.t) / (b.t - a.t), 0.0), 1.0) : 0.0;
  auto mix = [u](double p, double q) {
    return static_cast<std::uint8_t>(std::lround(std::min(std::max(p + (q - p) * u, 0.0), 255.0)));
  };
  return Rgb{mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b)};
}

inline void check_scale(const ColorScale& s, const char* fn) {
  if (!std::isfinite(s.lo) || !std::isfinite(s.hi) || !(s.lo < s.hi))
    throw std::invalid_argument(std::string("mcrise::") + fn + "(): scale must have finite lo < hi, got [" +
                                std::to_string(s.lo) + ", " + std::to_string(s.hi) + "]");
}

/// Short number for tick labels: 3 significant digits, no trailing zeros.
/// Position of v on a scale, (v - lo) / (hi - lo). When hi - lo overflows (a scale near ±1.8e308,
/// e.g. the auto scale of huge values) the same ratio is taken of the halved values, so that 0
/// still lands in the middle instead of every value at 0.
inline double scale_position(double v, const ColorScale& s) {
  const double span = s.hi - s.lo;
  if (std::isfinite(span)) return (v - s.lo) / span;
  return (v * 0.5 - s.lo * 0.5) / (s.hi * 0.5 - s.lo * 0.5);
}

/// Value at fraction f in [0, 1] of a scale, lo + (hi - lo)·f, finite when hi - lo overflows.
inline double scale_value(const ColorScale& s, double f) {
  const double span = s.hi - s.lo;
  if (std::isfinite(span)) return s.lo + span * f;
  return s.lo * (1.0 - f) + s.hi * f;
}

inline std::string format_tick(double v) {
  if (std::abs(v) < 1e-12) v = 0.0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

}  // namespace detail

/// @brief The colour of position t of a colour map.
/// @param cm the colour map
/// @param t position in [0, 1] (clamped; NaN gives the middle)
/// @return 8-bit RGB. For Colormap::diverging: t = 0 is dark blue (5, 48, 97),
///         t = 0.5 exactly white (255, 255, 255), t = 1 dark red (103, 0, 31)
///         (ColorBrewer RdBu, reversed). A `cm` that is no enumerator draws as grey.
inline Rgb colormap_color(Colormap cm, double t) {
  if (std::isnan(t)) t = 0.5;
  static const detail::ColorStop diverging[] = {
      {0.0, 5, 48, 97},      {0.1, 33, 102, 172},  {0.25, 67, 147, 195}, {0.4, 209, 229, 240}, {0.5, 255, 255, 255},
      {0.6, 253, 219, 199}, {0.75, 214, 96, 77}, {0.9, 178, 24, 43},   {1.0, 103, 0, 31}};
  static const detail::ColorStop viridis[] = {
      {0.0, 68, 1, 84},        {1 / 9.0, 72, 40, 120},  {2 / 9.0, 62, 73, 137},  {3 / 9.0, 49, 104, 142},
      {4 / 9.0, 38, 130, 142}, {5 / 9.0, 31, 158, 137}, {6 / 9.0, 53, 183, 121}, {7 / 9.0, 110, 206, 88},
      {8 / 9.0, 181, 222, 43}, {1.0, 253, 231, 37}};
  static const detail::ColorStop jet[] = {{0.0, 0, 0, 128},     {0.125, 0, 0, 255},   {0.375, 0, 255, 255},
                                          {0.625, 255, 255, 0}, {0.875, 255, 0, 0},   {1.0, 128, 0, 0}};
  static const detail::ColorStop grey[] = {{0.0, 0, 0, 0}, {1.0, 255, 255, 255}};
  switch (cm) {
    case Colormap::diverging:
      return detail::lerp_stops(diverging, std::size(diverging), t);
    case Colormap::viridis:
      return detail::lerp_stops(viridis, std::size(viridis), t);
    case Colormap::jet:
      return detail::lerp_stops(jet, std::size(jet), t);
    case Colormap::grey:
    default:
      return detail::lerp_stops(grey, std::size(grey), t);
  }
}

/// @brief The colour of value v under a colour map and a scale:
///        colormap_color(cm, (v - lo) / (hi - lo)).
/// @throws std::invalid_argument if v is not finite or the scale is invalid.
inline Rgb value_color(double v, Colormap cm, const ColorScale& scale) {
  detail::check_scale(scale, "value_color");
  if (!std::isfinite(v)) throw std::invalid_argument("mcrise::value_color(): value must be finite, got " + std::to_string(v));
  return colormap_color(cm, detail::scale_position(v, scale));
}

/// @brief Symmetric scale [-m, m] shared by several maps, m = max |value|
///        over all of them, so that zero is the middle colour (white in the
///        diverging map) and the K colour maps of one figure are comparable.
///        If every value is 0, m = 1 (everything is drawn white).
/// @param maps maps of any sizes (may be empty)
/// @throws std::invalid_argument if a map contains NaN or inf.
inline ColorScale symmetric_scale(const std::vector<SaliencyMap>& maps) {
  double m = 0.0;
  for (const auto& map : maps) {
    detail::check_finite(map, "mcrise::symmetric_scale()");
    if (map.size() > 0) m = std::max(m, map.cwiseAbs().maxCoeff());
  }
  if (!(m > 0.0)) m = 1.0;
  return ColorScale{-m, m};
}

/// @brief symmetric_scale() of one map (any Eigen matrix expression; a
///        template so that `symmetric_scale({a, b})` picks the vector overload).
/// @throws std::invalid_argument if the map contains NaN or inf.
template <class Derived>
ColorScale symmetric_scale(const Eigen::MatrixBase<Derived>& map) {
  return symmetric_scale(std::vector<SaliencyMap>{SaliencyMap(map)});
}

/// @brief Scale [min, max] over all values of several maps (for the
///        sequential maps). If all values equal v, the scale is
///        [v - 0.5, v + 0.5], so that single value gets the middle colour;
///        no values at all give [-0.5, 0.5].
/// @throws std::invalid_argument if a map contains NaN or inf.
inline ColorScale value_range(const std::vector<SaliencyMap>& maps) {
  double lo = 0.0, hi = 0.0;
  bool any = false;
  for (const auto& map : maps) {
    detail::check_finite(map, "mcrise::value_range()");
    if (map.size() == 0) continue;
    lo = any ? std::min(lo, map.minCoeff()) : map.minCoeff();
    hi = any ? std::max(hi, map.maxCoeff()) : map.maxCoeff();
    any = true;
  }
  if (!(hi > lo)) return ColorScale{lo - 0.5, lo + 0.5};
  return ColorScale{lo, hi};
}

/// @brief value_range() of one map (any Eigen matrix expression).
/// @throws std::invalid_argument if the map contains NaN or inf.
template <class Derived>
ColorScale value_range(const Eigen::MatrixBase<Derived>& map) {
  return value_range(std::vector<SaliencyMap>{SaliencyMap(map)});
}

/// @brief The natural scale of a colour map for these maps: symmetric_scale()
///        for Colormap::diverging, value_range() otherwise.
/// @throws std::invalid_argument if a map contains NaN or inf.
inline ColorScale auto_scale(const std::vector<SaliencyMap>& maps, Colormap cm) {
  return cm == Colormap::diverging ? symmetric_scale(maps) : value_range(maps);
}

/// @brief Paint a map with a colour map: pixel (y, x) of the result is
///        value_color(map(y, x), cm, scale).
/// @param map H x W map, every value finite
/// @param cm colour map
/// @param scale value scale, lo < hi (for a figure, one shared scale for all its maps)
/// @return H x W picture
/// @throws std::invalid_argument if the map contains NaN or inf ("map has a non-finite value (NaN) at pixel
///         (y, x)") or the scale is invalid.
inline Picture colorize(const SaliencyMap& map, Colormap cm, const ColorScale& scale) {
  detail::check_finite(map, "mcrise::colorize()");
  detail::check_scale(scale, "colorize");
  if (map.rows() > detail::max_picture_side || map.cols() > detail::max_picture_side)
    throw std::invalid_argument("mcrise::colorize(): the map must be at most " + std::to_string(detail::max_picture_side) +
                                " x " + std::to_string(detail::max_picture_side) + " (a Picture's limit), got " +
                                std::to_string(map.rows()) + " x " + std::to_string(map.cols()));
  Picture out(static_cast<int>(map.rows()), static_cast<int>(map.cols()));
  if (!std::isfinite(scale.hi - scale.lo)) {  // a scale near ±1.8e308: see scale_position()
    for (int y = 0; y < out.height(); ++y)
      for (int x = 0; x < out.width(); ++x) out.set(y, x, colormap_color(cm, detail::scale_position(map(y, x), scale)));
    return out;
  }
  const double inv = 1.0 / (scale.hi - scale.lo);
  for (int y = 0; y < out.height(); ++y)
    for (int x = 0; x < out.width(); ++x) out.set(y, x, colormap_color(cm, (map(y, x) - scale.lo) * inv));
  return out;
}

/// @brief colorize() with the map's own auto_scale(): symmetric about zero for
///        the diverging map, [min, max] for the sequential ones.
/// @throws std::invalid_argument if the map contains NaN or inf.
inline Picture colorize(const SaliencyMap& map, Colormap cm = Colormap::diverging) {
  return colorize(map, cm, auto_scale(std::vector<SaliencyMap>{map}, cm));
}

/// @brief Options of color_bar().
struct ColorBarOptions {
  int height = 128;      ///< bar length in pixels (top = scale.hi), in [8, 32768]
  int bar_width = 14;    ///< bar thickness in pixels, in [1, 32768]
  int ticks = 5;         ///< number of labelled ticks, evenly spaced from lo to hi, in [2, 1024]
  int text_scale = 1;    ///< integer size of the tick labels, in [1, 64]
  Rgb text_color{0, 0, 0};        ///< tick and label colour
  Rgb background{255, 255, 255};  ///< background
};

/// @brief A vertical colour bar: the colour map from scale.lo (bottom) to
///        scale.hi (top) with a frame and tick marks in opt.text_color (black by default), the ticks
///        labelled with their values on the right.
/// @param cm colour map
/// @param scale value scale, lo < hi
/// @param opt sizes, see ColorBarOptions
/// @return picture of opt.height + 2·((7·text_scale + 1)/2 + 1) rows (room for the labels, which stick
///         out half a line above and below the bar) and enough columns for the widest label
/// @throws std::invalid_argument on an invalid scale or options.
inline Picture color_bar(Colormap cm, const ColorScale& scale, const ColorBarOptions& opt = {}) {
  detail::check_scale(scale, "color_bar");
  if (opt.height < 8 || opt.bar_width < 1 || opt.ticks < 2 || opt.text_scale < 1)
    throw std::invalid_argument("mcrise::color_bar(): need height >= 8, bar_width >= 1, ticks >= 2, text_scale >= 1; got " +
                                std::to_string(opt.height) + ", " + std::to_string(opt.bar_width) + ", " +
                                std::to_string(opt.ticks) + ", " + std::to_string(opt.text_scale));
  detail::require_in("mcrise::color_bar()", "height", opt.height, 8, detail::max_picture_side);
  detail::require_in("mcrise::color_bar()", "bar_width", opt.bar_width, 1, detail::max_picture_side);
  detail::require_in("mcrise::color_bar()", "ticks", opt.ticks, 2, detail::max_ticks);
  detail::require_in("mcrise::color_bar()", "text_scale", opt.text_scale, 1, detail::max_text_scale);
  std::vector<std::string> labels;
  int label_w = 0;
  for (int i = 0; i < opt.ticks; ++i) {
    const double v = std::isfinite(scale.hi - scale.lo)
                         ? scale.lo + (scale.hi - scale.lo) * i / (opt.ticks - 1)
                         : detail::scale_value(scale, static_cast<double>(i) / (opt.ticks - 1));
    labels.push_back(detail::format_tick(v));
    label_w = std::max(label_w, detail::text_width(labels.back(), opt.text_scale));
  }
  const int cap = detail::font_cap_height * opt.text_scale;
  const int pad = (cap + 1) / 2 + 1;  // room for the half label above the top and below the bottom tick
  const int tick_len = 4;
  Picture out(opt.height + 2 * pad, opt.bar_width + tick_len + 3 + label_w + 1, opt.background);
  for (int y = 0; y < opt.height; ++y) {
    const double t = 1.0 - (y + 0.5) / opt.height;
    out.fill(Rect{0, pad + y, opt.bar_width, 1}, colormap_color(cm, t));
  }
  // frame
  out.fill(Rect{0, pad - 1, opt.bar_width, 1}, opt.text_color);
  out.fill(Rect{0, pad + opt.height, opt.bar_width, 1}, opt.text_color);
  out.fill(Rect{0, pad - 1, 1, opt.height + 2}, opt.text_color);
  out.fill(Rect{opt.bar_width - 1, pad - 1, 1, opt.height + 2}, opt.text_color);
  for (int i = 0; i < opt.ticks; ++i) {
    const int y = pad + static_cast<int>(std::lround((opt.height - 1) * (1.0 - static_cast<double>(i) / (opt.ticks - 1))));
    out.fill(Rect{opt.bar_width, y, tick_len, 1}, opt.text_color);
    detail::draw_text(out, opt.bar_width + tick_len + 3, y - cap / 2, labels[static_cast<std::size_t>(i)],
                      opt.text_color, opt.text_scale);
  }
  return out;
}

}  // namespace mcrise
