#pragma once
// Internal to reports/: one history.jsonl line <-> HistoryEntry, the format
// of docs/history.md. Not part of the public history API (history.hpp).
#include <string>
#include <string_view>

#include "reports/history.hpp"
#include "verifier/core/result.hpp"

namespace dp::reports::detail {

// The first line's prev: "sha256:" and 64 zeros.
inline std::string zero_prev() { return "sha256:" + std::string(64, '0'); }

// "sha256:<hex>" of a line's bytes (without its "\n").
std::string line_digest(std::string_view line);

// One compact JSON object, keys in the documented order, without "\n".
// Times in whole seconds; invalid UTF-8 in names becomes U+FFFD.
std::string history_line(const HistoryEntry& entry);

// Strict: every key present with its documented type, format
// "drillproof-history", format_version 1, prev a well-formed digest.
// Errc::invalid_input (Errc::unsupported for another format_version) with
// what is wrong, e.g. "\"seq\" missing or not a positive integer".
Result<HistoryEntry> parse_history_line(std::string_view line);

}  // namespace dp::reports::detail
