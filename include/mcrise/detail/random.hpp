#pragma once
/// @file detail/random.hpp
/// @brief Counter-based random numbers: the draws of sample n are a pure
///        function of (seed, n), so results never depend on threads or batches.

#include <cstdint>

namespace mcrise {
namespace detail {

/// SplitMix64's finaliser: a bijection on 64-bit integers with good avalanche.
constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// @brief The random stream of one sample: a SplitMix64 sequence whose start
///        is mix64(mix64(seed) ^ n). Distinct n give distinct starts (mix64 is
///        a bijection), and each stream is itself a full-period generator.
class CounterRng {
 public:
  constexpr CounterRng(std::uint64_t seed, std::uint64_t n) noexcept : state_(mix64(mix64(seed) ^ n)) {}

  /// Next 64 random bits.
  constexpr std::uint64_t next() noexcept {
    state_ += 0x9E3779B97F4A7C15ULL;
    return mix64(state_);
  }
  /// Uniform double in [0, 1) with 53 random bits.
  constexpr double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform integer in [0, k), k >= 1 (multiply-shift on 32 random bits;
  /// relative bias below k / 2^32, far under Monte-Carlo noise for mask colours).
  constexpr std::uint32_t below(std::uint32_t k) noexcept {
    return static_cast<std::uint32_t>(((next() >> 32) * k) >> 32);
  }

 private:
  std::uint64_t state_;
};

}  // namespace detail
}  // namespace mcrise
