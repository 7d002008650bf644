#pragma once
// Parsing of PostgreSQL's backup_manifest (JSON, versions 1 and 2) with the
// rules of PostgreSQL's src/common/parse_manifest.c: the version key first,
// only known keys, Path or hex Encoded-Path (not both), Size required, a
// Checksum only with a Checksum-Algorithm, Manifest-Checksum last. The
// checksum of the manifest is computed here but judged by the caller (a
// mismatch is a finding, not a parse error).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verifier/artifacts/pg_checksum.hpp"
#include "verifier/core/result.hpp"

namespace dp::artifacts {

struct PgManifestFile {
  std::string path;  // relative, '/'-separated, Encoded-Path already decoded
  std::uint64_t size = 0;
  PgChecksumType type = PgChecksumType::none;
  std::vector<std::uint8_t> checksum;  // empty for NONE
};

struct PgWalRange {
  std::uint32_t timeline = 0;
  std::uint64_t start_lsn = 0;
  std::uint64_t end_lsn = 0;
};

struct PgManifest {
  int version = 0;
  std::optional<std::uint64_t> system_identifier;  // version 2 (PostgreSQL 17+)
  std::vector<PgManifestFile> files;
  std::vector<PgWalRange> wal_ranges;
  std::string recorded_checksum;  // Manifest-Checksum as written; empty if absent
  // SHA-256 (lowercase hex) of the bytes up to and including the newline
  // before the last line, as PostgreSQL computes it.
  std::string computed_checksum;
  bool checksum_matches() const;  // recorded (either case) == computed
};

// Errc::invalid_input "<name>: could not parse backup manifest: <what>",
// with the JSON line and column for a syntax error and "Files[i]" (and the
// path if known) for a bad file entry.
Result<PgManifest> parse_pg_manifest(std::string_view text, const std::string& name);

// Reads the whole file, then parse_pg_manifest. Errc::not_found / Errc::io
// naming the file if it cannot be read.
Result<PgManifest> read_pg_manifest(const std::filesystem::path& file);

// "0/2000028" as PostgreSQL prints an LSN.
std::string format_lsn(std::uint64_t lsn);

}  // namespace dp::artifacts
