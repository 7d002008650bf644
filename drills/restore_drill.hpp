#pragma once
// One backup's restore drill as a list of timed steps: provision a scratch
// instance, restore, measure the RTO, run the checks in a read-only session,
// tear down. Each step's failure is recorded and makes the later ones
// `skipped`; destructors guarantee the tear-down on every path.
#include <functional>
#include <optional>
#include <string_view>

#include "drills/my_scratch.hpp"
#include "drills/pg_scratch.hpp"
#include "reports/run_report.hpp"
#include "verifier/plan/plan.hpp"

namespace dp::drills {

struct DrillEnv {
  // Resolved once per run; an error here makes every postgres drill `error`.
  const Result<PgBinaries>* pg_binaries = nullptr;
  std::optional<Credentials> run_as;
  // The same for MySQL / MariaDB drills, and their server user.
  const Result<MyBinaries>* my_binaries = nullptr;
  std::optional<Credentials> my_run_as;
  Millis start_timeout{60'000};
  Millis check_timeout{300'000};
  bool keep_scratch = false;
  // Progress lines ("orders: restoring pg_dump custom"); may be called from
  // several threads, so it must be thread-safe.
  std::function<void(std::string_view)> progress;
};

reports::BackupResult run_restore_drill(const plan::BackupJob& job, const DrillEnv& env);

}  // namespace dp::drills
