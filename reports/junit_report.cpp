// JUnit XML for CI dashboards. The mapping (docs/report.md):
//   testsuites            the run
//   testsuite             one backup drill
//   testcase              a phase, an objective ("rto objective") or a check
//   failure/error/skipped tested-and-missed / could-not-test / made impossible
// Names and classnames are stable across runs so CI can track a testcase's
// history; dates, durations and ids only ever go into other attributes.
// Every byte of text goes through xml_escape.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "reports/failover_parts.hpp"
#include "reports/report_writers.hpp"
#include "verifier/core/text.hpp"

namespace dp::reports {
namespace {

struct Case {
  std::string name;
  Status status = Status::passed;
  Millis duration{0};
  std::string type;        // failure/error type attribute
  std::string message;     // one line, for the message attribute
  std::string details;     // element text of failure/error
  std::string system_err;  // a tool's stderr tail
};

struct Counts {
  long tests = 0;
  long failures = 0;
  long errors = 0;
  long skipped = 0;

  void add(Status s) {
    ++tests;
    if (s == Status::failed) ++failures;
    if (s == Status::error) ++errors;
    if (s == Status::skipped) ++skipped;
  }
  void add(const Counts& other) {
    tests += other.tests;
    failures += other.failures;
    errors += other.errors;
    skipped += other.skipped;
  }
};

// Attribute values: parsers normalise literal tab/LF/CR in attributes to
// spaces, so keep them as character references to preserve the text.
std::string attr(std::string_view text) {
  std::string escaped = xml_escape(text);
  std::string out;
  out.reserve(escaped.size());
  for (char c : escaped) {
    if (c == '\t')
      out += "&#9;";
    else if (c == '\n')
      out += "&#10;";
    else if (c == '\r')
      out += "&#13;";
    else
      out.push_back(c);
  }
  return out;
}

// SUREFIRE_TIME has no sign: a clock step backwards must not break the file.
std::string seconds(Millis d) { return format_seconds(std::max(d, Millis{0})); }

std::string first_line(std::string_view text) {
  return std::string(text.substr(0, text.find('\n')));
}

void append_line(std::string& out, std::string_view line) {
  if (line.empty()) return;
  if (!out.empty() && out.back() != '\n') out.push_back('\n');
  out += line;
}

void append_findings(std::string& details, const std::vector<Finding>& findings) {
  const std::size_t shown = std::min(findings.size(), k_findings_per_case);
  for (std::size_t i = 0; i < shown; ++i) {
    const Finding& f = findings[i];
    append_line(details, f.target.empty() ? f.message : f.target + ": " + f.message);
  }
  if (findings.size() > shown)
    append_line(details, fmt::format("... and {} more findings (all in report.json)",
                                     findings.size() - shown));
}

Case phase_case(const PhaseResult& phase) {
  Case c{phase.name, phase.status, phase.duration, "phase", first_line(phase.message), {}, {}};
  if (c.message.empty() && phase.status != Status::passed)
    c.message = fmt::format("{} {}", phase.name, status_name(phase.status));
  append_line(c.details, phase.message);
  append_line(c.details, phase.stderr_tail);
  c.system_err = phase.stderr_tail;
  return c;
}

Case objective_case(const ObjectiveResult& o) {
  Case c{o.name + " objective", o.status, Millis{0}, "objective", first_line(o.message), {}, {}};
  if (o.objective) append_line(c.details, "objective: " + format_duration(*o.objective));
  if (o.achieved) append_line(c.details, "achieved: " + format_duration(*o.achieved));
  append_line(c.details, o.message);
  if (c.message.empty() && o.status != Status::passed)
    c.message = fmt::format("{} objective {}", o.name, status_name(o.status));
  return c;
}

// One testcase per point-in-time recovery: "pitr <target>", its reached
// point in the details.
// Sampled targets are random: their name is their position, so it stays the
// same from run to run; the target is in the details.
Case pitr_case(const PitrResult& p, int sample) {
  Case c{p.sampled ? fmt::format("pitr sample {}", sample) : "pitr " + p.target,
         p.status,
         p.duration,
         "pitr",
         first_line(p.message),
         {},
         {}};
  if (p.sampled) append_line(c.details, "target: " + p.target);
  append_line(c.details, "reached lsn: " + (p.reached_lsn.empty() ? "?" : p.reached_lsn));
  if (p.reached_time) append_line(c.details, "reached time: " + format_utc(*p.reached_time));
  if (p.timeline) append_line(c.details, fmt::format("timeline: {}", p.timeline));
  if (!p.first_missing.empty()) append_line(c.details, "first missing segment: " + p.first_missing);
  if (p.recovery_point) append_line(c.details, "recovery point: " + format_utc(*p.recovery_point));
  append_line(c.details, p.message);
  if (c.message.empty() && p.status != Status::passed)
    c.message = fmt::format("point-in-time recovery {}", status_name(p.status));
  return c;
}

Case check_case(const CheckResult& check) {
  Case c{check.name,
         check.status,
         check.duration,
         check.type.empty() ? "check" : check.type,
         first_line(check.message),
         {},
         {}};
  if (c.message.empty() && check.status != Status::passed) {
    c.message = (!check.expected.empty() || !check.observed.empty())
                    ? fmt::format("expected {}, observed {}", check.expected, check.observed)
                    : fmt::format("check {}", status_name(check.status));
  }
  if (!check.expected.empty()) append_line(c.details, "expected: " + check.expected);
  if (!check.observed.empty()) append_line(c.details, "observed: " + check.observed);
  append_line(c.details, check.message);
  append_findings(c.details, check.findings);
  return c;
}

// "<backup>.<check>.<object>": stable across runs, one per table or object.
Case object_case(const std::string& backup, const CheckResult& check, const ObjectResult& o) {
  Case c{fmt::format("{}.{}.{}", backup, check.name, o.name),
         o.status,
         Millis{0},
         check.type.empty() ? "check" : check.type,
         first_line(o.message),
         {},
         {}};
  if (c.message.empty() && o.status != Status::passed)
    c.message = !o.findings.empty() ? first_line(o.findings.front().message)
                                    : fmt::format("{} {}", o.name, status_name(o.status));
  append_line(c.details, o.message);
  append_findings(c.details, o.findings);
  return c;
}

bool is_red(Status s) { return s == Status::failed || s == Status::error; }

// Phases in order, except that the "checks" phase is represented by the
// checks themselves and teardown comes last, after the checks it follows.
std::vector<Case> cases_of(const BackupResult& backup) {
  std::vector<Case> cases;
  const bool any_red_check = std::any_of(backup.checks.begin(), backup.checks.end(),
                                         [](const CheckResult& c) { return is_red(c.status); });
  for (const auto& phase : backup.phases) {
    if (phase.name == "teardown") continue;
    // The checks phase only shows itself when it failed in a way no check
    // testcase reports (e.g. the connection dropped before any check ran);
    // otherwise a red backup could turn into a green JUnit suite.
    if (phase.name == "checks" && !(is_red(phase.status) && !any_red_check)) continue;
    cases.push_back(phase_case(phase));
  }
  int sample = 0;
  for (const auto& p : backup.pitr) cases.push_back(pitr_case(p, p.sampled ? ++sample : 0));
  for (const auto& o : backup.objectives) cases.push_back(objective_case(o));
  for (const auto& check : backup.checks) {
    if (check.objects.empty() || check.status == Status::skipped) {
      cases.push_back(check_case(check));
      continue;
    }
    for (const auto& o : check.objects) cases.push_back(object_case(backup.name, check, o));
    // A check-level error that no object carries (e.g. the catalog could not
    // be read after some objects) must still show as red.
    if (is_red(check.status) &&
        std::none_of(check.objects.begin(), check.objects.end(),
                     [](const ObjectResult& o) { return is_red(o.status); }))
      cases.push_back(check_case(check));
  }
  for (const auto& phase : backup.phases)
    if (phase.name == "teardown") cases.push_back(phase_case(phase));
  return cases;
}

void render_case(std::string& out, const Case& c, const std::string& classname) {
  out += fmt::format(R"(    <testcase name="{}" classname="{}" time="{}")", attr(c.name), classname,
                     seconds(c.duration));
  const bool has_status = c.status != Status::passed;
  if (!has_status && c.system_err.empty()) {
    out += "/>\n";
    return;
  }
  out += ">\n";
  switch (c.status) {
    case Status::passed:
      break;
    case Status::failed:
    case Status::error: {
      const char* element = c.status == Status::failed ? "failure" : "error";
      out += fmt::format(R"(      <{} message="{}" type="{}">{}</{}>)", element, attr(c.message),
                         attr(c.type), xml_escape(c.details), element);
      out += "\n";
      break;
    }
    case Status::skipped:
      out += fmt::format(R"(      <skipped message="{}"/>)",
                         attr(c.message.empty() ? "skipped" : c.message));
      out += "\n";
      break;
  }
  if (!c.system_err.empty())
    out += fmt::format("      <system-err>{}</system-err>\n", xml_escape(c.system_err));
  out += "    </testcase>\n";
}

void render_property(std::string& out, std::string_view name, std::string_view value) {
  out += fmt::format(R"(      <property name="{}" value="{}"/>)", attr(name), attr(value));
  out += "\n";
}

std::string render_suite(const RunReport& report, const BackupResult& backup, Counts& totals) {
  const std::vector<Case> cases = cases_of(backup);
  Counts counts;
  for (const auto& c : cases) counts.add(c.status);
  totals.add(counts);

  std::string out =
      fmt::format(R"(  <testsuite name="{}" tests="{}" failures="{}" errors="{}" skipped="{}")"
                  R"( time="{}" timestamp="{}" hostname="{}">)",
                  attr(backup.name), counts.tests, counts.failures, counts.errors, counts.skipped,
                  seconds(backup.duration), attr(format_utc(backup.started)), attr(report.host));
  out += "\n    <properties>\n";
  render_property(out, "engine", backup.engine);
  render_property(out, "path", backup.path);
  render_property(out, "format", backup.format);
  render_property(out, "server_version", backup.server_version);
  render_property(out, "plan", report.plan_name);
  render_property(out, "plan_owner", report.plan_owner);
  render_property(out, "tool_version", report.tool_version);
  render_property(out, "format_version", std::to_string(k_report_format_version));
  out += "    </properties>\n";
  const std::string classname = attr("drillproof." + backup.name);
  for (const auto& c : cases) render_case(out, c, classname);
  out += "  </testsuite>\n";
  return out;
}

// The failover drill as one testsuite named "failover".
std::string render_failover_suite(const RunReport& report, const FailoverResult& f,
                                  Counts& totals) {
  std::vector<Case> cases;
  for (auto& fc : detail::failover_cases(f))
    cases.push_back(Case{std::move(fc.name), fc.status, fc.duration, std::move(fc.type),
                         std::move(fc.message), std::move(fc.details), std::move(fc.system_err)});
  Counts counts;
  for (const auto& c : cases) counts.add(c.status);
  totals.add(counts);
  std::string out = fmt::format(
      R"(  <testsuite name="failover" tests="{}" failures="{}" errors="{}" skipped="{}")"
      R"( time="{}" timestamp="{}" hostname="{}">)",
      counts.tests, counts.failures, counts.errors, counts.skipped, seconds(f.duration),
      attr(format_utc(f.started)), attr(report.host));
  out += "\n    <properties>\n";
  render_property(out, "plan", report.plan_name);
  render_property(out, "t0_source", f.t0_source);
  render_property(out, "tool_version", report.tool_version);
  render_property(out, "format_version", std::to_string(k_report_format_version));
  out += "    </properties>\n";
  for (const auto& c : cases) render_case(out, c, "drillproof.failover");
  out += "  </testsuite>\n";
  return out;
}

}  // namespace

std::string render_junit(const RunReport& report) {
  Counts totals;
  std::string suites;
  for (const auto& backup : report.backups) suites += render_suite(report, backup, totals);
  if (report.failover) suites += render_failover_suite(report, *report.failover, totals);

  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  // No "skipped" attribute here: junit-10.xsd does not allow it on testsuites.
  const auto run_time = std::chrono::duration_cast<Millis>(report.finished - report.started);
  out += fmt::format(R"(<testsuites name="{}" tests="{}" failures="{}" errors="{}" time="{}">)",
                     attr("drillproof: " + report.plan_name), totals.tests, totals.failures,
                     totals.errors, seconds(run_time));
  out += "\n";
  out += suites;
  out += "</testsuites>\n";
  return out;
}

}  // namespace dp::reports
