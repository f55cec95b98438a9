// Memory is flat in the number of masks: this program replaces global
// operator new/delete with counting versions and checks that the peak heap in
// use during mc_rise / rise does not change between N = 500 and N = 16,000.
// No N x H x W (or even N x anything) array may exist anywhere.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<long long> g_in_use{0}, g_peak{0};

void* counted_alloc(std::size_t n) {
  // A header in front of each block remembers its size.
  void* p = std::malloc(n + 16);
  if (!p) throw std::bad_alloc();
  *static_cast<std::size_t*>(p) = n;
  const long long now = g_in_use += static_cast<long long>(n);
  long long peak = g_peak.load();
  while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
  }
  return static_cast<char*>(p) + 16;
}
void counted_free(void* p) noexcept {
  if (!p) return;
  void* base = static_cast<char*>(p) - 16;
  g_in_use -= static_cast<long long>(*static_cast<std::size_t*>(base));
  std::free(base);
}
// Aligned forms (images and batches are 64-byte aligned): the header takes one alignment unit.
void* counted_alloc_aligned(std::size_t n, std::align_val_t al) {
  const auto a = std::max<std::size_t>(static_cast<std::size_t>(al), 16);
  void* p = std::aligned_alloc(a, (n + a + a - 1) / a * a);
  if (!p) throw std::bad_alloc();
  *static_cast<std::size_t*>(p) = n;
  const long long now = g_in_use += static_cast<long long>(n);
  long long peak = g_peak.load();
  while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
  }
  return static_cast<char*>(p) + a;
}
void counted_free_aligned(void* p, std::align_val_t al) noexcept {
  if (!p) return;
  const auto a = std::max<std::size_t>(static_cast<std::size_t>(al), 16);
  void* base = static_cast<char*>(p) - a;
  g_in_use -= static_cast<long long>(*static_cast<std::size_t*>(base));
  std::free(base);
}

// Peak bytes in use above the level at the start of f().
template <class F>
long long peak_during(F&& f) {
  const long long start = g_in_use.load();
  g_peak = start;
  f();
  return g_peak.load() - start;
}
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
// The nothrow forms too: every replaceable form is counted, so nothing allocated here is freed elsewhere (and vice versa).
void* operator new(std::size_t n, std::align_val_t al) { return counted_alloc_aligned(n, al); }
void* operator new[](std::size_t n, std::align_val_t al) { return counted_alloc_aligned(n, al); }
void operator delete(void* p, std::align_val_t al) noexcept { counted_free_aligned(p, al); }
void operator delete[](void* p, std::align_val_t al) noexcept { counted_free_aligned(p, al); }
void operator delete(void* p, std::size_t, std::align_val_t al) noexcept { counted_free_aligned(p, al); }
void operator delete[](void* p, std::size_t, std::align_val_t al) noexcept { counted_free_aligned(p, al); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_alloc(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_free(p); }

TEST_CASE("peak heap use does not grow with the number of masks", "[memory]") {
  const auto img = test::test_image(64, 64);
  auto model = [](const mcrise::ImageBatch& b) {  // a trivial model: no allocations of its own but the result
    Eigen::MatrixXf s(b.size(), 10);
    for (int i = 0; i < b.size(); ++i)
      for (int j = 0; j < 10; ++j) s(i, j) = b.image_data(i)[j];
    return s;
  };
  auto mc_peak = [&](std::int64_t n, int threads) {
    mcrise::McRiseOptions o;
    o.n_masks = n;
    o.classes = {1, 3};
    o.threads = threads;
    return peak_during([&] { (void)mcrise::mc_rise(model, img, o); });
  };
  auto rise_peak = [&](std::int64_t n, int threads) {
    mcrise::RiseOptions o;
    o.n_masks = n;
    o.classes = {2};
    o.threads = threads;
    return peak_during([&] { (void)mcrise::debiased_rise(model, img, o); });
  };
  // One thread: the allocations are the same sequence for any N, so the peaks are equal to the byte.
  {
    const long long mc_small = mc_peak(500, 1), mc_large = mc_peak(16000, 1);
    const long long r_small = rise_peak(500, 1), r_large = rise_peak(16000, 1);
    INFO("1 thread: mc_rise peak " << mc_small << " B at N=500, " << mc_large << " B at N=16000");
    INFO("1 thread: debiased_rise peak " << r_small << " B at N=500, " << r_large << " B at N=16000");
    CHECK(mc_large == mc_small);
    CHECK(r_large == r_small);
  }
  // Two threads: the peak also depends on how the threads' working buffers overlap in time (one
  // upsampler's scratch here is about 45 KB), so allow 64 KiB. Anything kept per mask would be
  // 15,500 x its size: 8 bytes per mask already exceed the allowance.
  const long long mc_small = mc_peak(500, 2), mc_large = mc_peak(16000, 2);
  const long long r_small = rise_peak(500, 2), r_large = rise_peak(16000, 2);
  INFO("2 threads: mc_rise peak " << mc_small << " B at N=500, " << mc_large << " B at N=16000");
  INFO("2 threads: debiased_rise peak " << r_small << " B at N=500, " << r_large << " B at N=16000");
  CHECK(std::abs(mc_large - mc_small) <= 64 * 1024);
  CHECK(std::abs(r_large - r_small) <= 64 * 1024);
  // One perturbed 64 x 64 x 3 float image is 48 KiB; 16,000 of them would be 750 MiB.
  // The whole run (batch of 64 images, accumulators, maps) stays far below that.
  CHECK(mc_large < 8LL * 1024 * 1024);
}
