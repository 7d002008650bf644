#pragma once
// One timed step of a failover drill: run a service's action, then (for
// failover and failback) probe its health until `success_threshold` passes
// in a row. The step's timeout covers both. Internal to drills/.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "reports/run_report.hpp"
#include "verifier/config/config.hpp"
#include "verifier/core/child_process.hpp"

namespace dp::drills {

using SteadyClock = std::chrono::steady_clock;

// Shared by every step of one drill. Read-only during a level, except for
// `aborted`, which any step may set.
struct StepContext {
  SteadyClock::time_point origin;  // offsets are measured from here
  Deadline drill_deadline;         // the [failover] deadline, or far away
  std::optional<Millis> deadline;  // as configured, for messages
  std::filesystem::path log_dir;   // action output files
  std::string log_dir_error;       // why there is no log_dir (output_tail says so); empty: none
  std::function<void(std::string_view)> progress;  // thread-safe, may be empty
  Millis offset(SteadyClock::time_point t) const {
    return std::chrono::duration_cast<Millis>(t - origin);
  }
  Millis now() const { return offset(SteadyClock::now()); }
};

// Why the whole drill must stop now ("the drill deadline of 30m passed",
// "interrupted by signal 15"), or empty.
std::string abort_reason(const StepContext& ctx);

// Runs `action` for `service` in `phase` within `timeout` (and the drill
// deadline). With `health`, waits for its threshold afterwards. Never
// throws; every outcome is in the returned step:
//   passed  action exited 0 (and health reached)
//   failed  non-zero exit, action timed out (killed by process group), or
//           health not reached in time
//   error   the action could not start, or the drill was aborted meanwhile
reports::StepResult run_step(const std::string& service, const std::string& phase,
                             const config::ActionConfig& action, const config::HealthConfig* health,
                             Millis timeout, const StepContext& ctx);

// A step that did not run: skipped with `message`, blocked by `blocked_by`.
reports::StepResult skipped_step(const std::string& phase, std::string message,
                                 std::string blocked_by = {});

}  // namespace dp::drills
