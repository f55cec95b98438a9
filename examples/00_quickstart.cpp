// 00_quickstart: MC-RISE maps for a hand-written classifier, in one screen (the README's program).
// Run:    build/examples/00_quickstart
// Writes: five lines on stdout, the colour maps' values at the centre and a corner (00_quickstart.output)
#include <mcrise/mcrise.hpp>
#include <cstdio>

int main() {
  mcrise::Image img(32, 32, 3, 0.5f);                      // grey, values in [0,1]
  for (int y = 12; y < 20; ++y)                           // a red square in the middle
    for (int x = 12; x < 20; ++x) img(y, x, 0) = 1, img(y, x, 1) = img(y, x, 2) = 0;
  auto model = [](const mcrise::Image& im) {              // any callable: image -> class scores
    double red = 0;
    for (int y = 12; y < 20; ++y)
      for (int x = 12; x < 20; ++x) red += im(y, x, 0) - 0.5 * (im(y, x, 1) + im(y, x, 2));
    float p = 1 / (1 + std::exp(-(red / 64 * 6 - 3)));
    return std::vector<float>{1 - p, p};
  };
  auto res = mcrise::mc_rise(model, img, {});             // the paper's defaults: 8000 masks, 5 colours
  int cls = res.classes[0];                               // the predicted class
  for (std::size_t k = 0; k < 5; ++k)
    std::printf("%-5s centre %+.3f corner %+.3f\n", mcrise::paper_color_names()[k].c_str(),
                res.map(cls)[k](16, 16), res.map(cls)[k](1, 1));
}
