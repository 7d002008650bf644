#pragma once
// Checksums a known list of files on a pool of threads for backup_manifest
// verification. Unlike HashPipeline (which streams a walk), the whole list
// is known up front, so the work is cut into pieces: a CRC32C file larger
// than k_piece is read and checksummed by several threads at once, a piece
// each, and the pieces' CRCs are combined; SHA-2 files (which cannot be
// split) are started largest first. The calling thread works too.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "verifier/artifacts/manifest.hpp"
#include "verifier/artifacts/pg_checksum.hpp"
#include "verifier/core/result.hpp"

namespace dp::artifacts {

struct PgHashTask {
  std::filesystem::path file;
  std::uint64_t size = 0;  // expected; pieces are cut by it, the last read to EOF
  PgChecksumType type = PgChecksumType::crc32c;
};

struct PgHashResult {
  std::optional<Error> error;  // Errc::io naming the file that could not be read
  std::uint64_t bytes_read = 0;
  std::vector<std::uint8_t> checksum;
};

// One result per task, in the tasks' order. `progress` runs on the calling
// thread with files completed and bytes read so far. After SIGINT/SIGTERM
// (dp::interrupted()) it stops early and the results mean nothing: the
// caller checks interrupted() and returns Errc::interrupted.
std::vector<PgHashResult> hash_pg_files(const std::vector<PgHashTask>& tasks, unsigned threads,
                                        const Progress& progress);

// 32 MiB: enough pieces of a 1 GiB relation segment for two to eight
// threads to finish together, few enough that each costs one open().
inline constexpr std::uint64_t k_piece = 32 << 20;

}  // namespace dp::artifacts
