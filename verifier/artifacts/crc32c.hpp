#pragma once
// CRC-32C (Castagnoli; iSCSI, RFC 3720), the checksum pg_basebackup writes
// into backup_manifest by default. Computed by Intel's ISA-L (Debian
// libisal), which picks at run time its fastest kernel for the CPU (SSE4.2
// crc32 in three interleaved streams merged with PCLMULQDQ, or AVX-512).
#include <cstddef>
#include <cstdint>

namespace dp::artifacts {

// The CRC-32C of `crc`'s data followed by these bytes; crc32c_extend(0, d, n)
// is the CRC-32C of d (the usual pre- and post-inversion included), and
// extending piece by piece gives the CRC of the whole. Thread-safe.
std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t size);

// The CRC-32C of A followed by B, from crc(A), crc(B) and B's length, without
// the bytes: lets several threads checksum pieces of one large file.
std::uint32_t crc32c_combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t size_b);

}  // namespace dp::artifacts
