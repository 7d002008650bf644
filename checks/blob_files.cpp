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

Result<BlobFiles> BlobFiles::open(const std::filesystem::path& root) {
  Fd dir(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) {
    int err = errno;
    return make_error(err == ENOENT ? Errc::not_found : Errc::io,
                      "blob store " + root.string() + ": " + std::strerror(err));
  }
  return BlobFiles(std::move(dir));
}

int BlobFiles::open_beneath(std::string_view key) const {
  std::string path(key);
  open_how how{};
  how.flags = static_cast<std::uint64_t>(O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  how.resolve =
      static_cast<std::uint64_t>(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
  while (true) {
    long fd = ::syscall(SYS_openat2, m_dir.get(), path.c_str(), &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    if (errno != EINTR && errno != EAGAIN) return -errno;
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
