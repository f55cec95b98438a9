#pragma once
/// @file classes.hpp
/// @brief The ten procedural traffic-sign classes of the sign demo, modelled on
///        GTSRB families where colour carries meaning.
///
/// Example-side header (namespace mcrise::signs), not part of the library.

#include <array>
#include <stdexcept>
#include <string>

namespace mcrise {
namespace signs {

/// @brief Number of sign classes L (the CNN outputs L probabilities).
inline constexpr int num_classes = 10;

/// @brief The sign classes; the integer value is the class index used by the
///        renderer, the CNN and every saliency call (`RiseOptions::classes`).
enum class SignClass : int {
  stop = 0,                 ///< red octagon, white rim, white "STOP"
  no_entry = 1,             ///< red disc, white horizontal bar
  priority_road = 2,        ///< yellow diamond, white border, dark edge
  no_vehicles = 3,          ///< white disc, red ring
  speed_limit = 4,          ///< white disc, red ring, dark digits
  yield = 5,                ///< inverted triangle, red border, white inside
  general_caution = 6,      ///< triangle, red border, white inside, dark "!"
  ahead_only = 7,           ///< blue disc, white arrow pointing up
  keep_right = 8,           ///< blue disc, white arrow pointing down-right
  end_of_restrictions = 9,  ///< white disc, grey rim, dark diagonal stripes
};

/// @brief The class index of a SignClass, in [0, num_classes).
constexpr int class_index(SignClass c) noexcept { return static_cast<int>(c); }

/// @brief The SignClass of a class index.
/// @param index in [0, num_classes)
/// @throws std::invalid_argument if index is out of range.
inline SignClass sign_class(int index) {
  if (index < 0 || index >= num_classes)
    throw std::invalid_argument("mcrise::signs::sign_class(): index must be in [0, " + std::to_string(num_classes) +
                                "), got " + std::to_string(index));
  return static_cast<SignClass>(index);
}

/// @brief Human-readable snake_case name of a class ("stop", "priority_road", ...),
///        suitable for file names and table rows.
/// @param index class index in [0, num_classes)
/// @throws std::invalid_argument if index is out of range.
inline std::string class_name(int index) {
  static const std::array<const char*, num_classes> names = {
      "stop",    "no_entry",        "priority_road", "no_vehicles", "speed_limit",
      "yield",   "general_caution", "ahead_only",    "keep_right",  "end_of_restrictions"};
  sign_class(index);  // range check
  return names[static_cast<std::size_t>(index)];
}

/// @brief The name of a SignClass, see class_name(int).
inline std::string class_name(SignClass c) { return class_name(class_index(c)); }

/// @brief The GTSRB class id of the real sign each class is modelled on
///        (speed_limit: 50 km/h = 2; keep_right = 38), for reference in write-ups.
/// @param index class index in [0, num_classes)
/// @throws std::invalid_argument if index is out of range.
inline int gtsrb_id(int index) {
  static const std::array<int, num_classes> ids = {14, 17, 12, 15, 2, 13, 18, 35, 38, 32};
  sign_class(index);
  return ids[static_cast<std::size_t>(index)];
}

}  // namespace signs
}  // namespace mcrise
