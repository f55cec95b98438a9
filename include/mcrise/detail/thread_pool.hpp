#pragma once
/// @file detail/thread_pool.hpp
/// @brief A small fork-join pool for mcrise's own work (mask sampling and
///        perturbation). The user's classifier is never called from it.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mcrise {
namespace detail {

/// Resolves a user's thread count: 0 means all hardware threads.
inline int resolve_threads(int threads) {
  if (threads > 0) return threads;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

/// @brief `threads - 1` workers plus the calling thread. parallel_for blocks
///        until every index is done and rethrows the first exception; start()
///        + wait() split it so the caller can do other work (call the model)
///        meanwhile. The destructor stops a started job (indices not yet taken
///        are skipped) and joins every worker, so no thread outlives the pool.
class ThreadPool {
 public:
  explicit ThreadPool(int threads) : size_(std::max(1, threads)) {
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
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return busy_ == 0; });
    job_ = nullptr;
    if (error_) {
      std::exception_ptr e = error_;
      error_ = nullptr;
      std::rethrow_exception(e);
    }
  }

 private:
  void launch(int count, const std::function<void(int, int)>* f) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = f;
      count_ = count;
      next_.store(0);
      busy_ = size_ - 1;
      error_ = nullptr;
      ++generation_;
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
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
      }
      run_tasks(worker);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        --busy_;
      }
      done_.notify_one();
    }
  }

  void shutdown() {
    if (in_flight_) {  // never leave a started job running past the pool
      in_flight_ = false;
      std::unique_lock<std::mutex> lock(mutex_);
      next_.store(count_);
      done_.wait(lock, [this] { return busy_ == 0; });
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_)
      if (t.joinable()) t.join();
    workers_.clear();
  }

  int size_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int, int)>* job_ = nullptr;
  std::function<void(int, int)> owned_;  // the job of start()
  int pending_ = 0;                      // one thread: indices start() deferred to wait()
  bool in_flight_ = false;               // a job was launched and not yet waited for
  int count_ = 0;
  std::atomic<int> next_{0};
  int busy_ = 0;
  std::uint64_t generation_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace detail
}  // namespace mcrise
