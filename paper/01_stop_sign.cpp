// 01_stop_sign: the paper's Fig. 1 on the bundled traffic-sign CNN.
// Run:    build/paper/01_stop_sign [out-dir = out] [n_masks = 8000]   (or scripts/example.sh)
// Writes: <out>/fig1_stop_sign.png (image | RISE | debiased RISE | red green blue white black maps),
//         <out>/stop_sign_mc_rise.npy (the five colour maps, 5 x 48 x 48, float32, for Python)
//
// Renders a stop sign, explains the CNN's decision with RISE, debiased RISE and
// MC-RISE (the paper's defaults: 8000 masks, p_mask 0.5, 8 x 8 grid, five colours).
#include <mcrise/mcrise.hpp>
#include <signs/classes.hpp>
#include <signs/cnn.hpp>
#include <signs/render.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

int main(int argc, char** argv) try {
  const std::string out = argc > 1 ? argv[1] : "out";
  const long long n_masks = argc > 2 ? std::stoll(argv[2]) : 8000;
  std::filesystem::create_directories(out);

  // The model: a small CNN trained on rendered signs, run with plain Eigen. Any callable works.
  const mcrise::signs::SignCnn cnn = mcrise::signs::load_bundled_sign_cnn();
  const mcrise::Image img = mcrise::signs::render_sign(
      mcrise::signs::canonical_sign_params(mcrise::signs::SignClass::stop));
  const int stop = mcrise::signs::class_index(mcrise::signs::SignClass::stop);

  mcrise::RiseOptions ro;
  ro.n_masks = n_masks;
  ro.classes = {stop};
  const auto rise = mcrise::rise(cnn, img, ro);
  const auto debiased = mcrise::debiased_rise(cnn, img, ro);
  mcrise::McRiseOptions mo;
  mo.n_masks = n_masks;
  mo.classes = {stop};
  const auto mc = mcrise::mc_rise(cnn, img, mo, mcrise::ProgressBar(std::cerr));

  // One figure: the image, RISE (sequential colours), then debiased RISE and the
  // five colour maps on one shared, symmetric diverging scale.
  std::vector<mcrise::SaliencyMap> maps{debiased.map(stop)};
  for (const auto& m : mc.map(stop)) maps.push_back(m);
  std::vector<mcrise::Color> swatches{{0.5f, 0.5f, 0.5f}};
  for (const auto& c : mc.colors()) swatches.push_back(c);
  mcrise::FigureOptions fo;
  fo.title = "MC-RISE on a stop sign: class '" + mcrise::signs::class_name(stop) + "', p = " +
             std::to_string(rise.scores(stop)).substr(0, 5) + ", N = " + std::to_string(n_masks);
  fo.color_names = {"debiased RISE", "red", "green", "blue", "white", "black"};
  mcrise::save_png(out + "/fig1_stop_sign.png", mcrise::color_saliency_figure(img, rise.map(stop), maps, swatches, fo));
  mcrise::write_npy(out + "/stop_sign_mc_rise.npy", mc.map(stop), mcrise::NpyDtype::float32);

  // What the maps say, in numbers: the mean of each colour map over the sign's red paint.
  const auto names = mcrise::paper_color_names();
  std::printf("stop sign, model confidence %.3f, %lld masks\n", rise.scores(stop), static_cast<long long>(mc.masks_used));
  std::printf("mean MC-RISE value over the red paint / over the white letters:\n");
  for (std::size_t k = 0; k < names.size(); ++k) {
    double red = 0, white = 0;
    int nr = 0, nw = 0;
    for (int y = 0; y < img.height(); ++y)
      for (int x = 0; x < img.width(); ++x) {
        const float r = img(y, x, 0), g = img(y, x, 1), b = img(y, x, 2);
        if (r > 0.6f && g < 0.3f && b < 0.3f) red += mc.map(stop)[k](y, x), ++nr;
        if (r > 0.85f && g > 0.85f && b > 0.85f) white += mc.map(stop)[k](y, x), ++nw;
      }
    std::printf("  %-5s %+.4f / %+.4f\n", names[k].c_str(), red / std::max(nr, 1), white / std::max(nw, 1));
  }
  std::printf("wrote %s/fig1_stop_sign.png and %s/stop_sign_mc_rise.npy\n", out.c_str(), out.c_str());
} catch (const std::exception& e) {
  std::fprintf(stderr, "01_stop_sign: %s\n", e.what());
  return 1;
}
