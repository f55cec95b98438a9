// The on-demand cache behind maps_on_demand (detail/run/map_cache.hpp): each class computed once,
// again after a throw, and once when many threads ask at once.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <thread>

TEST_CASE("the on-demand cache computes each class once, and again after a throw", "[driver][classes][on_demand]") {
  int calls = 0;
  bool fail = true;
  const mcrise::detail::ClassCache<int> cache({7, 3, 9}, [&](std::size_t j) {
    ++calls;
    if (j == 1 && fail) {
      fail = false;
      throw std::bad_alloc();
    }
    return 100 + static_cast<int>(j);
  });
  CHECK(cache.find(4) == nullptr);
  CHECK(calls == 0);
  CHECK(*cache.find(9) == 102);
  CHECK(*cache.find(9) == 102);
  CHECK(calls == 1);
  CHECK_THROWS_AS(cache.find(3), std::bad_alloc);
  CHECK(calls == 2);
  const int* three = cache.find(3);  // tried again, and kept this time
  REQUIRE(three != nullptr);
  CHECK(*three == 101);
  CHECK(cache.find(3) == three);
  CHECK(calls == 3);
  CHECK(cache.classes() == std::vector<int>{7, 3, 9});
}

TEST_CASE("the on-demand cache computes a class once when many threads ask for it at once",
          "[driver][classes][on_demand]") {
  std::atomic<int> calls{0};
  const mcrise::detail::ClassCache<int> cache({5}, [&](std::size_t) {
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the others arrive while it runs
    return 42;
  });
  std::atomic<int> ready{0};
  std::vector<const int*> got(8, nullptr);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] {
      ++ready;
      while (ready.load() < static_cast<int>(got.size())) std::this_thread::yield();
      got[t] = cache.find(5);
    });
  for (auto& th : threads) th.join();
  CHECK(calls.load() == 1);
  for (const int* g : got) {
    REQUIRE(g != nullptr);
    CHECK(*g == 42);
    CHECK(g == got[0]);
  }
}
