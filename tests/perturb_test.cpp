// The Perturber (perturb.hpp) against the plain reference (reference.hpp): odd sizes (37 x 53),
// grids that do not divide the image, K = 1..6, both layouts and any row bands; within float
// rounding against the reference, and bitwise identical among the optimised variants.
#include "reference.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace test::reference;

TEST_CASE("optimised perturbation equals the plain reference for odd sizes, K = 1..6, both layouts and any row bands",
          "[perf][perturb]") {
  const int H = 37, W = 53;
  for (int C : {3, 1, 4}) {
    const Image img = test::test_image(H, W, C);
    for (int K = 1; K <= 6; ++K)
      for (auto mode : {Upsampling::bilinear, Upsampling::bilinear_edge, Upsampling::nearest}) {
        MaskOptions o;
        o.grid_h = 5 + K % 3;  // 5, 6, 7: none divides 37
        o.grid_w = 4 + K;      // 5..10: none divides 53
        o.upsampling = mode;
        o.seed = static_cast<std::uint64_t>(100 * C + K);
        const MaskGenerator gen(H, W, K, o);
        const auto colors = K == 1 && C == 3 ? std::vector<mcrise::Color>{{0.0f, 0.0f, 0.0f}} : test_colors(K, C);
        const mcrise::Perturber perturb(img, gen, colors);
        mcrise::Perturber::Scratch scratch;
        for (std::uint64_t n = 0; n < 4; ++n) {
          INFO("C " << C << " K " << K << " mode " << int(mode) << " n " << n);
          const MaskSample s = gen.sample(n);
          const Image ref = test::reference_perturb(img, ref_planes(s, K, H, W, o), colors);
          mcrise::ImageBatch hwc(1, H, W, C, Layout::HWC), chw(1, H, W, C, Layout::CHW);
          perturb(s, hwc.image_data(0), Layout::HWC, scratch);
          perturb(s, chw.image_data(0), Layout::CHW, scratch);
          CHECK(max_abs_diff(hwc.image(0), ref) < 2e-6);
          CHECK(hwc.image(0) == chw.image(0));  // bitwise: one expression for both layouts
          // Row bands, written in an unusual order with a fresh scratch each: same bits.
          for (int bands : {2, 3, 7, H}) {
            mcrise::ImageBatch part(1, H, W, C, Layout::HWC), part_chw(1, H, W, C, Layout::CHW);
            for (int k = bands - 1; k >= 0; --k) {
              mcrise::Perturber::Scratch fresh;
              const int y0 = H * k / bands, y1 = H * (k + 1) / bands;
              perturb(s, part.image_data(0), Layout::HWC, fresh, y0, y1);
              perturb(s, part_chw.image_data(0), Layout::CHW, fresh, y0, y1);
            }
            CHECK(part.image(0) == hwc.image(0));
            CHECK(part_chw.image(0) == chw.image(0));
          }
        }
      }
  }
}

TEST_CASE("the AVX2 and the baseline perturbation write the same bits", "[perf][perturb][dispatch]") {
  // The dispatched loop compiled twice (detail/dispatch.hpp): the same expression without FMA in
  // both, so every float must agree, including the vector tails of odd row lengths.
  if (mcrise::detail::current_isa() != mcrise::detail::Isa::avx2) {
    WARN("this CPU or build has no AVX2 variant: only the baseline runs");
    return;
  }
  const int H = 37, W = 53;
  for (int C : {3, 1}) {
    const Image img = test::test_image(H, W, C);
    for (int K : {1, 3}) {
      MaskOptions o;
      o.grid_h = 6;
      o.grid_w = 7;
      o.seed = static_cast<std::uint64_t>(10 * C + K);
      const MaskGenerator gen(H, W, K, o);
      // K = 1, C = 3: RISE's zero fill (the loop without a fill); otherwise coloured fills.
      const auto colors = K == 1 && C == 3 ? std::vector<mcrise::Color>{{0.0f, 0.0f, 0.0f}} : test_colors(K, C);
      const mcrise::Perturber perturb(img, gen, colors);
      mcrise::Perturber::Scratch scratch;
      for (std::uint64_t n = 0; n < 8; ++n) {
        INFO("C " << C << " K " << K << " n " << n);
        const MaskSample s = gen.sample(n);
        for (Layout layout : {Layout::HWC, Layout::CHW}) {
          mcrise::ImageBatch avx2(1, H, W, C, layout), base(1, H, W, C, layout);
          perturb(s, avx2.image_data(0), layout, scratch);
          {
            const mcrise::detail::ForceIsa force(mcrise::detail::Isa::baseline);
            REQUIRE(mcrise::detail::current_isa() == mcrise::detail::Isa::baseline);
            perturb(s, base.image_data(0), layout, scratch);
          }
          CHECK(avx2.image(0) == base.image(0));
        }
      }
    }
  }
}
