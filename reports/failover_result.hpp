#pragma once
// The failover/failback drill of one run (drills/failover_drill.hpp), as the
// renderers see it. Plain values. Every time is an offset from the drill's
// start on a monotonic clock, so the timeline is consistent even if the
// wall clock steps; `started` anchors it to UTC.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "verifier/core/duration.hpp"

namespace dp::reports {

enum class Status;  // reports/run_report.hpp
struct ObjectiveResult;

// One health probe: when it finished, whether it passed, and why not.
struct ProbeSample {
  Millis at{0};
  bool passed = false;
  std::string message;  // "connect 127.0.0.1:5432: Connection refused", "HTTP 503", "exit code 1"
};

// Probe samples kept per step: every one, up to k_probe_samples_kept (at a 1s
// interval, a step of almost three hours); beyond that the first and the last
// k_probe_samples_kept/2, the rest counted in probe_count / probe_passes only,
// so a runaway step cannot grow the report without bound.
inline constexpr std::size_t k_probe_samples_kept = 10'000;

// One service in one phase: "disaster", "failover", "drain" or "failback".
struct StepResult {
  std::string phase;
  Status status{};         // passed: action exited 0 and (failover/failback) health reached
  std::string message;     // why not passed; "blocked by db" when skipped for a dependency
  std::string blocked_by;  // the service whose failure made this step impossible
  std::optional<Millis> action_start;
  std::optional<Millis> action_end;
  std::optional<Millis> healthy_from;  // the probe that completed the success threshold
  std::vector<ProbeSample> probes;     // bounded, see k_probe_samples_kept
  std::size_t probe_count = 0;
  std::size_t probe_passes = 0;
  std::string output_tail;  // the action's last lines of stdout and stderr
};

// The RPO marker writer of one service.
struct MarkerResult {
  Status status{};
  std::string message;
  std::string table;
  std::int64_t first_seq = 0;  // the first marker this drill wrote
  std::size_t acknowledged = 0;
  std::size_t failed_writes = 0;
  std::optional<std::int64_t> last_acked_seq;
  std::optional<Millis> last_acked_at;
  std::optional<std::int64_t> found_seq;   // newest marker on `read` after failover
  std::optional<std::size_t> found_count;  // markers of this drill on `read` after failover
  std::optional<Millis> found_at;          // when that marker was acknowledged
  std::string found_written_at;            // its written_at as the database prints it
  // After failback, on `write`: how many of the acknowledged markers are there.
  std::optional<std::size_t> after_failback_found;
  std::optional<std::int64_t> after_failback_newest_seq;
};

struct ServiceResult {
  std::string name;
  std::vector<std::string> depends_on;
  int level = 0;                            // 1-based
  Status status{};                          // the worst of its steps, objectives and marker
  std::vector<StepResult> steps;            // in the order they ran
  std::vector<ObjectiveResult> objectives;  // "rto", "rpo"
  std::optional<MarkerResult> marker;
};

struct FailoverResult {
  Status status{};
  std::chrono::system_clock::time_point started{};
  Millis duration{0};
  std::optional<Millis> t0;                      // the disaster injection, or the declaration
  std::string t0_source;                         // "disaster" or "declaration"
  std::vector<std::vector<std::string>> levels;  // names, dependencies first
  Status order_status{};
  std::string order_message;  // "order held: 5 services in 3 levels"
  std::vector<std::string> order_violations;
  std::optional<Millis> system_rto;  // t0 -> the last service healthy after failover
  std::optional<Millis> deadline;
  std::string aborted;  // why the drill stopped early (deadline, interrupt); empty otherwise
  std::vector<ServiceResult> services;  // in plan order
};

}  // namespace dp::reports
