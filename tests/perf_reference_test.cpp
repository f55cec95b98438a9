// The optimised paths (interleaved HWC perturbation, row bands of one image
// spread over threads, the double-buffered driver) against a plain reference
// kept here: every mask plane computed pixel by pixel from the documented
// upsampling convention, every perturbed image from those planes, and every
// estimator as a full-resolution sum over samples. Odd sizes (37 x 53), grids
// that do not divide the image, K = 1..6, both layouts, several thread counts
// and batch sizes. Within float rounding against the reference, and bitwise
// identical among the optimised variants.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using mcrise::Image;
using mcrise::Layout;
using mcrise::MaskGenerator;
using mcrise::MaskOptions;
using mcrise::MaskSample;
using mcrise::SaliencyMap;
using mcrise::Upsampling;

// One axis of the documented convention, written out directly (no tables):
// canvas coordinate u of (grid + 1)·cell, weights of grid indices.
void ref_axis(int u, int grid, int cell, Upsampling mode, int& i0, int& i1, double& w0, double& w1) {
  if (mode == Upsampling::nearest) {
    i0 = i1 = std::min(u / cell, grid - 1);
    w0 = 1.0;
    w1 = 0.0;
    return;
  }
  const double s = (u + 0.5) * grid / ((grid + 1.0) * cell) - 0.5;
  const double f = std::floor(s);
  i0 = std::clamp(static_cast<int>(f), 0, grid - 1);
  i1 = std::clamp(static_cast<int>(f) + 1, 0, grid - 1);
  w1 = s - f;
  w0 = 1.0 - w1;
}

// Plane k (0: kept, 1..K: colour k) of sample s at full resolution, in double.
SaliencyMap ref_plane(const MaskSample& s, int k, int H, int W, const MaskOptions& o) {
  const int ch = (H + o.grid_h - 1) / o.grid_h, cw = (W + o.grid_w - 1) / o.grid_w;
  SaliencyMap out(H, W);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      int a0, a1, b0, b1;
      double wa0, wa1, wb0, wb1;
      ref_axis(y + s.dy, o.grid_h, ch, o.upsampling, a0, a1, wa0, wa1);
      ref_axis(x + s.dx, o.grid_w, cw, o.upsampling, b0, b1, wb0, wb1);
      auto is = [&](int r, int c) { return s.cells[static_cast<std::size_t>(r * o.grid_w + c)] == k ? 1.0 : 0.0; };
      out(y, x) = wa0 * (wb0 * is(a0, b0) + wb1 * is(a0, b1)) + wa1 * (wb0 * is(a1, b0) + wb1 * is(a1, b1));
    }
  return out;
}

std::vector<SaliencyMap> ref_planes(const MaskSample& s, int K, int H, int W, const MaskOptions& o) {
  std::vector<SaliencyMap> p;
  for (int k = 0; k <= K; ++k) p.push_back(ref_plane(s, k, H, W, o));
  return p;
}

std::vector<mcrise::Color> test_colors(int K, int C) {
  std::vector<mcrise::Color> colors;
  for (int k = 0; k < K; ++k) {
    mcrise::Color c;
    for (int j = 0; j < C; ++j) c.push_back(static_cast<float>(0.5 + 0.5 * std::sin(1.7 * k + 2.3 * j + 0.4)));
    colors.push_back(c);
  }
  return colors;
}

double max_abs_diff(const Image& a, const Image& b) {
  double e = 0;
  for (std::size_t i = 0; i < a.size(); ++i) e = std::max(e, static_cast<double>(std::abs(a.data()[i] - b.data()[i])));
  return e;
}

// A linear model with two classes, scores in double: every image value counts.
struct LinearModel {
  Eigen::MatrixXd operator()(const mcrise::ImageBatch& b) const {
    Eigen::MatrixXd out(b.size(), 2);
    for (int i = 0; i < b.size(); ++i) {
      double s0 = 0, s1 = 0;
      for (int y = 0; y < b.height(); ++y)
        for (int x = 0; x < b.width(); ++x)
          for (int c = 0; c < b.channels(); ++c) {
            const double v = b(i, y, x, c);
            s0 += v * std::sin(0.31 * y + 0.17 * x + c);
            s1 += v * ((y < b.height() / 2) == (c == 0) ? 1.0 : -0.5);
          }
      out(i, 0) = s0 / static_cast<double>(b.height() * b.width());
      out(i, 1) = s1 / static_cast<double>(b.height() * b.width());
    }
    return out;
  }
  double score(const Image& im, int cls) const {
    mcrise::ImageBatch one(1, im.height(), im.width(), im.channels());
    mcrise::detail::copy_into_batch(im, one, 0);
    return (*this)(one)(0, cls);
  }
};

// Plain reference estimators: per class, Σ_n M_n·plane_k(n) at full resolution.
struct RefSums {
  std::vector<std::vector<SaliencyMap>> plane_sums;  // [class slot][plane]
  std::vector<double> totals;                        // [class slot] Σ M_n
  double max_abs_score = 0;
};

RefSums ref_sums(const Image& img, int K, const MaskOptions& o, std::int64_t N, const std::vector<int>& classes,
                 const std::vector<mcrise::Color>& colors) {
  const int H = img.height(), W = img.width();
  const MaskGenerator gen(H, W, K, o);
  LinearModel model;
  RefSums r;
  r.plane_sums.assign(classes.size(), std::vector<SaliencyMap>(static_cast<std::size_t>(K + 1), SaliencyMap::Zero(H, W)));
  r.totals.assign(classes.size(), 0.0);
  for (std::int64_t n = 0; n < N; ++n) {
    const MaskSample s = gen.sample(static_cast<std::uint64_t>(n));
    const auto planes = ref_planes(s, K, H, W, o);
    const Image pert = test::reference_perturb(img, planes, colors);
    for (std::size_t j = 0; j < classes.size(); ++j) {
      const double m = model.score(pert, classes[j]);
      r.max_abs_score = std::max(r.max_abs_score, std::abs(m));
      for (int k = 0; k <= K; ++k) r.plane_sums[j][static_cast<std::size_t>(k)] += m * planes[static_cast<std::size_t>(k)];
      r.totals[j] += m;
    }
  }
  return r;
}

double max_abs_diff(const SaliencyMap& a, const SaliencyMap& b) { return (a - b).cwiseAbs().maxCoeff(); }

}  // namespace

TEST_CASE("optimised perturbation equals the plain reference for odd sizes, K = 1..6, both layouts and any row bands",
          "[perf][perturb]") {
  const int H = 37, W = 53;
  for (int C : {3, 1, 4}) {
    const Image img = test::test_image(H, W, C);
    for (int K = 1; K <= 6; ++K)
      for (auto mode : {Upsampling::bilinear, Upsampling::nearest}) {
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

TEST_CASE("mc_rise equals the plain full-resolution reference for K = 1..6, any threads, batch sizes and layouts",
          "[perf][mc_rise]") {
  const Image img = test::test_image(37, 53);
  const std::int64_t N = 96;
  for (int K = 1; K <= 6; ++K) {
    mcrise::McRiseOptions o;
    o.sampler = mcrise::Sampler::independent;  // the paper's i.i.d. masks, as the enumerated reference
    o.n_masks = N;
    o.grid_h = 6;
    o.grid_w = 7;
    o.mask_probability = 0.3 + 0.05 * K;
    o.seed = static_cast<std::uint64_t>(7 * K);
    o.classes = {0, 1};
    o.colors = test_colors(K, 3);
    MaskOptions mo;
    mo.grid_h = o.grid_h;
    mo.grid_w = o.grid_w;
    mo.mask_probability = o.mask_probability;
    mo.seed = o.seed;
    const RefSums ref = ref_sums(img, K, mo, N, o.classes, o.colors);
    const double p = o.mask_probability;
    // Float rounding of the masks and images, relative to the largest term.
    const double tol = 1e-5 * ref.max_abs_score * (K / p + 1.0 / (1.0 - p));

    LinearModel model;
    o.threads = 1;
    o.batch_size = 64;
    const auto base = mcrise::mc_rise(model, img, o);
    for (std::size_t j = 0; j < o.classes.size(); ++j) {
      INFO("K " << K << " class " << o.classes[j]);
      const SaliencyMap baseline = ref.plane_sums[j][0] / (static_cast<double>(N) * (1.0 - p));
      CHECK(max_abs_diff(base.baseline(o.classes[j]), baseline) < tol);
      for (int k = 1; k <= K; ++k) {
        const SaliencyMap raw = ref.plane_sums[j][static_cast<std::size_t>(k)] * (K / (static_cast<double>(N) * p));
        CHECK(max_abs_diff(base.raw_maps(o.classes[j])[static_cast<std::size_t>(k - 1)], raw) < tol);
        CHECK(max_abs_diff(base.map(o.classes[j])[static_cast<std::size_t>(k - 1)], raw - baseline) < 2 * tol);
      }
    }
    for (int threads : {2, 3})
      for (int batch : {1, 5, 64})
        for (auto layout : {Layout::HWC, Layout::CHW}) {
          INFO("K " << K << " threads " << threads << " batch " << batch << " layout " << int(layout));
          o.threads = threads;
          o.batch_size = batch;
          o.layout = layout;
          const auto r = mcrise::mc_rise(model, img, o);
          for (int c : o.classes)
            for (int k = 0; k < K; ++k) CHECK(r.map(c)[static_cast<std::size_t>(k)] == base.map(c)[static_cast<std::size_t>(k)]);
        }
  }
}

TEST_CASE("rise and debiased_rise equal the plain reference, any threads, batch sizes and layouts", "[perf][rise]") {
  const Image img = test::test_image(37, 53);
  const std::int64_t N = 120;
  for (auto mode : {Upsampling::bilinear, Upsampling::nearest}) {
    mcrise::RiseOptions o;
    o.sampler = mcrise::Sampler::independent;  // the paper's i.i.d. masks, as the enumerated reference
    o.n_masks = N;
    o.grid_h = 5;
    o.grid_w = 9;
    o.mask_probability = 0.35;
    o.upsampling = mode;
    o.classes = {1, 0};
    MaskOptions mo;
    mo.grid_h = o.grid_h;
    mo.grid_w = o.grid_w;
    mo.mask_probability = o.mask_probability;
    mo.seed = o.seed;
    mo.upsampling = mode;
    const RefSums ref = ref_sums(img, 1, mo, N, o.classes, {{0.0f, 0.0f, 0.0f}});
    const double keep = 1.0 - o.mask_probability;
    const double tol = 1e-5 * ref.max_abs_score / (keep * (1.0 - keep));
    LinearModel model;
    o.threads = 1;
    const auto rise = mcrise::rise(model, img, o);
    const auto deb = mcrise::debiased_rise(model, img, o);
    for (std::size_t j = 0; j < o.classes.size(); ++j) {
      const SaliencyMap r = ref.plane_sums[j][0] / (static_cast<double>(N) * keep);
      const SaliencyMap d =
          ((ref.plane_sums[j][0].array() - keep * ref.totals[j]) / (static_cast<double>(N) * keep * (1.0 - keep)))
              .matrix();
      CHECK(max_abs_diff(rise.map(o.classes[j]), r) < tol);
      CHECK(max_abs_diff(deb.map(o.classes[j]), d) < tol);
    }
    for (int threads : {2, 4})
      for (int batch : {1, 3, 50})
        for (auto layout : {Layout::HWC, Layout::CHW}) {
          INFO("threads " << threads << " batch " << batch << " layout " << int(layout));
          o.threads = threads;
          o.batch_size = batch;
          o.layout = layout;
          const auto r2 = mcrise::debiased_rise(model, img, o);
          for (int c : o.classes) CHECK(r2.map(c) == deb.map(c));
        }
  }
}

TEST_CASE("the double-buffered driver gives the same sums as the plain loop, also when stopped, with a window of "
          "gathered batches, or when the model throws",
          "[perf][driver]") {
  const Image img = test::test_image(37, 53);
  const int K = 4;
  MaskOptions mo;
  mo.grid_h = 6;
  mo.grid_w = 5;
  const MaskGenerator gen(37, 53, K, mo);
  const auto colors = test_colors(K, 3);
  const mcrise::Perturber perturb(img, gen, colors);
  LinearModel model;
  auto run_with = [&](bool overlap, int threads, int batch, std::int64_t n, std::int64_t stop_at,
                      std::int64_t window = 0) {
    mcrise::detail::ClassifierRunner<LinearModel> run(model, "test");
    mcrise::McRiseAccumulator acc(gen, {0, 1});
    auto stop = [stop_at](const mcrise::Progress& p) { return p.done >= stop_at; };
    const auto used = mcrise::detail::run_masks_pipelined(run, gen, perturb, acc, n, batch, threads, Layout::HWC, 3,
                                                          overlap, nullptr, window, "test", stop);
    REQUIRE(acc.count() == used);  // a window is always added before the run returns
    return std::make_pair(used, acc.maps(1));
  };
  const auto plain = run_with(false, 1, 64, 200, 1 << 30);
  REQUIRE(plain.first == 200);
  // Windows: none, several batches (flushed mid-run and at the end), more than the run.
  for (std::int64_t window : {0, 50, 1000})
    for (int threads : {1, 2, 3})
      for (int batch : {1, 7, 64, 500}) {
        INFO("threads " << threads << " batch " << batch << " window " << window);
        for (bool overlap : {true, false}) {
          const auto over = run_with(overlap, threads, batch, 200, 1 << 30, window);
          CHECK(over.first == 200);
          for (int k = 0; k < K; ++k)
            CHECK(over.second[static_cast<std::size_t>(k)] == plain.second[static_cast<std::size_t>(k)]);
        }
        // Stopped after the first batch at or past 30 masks: the prefix, as a shorter plain run.
        const auto stopped = run_with(true, threads, batch, 200, 30, window);
        const std::int64_t expect = std::min<std::int64_t>(200, (30 + batch - 1) / batch * batch);
        CHECK(stopped.first == expect);
        const auto shorter = run_with(false, 1, 64, expect, 1 << 30);
        for (int k = 0; k < K; ++k)
          CHECK(stopped.second[static_cast<std::size_t>(k)] == shorter.second[static_cast<std::size_t>(k)]);
      }

  // Images large enough to be cut into row bands when the batch is smaller than
  // the thread count (BatchPlan: at least 2^16 floats per band): same bits.
  {
    const Image big = test::test_image(301, 299);
    MaskOptions bo;
    bo.grid_h = 7;
    bo.grid_w = 6;
    const MaskGenerator bgen(301, 299, 3, bo);
    const mcrise::Perturber bpert(big, bgen, test_colors(3, 3));
    REQUIRE(mcrise::detail::BatchPlan(1, 3, 301, big.size()).bands == 3);
    REQUIRE(mcrise::detail::BatchPlan(1, 8, 301, big.size()).bands == 4);  // 270,000 floats: 4 bands of 2^16 at most
    REQUIRE(mcrise::detail::BatchPlan(2, 4, 301, big.size()).bands == 2);
    REQUIRE(mcrise::detail::BatchPlan(1, 2, 37, 37 * 53 * 3).bands == 1);
    auto big_run = [&](bool overlap, int threads, int batch, Layout layout) {
      mcrise::detail::ClassifierRunner<LinearModel> run(model, "test");
      mcrise::McRiseAccumulator acc(bgen, {0});
      mcrise::detail::run_masks_pipelined(run, bgen, bpert, acc, 9, batch, threads, layout, 3, overlap, nullptr, 0,
                                          "test");
      return acc.maps(0);
    };
    const auto one = big_run(false, 1, 4, Layout::HWC);
    for (auto layout : {Layout::HWC, Layout::CHW})
      for (bool overlap : {false, true})
        for (int threads : {2, 3, 4})
          for (int batch : {1, 2}) {
            INFO("banded: threads " << threads << " batch " << batch << " overlap " << overlap);
            const auto r = big_run(overlap, threads, batch, layout);
            for (int k = 0; k < 3; ++k) CHECK(r[static_cast<std::size_t>(k)] == one[static_cast<std::size_t>(k)]);
          }
  }

  // A model that throws on its third call: the exception passes through untouched,
  // with a batch being perturbed in the background, and nothing is left running.
  struct Thrower {
    int calls = 0;
    Eigen::MatrixXd operator()(const mcrise::ImageBatch& b) {
      if (++calls == 3) throw std::domain_error("third call");
      return Eigen::MatrixXd::Ones(b.size(), 2);
    }
  } thrower;
  for (int threads : {1, 2, 3}) {
    thrower.calls = 0;
    mcrise::detail::ClassifierRunner<Thrower> run(thrower, "test");
    mcrise::McRiseAccumulator acc(gen, {0});
    CHECK_THROWS_AS(mcrise::detail::run_masks_pipelined(run, gen, perturb, acc, 1000, 8, threads, Layout::CHW, 3, true,
                                                        nullptr, 0, "test"),
                    std::domain_error);
    CHECK(acc.count() == 16);
  }
}

TEST_CASE("threads = 0 means the CPUs the process may use, cgroup quotas included", "[perf][thread_pool]") {
  using mcrise::detail::cpus_from_cfs;
  using mcrise::detail::cpus_from_cpu_max;
  CHECK(cpus_from_cpu_max("max 100000") == 0);  // cgroup v2, no limit
  CHECK(cpus_from_cpu_max("150000 100000") == 2);
  CHECK(cpus_from_cpu_max("100000 100000") == 1);
  CHECK(cpus_from_cpu_max("50000 100000") == 1);  // half a CPU still gets one thread
  CHECK(cpus_from_cpu_max("-1 100000") == 0);     // cgroup v1's quota file: unlimited
  for (const char* bad : {"", "100000", "abc 100000", "12x 100000", "100000 0", "100000 -5", " "})
    CHECK(cpus_from_cpu_max(bad) == 0);
  CHECK(cpus_from_cfs(250000, 100000) == 3);
  CHECK(cpus_from_cfs(0, 100000) == 0);
  const int cpus = mcrise::detail::available_cpus();
  const int hw = static_cast<int>(std::thread::hardware_concurrency());
  CHECK(cpus >= 1);
  CHECK(cpus <= std::max(1, hw));
  CHECK(mcrise::detail::resolve_threads(0) == cpus);
  CHECK(mcrise::detail::resolve_threads(3) == 3);
}

TEST_CASE("the pool's start/wait runs every index once and rethrows a task's exception", "[perf][thread_pool]") {
  for (int threads : {1, 2, 4}) {
    mcrise::detail::ThreadPool pool(threads);
    std::vector<int> hits(1000, 0);
    std::atomic<int> bad_worker{0};
    pool.start(1000, [&](int i, int worker) {
      if (worker < 0 || worker >= pool.size()) ++bad_worker;
      ++hits[static_cast<std::size_t>(i)];
    });
    pool.wait();
    CHECK(bad_worker == 0);
    CHECK(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }));
    pool.start(50, [](int i, int) {
      if (i == 17) throw std::out_of_range("17");
    });
    CHECK_THROWS_AS(pool.wait(), std::out_of_range);
    pool.wait();  // nothing in flight: a no-op
    int sum = 0;
    pool.parallel_for(1, [&](int i, int) { sum += i + 1; });
    CHECK(sum == 1);
    // A started job that is never waited for is finished by the destructor.
    pool.start(10, [](int, int) {});
  }
  // Jobs back to back (the workers still spinning), after pauses longer than the spin (the
  // workers asleep), and with a worker's task outlasting the spin (the caller asleep in wait(),
  // woken by the last worker out): every index runs once, on a valid worker, either way.
  for (int threads : {2, 3}) {
    mcrise::detail::ThreadPool pool(threads);
    std::vector<std::atomic<int>> hits(7);
    std::atomic<int> bad_worker{0};
    for (int round = 0; round < 300; ++round) {
      if (round % 60 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      const int count = 1 + round % 7;
      const bool slow = round % 20 == 10;
      pool.parallel_for(count, [&](int i, int worker) {
        if (worker < 0 || worker >= pool.size()) ++bad_worker;
        if (slow && worker != 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        ++hits[static_cast<std::size_t>(i)];
      });
    }
    CHECK(bad_worker == 0);
    for (int i = 0; i < 7; ++i) {
      int expect = 0;  // rounds whose count exceeds i
      for (int round = 0; round < 300; ++round) expect += 1 + round % 7 > i ? 1 : 0;
      CHECK(hits[static_cast<std::size_t>(i)] == expect);
    }
  }
}

TEST_CASE("the second-difference upsampler equals the direct sum over shifts of every upsampled grid",
          "[perf][upsample]") {
  // Sizes with 1 and 2 rows or columns (the recurrence's start), grids of one cell, grids that
  // do not divide the image, no shift, both upsampling modes; random values, some shifts empty.
  struct Case {
    int H, W, gh, gw;
    bool shift;
  };
  const std::vector<Case> cases = {{1, 1, 1, 1, true},   {1, 7, 1, 3, true},  {2, 2, 2, 1, true},
                                   {3, 2, 2, 2, false},  {37, 53, 5, 7, true}, {37, 53, 37, 53, true},
                                   {16, 16, 8, 8, true}, {40, 24, 1, 1, true}, {29, 31, 4, 6, false},
                                   {301, 20, 150, 7, true}};  // knots 1/300 of a pixel from a sample point
  std::uint64_t state = 12345;
  auto uniform = [&state] {  // a small LCG: the values only need to be arbitrary
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / 9007199254740992.0 - 0.5;
  };
  for (const auto& cs : cases)
    for (auto mode : {Upsampling::bilinear, Upsampling::nearest}) {
      MaskOptions o;
      o.grid_h = cs.gh;
      o.grid_w = cs.gw;
      o.random_shift = cs.shift;
      o.upsampling = mode;
      const auto g = mcrise::MaskGeometry::make(cs.H, cs.W, o, "test");
      const int shifts = g.shifts_h() * g.shifts_w(), cells = g.cells();
      std::vector<double> sums(static_cast<std::size_t>(shifts * cells));
      for (std::size_t i = 0; i < sums.size(); ++i) sums[i] = (i / static_cast<std::size_t>(cells)) % 3 == 1 ? 0.0 : uniform();
      const SaliencyMap fast = mcrise::detail::ShiftUpsampler(g)(
          [&](int shift, int cell) { return sums[static_cast<std::size_t>(shift * cells + cell)]; });
      SaliencyMap ref = SaliencyMap::Zero(cs.H, cs.W);
      for (int dy = 0; dy < g.shifts_h(); ++dy)
        for (int dx = 0; dx < g.shifts_w(); ++dx)
          for (int y = 0; y < cs.H; ++y)
            for (int x = 0; x < cs.W; ++x) {
              int a0, a1, b0, b1;
              double wa0, wa1, wb0, wb1;
              ref_axis(y + dy, cs.gh, g.cell_h, mode, a0, a1, wa0, wa1);
              ref_axis(x + dx, cs.gw, g.cell_w, mode, b0, b1, wb0, wb1);
              const double* a = sums.data() + static_cast<std::size_t>((dy * g.shifts_w() + dx) * cells);
              auto at = [&](int r, int c) { return a[r * cs.gw + c]; };
              ref(y, x) += wa0 * (wb0 * at(a0, b0) + wb1 * at(a0, b1)) + wa1 * (wb0 * at(a1, b0) + wb1 * at(a1, b1));
            }
      INFO(cs.H << " x " << cs.W << ", grid " << cs.gh << " x " << cs.gw << ", shift " << cs.shift << ", "
                << (mode == Upsampling::bilinear ? "bilinear" : "nearest"));
      // Double rounding only: the recurrence adds O(H² + W²) roundings of values of size ~shifts.
      CHECK(max_abs_diff(fast, ref) <= 1e-12 * static_cast<double>(shifts) * (cs.H * cs.H + cs.W * cs.W + 1));
      CHECK(ref.cwiseAbs().maxCoeff() > 0.0);
    }
}
