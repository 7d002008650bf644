#pragma once
// What `drillproof audit` and `drillproof status` make of a run history
// (docs/history.md): missed intervals, failed runs, per-backup RTO/RPO
// trends, the Nagios/Icinga status line and node_exporter textfile metrics.
// Pure functions of a History already read by read_history(): no clock
// (`now` is a parameter), no I/O, thread-safe.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reports/history.hpp"
#include "verifier/core/timestamp.hpp"

namespace dp::reports {

// The longest --since, --expect-every and --max-age accepted: 100 years of
// 365.25 days. Longer ones would overflow the nanosecond time_point
// arithmetic (now - since, 2 x max_age), so the commands refuse them.
inline constexpr Millis k_max_option_duration{36'525LL * 86'400'000};  // 36525 days

struct AuditOptions {
  Millis expect_every{24 * 3'600'000};  // the schedule; > 0
  Millis since{35LL * 24 * 3'600'000};  // the window: runs started after now - since
  TimePoint now{};
  std::size_t recent = 5;  // achieved values shown per trend
};

// A gap between two consecutive run starts (or the last start and now) of
// more than 1.5 x expect_every: at least one scheduled run is missing. A
// gap that ends inside the window is listed whole, even if it began before.
struct MissedInterval {
  TimePoint from;                         // start of the run before the gap
  TimePoint to;                           // start of the run after it, or now
  std::uint64_t after_seq = 0;            // the run before the gap
  std::optional<std::uint64_t> next_seq;  // nullopt: the gap runs until now
  std::int64_t missed_runs = 0;           // round(gap / expect_every) - 1, >= 1
};

// A run in the window whose verdict is not "passed", or that was interrupted.
struct FailedRun {
  std::uint64_t seq = 0;
  std::string run_id;
  TimePoint started{};
  Status verdict = Status::passed;
  bool interrupted = false;
  std::vector<HistoryBackup> backups;  // those that did not pass
};

// A run that starts more than k_future_slack after `now`: a wrong clock on
// the host that ran it or the one that reads the history. Its line is
// valid, but its start cannot be trusted for ages or gaps.
inline constexpr Millis k_future_slack{5 * 60'000};

struct FutureRun {
  std::uint64_t seq = 0;
  std::string run_id;
  TimePoint started{};
};

// Achieved RTO or RPO of one backup over the runs in the window, oldest first.
struct Trend {
  std::optional<Millis> objective;  // the latest run's objective
  std::vector<Millis> values;       // every achieved value in the window
  std::size_t over_objective = 0;   // values above their run's objective
  // +1: the last value is more than 10% above the median of the earlier
  // ones (slower restore, staler backup), -1 more than 10% below, 0 within;
  // nullopt with fewer than two values.
  std::optional<int> direction;
  Millis min() const;
  Millis median() const;
  Millis max() const;
};

struct BackupAudit {
  std::string name;
  std::size_t runs = 0;                   // runs in the window that included it
  std::size_t failed = 0;                 // of those, how many did not pass
  std::optional<TimePoint> last_success;  // over the whole history
  std::optional<TimePoint> last_run;      // over the whole history
  Status last_status = Status::passed;
  Trend rto, rpo;
};

struct AuditReport {
  AuditOptions options;
  TimePoint window_start{};
  std::size_t entries = 0;  // parsed lines in the whole history
  std::size_t runs_in_window = 0;
  std::vector<HistoryProblem> problems;  // the chain, whole file
  std::vector<MissedInterval> missed;
  std::vector<FailedRun> failed;
  std::vector<FutureRun> future;     // whole history: starts after now + k_future_slack
  std::vector<BackupAudit> backups;  // the latest run's order, then older names
  // Exit 0 for audit: an intact chain, at least one run, no missed
  // interval or failed run in the window, and no run starting in the future.
  bool clean() const {
    return entries > 0 && problems.empty() && missed.empty() && failed.empty() && future.empty();
  }
};

AuditReport audit_history(const History& history, const AuditOptions& options);

// The audit for a terminal (`file` names history.jsonl in the header);
// names are made terminal-safe.
std::string render_audit_text(const AuditReport& audit, std::string_view file);
// format "drillproof-audit", format_version 1; durations as seconds.
std::string render_audit_json(const AuditReport& audit, std::string_view file);

// Nagios plugin states, which are also the exit codes.
enum class NagiosState { ok = 0, warning = 1, critical = 2, unknown = 3 };

struct NagiosStatus {
  NagiosState state = NagiosState::unknown;
  std::string line;  // "DRILLPROOF OK - ... | perfdata", no newline
};

struct StatusOptions {
  Millis max_age{26 * 3'600'000};
  TimePoint now{};
};

// OK: the last run passed and started within max_age. WARNING: it passed
// but started longer ago than max_age. CRITICAL: it failed, errored, was
// skipped or interrupted; or it started more than 2 x max_age ago; or the
// chain is broken. A last run that passed but starts more than
// k_future_slack after now is WARNING ("starts in the future (clock skew?)"),
// never OK. UNKNOWN: no runs recorded. The last run is the latest start.
NagiosStatus nagios_status(const History& history, const StatusOptions& options);
// "DRILLPROOF UNKNOWN - <why>" for when there is nothing to evaluate.
NagiosStatus nagios_unknown(std::string_view why);

// node_exporter textfile collector format: HELP and TYPE for each metric,
// its samples together. Metric list in docs/history.md.
std::string prometheus_metrics(const History& history);

// Label value escaping of the Prometheus text exposition format:
// backslash, double quote and newline become \\, \" and \n; invalid UTF-8
// bytes become U+FFFD.
std::string prometheus_escape(std::string_view value);

// A Nagios perfdata label: '=' becomes '_', a single quote is doubled, and
// the label is single-quoted when it holds a space or quote.
std::string nagios_label(std::string_view label);

}  // namespace dp::reports
