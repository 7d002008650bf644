#pragma once
// Internal to reports/: the failover drill's part of each renderer
// (failover_json.cpp, failover_junit.cpp, html_failover.cpp). Not part of
// the public report API.
#include <nlohmann/json.hpp>
#include <string>

#include "reports/run_report.hpp"

namespace dp::reports::detail {

// The "failover" object of report.json (docs/report.md).
nlohmann::ordered_json failover_json(const FailoverResult& failover);

// One JUnit testcase of the failover suite.
struct FailoverCase {
  std::string name;  // "db.failover", "failover.order", "db.rto objective"
  Status status{};
  Millis duration{0};
  std::string type;     // failure/error type attribute: "step", "order", "objective"
  std::string message;  // one line
  std::string details;
  std::string system_err;  // the action's output tail
};
// Testcases in order: "failover.order", then per service (plan order) its
// "<service>.<phase>" steps and "<service>.rto objective" / ".rpo objective".
std::vector<FailoverCase> failover_cases(const FailoverResult& failover);

// The HTML section: facts, the timeline Gantt chart, steps and objectives.
std::string failover_section(const FailoverResult& failover);

// The SVG Gantt chart of the timeline: one row per service and phase, the
// action as a solid bar, the wait for health after it as a hatched bar, a
// tick per probe, and t0 as a vertical line.
std::string failover_gantt(const FailoverResult& failover);

}  // namespace dp::reports::detail
