#pragma once
// Content fingerprints: rows in primary-key order, in the canonical row
// encoding (engine.hpp), hashed with XXH3-128 into segments of a fixed
// number of keys. Verification recomputes each snapshot segment over the same
// key range, in parallel sessions, so a changed row names its segment; with a
// live source, differing segments are bisected down to the differing keys.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "checks/check.hpp"
#include "checks/snapshot.hpp"

namespace dp::checks {

// One streaming pass over the table (memory independent of its size).
Result<TableFingerprint> fingerprint_table(engine::Engine& engine, const engine::Table& table,
                                           std::uint64_t segment_rows);

struct SegmentDiff {
  std::size_t index = 0;  // into the snapshot's segments; npos-like for extra rows
  Segment expected;
  Segment observed;               // same key range in the restored database
  std::vector<std::string> keys;  // differing keys ("id=42"), when a source was given
  // Parallel to `keys`: "missing" (only in the source), "extra" (only
  // restored) or "changed" (both, different row).
  std::vector<std::string> key_kinds;
};

// SegmentDiff::index of the restored rows found between (or around) the
// snapshot's key ranges.
inline constexpr std::size_t k_outside_segments = static_cast<std::size_t>(-1);

struct TableVerification {
  std::vector<SegmentDiff> differing;
  std::uint64_t rows_outside = 0;  // restored rows outside every snapshot range
};

// Recomputes every expected segment using up to `jobs` sessions from
// `connect` (plus `engine`). With `source`, narrows each differing segment to
// at most `max_keys` differing keys.
Result<TableVerification> verify_table(engine::Engine& engine, const Connector& connect, int jobs,
                                       const engine::Table& table, const TableFingerprint& expected,
                                       const Connector& source, std::size_t max_keys);

// --- building blocks (exposed for tests and bench/) ----------------------

// 32 lowercase hex digits, high 64 bits first (XXH128 canonical order).
std::string hash_hex(std::uint64_t high, std::uint64_t low);
// XXH3-128 of `text` as 32 hex digits.
std::string xxh128_hex(std::string_view text);
// Splits one canonical (COPY TEXT) line into its fields, undoing the
// escapes; \N is NULL.
std::vector<engine::Value> parse_copy_line(std::string_view line);
// A key value as an SQL literal of the column's type: PostgreSQL
// '<text>'::<type>; SQLite a bare number for numeric-affinity columns when the
// text is a number, X'..' for blobs, else a quoted string; MySQL the same
// with b'..' for BIT columns.
std::string key_literal(EngineKind kind, const std::string& column_type, const std::string& text);
// "segment 4 (id 300001..400000)"; composite keys "(a, b) (1, x)..(5, y)".
std::string describe_segment(const TableFingerprint& fingerprint, std::size_t index);
// "id=42", composite "a=1, b=x".
std::string describe_key(const std::vector<std::string>& columns,
                         const std::vector<std::string>& values);

}  // namespace dp::checks
