#pragma once
// Runs a Plan: drills up to plan.parallel backups at a time and collects a
// RunReport. On SIGINT/SIGTERM it starts no new drill; running drills stop
// at their next wait, tear down, and the report is marked interrupted.
#include <functional>
#include <string_view>

#include "reports/run_report.hpp"
#include "verifier/plan/plan.hpp"

namespace dp::run {

struct RunOptions {
  // Progress lines for a terminal; called from worker threads under a lock.
  std::function<void(std::string_view)> progress;
};

reports::RunReport execute(const plan::Plan& plan, const RunOptions& options);

}  // namespace dp::run
