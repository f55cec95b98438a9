// 08_color_or_texture: colour or texture? The question the paper's §6 leaves open, asked of the bundled
// traffic-sign CNN. MC-RISE runs with six mask fills on the same masks: the paper's five colours and
// a blurred copy of the sign (Gaussian, sigma = 5 pixels). A colour fill replaces a region's colour
// and its detail at once; the blurred copy keeps the region's colours and removes only its edges
// and fine detail (letters, digits, arrows). RISE runs with the blurred copy as its fill.
//
// Reading (paper §4.2, extended to image fills): S(λ, k) < 0 where replacing the region around λ by
// fill k lowers the score. Where the colour maps are strongly negative but the blur map is near 0,
// the model reads the region by its colour; where the blur map is about as negative as the colour
// maps, it reads the region's detail.
//
// The scores are the CNN's logits (its pre-softmax scores): on these clean signs its probabilities
// are 1.000 and barely move under any mask, so probability maps are near 0 for all but the stop sign.
//
// Run:    build/paper/08_color_or_texture [out-dir = out] [n_masks = 8000]
// Writes: <out>/fig_color_or_texture.png (one row per sign: the input, RISE with the blur fill, the
//         five colour maps and the blur map under their swatches, the blur swatch showing the
//         blurred sign; all colour maps on one symmetric scale);
//         prints per sign its logit, the logit of the whole sign blurred, and each map's mean over the
//         sign's pixels, with the blur map's mean as a share of the mean of the five colour maps, and
//         under each mean a bound on its standard error (the mean of the map's standard-error map).
#include <mcrise/mcrise.hpp>
#include <signs/classes.hpp>
#include <signs/cnn.hpp>
#include <signs/render.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace {

namespace signs = mcrise::signs;

constexpr double kSigma = 5.0;  // blur radius of the sixth fill, pixels (the sign is 48 x 48)

struct Row {
  signs::SignClass sign;
  mcrise::Image img;
  int cls = 0;
  double logit = 0, logit_blurred = 0;
  mcrise::McRiseResult mc;
  mcrise::SaliencyMap rise_blur;
};

// Mean of `map` over the pixels where `in` is true.
double mean_over(const mcrise::SaliencyMap& map, const std::vector<bool>& in) {
  double s = 0;
  int n = 0;
  for (int y = 0; y < map.rows(); ++y)
    for (int x = 0; x < map.cols(); ++x)
      if (in[static_cast<std::size_t>(y * map.cols() + x)]) s += map(y, x), ++n;
  return n > 0 ? s / n : 0.0;
}

}  // namespace

int main(int argc, char** argv) try {
  const std::string out = argc > 1 ? argv[1] : "out";
  const long long n_masks = argc > 2 ? std::stoll(argv[2]) : 8000;
  std::filesystem::create_directories(out);
  const signs::SignCnn cnn = signs::load_bundled_sign_cnn();
  auto logits = [&cnn](const mcrise::ImageBatch& batch) { return cnn.logits(batch); };
  auto logit = [&cnn](const mcrise::Image& im, int cls) {
    mcrise::ImageBatch b(1, im.height(), im.width(), im.channels());
    std::copy(im.data(), im.data() + im.size(), b.data());
    return static_cast<double>(cnn.logits(b)(0, cls));
  };
  const std::vector<signs::SignClass> which{signs::SignClass::stop, signs::SignClass::ahead_only,
                                            signs::SignClass::speed_limit, signs::SignClass::general_caution};

  std::vector<Row> rows;
  std::vector<mcrise::SaliencyMap> all_maps;
  for (const signs::SignClass s : which) {
    Row r;
    r.sign = s;
    r.img = signs::render_sign(signs::canonical_sign_params(s));
    r.cls = signs::class_index(s);
    const mcrise::Fill blur = mcrise::Fill::blurred(r.img, kSigma);  // named "blur:5"
    r.logit = logit(r.img, r.cls);
    r.logit_blurred = logit(*blur.image(), r.cls);

    mcrise::McRiseOptions mo;
    mo.n_masks = n_masks;
    mo.classes = {r.cls};
    for (const mcrise::Color& c : mcrise::paper_colors()) mo.fills.push_back(c);
    mo.fills.push_back(blur);
    r.mc = mcrise::mc_rise(logits, r.img, mo);
    mcrise::RiseOptions ro;
    ro.n_masks = n_masks;
    ro.classes = {r.cls};
    ro.fill = blur;  // i' = i·m + blur·(1 − m): where keeping the sharp sign raises the score
    r.rise_blur = mcrise::rise(logits, r.img, ro).map(r.cls);
    for (const auto& m : r.mc.map(r.cls)) all_maps.push_back(m);
    rows.push_back(std::move(r));
  }

  // The figure: one color_saliency_figure per sign (each with its own blurred copy as the sixth
  // swatch), stacked; every colour map on one symmetric scale, RISE on its own jet scale per row.
  mcrise::FigureOptions fo;
  fo.panel_size = 96;
  fo.scale = mcrise::symmetric_scale(all_maps);
  fo.rise_label = "RISE, blur fill";
  fo.color_names = mcrise::paper_color_names();
  fo.color_names.push_back(rows.front().mc.fills().back().name());
  std::vector<mcrise::Picture> parts;
  int height = 0, width = 0;
  for (const Row& r : rows) {
    char title[160];
    std::snprintf(title, sizeof title, "%s: logit %.1f, blurred whole %.1f", signs::class_name(r.cls).c_str(), r.logit,
                  r.logit_blurred);
    fo.title = title;
    fo.fills = r.mc.fills();
    parts.push_back(mcrise::color_saliency_figure(r.img, r.rise_blur, r.mc.map(r.cls), r.mc.colors(), fo));
    height += parts.back().height();
    width = std::max(width, parts.back().width());
  }
  mcrise::Picture fig(height, width, mcrise::Rgb{255, 255, 255});
  int y = 0;
  for (const mcrise::Picture& part : parts) {
    fig.paste(part, y, 0);
    y += part.height();
  }
  mcrise::save_png(out + "/fig_color_or_texture.png", fig);

  // The numbers: each map's mean over the sign's pixels (those that differ from the plain background).
  std::printf("%lld masks, blur fill sigma %.0f px, scores: logits; mean of each map over the sign\n", n_masks, kSigma);
  std::printf("%-16s %6s %8s %7s %7s %7s %7s %7s %7s  %s\n", "sign", "logit", "blurred", "red", "green", "blue", "white",
              "black", "blur", "blur / colour mean");
  for (const Row& r : rows) {
    const signs::SignParams params = signs::canonical_sign_params(r.sign);
    const int H = r.img.height(), W = r.img.width();
    std::vector<bool> sign(static_cast<std::size_t>(H * W));
    for (int yy = 0; yy < H; ++yy)
      for (int x = 0; x < W; ++x) {
        float d = 0;
        for (int c = 0; c < 3; ++c)
          d = std::max(d, std::abs(r.img(yy, x, c) - params.plain_color[static_cast<std::size_t>(c)]));
        sign[static_cast<std::size_t>(yy * W + x)] = d > 0.05f;
      }
    std::printf("%-16s %6.2f %8.2f", signs::class_name(r.cls).c_str(), r.logit, r.logit_blurred);
    double colour_mean = 0, blur_mean = 0;
    const auto& maps = r.mc.map(r.cls);
    for (std::size_t k = 0; k < maps.size(); ++k) {
      const double m = mean_over(maps[k], sign);
      std::printf(" %+7.3f", m);
      (k + 1 < maps.size() ? colour_mean : blur_mean) += m;
    }
    colour_mean /= static_cast<double>(maps.size() - 1);
    std::printf("  %.2f\n", blur_mean / colour_mean);
    // The mean of a map's standard-error map over the sign bounds the standard error of its mean.
    std::printf("%-16s %6s %8s", "  s.e. at most", "", "");
    for (const auto& se : r.mc.standard_error(r.cls)) std::printf(" %7.3f", mean_over(se, sign));
    std::printf("\n%-16s RISE with the blur fill: %.2f to %.2f\n", "", r.rise_blur.minCoeff(), r.rise_blur.maxCoeff());
  }
  std::printf("colour-map scale [%+.3f, %+.3f]\n", fo.scale.lo, fo.scale.hi);
  std::printf("wrote %s/fig_color_or_texture.png\n", out.c_str());
} catch (const std::exception& e) {
  std::fprintf(stderr, "08_color_or_texture: %s\n", e.what());
  return 1;
}
