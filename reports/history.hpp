#pragma once
// Run history: DIR/history.jsonl holds one JSON object per line, one line
// per run, oldest first. Each line carries the sha256 of the previous line's
// bytes, so an edited, deleted or reordered line breaks the chain at its
// position, and the manifest digest ties the line to a signed report bundle.
// Format in docs/report.md ("Run history").
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "reports/run_report.hpp"
#include "verifier/core/result.hpp"

namespace dp::reports {

inline constexpr const char* k_history_file = "history.jsonl";
inline constexpr int k_history_format_version = 1;

struct HistoryBackup {
  std::string name;
  Status status = Status::passed;
  std::optional<Millis> rto_objective;
  std::optional<Millis> rto_achieved;
  std::optional<Millis> rpo_objective;
  std::optional<Millis> rpo_achieved;
};

struct HistoryEntry {
  std::uint64_t seq = 0;  // 1 for the first line; filled in by append_history
  std::string run_id;
  std::chrono::system_clock::time_point started{};
  std::chrono::system_clock::time_point finished{};
  std::string plan_name;
  std::string plan_digest;  // "sha256:<hex>"
  Status verdict = Status::passed;
  bool interrupted = false;
  std::string manifest_digest;  // "sha256:<hex>" of the run's MANIFEST.sha256
  std::string key_fingerprint;  // empty: the run was unsigned
  std::string report_dir;       // absolute path of the run's report directory
  std::vector<HistoryBackup> backups;
  // "sha256:<hex>" of the previous line's bytes (without its "\n"); for the
  // first line "sha256:" followed by 64 zeros. Filled in by append_history.
  std::string prev;
};

// The history line for a finished run whose bundle is already written.
HistoryEntry history_entry(const RunReport& report, std::string manifest_digest,
                           std::string report_dir);

// Appends `entry` to DIR/history.jsonl (DIR is created), filling in seq and
// prev from the last line. An exclusive flock on the file serialises runs
// that share DIR. The line is written with one write() and fsync'd. Returns
// the entry as written. Errc::io when DIR or the file cannot be written;
// Errc::invalid_input when the last line is not a history line (we never
// chain onto something we cannot read).
Result<HistoryEntry> append_history(const std::filesystem::path& dir, HistoryEntry entry);

struct HistoryProblem {
  std::size_t line = 0;  // 1-based line number in history.jsonl
  std::string message;  // "line 4: prev does not match the sha256 of line 3 (edited or reordered?)"
};

struct History {
  std::vector<HistoryEntry> entries;     // every line that parsed, in file order
  std::vector<HistoryProblem> problems;  // chain breaks and unparsable lines
};

// Reads DIR/history.jsonl and verifies the chain: JSON, format, seq
// continuity (a gap is a deleted line, a repeat or step back a reordering),
// prev against the sha256 of the line before. A missing file is an empty
// history; Errc::io when it exists but cannot be read.
Result<History> read_history(const std::filesystem::path& dir);

}  // namespace dp::reports
