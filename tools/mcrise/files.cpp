#include "files.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mcrise::cli {
namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

// fsync of a folder makes the renames and creations inside it durable.
void sync_dir(const std::string& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

void sync_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw std::runtime_error("cannot open '" + path + "' to flush it: " + errno_text());
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw std::runtime_error("cannot flush '" + path + "' to disk: " + errno_text());
}

std::string parent_of(const std::string& path) {
  const std::string p = fs::path(path).parent_path().string();
  return p.empty() ? "." : p;
}

void write_all(int fd, const char* data, std::size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("cannot write '" + path + "': " + errno_text());
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
}

}  // namespace

void ensure_writable_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create output folder '" + dir + "': " + ec.message());
  if (!fs::is_directory(dir, ec)) throw std::runtime_error("output folder '" + dir + "' is not a folder");
  const std::string probe = (fs::path(dir) / (".mcrise-probe." + std::to_string(::getpid()))).string();
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) throw std::runtime_error("output folder '" + dir + "' is not writable: " + errno_text());
  ::close(fd);
  ::unlink(probe.c_str());
}

StagedFiles::~StagedFiles() {
  for (const auto& f : files_) ::unlink(f.first.c_str());
}

std::string StagedFiles::stage(const std::string& final_path) {
  const fs::path p(final_path);
  const std::string tmp =
      (p.parent_path() / ("." + p.filename().string() + "." + std::to_string(::getpid()) + ".tmp")).string();
  files_.emplace_back(tmp, final_path);
  return tmp;
}

void StagedFiles::commit() {
  for (const auto& f : files_) sync_file(f.first);
  std::vector<std::string> dirs;
  while (!files_.empty()) {
    const auto& f = files_.front();
    if (std::rename(f.first.c_str(), f.second.c_str()) != 0)
      throw std::runtime_error("cannot rename '" + f.first + "' to '" + f.second + "': " + errno_text());
    dirs.push_back(parent_of(f.second));
    files_.erase(files_.begin());
  }
  std::sort(dirs.begin(), dirs.end());
  dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
  for (const auto& d : dirs) sync_dir(d);
}

void write_file_atomically(const std::string& path, const std::string& bytes) {
  StagedFiles staged;
  const std::string tmp = staged.stage(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw std::runtime_error("cannot write '" + path + "': " + errno_text());
  try {
    write_all(fd, bytes.data(), bytes.size(), path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  staged.commit();
}

std::string read_text_file(const std::string& path, const char* what) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw std::runtime_error(std::string(what) + " '" + path + "' does not exist");
  if (fs::is_directory(path, ec)) throw std::runtime_error(std::string(what) + " '" + path + "' is a folder");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw std::runtime_error("cannot read " + std::string(what) + " '" + path + "': " + errno_text());
  std::string out;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const bool bad = std::ferror(f) != 0;
  std::fclose(f);
  if (bad) throw std::runtime_error("cannot read " + std::string(what) + " '" + path + "'");
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    if (!lines.back().empty() && lines.back().back() == '\r') lines.back().pop_back();
    start = end + 1;
  }
  return lines;
}

DurableLog DurableLog::create(const std::string& path, const std::string& header) {
  // The header goes in through a rename, so the file never exists without it.
  write_file_atomically(path, header);
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
  if (fd < 0) throw std::runtime_error("cannot open '" + path + "' for appending: " + errno_text());
  return DurableLog(fd, path);
}

DurableLog DurableLog::open_for_resume(const std::string& path, std::string& content) {
  content = read_text_file(path, "results file");
  const std::size_t end = content.rfind('\n');
  const std::size_t keep = end == std::string::npos ? 0 : end + 1;
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
  if (fd < 0) throw std::runtime_error("cannot open '" + path + "' for appending: " + errno_text());
  if (keep != content.size()) {
    // A line cut short by a kill: drop it, the image it belonged to is run again.
    if (::ftruncate(fd, static_cast<off_t>(keep)) != 0 || ::fsync(fd) != 0) {
      ::close(fd);
      throw std::runtime_error("cannot cut the partial last line of '" + path + "': " + errno_text());
    }
    content.resize(keep);
  }
  return DurableLog(fd, path);
}

DurableLog::DurableLog(DurableLog&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) { other.fd_ = -1; }

DurableLog::~DurableLog() {
  if (fd_ >= 0) ::close(fd_);
}

void DurableLog::append(const std::string& line) {
  // One write() of the whole line: with O_APPEND a kill leaves it whole or (on a short write,
  // which regular files give only when the disk is full) cut, never interleaved.
  write_all(fd_, line.data(), line.size(), path_);
  if (::fsync(fd_) != 0) throw std::runtime_error("cannot flush '" + path_ + "' to disk: " + errno_text());
}

}  // namespace mcrise::cli
