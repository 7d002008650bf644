// The "failover" object of report.json; see docs/report.md. Times are
// seconds from the drill's start (a number), or null when the moment never
// came.
#include <nlohmann/json.hpp>

#include "reports/failover_parts.hpp"
#include "verifier/core/text.hpp"

namespace dp::reports::detail {
namespace {

using Json = nlohmann::ordered_json;

Json secs(const std::optional<Millis>& d) {
  return d ? Json(static_cast<double>(d->count()) / 1000.0) : Json(nullptr);
}
template <class T>
Json or_null(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

Json step_json(const StepResult& s) {
  Json j;
  j["phase"] = s.phase;
  j["status"] = status_name(s.status);
  j["message"] = s.message;
  j["blocked_by"] = s.blocked_by.empty() ? Json(nullptr) : Json(s.blocked_by);
  j["action_start_s"] = secs(s.action_start);
  j["action_end_s"] = secs(s.action_end);
  j["healthy_from_s"] = secs(s.healthy_from);
  j["probe_count"] = s.probe_count;
  j["probe_passes"] = s.probe_passes;
  j["probes_omitted"] = s.probe_count - s.probes.size();
  j["probes"] = Json::array();
  for (const auto& p : s.probes)
    j["probes"].push_back({{"at_s", secs(p.at)}, {"passed", p.passed}, {"message", p.message}});
  j["output_tail"] = s.output_tail;
  return j;
}

Json marker_json(const MarkerResult& m) {
  Json j;
  j["status"] = status_name(m.status);
  j["message"] = m.message;
  j["table"] = m.table;
  j["first_seq"] = m.first_seq;
  j["acknowledged"] = m.acknowledged;
  j["failed_writes"] = m.failed_writes;
  j["last_acked_seq"] = or_null(m.last_acked_seq);
  j["last_acked_at_s"] = secs(m.last_acked_at);
  j["found_seq"] = or_null(m.found_seq);
  j["found_count"] = or_null(m.found_count);
  j["found_at_s"] = secs(m.found_at);
  j["found_written_at"] = m.found_written_at;
  j["after_failback_found"] = or_null(m.after_failback_found);
  j["after_failback_newest_seq"] = or_null(m.after_failback_newest_seq);
  return j;
}

Json objective_json(const ObjectiveResult& o) {
  Json j;
  j["name"] = o.name;
  j["status"] = status_name(o.status);
  j["objective"] = o.objective ? Json(format_duration(*o.objective)) : Json(nullptr);
  j["objective_s"] = secs(o.objective);
  j["achieved"] = o.achieved ? Json(format_duration(*o.achieved)) : Json(nullptr);
  j["achieved_s"] = secs(o.achieved);
  j["message"] = o.message;
  return j;
}

}  // namespace

nlohmann::ordered_json failover_json(const FailoverResult& f) {
  Json j;
  j["status"] = status_name(f.status);
  j["started"] = format_utc(f.started);
  j["duration_s"] = secs(f.duration);
  j["deadline"] = f.deadline ? Json(format_duration(*f.deadline)) : Json(nullptr);
  j["aborted"] = f.aborted.empty() ? Json(nullptr) : Json(f.aborted);
  j["t0_s"] = secs(f.t0);
  j["t0_source"] = f.t0_source;
  j["system_rto_s"] = secs(f.system_rto);
  j["levels"] = f.levels;
  j["order"] = {{"status", status_name(f.order_status)},
                {"message", f.order_message},
                {"violations", f.order_violations}};
  j["services"] = Json::array();
  for (const auto& s : f.services) {
    Json sj;
    sj["name"] = s.name;
    sj["depends_on"] = s.depends_on;
    sj["level"] = s.level;
    sj["status"] = status_name(s.status);
    sj["steps"] = Json::array();
    for (const auto& step : s.steps) sj["steps"].push_back(step_json(step));
    sj["objectives"] = Json::array();
    for (const auto& o : s.objectives) sj["objectives"].push_back(objective_json(o));
    sj["marker"] = s.marker ? marker_json(*s.marker) : Json(nullptr);
    j["services"].push_back(std::move(sj));
  }
  return j;
}

}  // namespace dp::reports::detail
