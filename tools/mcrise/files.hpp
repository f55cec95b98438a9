#pragma once
/// @file files.hpp
/// @brief Output files of the mcrise tool that never appear half-written: each is written under a
///        temporary name in its own folder and renamed into place, and result rows are appended with
///        one write() of a whole line followed by fsync().

#include <string>
#include <utility>
#include <vector>

namespace mcrise::cli {

/// @brief Creates `dir` (and its parents) if needed and checks that a file can be created in it.
/// @throws std::runtime_error naming the folder and the reason.
void ensure_writable_dir(const std::string& dir);

/// @brief Files being written under temporary names in their final folders. commit() renames them
///        all into place; files not committed are removed by the destructor, so a failure part-way
///        leaves no partial output.
class StagedFiles {
 public:
  StagedFiles() = default;
  StagedFiles(const StagedFiles&) = delete;
  StagedFiles& operator=(const StagedFiles&) = delete;
  ~StagedFiles();

  /// @brief A temporary path in the folder of `final_path` ("<dir>/.<name>.<pid>.tmp") to write
  ///        the file to; remembered, with `final_path`, for commit().
  std::string stage(const std::string& final_path);
  /// @brief fsyncs each staged file and renames it to its final path, in the order staged.
  /// @throws std::runtime_error if a rename fails (the files not yet renamed are removed).
  void commit();

 private:
  std::vector<std::pair<std::string, std::string>> files_;  // (temporary, final)
};

/// @brief Writes `bytes` to `path` through a temporary file and a rename.
/// @throws std::runtime_error naming the path if it cannot be written.
void write_file_atomically(const std::string& path, const std::string& bytes);

/// @brief The whole content of a file.
/// @throws std::runtime_error naming the path if it cannot be read.
std::string read_text_file(const std::string& path, const char* what);

/// @brief The lines of a text ('\n' separated, a trailing '\r' removed from each; no empty last
///        line for a text that ends in '\n').
std::vector<std::string> split_lines(const std::string& text);

/// @brief A results file that grows by whole lines: each append() is one write() of a complete
///        line followed by fsync(), so a process killed at any moment leaves complete lines and at
///        most one partial last line (which open_for_resume() cuts off).
class DurableLog {
 public:
  /// @brief Creates (or truncates) `path` and writes `header` (a complete line) to it.
  static DurableLog create(const std::string& path, const std::string& header);
  /// @brief Opens an existing file for appending after cutting off a partial last line (bytes
  ///        after the last '\n'); returns the complete lines' text through `content`.
  static DurableLog open_for_resume(const std::string& path, std::string& content);
  DurableLog(DurableLog&& other) noexcept;
  DurableLog& operator=(DurableLog&&) = delete;
  DurableLog(const DurableLog&) = delete;
  ~DurableLog();
  /// @brief Appends one complete line (must end in '\n') durably.
  /// @throws std::runtime_error if the write or the fsync fails.
  void append(const std::string& line);

 private:
  DurableLog(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

}  // namespace mcrise::cli
