// 03_metrics: how faithful is a saliency map? Deletion, insertion and CA-deletion.
// Run:    build/examples/03_metrics
// Writes: a Table-1-style summary (mean ± standard error over a few images) on stdout
//
// A toy "speed-limit sign" model, explained with RISE and MC-RISE, each map scored by its metric.
#include <mcrise/ca_deletion.hpp>
#include <mcrise/deletion.hpp>
#include <mcrise/mc_rise.hpp>
#include <mcrise/rise.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>
#include <vector>

namespace {

// A 32 x 32 sign: white background, a red ring, a dark centre of radius r.
mcrise::Image make_sign(double centre_radius) {
  const int n = 32;
  mcrise::Image img(n, n, 3, 1.0f);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      const double d = std::hypot(y - 15.5, x - 15.5);
      float* px = img.pixel(y, x);
      if (d >= 10 && d < 15) px[1] = px[2] = 0.0f;      // red ring
      if (d < centre_radius) px[0] = px[1] = px[2] = 0.0f;  // dark "digits"
    }
  return img;
}

}  // namespace

int main() {
  // The black box: class 0 ("speed limit") is confident when the ring is red
  // AND the centre is dark. Any callable works; this one takes one image and
  // returns two scores {p, 1 - p}.
  auto model = [](const mcrise::Image& im) {
    double red = 0, dark = 0, n_ring = 0, n_centre = 0;
    for (int y = 0; y < im.height(); ++y)
      for (int x = 0; x < im.width(); ++x) {
        const double d = std::hypot(y - 15.5, x - 15.5);
        const float* px = im.pixel(y, x);
        if (d >= 10 && d < 15) {  // redness of the ring
          red += std::max(0.0f, px[0] - std::max(px[1], px[2]));
          ++n_ring;
        }
        if (d < 5) {  // darkness of the centre
          dark += 1.0 - (px[0] + px[1] + px[2]) / 3.0;
          ++n_centre;
        }
      }
    const double p = (red / n_ring) * (dark / n_centre);
    return std::vector<double>{p, 1.0 - p};
  };

  std::vector<double> del_scores, ins_scores, ca_scores;
  for (double r : {5.0, 4.0, 3.0}) {
    const mcrise::Image img = make_sign(r);

    // Explanations of class 0: a RISE map and MC-RISE colour maps.
    mcrise::RiseOptions ro;
    ro.classes = {0};
    ro.n_masks = 2000;
    const auto rise = mcrise::rise(model, img, ro);
    mcrise::McRiseOptions mo;
    mo.classes = {0};
    mo.n_masks = 2000;
    const auto mc = mcrise::mc_rise(model, img, mo);

    // Deletion: remove the most salient pixels first (onto black, the
    // default), W = 32 pixels per step. Lower is better.
    const mcrise::MetricCurve del = mcrise::deletion(model, img, rise.map(0), 0);
    // Insertion: reveal them on a blurred copy (sigma 5, the default). Higher is better.
    const mcrise::MetricCurve ins = mcrise::insertion(model, img, rise.map(0), 0);
    // CA-deletion: paint each pixel with its most harmful colour, most harmful
    // pixels first. Lower is better.
    const mcrise::MetricCurve ca = mcrise::ca_deletion(model, img, mc.map(0), mc.colors(), 0);

    std::printf("centre radius %.0f: deletion %.4f  insertion %.4f  CA-deletion %.4f  (%zu curve points)\n", r,
                del.auc, ins.auc, ca.auc, del.confidences.size());
    del_scores.push_back(del.auc);
    ins_scores.push_back(ins.auc);
    ca_scores.push_back(ca.auc);
  }

  // One row per metric, as in Table 1 of the MC-RISE paper.
  for (auto [name, scores] : {std::pair{"deletion (RISE, black)", &del_scores},
                              std::pair{"insertion (RISE, blur)", &ins_scores},
                              std::pair{"CA-deletion (MC-RISE)", &ca_scores}}) {
    const mcrise::MetricSummary s = mcrise::summarize_metric(*scores);
    std::printf("%-24s %.4f ± %.4f (n = %zu)\n", name, s.mean, s.standard_error, s.count);
  }
}
