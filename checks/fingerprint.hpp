#pragma once
// Content fingerprints: rows in primary-key order, in the canonical row
// encoding (engine.hpp), hashed with XXH3-128 into segments of a fixed
// number of keys. Verification recomputes each snapshot segment over the same
// key range, in parallel sessions, so a changed row names its segment; with a
// live source, differing segments are bisected down to the differing keys.
#include <cstdint>
#include <string>
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
};

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

}  // namespace dp::checks
