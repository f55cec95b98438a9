#pragma once
/// @file io_error.hpp
/// @brief mcrise::io_error, the exception of every file operation.

#include <stdexcept>
#include <string>

namespace mcrise {

/// @brief Thrown when a file cannot be read, decoded or written. what() is
///        "mcrise::<function>(): '<path>': <reason>".
class io_error : public std::runtime_error {
 public:
  /// @brief Build the error from the function name, the path and the reason.
  io_error(const std::string& function, const std::string& path, const std::string& reason)
      : std::runtime_error("mcrise::" + function + "(): '" + path + "': " + reason), path_(path), reason_(reason) {}
  /// @brief The file the operation was about.
  const std::string& path() const noexcept { return path_; }
  /// @brief Why it failed, without the path.
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string path_;
  std::string reason_;
};

}  // namespace mcrise
