// The default bilinear masks against the RISE reference procedure run with scikit-image:
// resize(grid, ((grid_h + 1)·cell_h, (grid_w + 1)·cell_w), order=1, mode='reflect',
// anti_aliasing=False), then the H x W crop at (dy, dx). The fixtures were written by
// tests/data/skimage_masks/make_fixtures.py; this test reads them and needs no Python.
#include <mcrise/detail/upsample.hpp>
#include <mcrise/masks.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Fixture {
  int H = 0, W = 0, gh = 0, gw = 0, dy = 0, dx = 0;
  std::vector<double> grid;  // gh x gw, row-major
  std::vector<double> mask;  // H x W, row-major
};

std::vector<Fixture> load_fixtures() {
  std::ifstream in(std::string(MCRISE_SOURCE_DIR) + "/tests/data/skimage_masks/masks.txt");
  REQUIRE(in);
  std::vector<Fixture> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream head(line);
    std::string word;
    Fixture f;
    head >> word >> f.H >> f.W >> f.gh >> f.gw >> f.dy >> f.dx;
    REQUIRE(word == "case");
    f.grid.resize(static_cast<std::size_t>(f.gh * f.gw));
    for (auto& v : f.grid) in >> v;
    f.mask.resize(static_cast<std::size_t>(f.H * f.W));
    for (auto& v : f.mask) in >> v;
    REQUIRE(in);
    std::getline(in, line);  // the end of the last mask row
    out.push_back(std::move(f));
  }
  return out;
}

mcrise::MaskOptions options_of(const Fixture& f) {
  mcrise::MaskOptions o;
  o.grid_h = f.gh;
  o.grid_w = f.gw;
  return o;  // the default upsampling, with shifts
}

}  // namespace

TEST_CASE("default bilinear planes equal scikit-image's reflect resize and crop (the RISE reference)", "[masks]") {
  const auto fixtures = load_fixtures();
  int binary = 0;
  for (const auto& f : fixtures) {
    const bool is_binary = std::all_of(f.grid.begin(), f.grid.end(), [](double v) { return v == 0.0 || v == 1.0; });
    if (!is_binary) continue;
    ++binary;
    const mcrise::MaskGenerator gen(f.H, f.W, 1, options_of(f));
    mcrise::MaskSample s;
    s.dy = f.dy;
    s.dx = f.dx;
    for (double v : f.grid) s.cells.push_back(v == 1.0 ? 0 : 1);  // a kept cell reads 1 in m0
    const auto m0 = gen.plane(s, 0);
    const auto m1 = gen.plane(s, 1);
    double worst = 0;
    for (int y = 0; y < f.H; ++y)
      for (int x = 0; x < f.W; ++x) {
        const double want = f.mask[static_cast<std::size_t>(y * f.W + x)];
        worst = std::max({worst, std::abs(m0(y, x) - want), std::abs(m1(y, x) - (1.0 - want))});
      }
    INFO(f.H << " x " << f.W << ", grid " << f.gh << " x " << f.gw << ", shift (" << f.dy << ", " << f.dx << ")");
    CHECK(worst <= 1e-6);
  }
  CHECK(binary >= 20);
}

TEST_CASE("the accumulators' upsampler brings real-valued grids to scikit-image's reflect resize and crop",
          "[masks][upsample]") {
  const auto fixtures = load_fixtures();
  int real = 0;
  for (const auto& f : fixtures) {
    const bool is_binary = std::all_of(f.grid.begin(), f.grid.end(), [](double v) { return v == 0.0 || v == 1.0; });
    if (is_binary) continue;
    ++real;
    const auto geo = mcrise::MaskGenerator(f.H, f.W, 1, options_of(f)).geometry();
    const mcrise::detail::ShiftUpsampler up(geo);
    // The grid at the fixture's shift, zero at every other shift.
    const int shift = f.dy * geo.shifts_w() + f.dx;
    const auto map = up([&](int sh, int cell) { return sh == shift ? f.grid[static_cast<std::size_t>(cell)] : 0.0; });
    double worst = 0;
    for (int y = 0; y < f.H; ++y)
      for (int x = 0; x < f.W; ++x)
        worst = std::max(worst, std::abs(map(y, x) - f.mask[static_cast<std::size_t>(y * f.W + x)]));
    INFO(f.H << " x " << f.W << ", grid " << f.gh << " x " << f.gw << ", shift (" << f.dy << ", " << f.dx << ")");
    CHECK(worst <= 1e-6);
  }
  CHECK(real >= 20);
}
