#include "drills/pitr_sample.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "verifier/core/duration.hpp"

namespace dp::drills {

std::uint64_t draw_pitr_seed(const config::PitrConfig& pitr) {
  return pitr.seed ? *pitr.seed : std::random_device{}();
}

std::vector<std::chrono::system_clock::time_point> sample_times(const PitrWindow& window, int n,
                                                                std::uint64_t seed) {
  using TimePoint = std::chrono::system_clock::time_point;
  std::mt19937_64 rng(seed);
  auto span = std::chrono::duration_cast<std::chrono::microseconds>(window.to - window.from);
  std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(0, span.count()));
  std::vector<TimePoint> out;
  for (int i = 0; i < n; ++i)
    out.push_back(window.from + std::chrono::duration_cast<TimePoint::duration>(
                                    std::chrono::microseconds(pick(rng))));
  std::sort(out.begin(), out.end());
  return out;
}

reports::PitrResult sampling_error(const Error& why) {
  reports::PitrResult r;
  r.target = "samples";
  r.sampled = true;
  r.status = reports::Status::error;
  r.message = why.message;
  return r;
}

void judge_sample(reports::PitrResult& r, const plan::BackupJob& job) {
  r.sampled = true;
  if (r.status == reports::Status::passed && job.rpo && r.data_loss && *r.data_loss > *job.rpo) {
    r.status = reports::Status::failed;
    r.message = fmt::format("data loss {} exceeds the rpo objective {}",
                            format_duration(*r.data_loss), format_duration(*job.rpo));
  }
}

}  // namespace dp::drills
