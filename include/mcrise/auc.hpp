#pragma once
/// @file auc.hpp
/// @brief Areas under curves by the trapezoid rule: curve_auc() for any curve, and the one the
///        metrics (deletion, insertion, CA-deletion) compute.

#include <mcrise/detail/limits.hpp>

#include <cmath>
#include <limits>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace mcrise {

/// @brief Normalised area under a curve by the trapezoid rule:
///        sum_i (x_{i+1} - x_i)(y_i + y_{i+1}) / 2 / (x_last - x_0).
///        With x empty, x is evenly spaced on [0, 1]. For a complete MetricCurve, x = curve.fractions gives
///        its auc (evenly spaced x does only when the step divides H·W); a stopped curve's auc is its area
///        not divided by the x range.
/// @throws std::invalid_argument on fewer than 2 points, a length mismatch, non-increasing x, non-finite values,
///         or finite values whose area overflows a double.
inline double curve_auc(const std::vector<double>& y, const std::vector<double>& x = {}) {
  const std::size_t n = y.size();
  if (n < 2) throw std::invalid_argument("mcrise::curve_auc(): need at least 2 points, got " + std::to_string(n));
  if (!x.empty() && x.size() != n)
    throw std::invalid_argument("mcrise::curve_auc(): x has " + std::to_string(x.size()) + " values, y has " +
                                std::to_string(n));
  auto X = [&](std::size_t i) { return x.empty() ? static_cast<double>(i) / static_cast<double>(n - 1) : x[i]; };
  double a = 0.0;
  for (std::size_t i = 0; i + 1 < n; ++i) {
    if (!std::isfinite(y[i]) || !std::isfinite(y[i + 1]) || !std::isfinite(X(i)) || !std::isfinite(X(i + 1)))
      throw std::invalid_argument("mcrise::curve_auc(): non-finite value at point " + std::to_string(i));
    if (!(X(i + 1) > X(i)))
      throw std::invalid_argument("mcrise::curve_auc(): x must be strictly increasing (point " + std::to_string(i + 1) + ")");
    a += (X(i + 1) - X(i)) * (y[i] + y[i + 1]) / 2.0;
  }
  const double auc = a / (X(n - 1) - X(0));
  if (!std::isfinite(auc))  // finite points whose sums or x steps overflow a double
    throw std::invalid_argument("mcrise::curve_auc(): the area overflows a double (values or x steps near " +
                                detail::real_str(std::numeric_limits<double>::max()) + "), got " + detail::real_str(auc));
  return auc;
}

namespace detail {

/// @brief Area under a curve by the trapezoid rule (not divided by the x range):
///        sum_j (x_{j+1} - x_j) (y_j + y_{j+1}) / 2. With x the removal
///        fractions 0..1 this is the mean confidence over the removal.
inline double trapezoid_auc(const std::vector<double>& x, const std::vector<double>& y) {
  double area = 0.0;
  for (std::size_t j = 1; j < x.size() && j < y.size(); ++j) area += (x[j] - x[j - 1]) * (y[j] + y[j - 1]) * 0.5;
  return area;
}

}  // namespace detail
}  // namespace mcrise
