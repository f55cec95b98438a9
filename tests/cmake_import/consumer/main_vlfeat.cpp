// Links the optional component mcrise::vlfeat: quick shift on a two-colour image.
#include <mcrise/vlfeat/quickshift.hpp>

#include <cstdio>

int main() {
  mcrise::Image img(48, 64, 3);
  for (int y = 0; y < 48; ++y)
    for (int x = 32; x < 64; ++x) img(y, x, 2) = 1.0f;
  const int S = mcrise::count_segments(mcrise::quickshift_segments(img));
  std::printf("quick shift: %d superpixels\n", S);
  return S >= 2 ? 0 : 1;
}
