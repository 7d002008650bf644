#pragma once
// pitr_targets sampling shared by PostgreSQL (pg_pitr_sample.cpp) and
// MySQL / MariaDB (my_pitr_sample.cpp): the seed, the random target times
// inside an archive's window, and how one sampled recovery is judged.
#include <chrono>
#include <cstdint>
#include <vector>

#include "reports/run_report.hpp"
#include "verifier/config/config.hpp"
#include "verifier/core/result.hpp"
#include "verifier/plan/plan.hpp"

namespace dp::drills {

// The times a sampled target may take: from the backup's end to the newest
// change the archive holds.
struct PitrWindow {
  std::chrono::system_clock::time_point from, to;
};

// pitr_seed when the plan sets one, else a freshly drawn one (the report
// records it as pitr_seed so the run can be repeated).
std::uint64_t draw_pitr_seed(const config::PitrConfig& pitr);

// `n` times drawn uniformly from the window with std::mt19937_64(seed),
// sorted; the same seed gives the same times.
std::vector<std::chrono::system_clock::time_point> sample_times(const PitrWindow& window, int n,
                                                                std::uint64_t seed);

// The one entry reported when sampling cannot start or go on: target
// "samples", sampled, error, the reason.
reports::PitrResult sampling_error(const Error& why);

// Marks `r` sampled; a passed sample whose data loss exceeds job.rpo fails.
void judge_sample(reports::PitrResult& r, const plan::BackupJob& job);

}  // namespace dp::drills
