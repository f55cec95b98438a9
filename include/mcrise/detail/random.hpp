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

/// One try of Lemire's multiply-shift for an integer uniform in [0, k), 1 <= k, from x, uniform over
/// U's values (U an unsigned type, Wide one twice as wide). x·k spans k·2^b products (b = U's bits);
/// its top b bits give the result r, and each r gets 2^b / k products, rounded up or down. The low b
/// bits of x·k below t = 2^b mod k mark exactly t of them, one from each r that got one too many,
/// so after refusing those (false: draw x again) every r has floor(2^b / k) of the x left: exactly
/// uniform. t is computed only where the low bits are below k, which is rare (probability k / 2^b).
template <class U, class Wide>
constexpr bool multiply_shift_below(U x, U k, U& r) noexcept {
  const Wide m = static_cast<Wide>(static_cast<Wide>(x) * k);
  const U low = static_cast<U>(m);
  if (low < k && low < static_cast<U>(static_cast<U>(0u - k) % k)) return false;
  r = static_cast<U>(m >> (8 * sizeof(U)));
  return true;
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
  /// Uniform integer in [0, k), k >= 1, exactly uniform (multiply_shift_below on the top 32 bits
  /// of a draw; a second draw is needed with probability below k / 2^32).
  constexpr std::uint32_t below(std::uint32_t k) noexcept {
    std::uint32_t r = 0;
    while (!multiply_shift_below<std::uint32_t, std::uint64_t>(static_cast<std::uint32_t>(next() >> 32), k, r)) {
    }
    return r;
  }

 private:
  std::uint64_t state_;
};

}  // namespace detail
}  // namespace mcrise
