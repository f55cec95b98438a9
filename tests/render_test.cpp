// Colour maps, colour bars, overlays, figures and curve plots
// (mcrise/colormap.hpp, mcrise/render.hpp).
#include <mcrise/colormap.hpp>
#include <mcrise/render.hpp>

#include <catch2/catch.hpp>

#include <climits>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace {

mcrise::SaliencyMap constant(int H, int W, double v) { return mcrise::SaliencyMap::Constant(H, W, v); }

std::vector<mcrise::Color> paper_colors() { return {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 1}, {0, 0, 0}}; }

bool same(mcrise::Rgb a, mcrise::Rgb b) { return a == b; }

}  // namespace

TEST_CASE("Diverging map: zero is white, the extremes are the ends, the scale is symmetric", "[colormap]") {
  using mcrise::Colormap;
  const mcrise::Rgb white{255, 255, 255};
  REQUIRE(same(mcrise::colormap_color(Colormap::diverging, 0.5), white));
  const mcrise::Rgb lo = mcrise::colormap_color(Colormap::diverging, 0.0);
  const mcrise::Rgb hi = mcrise::colormap_color(Colormap::diverging, 1.0);
  CHECK(lo[2] > lo[0]);  // negative end is blue
  CHECK(hi[0] > hi[2]);  // positive end is red

  mcrise::SaliencyMap m(2, 3);
  m << -0.2, 0.0, 0.1, 0.05, -0.1, 0.0;
  const mcrise::ColorScale s = mcrise::symmetric_scale(m);
  CHECK(s.lo == -0.2);
  CHECK(s.hi == 0.2);
  const mcrise::Picture p = mcrise::colorize(m);
  CHECK(same(p.at(0, 1), white));
  CHECK(same(p.at(1, 2), white));
  CHECK(same(p.at(0, 0), lo));  // -max|v| -> the blue end
  // Symmetry: +v and -v are equally far from white (same lightness loss), on opposite sides.
  for (double v : {0.02, 0.07, 0.13, 0.2}) {
    const mcrise::Rgb a = mcrise::value_color(v, Colormap::diverging, s);
    const mcrise::Rgb b = mcrise::value_color(-v, Colormap::diverging, s);
    CHECK(a[0] >= a[2]);
    CHECK(b[2] >= b[0]);
  }
  // Values beyond the scale clamp to the ends.
  CHECK(same(mcrise::value_color(5.0, Colormap::diverging, s), hi));
  CHECK(same(mcrise::value_color(-5.0, Colormap::diverging, s), lo));

  // A shared scale across maps: max |value| over all of them.
  const mcrise::ColorScale shared = mcrise::symmetric_scale({constant(2, 2, 0.3), constant(2, 2, -0.7)});
  CHECK(shared.lo == -0.7);
  CHECK(shared.hi == 0.7);
  // An all-zero map is drawn white.
  const mcrise::Picture z = mcrise::colorize(constant(2, 2, 0.0));
  CHECK(same(z.at(1, 1), white));
}

TEST_CASE("Sequential maps run from their first to their last colour over [min, max]", "[colormap]") {
  using mcrise::Colormap;
  mcrise::SaliencyMap m(1, 3);
  m << 2.0, 3.0, 4.0;
  for (Colormap cm : {Colormap::viridis, Colormap::jet, Colormap::grey}) {
    const mcrise::Picture p = mcrise::colorize(m, cm);
    CHECK(same(p.at(0, 0), mcrise::colormap_color(cm, 0.0)));
    CHECK(same(p.at(0, 1), mcrise::colormap_color(cm, 0.5)));
    CHECK(same(p.at(0, 2), mcrise::colormap_color(cm, 1.0)));
  }
  CHECK(same(mcrise::colormap_color(Colormap::grey, 0.0), mcrise::Rgb{0, 0, 0}));
  CHECK(same(mcrise::colormap_color(Colormap::grey, 1.0), mcrise::Rgb{255, 255, 255}));
  CHECK(same(mcrise::colormap_color(Colormap::viridis, 0.0), mcrise::Rgb{68, 1, 84}));
  CHECK(same(mcrise::colormap_color(Colormap::viridis, 1.0), mcrise::Rgb{253, 231, 37}));
}

TEST_CASE("NaN and inf in a map are rejected with a clear message", "[colormap]") {
  mcrise::SaliencyMap m = constant(3, 4, 0.1);
  m(2, 1) = std::numeric_limits<double>::quiet_NaN();
  try {
    (void)mcrise::colorize(m);
    FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    const std::string w = e.what();
    CHECK(w.find("NaN") != std::string::npos);
    CHECK(w.find("(2, 1)") != std::string::npos);
  }
  REQUIRE_THROWS_AS(mcrise::symmetric_scale(m), std::invalid_argument);
  REQUIRE_THROWS_AS(mcrise::color_saliency_figure(mcrise::Image(3, 4, 3), {m}, {{1, 0, 0}}), std::invalid_argument);
  m(2, 1) = std::numeric_limits<double>::infinity();
  REQUIRE_THROWS_AS(mcrise::colorize(m), std::invalid_argument);
  REQUIRE_THROWS_AS(mcrise::colorize(constant(2, 2, 0), mcrise::Colormap::diverging, {1.0, 1.0}),
                    std::invalid_argument);
}

TEST_CASE("Colour bar: top is the high end, bottom the low end, labels are drawn", "[colormap]") {
  mcrise::ColorBarOptions o;
  o.height = 100;
  const mcrise::Picture bar = mcrise::color_bar(mcrise::Colormap::diverging, {-2.0, 2.0}, o);
  const int pad = (bar.height() - 100) / 2;
  CHECK(same(bar.at(pad + 1, o.bar_width / 2), mcrise::colormap_color(mcrise::Colormap::diverging, 1.0 - 1.5 / 100)));
  CHECK(same(bar.at(pad + 98, o.bar_width / 2), mcrise::colormap_color(mcrise::Colormap::diverging, 1.5 / 100)));
  // Tick labels ("2", "1", "0", "-1", "-2") put dark pixels right of the bar.
  int ink = 0;
  for (int y = 0; y < bar.height(); ++y)
    for (int x = o.bar_width + 4; x < bar.width(); ++x) ink += bar.at(y, x)[0] < 128;
  CHECK(ink > 20);
}

TEST_CASE("Text: drawn inside its measured box, in its colour", "[render]") {
  mcrise::Picture p(40, 200);
  const std::string s = "MC-RISE 0.25";
  const int w = mcrise::text_width(s, 2);
  mcrise::draw_text(p, 10, 5, s, mcrise::Rgb{200, 0, 0}, 2);
  int inside = 0, outside = 0;
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 200; ++x) {
      const bool ink = !same(p.at(y, x), mcrise::Rgb{255, 255, 255});
      if (!ink) continue;
      CHECK(same(p.at(y, x), mcrise::Rgb{200, 0, 0}));
      if (x >= 10 && x < 10 + w && y >= 5 && y < 5 + mcrise::text_height(2)) ++inside;
      else ++outside;
    }
  CHECK(inside > 50);
  CHECK(outside == 0);
}

TEST_CASE("Rectangles and text are clipped before they are walked: any position, any scale", "[render]") {
  const mcrise::Rgb red{200, 0, 0};
  mcrise::Picture p(10, 10);
  p.fill(mcrise::Rect{-5, -5, 8, 8}, red);  // covers rows and columns 0..2 of the picture
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 10; ++x) CHECK(same(p.at(y, x), x < 3 && y < 3 ? red : mcrise::Rgb{255, 255, 255}));
  const mcrise::Picture before = p;
  p.fill(mcrise::Rect{INT_MAX - 1, INT_MAX - 1, 10, 10}, red);  // its far edge overflows an int: nothing
  p.fill(mcrise::Rect{INT_MIN, 0, 5, 5}, red);
  CHECK(p == before);
  // A 100000x scale: every glyph block would be 10^10 pixels to walk; clipped, it is at most the
  // picture (the 'h' of "hello" starts at the corner, so it covers it all).
  mcrise::draw_text(p, 0, 0, "hello", mcrise::Rgb{0, 0, 200}, 100000);
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 10; ++x) CHECK(same(p.at(y, x), mcrise::Rgb{0, 0, 200}));
  // Positions and scales whose products overflow an int (UB before; the sanitizer builds check it).
  mcrise::Picture q(10, 10);
  mcrise::draw_text(q, -100000, INT_MAX - 2, "hello", red, 100000);
  mcrise::draw_text(q, INT_MAX - 5, INT_MIN + 5, "hello", red, INT_MAX);
  CHECK(q == mcrise::Picture(10, 10));
  CHECK(mcrise::text_width("hello", INT_MAX) == INT_MAX);
  CHECK(mcrise::text_height(INT_MAX) == INT_MAX);
}

TEST_CASE("Overlay blends image and colour map with the chosen opacity", "[render]") {
  const mcrise::Image img(4, 5, 3, 0.2f);
  mcrise::SaliencyMap m = constant(4, 5, 0.0);
  m(0, 0) = 1.0;
  m(3, 4) = -1.0;
  mcrise::OverlayOptions o;
  o.alpha = 0.0;
  CHECK(mcrise::overlay(img, m, o) == mcrise::to_picture(img));
  o.alpha = 1.0;
  CHECK(mcrise::overlay(img, m, o) == mcrise::colorize(m));
  o.alpha = 0.5;
  const mcrise::Picture half = mcrise::overlay(img, m, o);
  const mcrise::Rgb base = mcrise::to_picture(img).at(1, 1), col = mcrise::colorize(m).at(0, 0);
  for (int c = 0; c < 3; ++c)
    CHECK(half.at(0, 0)[static_cast<std::size_t>(c)] ==
          static_cast<int>(std::lround(0.5 * base[static_cast<std::size_t>(c)] + 0.5 * col[static_cast<std::size_t>(c)])));
  REQUIRE_THROWS_AS(mcrise::overlay(img, constant(3, 5, 0.0)), std::invalid_argument);
  o.alpha = 1.5;
  REQUIRE_THROWS_AS(mcrise::overlay(img, m, o), std::invalid_argument);
  CHECK_THROWS_WITH(mcrise::overlay(mcrise::Image(), mcrise::SaliencyMap()), Catch::Contains("overlay(): the image is empty"));
  CHECK_THROWS_WITH(mcrise::to_picture(mcrise::Image()), Catch::Contains("to_picture(): the image is empty"));
}

TEST_CASE("Fig. 1 figure: size, panel positions, and every panel shows its own map", "[render][figure]") {
  const int H = 16, W = 16;
  mcrise::Image img(H, W, 3);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) img(y, x, 0) = img(y, x, 1) = img(y, x, 2) = static_cast<float>(x) / (W - 1);
  const auto colors = paper_colors();
  // Each colour map a distinct constant: k = 0..4 -> -1, -0.5, 0, 0.5, 1.
  std::vector<mcrise::SaliencyMap> maps;
  for (int k = 0; k < 5; ++k) maps.push_back(constant(H, W, -1.0 + 0.5 * k));
  mcrise::SaliencyMap rise_map(H, W);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) rise_map(y, x) = y;  // a vertical ramp

  mcrise::FigureOptions o;
  o.title = "test";
  const std::vector<mcrise::FigureRow> rows{{"", maps, rise_map}};
  const mcrise::FigureLayout L = mcrise::figure_layout(H, W, rows, colors, o);
  const mcrise::Picture fig = mcrise::color_saliency_figure(img, rise_map, maps, colors, o);
  REQUIRE(fig.height() == L.height);
  REQUIRE(fig.width() == L.width);
  REQUIRE(L.panel_height == 128);  // 16 px upscaled 8x to the 128 px panel size
  REQUIRE(L.panel_width == 128);
  REQUIRE(L.panels.size() == 1);
  REQUIRE(L.panels[0].size() == 7);  // image, RISE, 5 colour maps
  REQUIRE(L.swatches.size() == 5);
  for (std::size_t c = 0; c + 1 < L.panels[0].size(); ++c) {  // left to right, no overlap, same row
    CHECK(L.panels[0][c].x + L.panels[0][c].w < L.panels[0][c + 1].x);
    CHECK(L.panels[0][c].y == L.panels[0][c + 1].y);
  }
  for (std::size_t k = 0; k < 5; ++k) {  // swatch above its own colour column
    const mcrise::Rect& sw = L.swatches[k];
    const mcrise::Rect& pn = L.panels[0][2 + k];
    CHECK(sw.x == pn.x);
    CHECK(sw.y + sw.h < pn.y);
    const mcrise::Rgb expect{static_cast<std::uint8_t>(colors[k][0] * 255), static_cast<std::uint8_t>(colors[k][1] * 255),
                             static_cast<std::uint8_t>(colors[k][2] * 255)};
    CHECK(same(fig.at(sw.y + sw.h / 2, sw.x + sw.w / 2), expect));
  }
  CHECK(L.color_bar.w > 0);
  CHECK(L.color_bar.x > L.panels[0][6].x + L.panels[0][6].w);
  CHECK(L.color_bar.x + L.color_bar.w <= fig.width());

  // Every pixel inside each colour-map panel has the colour of that map's constant under the shared scale [-1, 1].
  for (std::size_t k = 0; k < 5; ++k) {
    const mcrise::Rect& pn = L.panels[0][2 + k];
    const mcrise::Rgb expect = mcrise::value_color(-1.0 + 0.5 * static_cast<double>(k), mcrise::Colormap::diverging, {-1, 1});
    for (int y = pn.y; y < pn.y + pn.h; ++y)
      for (int x = pn.x; x < pn.x + pn.w; ++x) REQUIRE(same(fig.at(y, x), expect));
  }
  // The image panel is the image, upscaled by 8 with nearest neighbour.
  const mcrise::Picture ip = mcrise::to_picture(img);
  const mcrise::Rect& ipn = L.panels[0][0];
  for (int y = 0; y < ipn.h; ++y)
    for (int x = 0; x < ipn.w; ++x) REQUIRE(same(fig.at(ipn.y + y, ipn.x + x), ip.at(y / 8, x / 8)));
  // The RISE panel is the ramp under the jet map on its own [0, 15] scale: top row first colour, bottom row last.
  const mcrise::Rect& rp = L.panels[0][1];
  CHECK(same(fig.at(rp.y, rp.x + 5), mcrise::colormap_color(mcrise::Colormap::jet, 0.0)));
  CHECK(same(fig.at(rp.y + rp.h - 1, rp.x + 5), mcrise::colormap_color(mcrise::Colormap::jet, 1.0)));
}

TEST_CASE("Fig. 6 figure: one row per class, one scale shared by both rows", "[render][figure]") {
  const int H = 8, W = 12;
  const mcrise::Image img(H, W, 3, 0.5f);
  const std::vector<mcrise::Color> colors{{1, 0, 0}, {0, 0, 1}};
  const std::vector<mcrise::FigureRow> rows{{"predicted: stop", {constant(H, W, 0.2), constant(H, W, -0.1)}, {}},
                                            {"true: yield", {constant(H, W, 0.4), constant(H, W, 0.0)}, {}}};
  mcrise::FigureOptions o;
  o.panel_size = 96;
  const mcrise::FigureLayout L = mcrise::figure_layout(H, W, rows, colors, o);
  const mcrise::Picture fig = mcrise::class_comparison_figure(img, rows, colors, o);
  REQUIRE(fig.height() == L.height);
  REQUIRE(fig.width() == L.width);
  CHECK(L.panel_width == 96);  // 12 px wide, magnified 8x
  CHECK(L.panel_height == 64);
  REQUIRE(L.panels.size() == 2);
  REQUIRE(L.panels[0].size() == 3);  // no RISE column
  CHECK(!L.rise_column);
  CHECK(L.panels[1][0].y > L.panels[0][0].y + L.panels[0][0].h);
  CHECK(L.panels[1][0].x == L.panels[0][0].x);
  CHECK(L.row_labels[0].x + L.row_labels[0].w <= L.panels[0][0].x);
  const double values[2][2] = {{0.2, -0.1}, {0.4, 0.0}};
  // Every panel of every row is drawn on one scale: the default auto_scale(), or the one the user sets.
  auto check_scale = [&](const mcrise::Picture& f, const mcrise::ColorScale& shared) {
    for (std::size_t r = 0; r < 2; ++r)
      for (std::size_t k = 0; k < 2; ++k) {
        const mcrise::Rect& pn = L.panels[r][1 + k];
        const mcrise::Rgb expect = mcrise::value_color(values[r][k], mcrise::Colormap::diverging, shared);
        CHECK(same(f.at(pn.y + 1, pn.x + 1), expect));
        CHECK(same(f.at(pn.y + pn.h - 1, pn.x + pn.w - 1), expect));
      }
  };
  check_scale(fig, mcrise::ColorScale{-0.4, 0.4});
  mcrise::FigureOptions wide = o;
  wide.scale = mcrise::ColorScale{-1.0, 1.0};  // not the maps' own [-0.4, 0.4]
  REQUIRE(mcrise::figure_layout(H, W, rows, colors, wide).panels[1][2].x == L.panels[1][2].x);
  check_scale(mcrise::class_comparison_figure(img, rows, colors, wide), wide.scale);
  // Mismatches are errors.
  REQUIRE_THROWS_AS(mcrise::class_comparison_figure(img, rows, {{1, 0, 0}}, o), std::invalid_argument);
  const std::vector<mcrise::FigureRow> bad{{"", {constant(H, W + 1, 0.0), constant(H, W, 0.0)}, {}}};
  REQUIRE_THROWS_AS(mcrise::class_comparison_figure(img, bad, colors, o), std::invalid_argument);
}

TEST_CASE("Curve plot: size, AUC, curves drawn inside the plot area", "[render][plot]") {
  CHECK(mcrise::curve_auc({1.0, 0.0}) == Approx(0.5));
  CHECK(mcrise::curve_auc({1.0, 1.0, 1.0}) == Approx(1.0));
  CHECK(mcrise::curve_auc({0.0, 1.0, 1.0}, {0.0, 0.5, 2.0}) == Approx((0.25 + 1.5) / 2.0));
  REQUIRE_THROWS_AS(mcrise::curve_auc({1.0}), std::invalid_argument);
  REQUIRE_THROWS_AS(mcrise::curve_auc({1.0, 2.0}, {1.0, 1.0}), std::invalid_argument);

  mcrise::CurvePlotOptions o;
  o.width = 400;
  o.height = 300;
  o.title = "deletion";
  mcrise::Rect area;
  const mcrise::Picture p = mcrise::curve_plot({{"flat", {0.5, 0.5, 0.5}}, {"down", {1.0, 0.0}}}, o, &area);
  REQUIRE(p.height() == 300);
  REQUIRE(p.width() == 400);
  CHECK(area.w > 200);
  CHECK(area.h > 150);
  // The flat curve at 0.5 is a blue horizontal line across the middle (left part, clear of the legend).
  const int ymid = area.y + static_cast<int>(std::lround(0.5 * (area.h - 1)));
  int blue = 0;
  for (int x = area.x + 2; x < area.x + area.w / 3; ++x)
    for (int dy = -1; dy <= 1; ++dy) blue += same(p.at(ymid + dy, x), mcrise::Rgb{31, 119, 180});
  CHECK(blue >= area.w / 3 - 4);
  REQUIRE_THROWS_AS(mcrise::curve_plot({}), std::invalid_argument);
}

TEST_CASE("resize_nearest replicates pixels into exact blocks", "[render]") {
  mcrise::Picture p(2, 3);
  p.set(1, 2, mcrise::Rgb{1, 2, 3});
  const mcrise::Picture q = mcrise::resize_nearest(p, 8, 12);
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 12; ++x) REQUIRE(same(q.at(y, x), p.at(y / 4, x / 4)));
}

TEST_CASE("value_range and auto_scale span every map given whichever holds the extremes", "[colormap]") {
  mcrise::SaliencyMap a(1, 2), b(1, 2);
  a << 0.0, 3.0;   // holds the maximum
  b << -2.0, 1.0;  // holds the minimum
  for (const auto& maps : {std::vector<mcrise::SaliencyMap>{a, b}, std::vector<mcrise::SaliencyMap>{b, a}}) {
    const mcrise::ColorScale s = mcrise::value_range(maps);
    CHECK(s.lo == -2.0);
    CHECK(s.hi == 3.0);
    const mcrise::ColorScale v = mcrise::auto_scale(maps, mcrise::Colormap::viridis);
    CHECK(v.lo == -2.0);
    CHECK(v.hi == 3.0);
  }
}

TEST_CASE("Overlay uses the scale it is given", "[render]") {
  const mcrise::Image img(2, 3, 3, 0.2f);
  mcrise::SaliencyMap m(2, 3);
  m << 0.5, 1.0, 1.5, 0.0, 2.0, 0.25;
  mcrise::OverlayOptions o;
  o.alpha = 1.0;
  o.colormap = mcrise::Colormap::viridis;
  o.scale = mcrise::ColorScale{0.0, 4.0};  // not the map's own range [0, 2]
  const mcrise::Picture p = mcrise::overlay(img, m, o);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x)
      CHECK(same(p.at(y, x), mcrise::colormap_color(mcrise::Colormap::viridis, m(y, x) / 4.0)));
}
