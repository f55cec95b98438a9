#pragma once
/// @file detail/dispatch.hpp
/// @brief The instruction set the hot loops run with, chosen at run time: the loops are written
///        once, in plain C++, and compiled twice, for the build's baseline (x86-64: SSE2) and, with
///        GCC's or Clang's `target("avx2")` attribute, for AVX2; the first call asks the CPU which
///        one it can run. Header-only and without a library: only the few loops that stream whole
///        images are compiled twice.
///
/// The AVX2 variant enables AVX2 alone, not FMA, so the compiler cannot fuse a multiply and an add
/// that the baseline build rounds separately: both variants compute every value with the same
/// operations in the same order and give the same bits (tests/perturb_test.cpp checks it).
/// Define MCRISE_DISPATCH to 0 (the same in every translation unit) to build the baseline only.

#include <atomic>

#if !defined(MCRISE_DISPATCH)
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#define MCRISE_DISPATCH 1
#else
#define MCRISE_DISPATCH 0
#endif
#endif

#if MCRISE_DISPATCH
/// Compiles a function for AVX2 (without FMA: see the file comment).
#define MCRISE_TARGET_AVX2 __attribute__((target("avx2")))
#else
#define MCRISE_TARGET_AVX2
#endif

#if defined(__GNUC__) || defined(__clang__)
/// A loop body that each variant inlines and compiles for its own instruction set.
#define MCRISE_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define MCRISE_ALWAYS_INLINE inline
#endif

namespace mcrise {
namespace detail {

/// The instruction sets the dispatched loops are compiled for.
enum class Isa { baseline, avx2 };

/// Isa::baseline forces the baseline variant (tests compare the two); -1: the CPU decides.
inline std::atomic<int> forced_isa{-1};

/// The variant the dispatched loops run: AVX2 where the build has it and the CPU runs it.
inline Isa current_isa() noexcept {
  const int forced = forced_isa.load(std::memory_order_relaxed);
  if (forced >= 0) return static_cast<Isa>(forced);
#if MCRISE_DISPATCH
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2 ? Isa::avx2 : Isa::baseline;
#else
  return Isa::baseline;
#endif
}

/// Makes the dispatched loops run `isa` for its lifetime, on every thread (for tests and
/// benchmarks that compare the variants; not for concurrent use).
class ForceIsa {
 public:
  /// @param isa the variant to run; Isa::avx2 on a CPU without AVX2 would fault, so pass it only
  ///        where current_isa() returned it.
  explicit ForceIsa(Isa isa) noexcept : old_(forced_isa.exchange(static_cast<int>(isa))) {}
  ForceIsa(const ForceIsa&) = delete;
  ForceIsa& operator=(const ForceIsa&) = delete;
  ~ForceIsa() { forced_isa.store(old_); }

 private:
  int old_;
};

}  // namespace detail
}  // namespace mcrise
