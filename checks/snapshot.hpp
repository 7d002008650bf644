#pragma once
// The expected state of a database, captured at backup time from the live
// source by `drillproof snapshot` and compared after restore: schema, row
// counts and content fingerprints. JSON format "drillproof-snapshot",
// version 1, documented in docs/snapshot.md.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "verifier/engine/catalog.hpp"

namespace dp::checks {

// One run of consecutive keys. Ordered tables: rows whose key k satisfies
// first_key <= k <= last_key in the table's primary-key order (SQL row
// comparison). Multiset tables have a single segment with empty keys.
struct Segment {
  std::vector<std::string> first_key;  // key column values as text
  std::vector<std::string> last_key;
  std::uint64_t rows = 0;
  std::string hash;  // 32 hex digits: XXH3-128 (see docs/snapshot.md)
};

struct TableFingerprint {
  std::string mode;                      // "ordered" (primary key) or "multiset"
  std::vector<std::string> key_columns;  // the primary key, in order
  std::uint64_t segment_rows = 0;        // keys per segment when captured
  std::vector<Segment> segments;
};

struct TableSnapshot {
  engine::Table schema;
  std::uint64_t row_count = 0;
  TableFingerprint fingerprint;
};

inline constexpr int k_snapshot_format_version = 1;

struct Snapshot {
  std::string engine;  // "postgres", "sqlite"
  std::string server_version;
  std::string taken_at;               // UTC ISO 8601
  std::string source;                 // what it was taken from, without secrets
  std::vector<TableSnapshot> tables;  // sorted by qualified name
  std::vector<engine::View> views;
  std::vector<engine::Sequence> sequences;
  const TableSnapshot* find(const std::string& qualified) const;
};

struct SnapshotOptions {
  std::uint64_t segment_rows = 100'000;
  bool fingerprints = true;
  std::string source_label;
};

// Reads schema, row counts and fingerprints from a live database.
Result<Snapshot> take_snapshot(engine::Engine& engine, const SnapshotOptions& options);

std::string snapshot_to_json(const Snapshot& snapshot);
// Errc::invalid_input naming the file and what is wrong (format, version).
Result<Snapshot> read_snapshot(const std::filesystem::path& file);

}  // namespace dp::checks
