// A user's program: include the umbrella header, explain a lambda model.
#include <mcrise/mcrise.hpp>

int main() {
  mcrise::Image img(16, 16, 3, 0.5f);
  auto model = [](const mcrise::Image& im) { return std::vector<float>{im(2, 2, 0), 1.0f - im(2, 2, 0)}; };
  mcrise::McRiseOptions o;
  o.n_masks = 64;
  const auto res = mcrise::mc_rise(model, img, o);
  return res.complete && res.map(res.classes[0]).size() == 5 ? 0 : 1;
}
