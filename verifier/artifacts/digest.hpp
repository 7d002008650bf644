#pragma once
// Streaming file digests for manifests: xxh3-128 (the default, as xxhsum -H2
// prints it) or SHA-256 (as sha256sum prints it), lowercase hex.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verifier/core/result.hpp"

namespace dp::artifacts {

enum class Algorithm { xxh3_128, sha256 };

// "xxh3-128" or "sha256": the spelling used on the command line and in manifests.
const char* algorithm_name(Algorithm algorithm);
std::optional<Algorithm> parse_algorithm(std::string_view name);

// One running digest. Move-only; not thread-safe (one per thread).
class Hasher {
 public:
  explicit Hasher(Algorithm algorithm);
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  ~Hasher();

  void update(const void* data, std::size_t size);
  void update(std::string_view text) { update(text.data(), text.size()); }
  // Ends this digest; the Hasher must not be used afterwards.
  std::string finish_hex();

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

struct FileDigest {
  std::uint64_t size = 0;  // bytes actually read
  std::string hex;
};

// Reads the regular file in sequential blocks of buffer.size() bytes (the
// caller owns the buffer so a worker reuses one). Does not follow a symlink
// in the last component. `expected_size` (the manifest's, when verifying;
// otherwise fstat's) lets a short read that reaches it end the file without
// one more read: on Linux a regular file reads short only at its end. A file
// that grows at that very moment is hashed at the size it had. With `rel`,
// the file opened is `rel` under the directory `dir_fd` (a shorter path
// walk than `file`'s), and `file` only names it in messages.
// Errc::io naming the file when it cannot be read.
Result<FileDigest> hash_file(const std::filesystem::path& file, Algorithm algorithm,
                             std::vector<unsigned char>& buffer,
                             std::optional<std::uint64_t> expected_size = std::nullopt,
                             int dir_fd = -1, const char* rel = nullptr);

// A symlink's digest is that of its target text (readlink), size its length:
// links are recorded, never followed.
Result<FileDigest> hash_symlink(const std::filesystem::path& link, Algorithm algorithm);

}  // namespace dp::artifacts
