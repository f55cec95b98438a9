// 09_parts: drive the loop yourself: mask generator -> perturber -> model -> accumulator.
// Run:    build/examples/09_parts
// Writes: on stdout, how far the hand-made maps are from mc_rise()'s (exit status 1 if beyond rounding)
//
// Two "workers" each take half of the mask indices, as two processes or a GPU queue would; their
// accumulators merge, and the maps equal those of mcrise::mc_rise() with the same options.
#include <mcrise/mcrise.hpp>

#include <cmath>
#include <cstdio>

int main() {
  mcrise::Image img(32, 32, 3, 0.5f);  // the quickstart's grey image with a red square
  for (int y = 12; y < 20; ++y)
    for (int x = 12; x < 20; ++x) img(y, x, 0) = 1, img(y, x, 1) = img(y, x, 2) = 0;
  auto model = [](const mcrise::Image& im) { return std::vector<float>{im(16, 16, 0), im(16, 16, 1)}; };
  const int cls = 1, n_masks = 2000;

  mcrise::MaskOptions mo;
  mo.sampler = mcrise::Sampler::automatic;  // what mc_rise() uses; the parts' default is the paper's i.i.d. masks
  const mcrise::ColorMaskGenerator gen(img.height(), img.width(), 5, mo);
  const mcrise::Perturber perturb(img, gen, mcrise::paper_colors());
  mcrise::McRiseAccumulator first(gen, {cls}, 16), second(gen, {cls}, 16);  // 16 standard-error groups, as mc_rise
  for (std::uint64_t n = 0; n < n_masks; ++n) {
    const mcrise::MaskSample s = gen.sample(n);  // grid + shift of sample n: a pure function of (seed, n)
    (n < n_masks / 2 ? first : second).add(s, mcrise::classify(model, perturb(s)));
  }
  first.merge(second);  // plain sums: the order only changes the rounding

  mcrise::McRiseOptions o;
  o.classes = {cls};
  o.n_masks = n_masks;
  const mcrise::McRiseResult ref = mcrise::mc_rise(model, img, o);
  double worst = 0;
  const std::vector<mcrise::SaliencyMap> maps = first.maps(cls);
  for (std::size_t k = 0; k < maps.size(); ++k) worst = std::max(worst, (maps[k] - ref.map(cls)[k]).cwiseAbs().maxCoeff());
  std::printf("%zu colour maps from %d masks; largest difference from mc_rise(): %.1e\n", maps.size(), n_masks, worst);
  return worst < 1e-12 ? 0 : 1;
}
