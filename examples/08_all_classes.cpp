// 08_all_classes: one run, every class. Why "speed limit", and what would make it another sign?
// Run:    build/examples/08_all_classes [out-dir = out] [n_masks = 8000]
// Writes: <out>/fig_all_classes.png (one row per class: image | the five colour maps, one shared scale);
//         per class, its logit and the mean of each colour map over the digits, on stdout
//
// MC-RISE with all_classes explains every class of the bundled sign CNN from one run (the same
// masks and model calls as for one class); with maps_on_demand a class's maps are computed only
// when asked for. On a speed-limit sign this program asks for the three classes the model ranks
// highest (by logit).
#include <mcrise/mcrise.hpp>
#include <signs/classes.hpp>
#include <signs/cnn.hpp>
#include <signs/render.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

int main(int argc, char** argv) try {
  using Clock = std::chrono::steady_clock;
  const std::string out = argc > 1 ? argv[1] : "out";
  const long long n_masks = argc > 2 ? std::stoll(argv[2]) : 8000;
  std::filesystem::create_directories(out);

  const mcrise::signs::SignCnn cnn = mcrise::signs::load_bundled_sign_cnn();
  const mcrise::Image img = mcrise::signs::render_sign(
      mcrise::signs::canonical_sign_params(mcrise::signs::SignClass::speed_limit));

  // The model's pre-softmax scores (logits): every class keeps a readable scale, where the softmax
  // of this confident model gives 1.0000 to one class and 0.0000 to the rest. Any callable works.
  auto logits = [&cnn](const mcrise::ImageBatch& batch) { return cnn.logits(batch); };

  // Every class, each class's maps when first asked for (no standard errors: se_groups is ignored).
  mcrise::McRiseOptions mo;
  mo.n_masks = n_masks;
  mo.all_classes = true;
  mo.maps_on_demand = true;
  const auto t0 = Clock::now();
  const auto mc = mcrise::mc_rise(logits, img, mo, mcrise::ProgressBar(std::cerr));
  const auto t1 = Clock::now();

  // The three classes the model ranks highest on the unperturbed image.
  std::vector<int> ranked = mc.classes;
  std::sort(ranked.begin(), ranked.end(), [&](int a, int b) { return mc.scores(a) > mc.scores(b); });
  ranked.resize(3);
  std::vector<mcrise::FigureRow> rows;
  for (int c : ranked) {
    char label[96];
    std::snprintf(label, sizeof label, "#%zu %s, logit %.1f", rows.size() + 1, mcrise::signs::class_name(c).c_str(),
                  mc.scores(c));
    rows.push_back({label, mc.map(c), {}});  // map(c): computed here, on this thread
  }
  const auto t2 = Clock::now();

  mcrise::FigureOptions fo;
  fo.title = "One MC-RISE run, every class: the top 3 of " + std::to_string(mc.classes.size()) +
             " (N = " + std::to_string(mc.masks_used) + ")";
  fo.color_names = {"red", "green", "blue", "white", "black"};
  mcrise::save_png(out + "/fig_all_classes.png", mcrise::class_comparison_figure(img, rows, mc.colors(), fo));

  // In numbers: the mean of each colour map over the digits (dark pixels inside the disc). For
  // "speed limit", painting the digits any of the five colours lowers its logit (all negative):
  // the model reads their dark shape, not only the red ring.
  const auto ms = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
  };
  std::printf("speed-limit sign, %lld masks, all %zu classes: run %.0f ms, maps of 3 classes %.1f ms\n",
              static_cast<long long>(mc.masks_used), mc.classes.size(), ms(t0, t1), ms(t1, t2));
  const int H = img.height(), W = img.width();
  std::printf("mean MC-RISE value over the digits (red green blue white black):\n");
  for (int c : ranked) {
    std::printf("  %-22s logit %6.2f:", mcrise::signs::class_name(c).c_str(), mc.scores(c));
    for (const auto& m : mc.map(c)) {
      double sum = 0;
      int n = 0;
      for (int y = H / 4; y < 3 * H / 4; ++y)
        for (int x = W / 4; x < 3 * W / 4; ++x)
          if (img(y, x, 0) + img(y, x, 1) + img(y, x, 2) < 0.9f) sum += m(y, x), ++n;
      std::printf(" %+.4f", n > 0 ? sum / n : 0.0);
    }
    std::printf("\n");
  }
  std::printf("wrote %s/fig_all_classes.png\n", out.c_str());
  return 0;
} catch (const std::exception& e) {
  std::cerr << "08_all_classes: " << e.what() << "\n";
  return 1;
}
