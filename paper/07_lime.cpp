// 07_lime: LIME beside RISE and MC-RISE on the bundled traffic-sign CNN, in the layout of the
// paper's Fig. 4 (rows of signs: input, LIME, RISE, the MC-RISE colour maps).
//
// LIME runs with the lime package's defaults (1,000 samples, kernel width 0.25, ridge alpha 1,
// switched-off superpixels filled with their mean colour) twice: on quick shift superpixels with
// the package's parameters (when built with VLFeat, target mcrise::vlfeat) and on an 8 x 8 grid
// of squares. RISE and MC-RISE use the paper's settings with N masks. LIME panels are on a
// symmetric blue-white-red scale of at least ±0.05 (a change in probability), RISE on jet, the
// five MC-RISE maps of a row on one shared symmetric scale.
// Run:    build/paper/07_lime [out-dir = out] [n_masks = 4000]
// Writes: <out-dir>/fig4_lime_rise_mcrise.png
#include <mcrise/mcrise.hpp>
#ifdef MCRISE_WITH_VLFEAT
#include <mcrise/vlfeat/quickshift.hpp>
#endif
#include <signs/classes.hpp>
#include <signs/cnn.hpp>
#include <signs/figures.hpp>
#include <signs/render.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace {

constexpr int kPanel = 96, kGap = 6, kHead = 28, kLabel = 110;

// The image with each superpixel's border drawn in black: what LIME switches on and off.
mcrise::Picture boundaries(const mcrise::Image& img, const mcrise::SegmentMap& seg) {
  mcrise::Picture pic = mcrise::to_picture(img);
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x)
      if ((x + 1 < img.width() && seg(y, x) != seg(y, x + 1)) || (y + 1 < img.height() && seg(y, x) != seg(y + 1, x)))
        pic.set(y, x, mcrise::Rgb{0, 0, 0});
  return pic;
}

// A map over the image, on a symmetric diverging scale (or `scale` if given), panel-sized.
mcrise::Picture panel(const mcrise::Image& img, const mcrise::SaliencyMap& map, mcrise::Colormap cm,
                      mcrise::ColorScale scale) {
  return mcrise::signs::map_panel(img, map, cm, scale, kPanel);
}

}  // namespace

int main(int argc, char** argv) try {
  const std::string out = argc > 1 ? argv[1] : "out";
  const long long n_masks = argc > 2 ? std::stoll(argv[2]) : 4000;
  std::filesystem::create_directories(out);
  namespace signs = mcrise::signs;
  const signs::SignCnn cnn = signs::load_bundled_sign_cnn();
  const std::vector<signs::SignClass> rows{signs::SignClass::stop, signs::SignClass::no_entry,
                                           signs::SignClass::priority_road, signs::SignClass::yield};

  std::vector<std::string> heads{"input"};
#ifdef MCRISE_WITH_VLFEAT
  heads.insert(heads.end(), {"quick shift", "LIME (qs)"});
#endif
  heads.insert(heads.end(), {"8x8 grid", "LIME (grid)", "RISE", "red", "green", "blue", "white", "black"});
  const int cols = static_cast<int>(heads.size());
  mcrise::Picture fig(kHead + static_cast<int>(rows.size()) * (kPanel + kGap),
                      kLabel + cols * (kPanel + kGap), mcrise::Rgb{255, 255, 255});
  const auto colors = mcrise::paper_colors();
  for (int c = 0; c < cols; ++c) {
    const int x = kLabel + c * (kPanel + kGap);
    mcrise::draw_text(fig, x + 2, 4, heads[static_cast<std::size_t>(c)]);
    if (c >= cols - 5) {  // swatch of the MC-RISE mask colour
      const auto& k = colors[static_cast<std::size_t>(c - (cols - 5))];
      const mcrise::Rgb s{static_cast<std::uint8_t>(255 * k[0]), static_cast<std::uint8_t>(255 * k[1]),
                          static_cast<std::uint8_t>(255 * k[2])};
      fig.fill(mcrise::Rect{x, 14, kPanel, 10}, mcrise::Rgb{90, 90, 90});
      fig.fill(mcrise::Rect{x + 1, 15, kPanel - 2, 8}, s);
    }
  }

  for (std::size_t r = 0; r < rows.size(); ++r) {
    const mcrise::Image img = signs::render_sign(signs::canonical_sign_params(rows[r]));
    const int cls = signs::class_index(rows[r]);
    const int y = kHead + static_cast<int>(r) * (kPanel + kGap);
    std::vector<mcrise::Picture> panels{mcrise::resize_nearest(mcrise::to_picture(img), kPanel, kPanel)};
    auto add_lime = [&](const mcrise::SegmentMap& seg, const char* what) {
      mcrise::LimeOptions lo;
      lo.classes = {cls};
      const auto lime = mcrise::lime(cnn, img, seg, lo);
      panels.push_back(mcrise::resize_nearest(boundaries(img, seg), kPanel, kPanel));
      // A symmetric scale, at least ±0.05 (in probability): a map of near-zero coefficients stays white.
      const double top = std::max(0.05, lime.coefficients.col(0).cwiseAbs().maxCoeff());
      panels.push_back(panel(img, lime.map(cls), mcrise::Colormap::diverging, mcrise::ColorScale{-top, top}));
      std::printf("%-14s LIME on %-11s %2d superpixels, R^2 %.3f, largest coefficient %+.3f\n",
                  signs::class_name(cls).c_str(), what, lime.num_segments, lime.r_squared(0),
                  lime.coefficients.col(0).cwiseAbs().maxCoeff());
    };
#ifdef MCRISE_WITH_VLFEAT
    add_lime(mcrise::quickshift_segments(img), "quick shift");
#endif
    add_lime(mcrise::grid_segments(img.height(), img.width(), 8, 8), "8x8 grid");

    mcrise::RiseOptions ro;
    ro.classes = {cls};
    ro.n_masks = n_masks;
    const auto rise = mcrise::rise(cnn, img, ro);
    panels.push_back(panel(img, rise.map(cls), mcrise::Colormap::jet, mcrise::value_range({rise.map(cls)})));
    mcrise::McRiseOptions mo;
    mo.classes = {cls};
    mo.n_masks = n_masks;
    const auto mc = mcrise::mc_rise(cnn, img, mo);
    const auto shared = mcrise::symmetric_scale(mc.map(cls));  // one scale for the five colour maps
    for (const auto& m : mc.map(cls)) panels.push_back(panel(img, m, mcrise::Colormap::diverging, shared));

    mcrise::draw_text(fig, 4, y + kPanel / 2 - 4, signs::class_name(cls));
    for (std::size_t c = 0; c < panels.size(); ++c)
      fig.paste(panels[c], y, kLabel + static_cast<int>(c) * (kPanel + kGap));
  }
  mcrise::save_png(out + "/fig4_lime_rise_mcrise.png", fig);
  std::printf("wrote %s/fig4_lime_rise_mcrise.png (RISE and MC-RISE with %lld masks)\n", out.c_str(), n_masks);
} catch (const std::exception& e) {
  std::fprintf(stderr, "07_lime: %s\n", e.what());
  return 1;
}
