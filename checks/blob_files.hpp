#pragma once
// Reads blobs of a `dir` blob store without ever leaving it: every key is
// resolved with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) relative to
// the store's directory, so neither "..", an absolute path, nor a symlink
// anywhere on the path (inside the store or out of it) reaches a file
// outside. A FIFO or device is never read (opened non-blocking, then only
// regular files are used). Where openat2 does not exist (kernels before
// 5.6, or a container whose seccomp filter answers ENOSYS/EPERM) each path
// component is opened in turn with openat(O_NOFOLLOW): no symlink is
// followed there either, and keys never hold ".." (key_escape_reason()).
// Not thread-safe.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "verifier/artifacts/digest.hpp"
#include "verifier/core/fd.hpp"
#include "verifier/core/result.hpp"

namespace dp::checks {

enum class BlobState : std::uint8_t {
  unchecked,
  regular,      // a regular file; size known
  missing,      // no such file
  symlink,      // a symlink on the way or at the end: not followed
  not_regular,  // a directory, FIFO, socket or device
  unreadable,   // open or read failed otherwise (permissions, I/O)
};

const char* blob_state_text(BlobState state);

struct BlobStat {
  BlobState state = BlobState::unchecked;
  std::uint64_t size = 0;
  std::string error;  // for `unreadable`
};

class BlobFiles {
 public:
  // Opens the store's directory. Errc::not_found / Errc::io naming it.
  // `use_openat2` false takes the per-component path from the start (tests
  // of the fallback); otherwise it is taken once openat2 reports ENOSYS/EPERM.
  static Result<BlobFiles> open(const std::filesystem::path& root, bool use_openat2 = true);

  // `key` must have passed key_escape_reason().
  BlobStat stat(std::string_view key) const;
  // The blob's digest as raw bytes. Errc::io / Errc::not_found naming the key.
  Result<std::string> digest(std::string_view key, artifacts::Algorithm algorithm);

 private:
  explicit BlobFiles(Fd dir, bool use_openat2)
      : m_dir(std::move(dir)), m_use_openat2(use_openat2) {}
  // -errno on failure.
  int open_beneath(std::string_view key) const;
  int open_by_components(std::string_view key) const;

  Fd m_dir;
  mutable bool m_use_openat2 = true;
  std::vector<unsigned char> m_buffer;
};

}  // namespace dp::checks
