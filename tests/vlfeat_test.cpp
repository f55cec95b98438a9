// Quick shift superpixels (optional component mcrise::vlfeat): labels are 0..S-1 and cover every
// pixel, superpixels never straddle a colour edge, max_dist = 0 cuts every link, the Lab
// conversion gives scikit-image's values, the result depends only on the seed, and it feeds lime().
#include <mcrise/lime.hpp>
#include <mcrise/vlfeat/quickshift.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <vector>

namespace {

// H x W, left half red, right half blue (columns < split), values in [0, 1].
mcrise::Image two_colours(int H, int W, int split) {
  mcrise::Image img(H, W, 3);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      img(y, x, 0) = x < split ? 1.0f : 0.0f;
      img(y, x, 2) = x < split ? 0.0f : 1.0f;
    }
  return img;
}

}  // namespace

TEST_CASE("quickshift: Lab conversion as scikit-image's rgb2lab") {
  // Reference values from skimage.color.rgb2lab (scikit-image 0.19.3).
  const double want[4][6] = {{1, 0, 0, 53.2405879437449, 80.0923082256922, 67.2027510444287},
                             {0, 0, 1, 32.29567256501351, 79.18559091176556, -107.85730020669489},
                             {1, 1, 1, 100.0, -0.0024549378620508655, 0.004653421154054982},
                             {0.2, 0.5, 0.7, 50.972036354885105, -6.398176713447834, -33.70932296799389}};
  for (const auto& c : want) {
    double lab[3];
    mcrise::detail::srgb_to_lab(c[0], c[1], c[2], lab);
    for (int k = 0; k < 3; ++k) CHECK(lab[k] == Approx(c[3 + k]).margin(1e-9));
  }
}

TEST_CASE("quickshift: labels 0..S-1 cover every pixel and respect a colour edge") {
  // (At 24 x 32 the red side's density peak is within the window of the blue side, whose density is
  // higher, and the two merge: scikit-image's quickshift gives one segment there too.)
  const int H = 48, W = 64, split = 32;
  const auto img = two_colours(H, W, split);
  const auto seg = mcrise::quickshift_segments(img);  // the lime package's parameters
  REQUIRE(seg.rows() == H);
  REQUIRE(seg.cols() == W);
  const int S = mcrise::count_segments(seg);  // throws unless every label 0..S-1 is used
  CHECK(S >= 2);
  // No superpixel holds both colours: the Lab distance of red and blue, times 0.2, is far beyond
  // the kernel, so no link crosses the edge.
  std::vector<std::set<bool>> side(static_cast<std::size_t>(S));
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) side[static_cast<std::size_t>(seg(y, x))].insert(x < split);
  for (const auto& s : side) CHECK(s.size() == 1);
  // The same seed gives the same labels.
  CHECK(mcrise::quickshift_segments(img) == seg);
}

TEST_CASE("quickshift: max_dist = 0 cuts every link; a smaller max_dist only splits") {
  mcrise::Image img(9, 11, 3);
  for (int y = 0; y < 9; ++y)
    for (int x = 0; x < 11; ++x)
      for (int c = 0; c < 3; ++c) img(y, x, c) = static_cast<float>((x * 3 + y * 5 + c) % 7) / 7.0f;
  mcrise::QuickshiftOptions o;
  o.max_dist = 0.0;  // every link is at least one pixel long
  CHECK(mcrise::count_segments(mcrise::quickshift_segments(img, o)) == 9 * 11);
  // Cutting links splits trees and never joins them: every superpixel at max_dist 1.5 lies inside
  // one superpixel of the default max_dist.
  o.max_dist = 1.5;
  const auto fine = mcrise::quickshift_segments(img, o);
  const auto coarse = mcrise::quickshift_segments(img);
  std::vector<int> parent(static_cast<std::size_t>(mcrise::count_segments(fine)), -1);
  for (Eigen::Index p = 0; p < fine.size(); ++p) {
    int& c = parent[static_cast<std::size_t>(fine.data()[p])];
    CHECK((c == -1 || c == coarse.data()[p]));
    c = coarse.data()[p];
  }
  CHECK(mcrise::count_segments(fine) > mcrise::count_segments(coarse));
}

TEST_CASE("quickshift: bad input refused") {
  const auto img = two_colours(8, 8, 4);
  mcrise::QuickshiftOptions o;
  o.kernel_size = 0.5;
  CHECK_THROWS_WITH(mcrise::quickshift_segments(img, o),
                    "mcrise::quickshift_segments(): kernel_size must be finite and >= 1, got 0.500000");
  o = {};
  o.ratio = 1.5;
  CHECK_THROWS_WITH(mcrise::quickshift_segments(img, o), Catch::Contains("ratio must be in [0, 1]"));
  o = {};
  o.max_dist = -1;
  CHECK_THROWS_WITH(mcrise::quickshift_segments(img, o), Catch::Contains("max_dist must be finite and >= 0"));
  CHECK_THROWS_WITH(mcrise::quickshift_segments(mcrise::Image(4, 4, 1)),
                    Catch::Contains("convert_to_lab needs 3 channels (sRGB), got 1"));
  o = {};
  o.convert_to_lab = false;
  CHECK(mcrise::count_segments(mcrise::quickshift_segments(mcrise::Image(4, 4, 1), o)) >= 1);
  CHECK_THROWS_WITH(mcrise::quickshift_segments(mcrise::Image()), Catch::Contains("the image is empty"));
}

TEST_CASE("quickshift: its labels drive lime()") {
  // A model that answers with the mean red of the left half: only superpixels there matter.
  const auto img = two_colours(16, 20, 8);
  const auto seg = mcrise::quickshift_segments(img);
  auto model = [](const mcrise::Image& im) {
    double red = 0;
    for (int y = 0; y < im.height(); ++y)
      for (int x = 0; x < 8; ++x) red += im(y, x, 0);
    return std::vector<double>{red / (im.height() * 8.0), 0.0};
  };
  mcrise::LimeOptions o;
  o.classes = {0};
  o.fill_color = {0.0f, 0.0f, 0.0f};
  o.alpha = 0.0;
  const auto res = mcrise::lime(model, img, seg, o);
  // The score is exactly linear in the indicators: each left superpixel's coefficient is its share
  // of the left half's pixels, each right one's is 0.
  std::vector<double> share(static_cast<std::size_t>(res.num_segments), 0.0);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 8; ++x) share[static_cast<std::size_t>(seg(y, x))] += 1.0 / (16 * 8);
  for (int j = 0; j < res.num_segments; ++j) CHECK(res.coefficients(j, 0) == Approx(share[static_cast<std::size_t>(j)]).margin(1e-9));
}
