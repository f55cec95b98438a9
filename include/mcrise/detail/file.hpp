#pragma once
/// @file detail/file.hpp
/// @brief The one place where mcrise reads and writes files: a read refuses what is not a
///        regular file (without blocking on a FIFO or a device) and is bounded by the file's
///        size; a write checks every step, so a full disk is an io_error naming the system's reason.

#include <mcrise/detail/limits.hpp>
#include <mcrise/io_error.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#define MCRISE_DETAIL_POSIX_FILES 1
#endif

namespace mcrise {
namespace detail {

/// ": <strerror(e)>", or nothing for e = 0.
inline std::string system_reason(int e) { return e ? std::string(": ") + std::strerror(e) : std::string(); }

/// True if something exists at `path` (a file, a folder, a broken link's target aside): false only
/// when the system says there is no such file.
inline bool path_exists(const std::string& path) {
#ifdef MCRISE_DETAIL_POSIX_FILES
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 || errno != ENOENT;
#else
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f) std::fclose(f);
  return f != nullptr;
#endif
}

/// @brief The bytes of the regular file `path`, at most max_buffer_bytes (16 GiB).
/// @param fn the public function, for the io_error ("load_image")
/// @throws io_error "cannot open file: <reason>", "not a regular file (...)", "file is N bytes,
///         over ...", "read error: <reason>".
inline std::vector<unsigned char> read_file(const std::string& path, const char* fn) {
#ifdef MCRISE_DETAIL_POSIX_FILES
  // O_NONBLOCK: opening a FIFO without a writer returns at once instead of waiting for one.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw io_error(fn, path, "cannot open file" + system_reason(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw io_error(fn, path, "cannot stat file" + system_reason(errno));
  if (S_ISDIR(st.st_mode)) throw io_error(fn, path, "read error" + system_reason(EISDIR));
  if (!S_ISREG(st.st_mode))
    throw io_error(fn, path, "not a regular file (a FIFO, device or socket): mcrise reads only regular files");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > max_buffer_bytes)
    throw io_error(fn, path, "file is " + std::to_string(size) + " bytes, over the 16 GiB limit of one buffer");
  std::vector<unsigned char> bytes(static_cast<std::size_t>(size));
  std::size_t got = 0;
  while (got < bytes.size()) {  // the size read is the size stat gave: a file that grows meanwhile is cut there
    const ::ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw io_error(fn, path, "read error" + system_reason(errno));
    if (n == 0) break;  // the file shrank
    got += static_cast<std::size_t>(n);
  }
  bytes.resize(got);
  return bytes;
#else
  errno = 0;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw io_error(fn, path, "cannot open file" + system_reason(errno));
  std::vector<unsigned char> bytes;
  unsigned char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    if (bytes.size() + n > max_buffer_bytes) {
      std::fclose(f);
      throw io_error(fn, path, "file is over the 16 GiB limit of one buffer");
    }
    bytes.insert(bytes.end(), buf, buf + n);
  }
  const bool bad = std::ferror(f) != 0;
  const int e = errno;
  std::fclose(f);
  if (bad) throw io_error(fn, path, "read error" + system_reason(e));
  return bytes;
#endif
}

#ifdef MCRISE_DETAIL_POSIX_FILES
/// Writes data[0..size) to the open descriptor fd, retrying short writes and EINTR.
/// @throws io_error "write failed: <reason>".
inline void write_all(int fd, const void* data, std::size_t size, const std::string& path, const char* fn) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::size_t put = 0;
  while (put < size) {
    const ::ssize_t n = ::write(fd, p + put, size - put);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw io_error(fn, path, "write failed" + system_reason(n < 0 ? errno : EIO));
    put += static_cast<std::size_t>(n);
  }
}
#endif

/// @brief Write `size` bytes to `path` (created or truncated), checking the open, every write
///        and the close, so that a full disk or a failing device is reported. A FIFO without a
///        reader is refused at once (opened without blocking), not waited on.
/// @throws io_error "cannot open file for writing: <reason>" or "write failed: <reason>".
inline void write_file(const std::string& path, const void* data, std::size_t size, const char* fn) {
#ifdef MCRISE_DETAIL_POSIX_FILES
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_CLOEXEC, 0666);
  if (fd < 0) throw io_error(fn, path, "cannot open file for writing" + system_reason(errno));
  struct Closer {
    int fd;
    ~Closer() {
      if (fd >= 0) ::close(fd);
    }
  } closer{fd};
  // Blocking from here on: a FIFO with a reader takes the bytes as the reader reads them.
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
    throw io_error(fn, path, "cannot open file for writing" + system_reason(errno));
  write_all(fd, data, size, path, fn);
  closer.fd = -1;
  if (::close(fd) != 0) throw io_error(fn, path, "write failed" + system_reason(errno));
#else
  errno = 0;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw io_error(fn, path, "cannot open file for writing" + system_reason(errno));
  const std::size_t put = size ? std::fwrite(data, 1, size, f) : 0;
  int e = errno;
  bool ok = put == size;
  if (std::fflush(f) != 0 && ok) {
    ok = false;
    e = errno;
  }
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    e = errno;
  }
  if (!ok) throw io_error(fn, path, "write failed" + system_reason(e));
#endif
}

/// @brief Replace `path` atomically with `size` bytes: they go to a temporary file in the same
///        folder (path + ".tmp"), which is flushed to the disk (fsync), renamed over `path`, and the
///        folder is flushed too. A reader, or a process killed at any moment, sees the old file
///        or the new one, never a part. Elsewhere than POSIX: write_file to the temporary, then rename.
/// @throws io_error "cannot open file for writing: <reason>", "write failed: <reason>" or
///         "cannot rename the temporary file: <reason>"; the temporary is removed then.
inline void write_file_atomic(const std::string& path, const void* data, std::size_t size, const char* fn) {
  const std::string tmp = path + ".tmp";
#ifdef MCRISE_DETAIL_POSIX_FILES
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) throw io_error(fn, tmp, "cannot open file for writing" + system_reason(errno));
  struct Remover {
    int fd;
    const std::string& tmp;
    bool done = false;
    ~Remover() {
      if (fd >= 0) ::close(fd);
      if (!done) ::unlink(tmp.c_str());
    }
  } guard{fd, tmp};
  write_all(fd, data, size, tmp, fn);
  if (::fsync(fd) != 0) throw io_error(fn, tmp, "write failed" + system_reason(errno));
  guard.fd = -1;
  if (::close(fd) != 0) throw io_error(fn, tmp, "write failed" + system_reason(errno));
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    throw io_error(fn, path, "cannot rename the temporary file" + system_reason(errno));
  guard.done = true;
  // The rename itself reaches the disk when the folder is flushed.
  const std::size_t slash = path.find_last_of('/');
  const std::string folder = slash == std::string::npos ? std::string(".") : slash == 0 ? std::string("/")
                                                                                         : path.substr(0, slash);
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    const int rc = ::fsync(dir);
    const int e = errno;
    ::close(dir);
    if (rc != 0 && e != EINVAL) throw io_error(fn, path, "cannot flush the folder" + system_reason(e));
  }
#else
  write_file(tmp, data, size, fn);
  std::remove(path.c_str());
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw io_error(fn, path, "cannot rename the temporary file" + system_reason(errno));
  }
#endif
}

}  // namespace detail
}  // namespace mcrise
