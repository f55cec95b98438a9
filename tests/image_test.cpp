#include <mcrise/classifier.hpp>
#include <mcrise/image.hpp>

#include <catch2/catch.hpp>

#include <vector>

TEST_CASE("Image stores HWC and ImageBatch honours its layout", "[image]") {
  mcrise::Image img(2, 3, 3);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x)
      for (int c = 0; c < 3; ++c) img(y, x, c) = static_cast<float>(100 * y + 10 * x + c);
  REQUIRE(img.data()[(1 * 3 + 2) * 3 + 1] == 121.0f);

  for (auto layout : {mcrise::Layout::HWC, mcrise::Layout::CHW}) {
    mcrise::ImageBatch batch(2, 2, 3, 3, layout);
    mcrise::detail::copy_into_batch(img, batch, 1);
    CHECK(batch(1, 1, 2, 1) == 121.0f);
    const std::size_t off = layout == mcrise::Layout::HWC ? (1 * 3 + 2) * 3 + 1 : (1 * 2 + 1) * 3 + 2;
    CHECK(batch.image_data(1)[off] == 121.0f);
    CHECK(batch.image(1) == img);
  }
}

TEST_CASE("classify accepts both classifier forms and validates scores", "[classifier]") {
  mcrise::Image img(4, 4, 3, 0.5f);
  auto single = [](const mcrise::Image& im) { return std::vector<float>{im(0, 0, 0), 1.0f - im(0, 0, 0)}; };
  auto batch = [](const mcrise::ImageBatch& b) {
    Eigen::MatrixXf s(b.size(), 2);
    for (int i = 0; i < b.size(); ++i) s.row(i) << b(i, 0, 0, 0), 2.0f;
    return s;
  };
  static_assert(mcrise::detail::is_image_classifier_v<decltype(single)>);
  static_assert(mcrise::detail::is_batch_classifier_v<decltype(batch)>);
  static_assert(!mcrise::detail::is_classifier_v<int>);
  CHECK(mcrise::classify(single, img)(1) == Approx(0.5));
  CHECK(mcrise::classify(batch, img, mcrise::Layout::CHW)(1) == 2.0);

  auto nan_model = [](const mcrise::Image&) { return std::vector<double>{std::nan("")}; };
  CHECK_THROWS_WITH(mcrise::classify(nan_model, img), Catch::Contains("non-finite") && Catch::Contains("sample 0"));
  auto wrong_rows = [](const mcrise::ImageBatch&) { return Eigen::MatrixXf::Constant(3, 2, 0.5f).eval(); };
  CHECK_THROWS_WITH(mcrise::classify(wrong_rows, img), Catch::Contains("3 rows"));
}
