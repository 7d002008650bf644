#pragma once
// The WAL a pg_basebackup needs, checked by file: for every WAL-Ranges entry,
// each segment from the start LSN to the end LSN must be in pg_wal/ with the
// segment size and a first page that says it is that segment (check_pg_wal);
// and by record, as pg_verifybackup does, with pg_waldump over each range, so
// damage inside a record is found too (parse_pg_wal).
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verifier/artifacts/manifest.hpp"
#include "verifier/artifacts/pg_manifest_parse.hpp"
#include "verifier/core/duration.hpp"

namespace dp::artifacts {

// The segment size comes from the long page header of the first segment
// file found in pg_wal/ (as pg_waldump finds it); 16 MiB if there is none.
// One FindingKind::wal per segment that is wrong, and one per run of
// consecutive missing segments ("pg_wal/X .. pg_wal/Y: ...: N segments
// missing"); the work is bounded by pg_wal/'s listing, not by the range, so
// a crafted End-LSN costs nothing.
std::vector<ManifestFinding> check_pg_wal(const std::filesystem::path& root,
                                          const std::vector<PgWalRange>& ranges);

struct PgWalParseOptions {
  bool enabled = true;                        // false: pg_verifybackup -n / --no-parse-wal
  std::filesystem::path pg_waldump;           // empty: find_pg_waldump(major of root/PG_VERSION)
  Millis timeout = std::chrono::minutes(30);  // for all ranges together
};

// pg_verifybackup's parse_required_wal: for each WAL-Ranges entry, runs
// `pg_waldump --quiet --path=ROOT/pg_wal --timeline=TLI --start=LSN --end=LSN`
// (no shell). Each range pg_waldump rejects is one FindingKind::wal on
// "pg_wal": "WAL parsing failed for timeline 1: <pg_waldump's first stderr
// line>". No pg_waldump, a run past the timeout, or one that cannot start is
// one such finding too ("WAL not parsed: ..."): the backup is not verified.
// Nothing when disabled or when there are no ranges. Interrupted: returns
// what it has; the caller checks core/signals.hpp interrupted().
std::vector<ManifestFinding> parse_pg_wal(const std::filesystem::path& root,
                                          const std::vector<PgWalRange>& ranges,
                                          const PgWalParseOptions& options);

// The long page header at the start of every WAL segment file.
struct WalLongHeader {
  std::uint16_t info = 0;
  std::uint32_t tli = 0;
  std::uint64_t pageaddr = 0;  // LSN of the segment's first byte
  std::uint32_t seg_size = 0;
};
// nullopt when the file cannot be read or its first page has no long header.
std::optional<WalLongHeader> read_wal_long_header(const std::filesystem::path& file);
// A power of two from 1 MiB to 1 GiB (initdb --wal-segsize).
bool valid_wal_segment_size(std::uint64_t size);
// 24 upper-case hex digits.
bool is_wal_segment_name(std::string_view name);

// "000000010000000000000002" for timeline 1, segment 2 of 16 MiB.
std::string wal_file_name(std::uint32_t timeline, std::uint64_t segno, std::uint64_t seg_size);

}  // namespace dp::artifacts
