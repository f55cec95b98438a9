#pragma once
/// @file detail/thread_pool.hpp
/// @brief A small fork-join pool for mcrise's own work (mask sampling and
///        perturbation). The user's classifier is never called from it.

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#endif

/// Microseconds a pool thread polls for work (or the caller for the last task) before it
/// blocks; >= 0. Define it the same way in every translation unit.
#ifndef MCRISE_POOL_SPIN_US
#define MCRISE_POOL_SPIN_US 200
#endif
static_assert(MCRISE_POOL_SPIN_US >= 0, "MCRISE_POOL_SPIN_US must be >= 0");

namespace mcrise {
namespace detail {

/// CPUs a cgroup CPU quota allows, ceil(quota / period) (cgroup v1's cpu.cfs_quota_us and
/// cpu.cfs_period_us, in microseconds; a quota <= 0, such as v1's -1, is unlimited); 0 if unlimited.
inline int cpus_from_cfs(long long quota_us, long long period_us) {
  if (quota_us <= 0 || period_us <= 0) return 0;
  const long long n = (quota_us + period_us - 1) / period_us;
  return static_cast<int>(std::min<long long>(n, 1 << 20));
}

/// The same from the text of cgroup v2's `cpu.max`, "<quota> <period>" ("max 100000": unlimited,
/// "150000 100000": 2); 0 for unlimited or unparsable text. (Parsed with strtoll, not streams,
/// so that a run does not pull in iostream's locale machinery just for this.)
inline int cpus_from_cpu_max(const std::string& text) {
  const char* p = text.c_str();
  while (*p == ' ' || *p == '\t') ++p;
  if (std::strncmp(p, "max", 3) == 0) return 0;
  char* end = nullptr;
  errno = 0;
  const long long quota = std::strtoll(p, &end, 10);
  if (end == p || errno != 0 || (*end != ' ' && *end != '\t')) return 0;
  p = end;
  const long long period = std::strtoll(p, &end, 10);
  if (end == p || errno != 0) return 0;
  while (*end == ' ' || *end == '\t' || *end == '\n') ++end;
  return *end == '\0' ? cpus_from_cfs(quota, period) : 0;
}

/// CPUs this process may use: the hardware threads, fewer if its CPU affinity mask or a cgroup
/// CPU quota (as in a container started with --cpus) allows fewer (Linux; the quota is read from
/// /sys/fs/cgroup/cpu.max or /sys/fs/cgroup/cpu/cpu.cfs_quota_us, which inside a container are the
/// container's own; a quota on a cgroup below that root, e.g. a systemd slice on a host, is not
/// seen). At least 1; computed once.
inline int available_cpus() {
  static const int cpus = [] {
    const unsigned hw = std::thread::hardware_concurrency();
    int n = hw == 0 ? 1 : static_cast<int>(hw);
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) n = std::min(n, CPU_COUNT(&set));
    auto read = [](const char* path) {  // the first line of a small file, "" if unreadable
      std::string text;
      const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
      if (fd < 0) return text;
      char buf[128];
      const ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
      ::close(fd);
      if (n > 0) text.assign(buf, static_cast<std::size_t>(n));
      return text.substr(0, text.find('\n'));
    };
    int quota = cpus_from_cpu_max(read("/sys/fs/cgroup/cpu.max"));
    if (quota == 0) {
      quota = cpus_from_cpu_max(read("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") + " " +
                                read("/sys/fs/cgroup/cpu/cpu.cfs_period_us"));
    }
    if (quota > 0) n = std::min(n, quota);
#endif
    return std::max(1, n);
  }();
  return cpus;
}

/// Resolves a user's thread count: 0 means available_cpus().
inline int resolve_threads(int threads) { return threads > 0 ? threads : available_cpus(); }

/// @brief `threads - 1` workers plus the calling thread. parallel_for blocks
///        until every index is done and rethrows the first exception; start()
///        + wait() split it so the caller can do other work (call the model)
///        meanwhile. The destructor stops a started job (indices not yet taken
///        are skipped) and joins every worker, so no thread outlives the pool.
///        Between jobs, and while the caller waits for the last task, threads poll
///        for up to MCRISE_POOL_SPIN_US microseconds (default 200; 0: never) before
///        they block, yielding to other runnable threads meanwhile; a pool with more
///        threads than available_cpus() never polls.
class ThreadPool {
 public:
  explicit ThreadPool(int threads)
      : size_(std::max(1, threads)), spin_(spin_us > 0 && size_ <= available_cpus()) {
    workers_.reserve(static_cast<std::size_t>(size_ - 1));
    try {
      for (int w = 1; w < size_; ++w) workers_.emplace_back([this, w] { worker_loop(w); });
    } catch (...) {
      shutdown();
      throw;
    }
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  ~ThreadPool() { shutdown(); }

  /// Number of threads that run tasks (workers + caller).
  int size() const noexcept { return size_; }

  /// Runs f(i, worker) for i in [0, count); worker in [0, size()) identifies
  /// the thread, for per-thread scratch memory.
  void parallel_for(int count, const std::function<void(int, int)>& f) {
    if (count <= 0) return;
    if (size_ == 1 || count == 1) {
      for (int i = 0; i < count; ++i) f(i, 0);
      return;
    }
    launch(count, &f);
    wait();
  }

  /// Starts f(i, worker) for i in [0, count) on the workers and returns at
  /// once; the caller (worker 0) joins in at wait(). At most one job is in
  /// flight: call wait() before the next start() or parallel_for(). With one
  /// thread nothing runs until wait(). The pool keeps its own copy of f.
  void start(int count, std::function<void(int, int)> f) {
    owned_ = std::move(f);
    if (count <= 0) return;
    if (size_ == 1) {
      pending_ = count;
      return;
    }
    launch(count, &owned_);
  }

  /// Finishes the job begun by start() (the caller runs the indices no worker
  /// has taken yet), then rethrows the first exception any task threw. A no-op
  /// if no job is in flight.
  void wait() {
    if (pending_ > 0) {  // one thread: run the deferred job here
      const int n = pending_;
      pending_ = 0;
      for (int i = 0; i < n; ++i) owned_(i, 0);
      return;
    }
    if (!in_flight_) return;
    in_flight_ = false;
    run_tasks(0);
    await(done_, [this] { return workers_done(); });
    job_ = nullptr;
    if (error_) {
      std::exception_ptr e = error_;
      error_ = nullptr;
      std::rethrow_exception(e);
    }
  }

 private:
  /// Polls `ready` for up to about spin_us microseconds before the caller blocks: waking a
  /// sleeping thread costs tens of microseconds on a virtual machine, about as much as
  /// perturbing one 224 x 224 image, and batches come every few milliseconds.
  template <class Ready>
  bool spin_until(Ready&& ready) const {
    if (ready()) return true;
    if (!spin_) return false;
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us);
    for (;;) {
      for (int i = 0; i < 64; ++i) {
        if (ready()) return true;
        cpu_relax();
      }
      if (std::chrono::steady_clock::now() >= until) return ready();
      std::this_thread::yield();  // a thread with real work (here or in another process) goes first
    }
  }
  static void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }
  static constexpr int spin_us = MCRISE_POOL_SPIN_US;

  /// Returns once `ready` holds: polled first (spin_until), then waited for on `cv`. Whoever
  /// makes `ready` true does so, or notifies `cv`, while holding mutex_, so no wake-up is lost.
  template <class Ready>
  void await(std::condition_variable& cv, Ready&& ready) {
    if (spin_until(ready)) return;
    std::unique_lock<std::mutex> lock(mutex_);
    cv.wait(lock, ready);
  }
  /// No worker is still running the current job.
  bool workers_done() const noexcept { return busy_.load(std::memory_order_acquire) == 0; }

  void launch(int count, const std::function<void(int, int)>* f) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = f;
      count_ = count;
      next_.store(0);
      busy_.store(size_ - 1, std::memory_order_relaxed);
      error_ = nullptr;
      generation_.fetch_add(1, std::memory_order_release);
    }
    in_flight_ = true;
    wake_.notify_all();
  }

  void run_tasks(int worker) {
    for (;;) {
      const int i = next_.fetch_add(1);
      if (i >= count_) return;
      try {
        (*job_)(i, worker);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
        next_.store(count_);  // stop handing out work
      }
    }
  }

  void worker_loop(int worker) {
    std::uint64_t seen = 0;
    for (;;) {
      auto ready = [&] {
        return stop_.load(std::memory_order_acquire) || generation_.load(std::memory_order_acquire) != seen;
      };
      await(wake_, ready);
      if (stop_.load(std::memory_order_acquire)) return;
      seen = generation_.load(std::memory_order_acquire);
      run_tasks(worker);
      if (busy_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        // The last one out: the caller may be asleep in wait(). Notifying under the mutex means it
        // has either not yet checked busy_ (and will see 0) or is already waiting.
        std::lock_guard<std::mutex> lock(mutex_);
        done_.notify_one();
      }
    }
  }

  void shutdown() {
    if (in_flight_) {  // never leave a started job running past the pool
      in_flight_ = false;
      std::unique_lock<std::mutex> lock(mutex_);
      next_.store(count_);
      done_.wait(lock, [this] { return workers_done(); });
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_.store(true, std::memory_order_release);
    }
    wake_.notify_all();
    for (auto& t : workers_)
      if (t.joinable()) t.join();
    workers_.clear();
  }

  int size_;
  bool spin_;  // poll before blocking: only with no more threads than available_cpus()
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int, int)>* job_ = nullptr;
  std::function<void(int, int)> owned_;  // the job of start()
  int pending_ = 0;                      // one thread: indices start() deferred to wait()
  bool in_flight_ = false;               // a job was launched and not yet waited for
  int count_ = 0;
  std::atomic<int> next_{0};
  std::atomic<int> busy_{0};                  // workers still running the current job
  std::atomic<std::uint64_t> generation_{0};  // bumped by each launch
  std::atomic<bool> stop_{false};
  std::exception_ptr error_;
};

}  // namespace detail
}  // namespace mcrise
