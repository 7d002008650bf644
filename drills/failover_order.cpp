#include "drills/failover_order.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace dp::drills {
namespace {

const reports::StepResult* step_of(const reports::ServiceResult& s, std::string_view phase) {
  for (const auto& step : s.steps)
    if (step.phase == phase) return &step;
  return nullptr;
}

const reports::ServiceResult* service_named(const reports::FailoverResult& r,
                                            const std::string& name) {
  for (const auto& s : r.services)
    if (s.name == name) return &s;
  return nullptr;
}

std::string at(Millis t) { return fmt::format("+{}s", format_seconds(t)); }

}  // namespace

void check_order(reports::FailoverResult& r) {
  std::vector<std::string> violations;
  std::size_t started = 0;
  for (const auto& s : r.services) {
    bool any = false;
    for (const char* phase : {"failover", "failback"}) {
      const auto* step = step_of(s, phase);
      if (!step || !step->action_start) continue;
      any = true;
      for (const auto& dep_name : s.depends_on) {
        const auto* dep = service_named(r, dep_name);
        const auto* dep_step = dep ? step_of(*dep, phase) : nullptr;
        if (!dep_step || !dep_step->healthy_from)
          violations.push_back(fmt::format("{}: {} started at {} but {} was never healthy", phase,
                                           s.name, at(*step->action_start), dep_name));
        else if (*dep_step->healthy_from > *step->action_start)
          violations.push_back(fmt::format("{}: {} started at {}, before {} was healthy at {}",
                                           phase, s.name, at(*step->action_start), dep_name,
                                           at(*dep_step->healthy_from)));
      }
    }
    // Drains run in reverse: every dependent drains before this service.
    if (const auto* drain = step_of(s, "drain"); drain && drain->action_start) {
      any = true;
      for (const auto& other : r.services) {
        if (std::find(other.depends_on.begin(), other.depends_on.end(), s.name) ==
            other.depends_on.end())
          continue;
        const auto* theirs = step_of(other, "drain");
        if (!theirs || !theirs->action_start) continue;
        if (!theirs->action_end || *theirs->action_end > *drain->action_start)
          violations.push_back(fmt::format("drain: {} started at {} before {} finished draining",
                                           s.name, at(*drain->action_start), other.name));
      }
    }
    started += any ? 1 : 0;
  }
  const std::size_t n = r.services.size();
  const std::string shape = fmt::format("{} service{} in {} level{}", n, n == 1 ? "" : "s",
                                        r.levels.size(), r.levels.size() == 1 ? "" : "s");
  r.order_violations = violations;
  if (!violations.empty()) {
    r.order_status = reports::Status::failed;
    r.order_message = fmt::format(
        "order violated: {}{}", violations.front(),
        violations.size() > 1 ? fmt::format(" (and {} more)", violations.size() - 1) : "");
  } else if (started == 0) {
    r.order_status = reports::Status::skipped;
    r.order_message = fmt::format("order not tested: no service started ({})", shape);
  } else if (started < n) {
    r.order_status = reports::Status::passed;
    r.order_message = fmt::format("order held for the {} service{} that started (of {})", started,
                                  started == 1 ? "" : "s", shape);
  } else {
    r.order_status = reports::Status::passed;
    r.order_message = "order held: " + shape;
  }
}

}  // namespace dp::drills
