// The README's first program: explain a hand-written classifier with MC-RISE.
// Build: part of the CMake build (target 00_quickstart). Run: ./00_quickstart
#include <mcrise/mcrise.hpp>

#include <cstdio>

int main() {
  // A 32 x 32 grey image with a red square in the middle (values in [0,1]).
  mcrise::Image img(32, 32, 3, 0.5f);
  for (int y = 12; y < 20; ++y)
    for (int x = 12; x < 20; ++x) img(y, x, 0) = 1.0f, img(y, x, 1) = img(y, x, 2) = 0.0f;

  // Any callable is a classifier: here, class 1 = "red in the middle", class 0 = the rest.
  auto model = [](const mcrise::Image& im) {
    double red = 0;
    for (int y = 12; y < 20; ++y)
      for (int x = 12; x < 20; ++x) red += im(y, x, 0) - 0.5 * (im(y, x, 1) + im(y, x, 2));
    const float p = static_cast<float>(1.0 / (1.0 + std::exp(-(red / 64.0 * 6.0 - 3.0))));
    return std::vector<float>{1.0f - p, p};
  };

  mcrise::McRiseOptions opt;  // the paper's defaults: 8000 masks, p_mask 0.5, 8 x 8 grid, 5 colours
  const auto res = mcrise::mc_rise(model, img, opt);
  const int cls = res.classes[0];  // the predicted class
  const auto names = mcrise::paper_color_names();
  std::printf("class %d, score %.3f, %lld masks\n", cls, res.scores(cls), static_cast<long long>(res.masks_used));
  for (std::size_t k = 0; k < names.size(); ++k)
    std::printf("  %-5s  centre %+.3f   corner %+.3f\n", names[k].c_str(), res.map(cls)[k](16, 16),
                res.map(cls)[k](1, 1));
}
