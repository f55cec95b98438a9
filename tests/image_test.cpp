#include <mcrise/classifier.hpp>
#include <mcrise/image.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <stdexcept>
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
  const auto bad = static_cast<mcrise::Layout>(5);
  CHECK_THROWS_WITH(mcrise::ImageBatch(1, 2, 3, 3, bad), Catch::Contains("ImageBatch()") && Catch::Contains("unknown layout 5"));
  mcrise::ImageBatch batch;
  CHECK_THROWS_WITH(batch.reshape(1, 2, 3, 3, bad), Catch::Contains("unknown layout 5"));
}

TEST_CASE("ImageBatch storage is cache-line aligned; reshape keeps memory, reshape_for_overwrite too", "[image]") {
  using mcrise::ImageBatch;
  using mcrise::Layout;
  auto aligned = [](const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 64 == 0; };
  const mcrise::Image img(7, 5, 3, 0.25f);
  CHECK(aligned(img.data()));
  for (bool clear : {true, false}) {
    INFO("clear " << clear);
    ImageBatch b;
    auto reshape = [&](int n, int h, int w, int c, Layout l) {
      if (clear)
        b.reshape(n, h, w, c, l);
      else
        b.reshape_for_overwrite(n, h, w, c, l);
    };
    reshape(4, 5, 6, 3, Layout::CHW);
    REQUIRE(b.size() == 4);
    CHECK(b.height() == 5);
    CHECK(b.width() == 6);
    CHECK(b.channels() == 3);
    CHECK(b.layout() == Layout::CHW);
    CHECK(aligned(b.data()));
    if (clear)  // reshape() clears new memory; reshape_for_overwrite() leaves it indeterminate (not read here)
      for (std::size_t i = 0; i < 4 * b.image_floats(); ++i) REQUIRE(b.data()[i] == 0.0f);
    for (int i = 0; i < 4; ++i)
      for (int y = 0; y < 5; ++y)
        for (int x = 0; x < 6; ++x)
          for (int c = 0; c < 3; ++c) b(i, y, x, c) = static_cast<float>(((i * 5 + y) * 6 + x) * 3 + c);
    CHECK(b(3, 4, 5, 2) == static_cast<float>(((3 * 5 + 4) * 6 + 5) * 3 + 2));
    // Smaller or equal: the same memory, whatever the shape.
    const float* before = b.data();
    reshape(2, 6, 5, 3, Layout::HWC);
    CHECK(b.data() == before);
    CHECK(b.size() == 2);
    CHECK(b.layout() == Layout::HWC);
    // Bad shapes are refused and leave the batch as it was.
    CHECK_THROWS_AS(reshape(-1, 5, 6, 3, Layout::HWC), std::invalid_argument);
    CHECK_THROWS_AS(reshape(1, 5, 6, 0, Layout::HWC), std::invalid_argument);
    CHECK(b.size() == 2);
    CHECK(b.height() == 6);
    // Growing: new, aligned memory with room for every image.
    reshape(9, 8, 8, 4, Layout::HWC);
    CHECK(aligned(b.data()));
    CHECK(b.size() == 9);
    b(8, 7, 7, 3) = 1.5f;
    CHECK(b.image_data(8)[b.offset(7, 7, 3)] == 1.5f);
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
  CHECK_THROWS_WITH(mcrise::classify(batch, img, static_cast<mcrise::Layout>(4)),
                    Catch::Contains("mcrise::classify()") && Catch::Contains("unknown layout 4"));
  CHECK_THROWS_WITH(mcrise::classify(batch, mcrise::Image()), Catch::Contains("mcrise::classify(): the image is empty"));
}
