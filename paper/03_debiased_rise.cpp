// 03_debiased_rise: the paper's Fig. 3 (RISE against debiased RISE, several images) on the bundled
// traffic-sign CNN: rows of held-out signs (seed 3) in cluttered scenes, columns (a) the input,
// (b) the RISE map, (c) the debiased RISE map, each for the class the model predicts.
//
// (b) is on ONE jet scale for all rows, so that the level of the background (the mean score
// under the masks, different for every image) can be compared between rows; (c) is on ONE
// symmetric blue-white-red scale, on which a pixel the model ignores is white (≈ 0).
// Both maps use the same masks (same seed), so the deletion order of (b) and (c) is the same.
// Run:    build/paper/03_debiased_rise [out-dir = out] [n_masks = 8000]
// Writes: <out-dir>/fig3_rise_debiased.png; prints each map's median (the background level) and range.
#include <mcrise/mcrise.hpp>
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

constexpr int kPanel = 144, kGap = 6, kHead = 18, kLabel = 150;

double median(const mcrise::SaliencyMap& m) {
  std::vector<double> v(m.data(), m.data() + m.size());
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

mcrise::Picture panel(const mcrise::Image& img, const mcrise::SaliencyMap& map, mcrise::Colormap cm,
                      mcrise::ColorScale scale) {
  return mcrise::signs::map_panel(img, map, cm, scale, kPanel);
}

}  // namespace

int main(int argc, char** argv) try {
  const std::string out = argc > 1 ? argv[1] : "out";
  const long long n_masks = argc > 2 ? std::stoll(argv[2]) : 8000;
  std::filesystem::create_directories(out);
  namespace signs = mcrise::signs;
  const signs::SignCnn cnn = signs::load_bundled_sign_cnn();
  const std::vector<std::uint64_t> indices{0, 2, 5, 7, 14};  // stop, priority road, yield, ahead only, speed limit

  struct Row {
    mcrise::Image img;
    int cls;
    double p;
    mcrise::SaliencyMap rise, debiased;
  };
  std::vector<Row> rows;
  std::vector<mcrise::SaliencyMap> all_rise, all_debiased;
  for (const std::uint64_t i : indices) {
    Row r;
    r.img = signs::render_sample(3, i).image;
    r.cls = cnn.predict(r.img);
    r.p = cnn.probabilities(r.img)[r.cls];
    mcrise::RiseOptions ro;
    ro.classes = {r.cls};
    ro.n_masks = n_masks;
    r.rise = mcrise::rise(cnn, r.img, ro).map(r.cls);
    r.debiased = mcrise::debiased_rise(cnn, r.img, ro).map(r.cls);
    all_rise.push_back(r.rise);
    all_debiased.push_back(r.debiased);
    std::printf("sign %2llu %-16s p %.3f   RISE median %.3f range [%.3f, %.3f]   debiased median %+.3f range [%+.3f, %+.3f]\n",
                static_cast<unsigned long long>(i), signs::class_name(r.cls).c_str(), r.p, median(r.rise),
                r.rise.minCoeff(), r.rise.maxCoeff(), median(r.debiased), r.debiased.minCoeff(), r.debiased.maxCoeff());
    rows.push_back(std::move(r));
  }
  const mcrise::ColorScale rise_scale = mcrise::value_range(all_rise), deb_scale = mcrise::symmetric_scale(all_debiased);

  mcrise::Picture fig(kHead + static_cast<int>(rows.size()) * (kPanel + kGap), kLabel + 3 * (kPanel + kGap),
                      mcrise::Rgb{255, 255, 255});
  const char* heads[3] = {"(a) input", "(b) RISE", "(c) debiased RISE"};
  for (int c = 0; c < 3; ++c) mcrise::draw_text(fig, kLabel + c * (kPanel + kGap) + 2, 4, heads[c]);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const Row& row = rows[r];
    const int y = kHead + static_cast<int>(r) * (kPanel + kGap);
    mcrise::draw_text(fig, 4, y + kPanel / 2 - 4, signs::class_name(row.cls));
    fig.paste(mcrise::resize_nearest(mcrise::to_picture(row.img), kPanel, kPanel), y, kLabel);
    fig.paste(panel(row.img, row.rise, mcrise::Colormap::jet, rise_scale), y, kLabel + kPanel + kGap);
    fig.paste(panel(row.img, row.debiased, mcrise::Colormap::diverging, deb_scale), y, kLabel + 2 * (kPanel + kGap));
  }
  mcrise::save_png(out + "/fig3_rise_debiased.png", fig);
  std::printf("scales: RISE [%.3f, %.3f] (jet), debiased [%+.3f, %+.3f] (blue-white-red)\n", rise_scale.lo,
              rise_scale.hi, deb_scale.lo, deb_scale.hi);
  std::printf("wrote %s/fig3_rise_debiased.png (%lld masks)\n", out.c_str(), n_masks);
} catch (const std::exception& e) {
  std::fprintf(stderr, "03_debiased_rise: %s\n", e.what());
  return 1;
}
