// report.json, format_version 1 (docs/report.md). Built with nlohmann's
// ordered_json so keys keep the documented order; never by concatenation.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>

#include <string>

#include "reports/failover_parts.hpp"
#include "reports/report_writers.hpp"
#include "verifier/core/text.hpp"

namespace dp::reports {
namespace {

using Json = nlohmann::ordered_json;

// Seconds as a number with millisecond precision (4210ms -> 4.21).
double seconds(Millis d) { return static_cast<double>(d.count()) / 1000.0; }

Json optional_duration(const std::optional<Millis>& d) {
  return d ? Json(format_duration(*d)) : Json(nullptr);
}
Json optional_seconds(const std::optional<Millis>& d) {
  return d ? Json(seconds(*d)) : Json(nullptr);
}

Json phase_json(const PhaseResult& p) {
  Json j;
  j["name"] = p.name;
  j["status"] = status_name(p.status);
  j["started_s"] = seconds(p.started);
  j["duration_s"] = seconds(p.duration);
  j["message"] = p.message;
  j["stderr_tail"] = p.stderr_tail;
  return j;
}

Json objective_json(const ObjectiveResult& o) {
  Json j;
  j["name"] = o.name;
  j["status"] = status_name(o.status);
  j["objective"] = optional_duration(o.objective);
  j["objective_s"] = optional_seconds(o.objective);
  j["achieved"] = optional_duration(o.achieved);
  j["achieved_s"] = optional_seconds(o.achieved);
  j["message"] = o.message;
  return j;
}

Json finding_json(const Finding& f) {
  Json j;
  j["check"] = f.check_id;
  j["target"] = f.target;
  j["severity"] = severity_name(f.severity);
  j["message"] = f.message;
  j["evidence"] = f.evidence;
  return j;
}

Json check_json(const CheckResult& c) {
  Json j;
  j["name"] = c.name;
  j["type"] = c.type;
  j["status"] = status_name(c.status);
  j["expected"] = c.expected;
  j["observed"] = c.observed;
  j["message"] = c.message;
  j["duration_s"] = seconds(c.duration);
  j["findings"] = Json::array();
  for (const auto& f : c.findings) j["findings"].push_back(finding_json(f));
  j["objects"] = Json::array();
  for (const auto& o : c.objects) {
    Json oj;
    oj["name"] = o.name;
    oj["status"] = status_name(o.status);
    oj["message"] = o.message;
    oj["findings"] = Json::array();
    for (const auto& f : o.findings) oj["findings"].push_back(finding_json(f));
    j["objects"].push_back(std::move(oj));
  }
  return j;
}

// Milliseconds kept: a recovery point one second off the target matters.
Json optional_time(const std::optional<std::chrono::system_clock::time_point>& t) {
  if (!t) return Json(nullptr);
  auto secs = std::chrono::floor<std::chrono::seconds>(*t);
  auto ms = std::chrono::duration_cast<Millis>(*t - secs).count();
  std::string text = format_utc(secs);
  if (!text.empty() && text.back() == 'Z') text.pop_back();
  return Json(fmt::format("{}.{:03}Z", text, ms));
}

Json pitr_json(const PitrResult& p) {
  Json j;
  j["target"] = p.target;
  j["target_time"] = optional_time(p.target_time);
  j["sampled"] = p.sampled;
  j["status"] = status_name(p.status);
  j["message"] = p.message;
  j["reached_lsn"] = p.reached_lsn;
  j["reached_time"] = optional_time(p.reached_time);
  j["timeline"] = p.timeline;
  j["first_missing"] = p.first_missing;
  j["recovery_point"] = optional_time(p.recovery_point);
  j["data_loss_s"] = optional_seconds(p.data_loss);
  j["duration_s"] = seconds(p.duration);
  return j;
}

Json backup_json(const BackupResult& b) {
  Json j;
  j["name"] = b.name;
  j["engine"] = b.engine;
  j["path"] = b.path;
  j["format"] = b.format;
  j["server_version"] = b.server_version;
  j["status"] = status_name(b.status);
  j["started"] = format_utc(b.started);
  j["duration_s"] = seconds(b.duration);
  if (!b.scratch.empty()) j["scratch"] = b.scratch;
  j["phases"] = Json::array();
  for (const auto& p : b.phases) j["phases"].push_back(phase_json(p));
  j["objectives"] = Json::array();
  for (const auto& o : b.objectives) j["objectives"].push_back(objective_json(o));
  j["checks"] = Json::array();
  for (const auto& c : b.checks) j["checks"].push_back(check_json(c));
  if (!b.pitr.empty()) {
    j["pitr"] = Json::array();
    for (const auto& p : b.pitr) j["pitr"].push_back(pitr_json(p));
    j["pitr_seed"] = b.pitr_seed ? Json(*b.pitr_seed) : Json(nullptr);
  }
  return j;
}

Json summary_json(const RunReport& report) {
  long passed = 0, failed = 0, error = 0, skipped = 0, checks_total = 0, checks_failed = 0;
  for (const auto& b : report.backups) {
    switch (b.status) {
      case Status::passed:
        ++passed;
        break;
      case Status::failed:
        ++failed;
        break;
      case Status::error:
        ++error;
        break;
      case Status::skipped:
        ++skipped;
        break;
    }
    for (const auto& c : b.checks) {
      ++checks_total;
      if (c.status == Status::failed) ++checks_failed;
    }
  }
  Json j;
  j["backups"] = report.backups.size();
  j["passed"] = passed;
  j["failed"] = failed;
  j["error"] = error;
  j["skipped"] = skipped;
  j["checks_total"] = checks_total;
  j["checks_failed"] = checks_failed;
  return j;
}

}  // namespace

std::string render_json(const RunReport& report) {
  Json j;
  j["format"] = "drillproof-report";
  j["format_version"] = k_report_format_version;
  j["tool"] = {{"name", "drillproof"}, {"version", report.tool_version}};
  j["run_id"] = report.run_id;
  j["host"] = report.host;
  j["plan"] = {{"name", report.plan_name},
               {"owner", report.plan_owner},
               {"file", report.plan_file},
               {"digest", report.plan_digest}};
  j["scope"] = report.scope;
  j["signature"] = {
      {"signed", report.signer.signed_run},
      {"algorithm", report.signer.signed_run ? Json("ed25519") : Json(nullptr)},
      {"key_fingerprint",
       report.signer.signed_run ? Json(report.signer.key_fingerprint) : Json(nullptr)}};
  j["started"] = format_utc(report.started);
  j["finished"] = format_utc(report.finished);
  j["duration_s"] = seconds(std::chrono::duration_cast<Millis>(report.finished - report.started));
  j["status"] = status_name(overall_status(report));
  j["exit_code"] = exit_code(report);
  j["interrupted"] = report.interrupted;
  j["summary"] = summary_json(report);
  j["backups"] = Json::array();
  for (const auto& b : report.backups) j["backups"].push_back(backup_json(b));
  j["failover"] = report.failover ? detail::failover_json(*report.failover) : Json(nullptr);
  // Names, messages and stderr tails come from databases and tools and may
  // not be UTF-8: replace bad bytes with U+FFFD instead of throwing
  // type_error 316. With that handler dump() has nothing left to throw but
  // bad_alloc, which we let terminate like any allocation failure.
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace dp::reports
