#pragma once
// Reads blobs of a `dir` blob store without ever leaving it: every key is
// resolved with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) relative to
// the store's directory, so neither "..", an absolute path, nor a symlink
// anywhere on the path (inside the store or out of it) reaches a file
// outside. A FIFO or device is never read (opened non-blocking, then only
// regular files are used). Not thread-safe.
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
  static Result<BlobFiles> open(const std::filesystem::path& root);

  // `key` must have passed key_escape_reason().
  BlobStat stat(std::string_view key) const;
  // The blob's digest as raw bytes. Errc::io / Errc::not_found naming the key.
  Result<std::string> digest(std::string_view key, artifacts::Algorithm algorithm);

 private:
  explicit BlobFiles(Fd dir) : m_dir(std::move(dir)) {}
  // -errno on failure.
  int open_beneath(std::string_view key) const;

  Fd m_dir;
  std::vector<unsigned char> m_buffer;
};

}  // namespace dp::checks
