#pragma once
// Run history: DIR/history.jsonl holds one JSON object per line, one line
// per run, oldest first. Each line carries the sha256 of the previous line's
// bytes, so an edited, deleted or reordered line breaks the chain at its
// position, and the manifest digest ties the line to a signed report bundle.
// Format, chain rules and what audit/status make of it: docs/history.md.
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

// How long append_history waits for the exclusive lock, and read_history
// for the shared one, before giving up with Errc::timeout. The lock is
// polled (LOCK_NB) every k_history_lock_poll.
inline constexpr std::chrono::milliseconds k_append_lock_timeout{60'000};
inline constexpr std::chrono::milliseconds k_read_lock_timeout{10'000};
inline constexpr std::chrono::milliseconds k_history_lock_poll{50};

// Appends `entry` to DIR/history.jsonl (DIR is created), filling in seq and
// prev from the last line. An exclusive flock on the file serialises runs
// that share DIR (and threads: each call opens its own descriptor); when it
// cannot be taken within `lock_timeout`, Errc::timeout naming the file. The
// line is written with one write() and fsync'd. Times are stored in whole
// seconds; returns the entry as written (and as read_history returns it). Errc::io when DIR or the
// file cannot be written; Errc::invalid_input when the last line is not a history line (we never
// chain onto something we cannot read).
Result<HistoryEntry> append_history(const std::filesystem::path& dir, HistoryEntry entry,
                                    std::chrono::milliseconds lock_timeout = k_append_lock_timeout);

struct HistoryProblem {
  std::size_t line = 0;  // 1-based line number in history.jsonl
  // Starts with "line N: ", e.g. "line 3: edited: its sha256 does not match the
  // prev recorded in line 4 (seq 4)" or "line 5: seq 6 follows seq 4: 1 line
  // deleted before it".
  std::string message;
};

struct History {
  std::vector<HistoryEntry> entries;     // every line that parsed, in file order
  std::vector<HistoryProblem> problems;  // chain breaks and unparsable lines
};

// Reads DIR/history.jsonl and verifies the chain: JSON, format, seq
// continuity (a missing seq found nowhere is a deleted line, one found
// elsewhere in the file a reordering, a repeat a duplicated line), and each
// prev against the sha256 of the line holding the previous seq (a mismatch
// is reported at that line: it was edited). Problems are sorted by line.
// Limits: a deleted or edited last line leaves no trace in the chain itself
// (the manifest digest ties it to its bundle). A missing file is an empty
// history; Errc::io when it exists but cannot be read. Thread-safe. Reads
// under a shared flock, so a line being appended is never seen half
// written; when the lock cannot be taken within `lock_timeout` (an append
// stuck for that long), Errc::timeout naming the file: no unlocked fallback.
Result<History> read_history(const std::filesystem::path& dir,
                             std::chrono::milliseconds lock_timeout = k_read_lock_timeout);

}  // namespace dp::reports
