#include "checks/blob_files.hpp"

#include "checks/blob_index.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace dp::checks {

const char* blob_state_text(BlobState state) {
  switch (state) {
    case BlobState::unchecked:
      return "not checked";
    case BlobState::regular:
      return "a regular file";
    case BlobState::missing:
      return "missing from the store directory";
    case BlobState::symlink:
      return "a symlink (never followed)";
    case BlobState::not_regular:
      return "not a regular file";
    case BlobState::unreadable:
      return "unreadable";
  }
  return "unknown";
}

Result<BlobFiles> BlobFiles::open(const std::filesystem::path& root, bool use_openat2) {
  Fd dir(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) {
    int err = errno;
    return make_error(err == ENOENT ? Errc::not_found : Errc::io,
                      "blob store " + root.string() + ": " + std::strerror(err));
  }
  return BlobFiles(std::move(dir), use_openat2);
}

int BlobFiles::open_beneath(std::string_view key) const {
  if (!m_use_openat2) return open_by_components(key);
  std::string path(key);
  open_how how{};
  how.flags = static_cast<std::uint64_t>(O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  how.resolve =
      static_cast<std::uint64_t>(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  while (true) {
    long fd = ::syscall(SYS_openat2, m_dir.get(), path.c_str(), &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    if (errno == ENOSYS || errno == EPERM) {
      // No openat2 here (old kernel, or seccomp refuses it): never fall back
      // to a plain open, which would follow symlinks.
      m_use_openat2 = false;
      return open_by_components(key);
    }
    if (errno != EINTR && errno != EAGAIN) return -errno;
  }
}

int BlobFiles::open_by_components(std::string_view key) const {
  // The key has no "..", "." or empty component and is relative, so opening
  // each directory with O_NOFOLLOW | O_DIRECTORY from the store's directory
  // stays beneath it; a symlink anywhere on the path gives ELOOP (or
  // ENOTDIR), as RESOLVE_NO_SYMLINKS would.
  Fd owned;
  int at = m_dir.get();
  std::size_t start = 0;
  while (true) {
    std::size_t slash = key.find('/', start);
    bool last = slash == std::string_view::npos;
    std::string part(key.substr(start, last ? std::string_view::npos : slash - start));
    int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (last ? O_NONBLOCK : O_DIRECTORY);
    int fd;
    do {
      fd = ::openat(at, part.c_str(), flags);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
      int err = errno;
      // A symlink to a directory opened with O_DIRECTORY | O_NOFOLLOW: say
      // symlink, not "not a directory", as openat2 would.
      if (!last && err == ENOTDIR) {
        struct stat st {};
        if (::fstatat(at, part.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
          err = ELOOP;
      }
      return -err;
    }
    if (last) return fd;
    owned = Fd(fd);
    at = owned.get();
    start = slash + 1;
  }
}

BlobStat BlobFiles::stat(std::string_view key) const {
  BlobStat out;
  int fd = open_beneath(key);
  if (fd < 0) {
    switch (-fd) {
      case ENOENT:
      case ENOTDIR:
        out.state = BlobState::missing;
        break;
      case ELOOP:
      case EXDEV:  // RESOLVE_BENEATH refused a path that would leave the store
        out.state = BlobState::symlink;
        break;
      case ENXIO:  // a unix socket cannot be opened
        out.state = BlobState::not_regular;
        break;
      default:
        out.state = BlobState::unreadable;
        out.error = std::strerror(-fd);
    }
    return out;
  }
  Fd owned(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    out.state = BlobState::unreadable;
    out.error = std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    out.state = BlobState::not_regular;
  } else {
    out.state = BlobState::regular;
    out.size = static_cast<std::uint64_t>(st.st_size);
  }
  return out;
}

Result<std::string> BlobFiles::digest(std::string_view key, artifacts::Algorithm algorithm) {
  int fd = open_beneath(key);
  if (fd < 0) return make_error(Errc::io, std::string(key) + ": " + std::strerror(-fd));
  Fd owned(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    return make_error(Errc::io, std::string(key) + ": not a regular file");
  // Opened non-blocking so a FIFO could not hang us; a regular file ignores it.
  if (m_buffer.empty()) m_buffer.resize(std::size_t{128} << 10);
  artifacts::Hasher hasher(algorithm);
  while (true) {
    ssize_t n = ::read(fd, m_buffer.data(), m_buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(Errc::io, std::string(key) + ": " + std::strerror(errno));
    if (n == 0) break;
    hasher.update(m_buffer.data(), static_cast<std::size_t>(n));
  }
  auto raw = hex_to_bytes(hasher.finish_hex());
  assert(raw && "Hasher returns hex");
  return std::move(*raw);
}

}  // namespace dp::checks
