// Must NOT compile: a "classifier" that returns a single number instead of class
// scores. tests/CMakeLists.txt builds it on purpose and passes when the compiler's
// message names the required signatures (the static_assert of mc_rise), and no
// other error follows from inside the library.
#include <mcrise/mc_rise.hpp>

int main() {
  mcrise::Image img(8, 8, 3, 0.5f);
  auto not_a_classifier = [](const mcrise::Image& im) { return im(0, 0, 0); };  // float, not a score vector
  (void)mcrise::mc_rise(not_a_classifier, img);
}
