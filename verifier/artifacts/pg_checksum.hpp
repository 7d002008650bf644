#pragma once
// The per-file checksums of PostgreSQL's backup_manifest, computed the way
// PostgreSQL's checksum_helper.c does: CRC32C as the four bytes of the
// uint32 in the machine's (little-endian) order, SHA-2 as the digest bytes.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dp::artifacts {

enum class PgChecksumType { none, crc32c, sha224, sha256, sha384, sha512 };

// Case-insensitive, as pg_checksum_parse_type: "CRC32C", "sha256", "NONE"...
std::optional<PgChecksumType> parse_pg_checksum_type(std::string_view name);
// The canonical spelling: "NONE", "CRC32C", "SHA224", ...
const char* pg_checksum_type_name(PgChecksumType type);

// One running checksum. Move-only; one per thread.
class PgChecksum {
 public:
  explicit PgChecksum(PgChecksumType type);
  PgChecksum(PgChecksum&&) noexcept;
  PgChecksum& operator=(PgChecksum&&) noexcept;
  ~PgChecksum();

  void update(const void* data, std::size_t size);
  // Ends the checksum (empty for NONE); the object must not be used afterwards.
  std::vector<std::uint8_t> finish();

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

// The bytes of a CRC-32C value as backup_manifest records them.
std::vector<std::uint8_t> crc32c_bytes(std::uint32_t crc);

std::string bytes_to_hex(const std::vector<std::uint8_t>& bytes);
// Either case, two digits a byte (as PostgreSQL's hexdecode_string); nullopt otherwise.
std::optional<std::vector<std::uint8_t>> hex_to_bytes(std::string_view hex);

}  // namespace dp::artifacts
