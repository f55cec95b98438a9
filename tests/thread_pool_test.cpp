// The thread pool (detail/thread_pool.hpp): the CPU count it resolves 0 to, and start/wait.
#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

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
