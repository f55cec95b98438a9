#pragma once
/// @file callbacks.hpp
/// @brief Progress reporting and early stopping for every long-running call.
///
/// Every driver (rise, debiased_rise, mc_rise, the metrics) takes any number
/// of trailing callbacks. After each batch it calls each one as
/// `callback(const mcrise::Progress&)`. A callback may return void, or bool:
/// returning `true` asks the run to stop; the run then returns a partial
/// result computed from the samples done so far. mcrise itself never prints.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

namespace mcrise {

/// @brief What a callback sees after each batch.
struct Progress {
  const char* task = "";    ///< the calling function, e.g. "mc_rise"
  std::int64_t done = 0;    ///< samples (masks, or metric steps) finished so far
  std::int64_t total = 0;   ///< samples the run will do if not stopped
};

/// @brief A ready-made callback that draws a one-line text progress bar on a
///        stream (std::cerr by default), redrawn in place (a carriage return, no new line).
class ProgressBar {
 public:
  /// @param out the stream to draw on (std::cerr by default); must outlive the bar
  /// @param width characters of the bar itself; values below 1 are taken as 1
  explicit ProgressBar(std::ostream& out = std::cerr, int width = 40) : out_(&out), width_(width < 1 ? 1 : width) {}
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  /// @brief Ends the line if a run stopped before its total (early stop, adaptive stop, exception).
  ~ProgressBar() {
    if (open_) *out_ << '\n' << std::flush;
  }

  /// @brief Draw the bar for `p`; ends the line when `p.done == p.total`. Never stops the run.
  void operator()(const Progress& p) {
    const double f = p.total > 0 ? static_cast<double>(p.done) / static_cast<double>(p.total) : 1.0;
    const int filled = std::min(width_, std::max(0, static_cast<int>(f * width_ + 0.5)));
    *out_ << '\r' << p.task << " [" << std::string(static_cast<std::size_t>(filled), '#')
          << std::string(static_cast<std::size_t>(width_ - filled), ' ') << "] " << p.done << '/' << p.total;
    open_ = p.done < p.total;
    if (!open_) *out_ << '\n';
    out_->flush();
  }

 private:
  std::ostream* out_;
  int width_;
  bool open_ = false;
};

namespace detail {

template <class F>
inline constexpr bool is_progress_callback_v = std::is_invocable_v<F&, const Progress&>;

/// Calls every callback with `p`; true if any of them asked to stop.
template <class... Callbacks>
bool notify(const Progress& p, Callbacks&... callbacks) {
  static_assert((is_progress_callback_v<Callbacks> && ...),
                "mcrise: every callback must be callable as callback(const mcrise::Progress&) returning void or "
                "bool (true = stop the run)");
  bool stop = false;
  auto one = [&](auto& cb) {
    using R = std::invoke_result_t<decltype(cb), const Progress&>;
    if constexpr (std::is_convertible_v<R, bool>) {
      if (static_cast<bool>(cb(p))) stop = true;
    } else {
      cb(p);
    }
  };
  (one(callbacks), ...);
  (void)one;  // unused when there are no callbacks
  return stop;
}

}  // namespace detail
}  // namespace mcrise
