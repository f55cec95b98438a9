// 02_figures: turn saliency maps into pictures for a report.
// Run:    build/examples/02_figures [out-dir = out]
// Writes: <out>/fig1_color_saliency.png (image, RISE map, the 5 colour-wise MC-RISE maps: paper Fig. 1),
//         <out>/fig6_two_classes.png (one row per class, same columns: paper Fig. 6),
//         <out>/overlay.png (the "red" map blended over the image),
//         <out>/deletion_curves.png (deletion and CA-deletion curves with their AUCs),
//         <out>/maps.npy (the 5 x H x W colour-wise maps, for NumPy)
//
// Explains a toy "speed-limit sign" classifier with RISE and MC-RISE.
#include <mcrise/ca_deletion.hpp>
#include <mcrise/colormap.hpp>
#include <mcrise/deletion.hpp>
#include <mcrise/io.hpp>
#include <mcrise/mc_rise.hpp>
#include <mcrise/npy.hpp>
#include <mcrise/render.hpp>
#include <mcrise/rise.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace {

// A 32 x 32 sign: white background, a red ring, a dark centre.
mcrise::Image make_sign() {
  const int n = 32;
  mcrise::Image img(n, n, 3, 1.0f);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      const double d = std::hypot(y - 15.5, x - 15.5);
      float* px = img.pixel(y, x);
      if (d >= 10 && d < 15) px[1] = px[2] = 0.0f;          // red ring
      if (d < 4.5) px[0] = px[1] = px[2] = 0.0f;             // dark "digits"
      if (d >= 15) px[0] = 0.55f, px[1] = 0.75f, px[2] = 0.45f;  // green field around the sign
    }
  return img;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "out";
  ::mkdir(dir.c_str(), 0755);  // POSIX; an existing directory is fine

  // Class 0 "speed limit": confident when the ring is red AND the centre dark.
  // Class 1 "other": the complement.
  auto model = [](const mcrise::Image& im) {
    double red = 0, dark = 0, n_ring = 0, n_centre = 0;
    for (int y = 0; y < im.height(); ++y)
      for (int x = 0; x < im.width(); ++x) {
        const double d = std::hypot(y - 15.5, x - 15.5);
        const float* px = im.pixel(y, x);
        if (d >= 10 && d < 15) red += std::max(0.0f, px[0] - std::max(px[1], px[2])), ++n_ring;
        if (d < 5) dark += 1.0 - (px[0] + px[1] + px[2]) / 3.0, ++n_centre;
      }
    const double p = (red / n_ring) * (dark / n_centre);
    return std::vector<double>{p, 1.0 - p};
  };

  const mcrise::Image img = make_sign();
  mcrise::RiseOptions ro;
  ro.classes = {0, 1};
  ro.n_masks = 4000;
  const auto rise = mcrise::rise(model, img, ro);
  mcrise::McRiseOptions mo;
  mo.classes = {0, 1};
  mo.n_masks = 4000;
  const auto mc = mcrise::mc_rise(model, img, mo);

  // (a) Fig. 1: one class, every column on one shared, symmetric scale.
  mcrise::FigureOptions fo;
  fo.title = "MC-RISE: which colour matters where (class 0, speed limit)";
  mcrise::save_png(dir + "/fig1_color_saliency.png",
                   mcrise::color_saliency_figure(img, rise.map(0), mc.map(0), mc.colors(), fo));

  // (b) Fig. 6: two classes, one row each; the scale is shared by both rows.
  fo.title = "Predicted vs. other class";
  const std::vector<mcrise::FigureRow> rows{{"class 0: speed limit", mc.map(0), rise.map(0)},
                                            {"class 1: other", mc.map(1), rise.map(1)}};
  mcrise::save_png(dir + "/fig6_two_classes.png", mcrise::class_comparison_figure(img, rows, mc.colors(), fo));

  // Overlay: the red map (k = 0) over the image, 60 % opaque, upscaled for viewing.
  mcrise::OverlayOptions oo;
  oo.alpha = 0.6;
  const mcrise::Picture ov = mcrise::overlay(img, mc.map(0)[0], oo);
  mcrise::save_png(dir + "/overlay.png", mcrise::resize_nearest(ov, 8 * ov.height(), 8 * ov.width()));

  // (c) Deletion (RISE order, onto black) and CA-deletion (MC-RISE) curves.
  const auto del = mcrise::deletion(model, img, rise.map(0), 0);
  const auto ca = mcrise::ca_deletion(model, img, mc.map(0), mc.colors(), 0);
  mcrise::CurvePlotOptions co;
  co.title = "Deletion curves, class 0 (lower AUC is better)";
  mcrise::save_png(dir + "/deletion_curves.png",
                   mcrise::curve_plot({{"deletion (RISE)", del.confidences, del.fractions},
                                       {"CA-deletion (MC-RISE)", ca.confidences, ca.fractions}},
                                      co));

  // Raw maps for Python: np.load("maps.npy").shape == (5, 32, 32).
  mcrise::write_npy(dir + "/maps.npy", mc.map(0));
  std::printf("wrote 4 figures and maps.npy to %s/\n", dir.c_str());
}
