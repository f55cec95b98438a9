// 04_error_analysis: the paper's Fig. 6, why the model gets an over-exposed sign wrong.
// Run:    build/paper/04_error_analysis [out-dir = out] [n_masks = 8000]
// Writes: <out>/fig6_error_analysis.png (MC-RISE maps of the predicted and the true class, side by side)
//
// An over-exposed priority-road sign (yellow washed out towards white) that the
// bundled CNN misclassifies, explained for both classes from one run.
#include <mcrise/mcrise.hpp>
#include <signs/classes.hpp>
#include <signs/cnn.hpp>
#include <signs/render.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

int main(int argc, char** argv) try {
  namespace signs = mcrise::signs;
  const std::string out = argc > 1 ? argv[1] : "out";
  const long long n_masks = argc > 2 ? std::stoll(argv[2]) : 8000;
  std::filesystem::create_directories(out);

  const signs::SignCnn cnn = signs::load_bundled_sign_cnn();
  const mcrise::Image img = signs::render_sign(signs::overexposed_priority_road_params());
  const int truth = signs::class_index(signs::SignClass::priority_road);
  const Eigen::VectorXf p = cnn.probabilities(img);
  Eigen::Index predicted = 0;
  p.maxCoeff(&predicted);
  const int pred = static_cast<int>(predicted);

  mcrise::McRiseOptions o;
  o.n_masks = n_masks;
  o.classes = {pred, truth};  // one run explains both classes (same masks, same model calls)
  const auto res = mcrise::mc_rise(cnn, img, o);

  auto label = [&](const char* what, int c) {
    return std::string(what) + ": " + signs::class_name(c) + " (p=" + std::to_string(p(c)).substr(0, 5) + ")";
  };
  mcrise::FigureOptions fo;
  fo.title = "Error analysis: an over-exposed priority-road sign, N = " + std::to_string(n_masks);
  fo.color_names = mcrise::paper_color_names();
  const mcrise::Picture fig = mcrise::class_comparison_figure(
      img, {{label("predicted", pred), res.map(pred), {}}, {label("true", truth), res.map(truth), {}}}, res.colors(), fo);
  mcrise::save_png(out + "/fig6_error_analysis.png", fig);

  // The numbers behind the picture: mean of each colour map over the sign's centre.
  const auto names = mcrise::paper_color_names();
  std::printf("predicted %s (p=%.3f), true %s (p=%.3f)\n", signs::class_name(pred).c_str(), p(pred),
              signs::class_name(truth).c_str(), p(truth));
  std::printf("mean map over the central 12 x 12 pixels:   predicted   true\n");
  for (std::size_t k = 0; k < names.size(); ++k) {
    const auto centre = [&](int c) { return res.map(c)[k].block(18, 18, 12, 12).mean(); };
    std::printf("  %-5s                                      %+.4f   %+.4f\n", names[k].c_str(), centre(pred), centre(truth));
  }
  std::printf("wrote %s/fig6_error_analysis.png\n", out.c_str());
} catch (const std::exception& e) {
  std::fprintf(stderr, "04_error_analysis: %s\n", e.what());
  return 1;
}
