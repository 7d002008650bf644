#pragma once
// Runs a backup's checks against its restored scratch instance: loads the
// snapshot the plan names, runs each check's prerequisites with write access,
// then every check in read-only sessions, and turns outcomes into report
// values. One failing check never stops the others.
#include <chrono>
#include <functional>
#include <optional>
#include <vector>

#include "reports/run_report.hpp"
#include "verifier/engine/engine.hpp"
#include "verifier/plan/plan.hpp"

namespace dp::drills {

struct CheckRunInput {
  engine::ConnectOptions restored;  // read-only sessions on the restored database
  // Runs one statement with write access on the restored database; empty
  // when the engine needs none (SQLite).
  std::function<Result<void>(const std::string& sql)> admin;
  std::optional<std::chrono::system_clock::time_point> reference_time;
  int jobs = 1;
};

struct CheckRunOutput {
  std::vector<reports::CheckResult> results;  // one per plan check, in plan order
  std::optional<Millis> achieved_rpo;         // from a freshness check
  Result<void> status;                        // a failure that stopped every check (no session)
};

CheckRunOutput run_checks(const plan::BackupJob& job, const CheckRunInput& input);

// The moment the backup represents, from the plan's reference_time: a
// timestamp, "file" (modification time) or "dump" (archive header time, else
// file time).
std::optional<std::chrono::system_clock::time_point> backup_reference_time(
    const plan::BackupJob& job);

}  // namespace dp::drills
