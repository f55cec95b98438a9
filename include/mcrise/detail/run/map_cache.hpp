#pragma once
/// @file detail/run/map_cache.hpp
/// @brief Maps computed on first use, one class at a time (the results' maps_on_demand).

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>
#include <vector>

namespace mcrise {
namespace detail {

/// The maps of a fixed list of classes, each class's computed on its first get(), on the calling
/// thread. get() may be called from several threads at once: each class is computed once (a caller
/// that needs a class being computed waits for it), different classes concurrently. If the
/// computation throws, nothing is stored and the next get() of that class tries again. References
/// returned stay valid while the cache lives. The cache keeps its own copy of the class list, so
/// a result whose public `classes` is changed afterwards cannot make it return another class's maps.
template <class Value>
class ClassCache {
 public:
  /// compute(j) returns the value of classes[j].
  using Compute = std::function<Value(std::size_t j)>;

  ClassCache(std::vector<int> classes, Compute compute)
      : classes_(std::move(classes)),
        values_(classes_.size()),
        done_(std::make_unique<std::atomic<bool>[]>(classes_.size())),
        locks_(std::make_unique<std::mutex[]>(classes_.size())),
        compute_(std::move(compute)) {
    for (std::size_t j = 0; j < classes_.size(); ++j) done_[j].store(false, std::memory_order_relaxed);
  }

  /// The value of class `cls` (computed first if no call has yet); null if `cls` is not in the list.
  const Value* find(int cls) const {
    const auto it = std::find(classes_.begin(), classes_.end(), cls);
    if (it == classes_.end()) return nullptr;
    const auto j = static_cast<std::size_t>(it - classes_.begin());
    if (!done_[j].load(std::memory_order_acquire)) {
      std::lock_guard<std::mutex> lock(locks_[j]);
      if (!done_[j].load(std::memory_order_relaxed)) {
        values_[j] = compute_(j);
        done_[j].store(true, std::memory_order_release);
      }
    }
    return &values_[j];
  }

  /// The classes, in the order compute() numbers them.
  const std::vector<int>& classes() const noexcept { return classes_; }

 private:
  std::vector<int> classes_;
  mutable std::vector<Value> values_;  // values_[j] written once, under locks_[j], before done_[j] is set
  std::unique_ptr<std::atomic<bool>[]> done_;
  std::unique_ptr<std::mutex[]> locks_;
  Compute compute_;
};

/// Makes a result's maps on demand (maps_on_demand; the results befriend it): the run's
/// accumulator moves into the result, and `maps_of(acc, j)` computes the Value of r.classes[j]
/// from it when first asked for, on one thread (the caller's).
struct ResultAccess {
  template <class Value, class Result, class Accumulator, class MapsOf>
  static void defer_maps(Result& r, Accumulator&& acc, MapsOf maps_of) {
    acc.set_threads(1);
    auto kept = std::make_shared<const std::decay_t<Accumulator>>(std::move(acc));
    r.on_demand_ = std::make_shared<const ClassCache<Value>>(
        r.classes, [kept, maps_of](std::size_t j) { return maps_of(*kept, j); });
  }
};

}  // namespace detail
}  // namespace mcrise
