#pragma once
/// @file map_cache.hpp
/// @brief Maps computed on first use, one class at a time (the results' maps_on_demand).

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace mcrise {
namespace detail {

/// The values of slots 0 .. n-1, each computed on its first get(), on the calling thread.
/// get() may be called from several threads at once: each slot is computed once (a caller that
/// needs a slot being computed waits for it), different slots concurrently. If the computation
/// throws, nothing is stored and the next get() of that slot tries again. References returned
/// stay valid while the cache lives.
template <class Value>
class SlotCache {
 public:
  /// compute(j) returns the value of slot j.
  using Compute = std::function<Value(std::size_t j)>;

  SlotCache(std::size_t n, Compute compute)
      : values_(n),
        done_(std::make_unique<std::atomic<bool>[]>(n)),
        locks_(std::make_unique<std::mutex[]>(n)),
        compute_(std::move(compute)) {
    for (std::size_t j = 0; j < n; ++j) done_[j].store(false, std::memory_order_relaxed);
  }

  /// The value of slot j < size() (computed first if no call has yet).
  const Value& get(std::size_t j) const {
    if (!done_[j].load(std::memory_order_acquire)) {
      std::lock_guard<std::mutex> lock(locks_[j]);
      if (!done_[j].load(std::memory_order_relaxed)) {
        values_[j] = compute_(j);
        done_[j].store(true, std::memory_order_release);
      }
    }
    return values_[j];
  }

  /// Number of slots.
  std::size_t size() const noexcept { return values_.size(); }

 private:
  mutable std::vector<Value> values_;  // slot j written once, under its lock, before done_[j] is set
  std::unique_ptr<std::atomic<bool>[]> done_;
  std::unique_ptr<std::mutex[]> locks_;
  Compute compute_;
};

/// Sets a result's on-demand maps (the results befriend it; see maps_on_demand).
struct ResultAccess {
  template <class Result, class Cache>
  static void set_on_demand(Result& r, std::shared_ptr<const Cache> cache) {
    r.on_demand_ = std::move(cache);
  }
};

}  // namespace detail
}  // namespace mcrise
