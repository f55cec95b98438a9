// 06_table1: the paper's Table 1 (deletion and CA-deletion) on the bundled sign CNN.
// Run:    build/paper/06_table1 [out-dir = out] [n_images = 100] [n_masks = 2000]
// Writes: a Markdown table (mean ± standard error) on stdout, <out>/table1.csv (per-image scores)
//
// For held-out rendered signs (seed 3, never seen in training), explain the
// predicted class with RISE, debiased RISE and MC-RISE, then score each map:
// RISE and debiased RISE with the deletion metric (black substrate, as in the
// RISE paper), MC-RISE with CA-deletion (paper §5.2); lower is better.
#include <mcrise/mcrise.hpp>
#include <signs/classes.hpp>
#include <signs/cnn.hpp>
#include <signs/render.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

int main(int argc, char** argv) try {
  namespace signs = mcrise::signs;
  const std::string out = argc > 1 ? argv[1] : "out";
  const int n_images = argc > 2 ? std::stoi(argv[2]) : 100;
  const long long n_masks = argc > 3 ? std::stoll(argv[3]) : 2000;
  std::filesystem::create_directories(out);
  const auto t0 = std::chrono::steady_clock::now();

  const signs::SignCnn cnn = signs::load_bundled_sign_cnn();
  std::vector<double> del_rise, del_debiased, ca_mc;
  std::ofstream csv(out + "/table1.csv");
  csv << "index,class,confidence,rise_deletion,debiased_rise_deletion,mc_rise_ca_deletion\n";
  mcrise::ImageBatch buffer;  // one batch buffer for all 6 calls per image: no fresh pages per call
  mcrise::DeletionOptions del;
  del.buffer = &buffer;
  mcrise::CaDeletionOptions ca;
  ca.buffer = &buffer;
  for (int i = 0; i < n_images; ++i) {
    const auto sample = signs::render_sample(3, static_cast<std::uint64_t>(i));
    const mcrise::Image& img = sample.image;
    const int cls = cnn.predict(img);

    mcrise::RiseOptions ro;
    ro.n_masks = n_masks;
    ro.classes = {cls};
    ro.buffer = &buffer;
    mcrise::McRiseOptions mo;
    mo.n_masks = n_masks;
    mo.classes = {cls};
    mo.buffer = &buffer;
    const auto rise = mcrise::rise(cnn, img, ro);
    const auto debiased = mcrise::debiased_rise(cnn, img, ro);
    const auto mc = mcrise::mc_rise(cnn, img, mo);

    del_rise.push_back(mcrise::deletion(cnn, img, rise.map(cls), cls, del).auc);
    del_debiased.push_back(mcrise::deletion(cnn, img, debiased.map(cls), cls, del).auc);
    ca_mc.push_back(mcrise::ca_deletion(cnn, img, mc.map(cls), mc.colors(), cls, ca).auc);
    csv << i << ',' << signs::class_name(cls) << ',' << rise.scores(cls) << ',' << del_rise.back() << ','
        << del_debiased.back() << ',' << ca_mc.back() << '\n';
    std::fprintf(stderr, "\r%d/%d", i + 1, n_images);
  }
  std::fprintf(stderr, "\n");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  auto row = [](const char* method, const char* metric, const std::vector<double>& v) {
    const auto s = mcrise::summarize_metric(v);
    std::printf("| %-13s | %-11s | %.4f ± %.4f |\n", method, metric, s.mean, s.standard_error);
  };
  std::printf("%d held-out signs (seed 3), %lld masks per map, %.0f s\n\n", n_images, n_masks, secs);
  std::printf("| method        | metric      | mean ± s.e. (lower is better) |\n|---|---|---|\n");
  row("RISE", "deletion", del_rise);
  row("debiased RISE", "deletion", del_debiased);
  row("MC-RISE", "CA-deletion", ca_mc);
  std::printf("\nwrote %s/table1.csv\n", out.c_str());
} catch (const std::exception& e) {
  std::fprintf(stderr, "06_table1: %s\n", e.what());
  return 1;
}
