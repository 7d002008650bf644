#pragma once
// The WAL a pg_basebackup needs, checked by file: for every WAL-Ranges entry,
// each segment from the start LSN to the end LSN must be in pg_wal/ with the
// segment size and a first page that says it is that segment. WAL records
// are not decoded (pg_verifybackup runs pg_waldump for that), so damage
// inside a segment is not found here.
#include <filesystem>
#include <string>
#include <vector>

#include "verifier/artifacts/manifest.hpp"
#include "verifier/artifacts/pg_manifest_parse.hpp"

namespace dp::artifacts {

// The segment size comes from the long page header of the first segment
// file found in pg_wal/ (as pg_waldump finds it); 16 MiB if there is none.
// One FindingKind::wal per segment that is wrong, and one per run of
// consecutive missing segments ("pg_wal/X .. pg_wal/Y: ...: N segments
// missing"); the work is bounded by pg_wal/'s listing, not by the range, so
// a crafted End-LSN costs nothing.
std::vector<ManifestFinding> check_pg_wal(const std::filesystem::path& root,
                                          const std::vector<PgWalRange>& ranges);

// "000000010000000000000002" for timeline 1, segment 2 of 16 MiB.
std::string wal_file_name(std::uint32_t timeline, std::uint64_t segno, std::uint64_t seg_size);

}  // namespace dp::artifacts
