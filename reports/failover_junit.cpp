// The failover drill's JUnit testcases. Names are stable across runs:
// "<service>.<phase>" ("db.failover", "api.drain"), "<service>.rto
// objective", "failover.order". A probe that never passed or an action that
// failed is a failure; an action that could not start or a drill that was
// aborted is an error (the step's status already says which).
#include <fmt/format.h>

#include "reports/failover_parts.hpp"
#include "verifier/core/duration.hpp"

namespace dp::reports::detail {
namespace {

std::string first_line(std::string_view text) {
  return std::string(text.substr(0, text.find('\n')));
}

void add_line(std::string& out, std::string_view line) {
  if (line.empty()) return;
  if (!out.empty()) out += '\n';
  out += line;
}

std::string at(const std::optional<Millis>& t) {
  return t ? "+" + format_seconds(*t) + "s" : "never";
}

FailoverCase step_case(const ServiceResult& s, const StepResult& step) {
  FailoverCase c;
  c.name = s.name + "." + step.phase;
  c.status = step.status;
  c.type = "step";
  c.message = first_line(step.message);
  if (c.message.empty() && step.status != Status::passed)
    c.message = fmt::format("{} {}", c.name, status_name(step.status));
  if (step.action_start && step.action_end)
    c.duration = (step.healthy_from ? *step.healthy_from : *step.action_end) - *step.action_start;
  add_line(c.details, step.message);
  add_line(c.details,
           fmt::format("action start {}, action end {}, healthy from {}", at(step.action_start),
                       at(step.action_end), at(step.healthy_from)));
  if (step.probe_count > 0) {
    add_line(c.details, fmt::format("{} probes, {} passed", step.probe_count, step.probe_passes));
    const auto& last = step.probes.back();
    add_line(c.details, fmt::format("last probe {}: {}", at(last.at), last.message));
  }
  c.system_err = step.output_tail;
  return c;
}

FailoverCase objective_case(const ServiceResult& s, const ObjectiveResult& o) {
  FailoverCase c;
  c.name = s.name + "." + o.name + " objective";
  c.status = o.status;
  c.type = "objective";
  c.message = first_line(o.message);
  if (o.objective) add_line(c.details, "objective: " + format_duration(*o.objective));
  if (o.achieved) add_line(c.details, "achieved: " + format_seconds(*o.achieved) + "s");
  add_line(c.details, o.message);
  // Markers lost again during failback belong with the RPO.
  if (o.name == "rpo" && s.marker && worst(c.status, s.marker->status) != c.status) {
    c.status = s.marker->status;
    c.message = first_line(s.marker->message);
    add_line(c.details, s.marker->message);
  }
  return c;
}

}  // namespace

std::vector<FailoverCase> failover_cases(const FailoverResult& f) {
  std::vector<FailoverCase> out;
  FailoverCase order;
  order.name = "failover.order";
  order.status = f.order_status;
  order.type = "order";
  order.message = f.order_message;
  add_line(order.details, f.order_message);
  for (const auto& v : f.order_violations) add_line(order.details, v);
  if (!f.aborted.empty()) add_line(order.details, "the drill was aborted: " + f.aborted);
  out.push_back(std::move(order));
  for (const auto& s : f.services) {
    for (const auto& step : s.steps) out.push_back(step_case(s, step));
    for (const auto& o : s.objectives) out.push_back(objective_case(s, o));
  }
  return out;
}

}  // namespace dp::reports::detail
