// 06_table1: the paper's Table 1 (deletion and CA-deletion) on the two bundled sign models, with
// control columns that separate a map's pixel ORDER from the FILL the metric deletes with.
// Run:    build/paper/06_table1 [out-dir = out] [n_images = 100] [n_masks = 8000]
// Writes: Markdown tables on stdout (mean ± standard error, the paper's numbers beside ours; paired
//         per-image differences with their standard errors), <out>/table1.csv (per-image scores)
//
// For held-out rendered signs (seed 3, never seen in training), each model (the CNN and the
// residual network) explains its predicted class with LIME (1,000 samples, the lime package's
// defaults; quick shift superpixels when built with VLFeat, else an 8 x 8 grid of squares), RISE,
// debiased RISE and MC-RISE (n_masks each, p = 0.5, the five paper colours). As in the paper,
// LIME, RISE and debiased RISE are scored with deletion onto black (the RISE paper's substrate,
// step W = 48 pixels) and MC-RISE with CA-deletion; lower is better. The controls:
//   rise_best_colour   RISE's order deleted onto each of the five paper colours, the lowest AUC
//   lime_best_colour   the same for LIME's order
//   mc_order_black     MC-RISE's CA-deletion order (ascending min_k S) deleted onto black
#include <mcrise/mcrise.hpp>
#ifdef MCRISE_WITH_VLFEAT
#include <mcrise/vlfeat/quickshift.hpp>
#endif
#include <signs/classes.hpp>
#include <signs/cnn.hpp>
#include <signs/render.hpp>
#include <signs/resnet.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

// The per-image scores, in the CSV's column order.
constexpr std::array<const char*, 8> kColumns{"lime_deletion",   "rise_deletion",      "debiased_rise_deletion",
                                              "mc_rise_ca_deletion", "lime_best_colour", "rise_best_colour",
                                              "mc_order_black",  "rise_best_colour_index"};
enum Col { kLime, kRise, kDebiased, kMc, kLimeBest, kRiseBest, kMcBlack, kRiseBestIndex };
using Scores = std::array<double, kColumns.size()>;

// The lowest deletion AUC of `map`'s order over the paper colours, and the index of that colour.
template <class Model>
std::pair<double, int> best_colour_deletion(const Model& model, const mcrise::Image& img, const mcrise::SaliencyMap& map,
                                            int cls, mcrise::DeletionOptions del) {
  const auto colors = mcrise::paper_colors();
  std::pair<double, int> best{INFINITY, -1};
  for (std::size_t k = 0; k < colors.size(); ++k) {
    del.fill = colors[k];
    const double auc = mcrise::deletion(model, img, map, cls, del).auc;
    if (auc < best.first) best = {auc, static_cast<int>(k)};
  }
  return best;
}

template <class Model>
Scores score_image(const Model& model, const mcrise::Image& img, int cls, long long n_masks, mcrise::ImageBatch& buffer) {
  mcrise::RiseOptions ro;
  ro.n_masks = n_masks;
  ro.classes = {cls};
  ro.buffer = &buffer;
  mcrise::McRiseOptions mo;
  mo.n_masks = n_masks;
  mo.classes = {cls};
  mo.buffer = &buffer;
  mcrise::LimeOptions lo;
  lo.classes = {cls};
#ifdef MCRISE_WITH_VLFEAT
  const mcrise::SegmentMap seg = mcrise::quickshift_segments(img);
#else
  const mcrise::SegmentMap seg = mcrise::grid_segments(img.height(), img.width(), 8, 8);
#endif
  const auto lime = mcrise::lime(model, img, seg, lo);
  const auto rise = mcrise::rise(model, img, ro);
  const auto debiased = mcrise::debiased_rise(model, img, ro);
  const auto mc = mcrise::mc_rise(model, img, mo);

  mcrise::DeletionOptions del;
  del.buffer = &buffer;
  mcrise::CaDeletionOptions ca;
  ca.buffer = &buffer;
  Scores s{};
  s[kLime] = mcrise::deletion(model, img, lime.map(cls), cls, del).auc;
  s[kRise] = mcrise::deletion(model, img, rise.map(cls), cls, del).auc;
  s[kDebiased] = mcrise::deletion(model, img, debiased.map(cls), cls, del).auc;
  s[kMc] = mcrise::ca_deletion(model, img, mc.map(cls), mc.colors(), cls, ca).auc;
  s[kLimeBest] = best_colour_deletion(model, img, lime.map(cls), cls, del).first;
  const auto rise_best = best_colour_deletion(model, img, rise.map(cls), cls, del);
  s[kRiseBest] = rise_best.first;
  s[kRiseBestIndex] = rise_best.second;
  // CA-deletion's order is ascending min_k S(λ,k), ties by pixel index; deletion goes in descending
  // order of its map with the same tie rule, so the map −min_k S gives exactly that order.
  const auto& maps = mc.map(cls);
  mcrise::SaliencyMap order = maps.front();
  for (const auto& m : maps) order = order.cwiseMin(m);
  s[kMcBlack] = mcrise::deletion(model, img, mcrise::SaliencyMap(-order), cls, del).auc;
  return s;
}

struct Arch {
  const char* name;
  double paper_lime, paper_rise, paper_mc;  // the paper's Table 1 (GTSRB) for its counterpart
  const char* paper_model;
  std::vector<Scores> rows;
};

void print_tables(const Arch& a) {
  auto column = [&](int c) {
    std::vector<double> v;
    for (const auto& r : a.rows) v.push_back(r[static_cast<std::size_t>(c)]);
    return mcrise::summarize_metric(v);
  };
  auto row = [&](const char* method, const char* metric, int c, double paper) {
    const auto s = column(c);
    std::printf("| %s | %s | %s | %.4f ± %.4f | ", a.name, method, metric, s.mean, s.standard_error);
    if (paper > 0)
      std::printf("%.4f (%s) |\n", paper, a.paper_model);
    else
      std::printf("— |\n");
  };
  row("LIME", "deletion", kLime, a.paper_lime);
  row("RISE", "deletion", kRise, a.paper_rise);
  row("debiased RISE", "deletion", kDebiased, -1);
  row("MC-RISE", "CA-deletion", kMc, a.paper_mc);
  row("LIME order", "deletion, best paper colour", kLimeBest, -1);
  row("RISE order", "deletion, best paper colour", kRiseBest, -1);
  row("MC-RISE order", "deletion, black", kMcBlack, -1);
}

void print_differences(const Arch& a) {
  auto diff = [&](const char* what, int x, int y) {
    std::vector<double> d;
    for (const auto& r : a.rows) d.push_back(r[static_cast<std::size_t>(x)] - r[static_cast<std::size_t>(y)]);
    const auto s = mcrise::summarize_metric(d);
    std::printf("| %s | %s | %+.4f ± %.4f |\n", a.name, what, s.mean, s.standard_error);
  };
  diff("RISE (black) − MC-RISE (CA-deletion): the published comparison", kRise, kMc);
  diff("RISE order: black − best colour (fill, same order)", kRise, kRiseBest);
  diff("MC-RISE order: black − CA-deletion (fill, same order)", kMcBlack, kMc);
  diff("black fill: RISE order − MC-RISE order (order, same fill)", kRise, kMcBlack);
  diff("RISE order with its best colour − CA-deletion", kRiseBest, kMc);
  diff("LIME (black) − RISE (black)", kLime, kRise);
}

}  // namespace

int main(int argc, char** argv) try {
  namespace signs = mcrise::signs;
  const std::string out = argc > 1 ? argv[1] : "out";
  const int n_images = argc > 2 ? std::stoi(argv[2]) : 100;
  const long long n_masks = argc > 3 ? std::stoll(argv[3]) : 8000;
  if (n_images < 2) throw std::invalid_argument("n_images must be >= 2 for a standard error, got " + std::to_string(n_images));
  std::filesystem::create_directories(out);
  const auto t0 = std::chrono::steady_clock::now();

  const signs::SignCnn cnn = signs::load_bundled_sign_cnn();
  const signs::SignResNet resnet = signs::load_bundled_sign_resnet();
  // The paper's Table 1, GTSRB rows: VGG-16 is the counterpart of our plain CNN, ResNet-50 of our ResNet.
  Arch archs[2] = {{"CNN", 0.1324, 0.0664, 0.0270, "VGG-16", {}}, {"ResNet", 0.1294, 0.0627, 0.0204, "ResNet-50", {}}};
  std::ofstream csv(out + "/table1.csv");
  csv << "model,index,class,confidence";
  for (const char* c : kColumns) csv << ',' << c;
  csv << '\n';
  mcrise::ImageBatch buffer;  // one batch buffer for every call: no fresh pages per call
  for (int i = 0; i < n_images; ++i) {
    const mcrise::Image img = signs::render_sample(3, static_cast<std::uint64_t>(i)).image;
    for (int a = 0; a < 2; ++a) {
      const int cls = a == 0 ? cnn.predict(img) : resnet.predict(img);
      const double conf = a == 0 ? cnn.probabilities(img)[cls] : resnet.probabilities(img)[cls];
      const Scores s = a == 0 ? score_image(cnn, img, cls, n_masks, buffer) : score_image(resnet, img, cls, n_masks, buffer);
      archs[a].rows.push_back(s);
      csv << archs[a].name << ',' << i << ',' << signs::class_name(cls) << ',' << conf;
      for (double v : s) csv << ',' << v;
      csv << '\n' << std::flush;
    }
    std::fprintf(stderr, "\r%d/%d", i + 1, n_images);
  }
  std::fprintf(stderr, "\n");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

#ifdef MCRISE_WITH_VLFEAT
  const char* segments = "quick shift superpixels";
#else
  const char* segments = "an 8 x 8 grid";
#endif
  std::printf("%d held-out signs (seed 3), %lld masks per RISE/MC-RISE map, LIME on %s, %.0f s\n\n", n_images,
              n_masks, segments, secs);
  std::printf("| model | method | metric | mean ± s.e. (lower is better) | paper (GTSRB) |\n|---|---|---|---|---|\n");
  for (const Arch& a : archs) print_tables(a);
  std::printf("\nPaired per-image differences (mean ± s.e.; > 0: the first is worse):\n\n");
  std::printf("| model | difference | mean ± s.e. |\n|---|---|---|\n");
  for (const Arch& a : archs) print_differences(a);
  std::printf("\nwrote %s/table1.csv\n", out.c_str());
} catch (const std::exception& e) {
  std::fprintf(stderr, "06_table1: %s\n", e.what());
  return 1;
}
