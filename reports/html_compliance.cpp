// The compliance mapping of report.html: which clauses of common frameworks
// this run is evidence for, what it shows, and a status derived only from
// the run (verdict, restores, checks, objectives, the calendar of recent
// runs). The status says whether this run's evidence supports the clause;
// whether an organisation complies is for its auditor to decide, and the
// section says so.
#include <fmt/format.h>

#include <algorithm>

#include "reports/html_parts.hpp"
#include "verifier/core/text.hpp"

namespace dp::reports::detail {
namespace {

// Higher is worse.
enum class Support { met = 0, incomplete = 1, not_met = 2 };

Support worse(Support a, Support b) { return static_cast<int>(b) > static_cast<int>(a) ? b : a; }

const char* support_class(Support s) {
  switch (s) {
    case Support::met:
      return "met";
    case Support::incomplete:
      return "incomplete";
    case Support::not_met:
      return "not-met";
  }
  return "incomplete";
}

const char* support_label(Support s) {
  switch (s) {
    case Support::met:
      return "Met by this run";
    case Support::incomplete:
      return "Incomplete";
    case Support::not_met:
      return "Not met";
  }
  return "Incomplete";
}

struct ObjectiveTally {
  std::size_t measured = 0;
  std::size_t met = 0;
  std::size_t missed = 0;
};

struct RunFacts {
  std::size_t backups = 0;
  std::size_t restored = 0;
  std::size_t checks = 0;
  std::size_t checks_passed = 0;
  std::size_t data_checks = 0;  // integrity, schema, row counts, fingerprints, foreign keys
  std::size_t data_checks_passed = 0;
  ObjectiveTally rto;
  ObjectiveTally rpo;
  std::size_t run_days = 0;
  std::size_t missed_days = 0;
  std::size_t calendar_days = 0;
};

bool is_data_check(const std::string& type) {
  return type == "integrity" || type == "schema" || type == "row_counts" || type == "fingerprint" ||
         type == "foreign_keys" || type == "row_count";
}

RunFacts collect(const RunReport& report, const std::vector<CalendarDay>& calendar) {
  RunFacts f;
  // A catalog (retention coverage) restores nothing: its checks count, but
  // it is not a backup restored into a scratch instance.
  f.backups = static_cast<std::size_t>(
      std::count_if(report.backups.begin(), report.backups.end(),
                    [](const BackupResult& b) { return b.engine != "catalog"; }));
  for (const auto& b : report.backups) {
    if (std::any_of(b.phases.begin(), b.phases.end(), [](const PhaseResult& p) {
          return p.name == "restore" && p.status == Status::passed;
        }))
      ++f.restored;
    for (const auto& c : b.checks) {
      ++f.checks;
      if (c.status == Status::passed) ++f.checks_passed;
      if (!is_data_check(c.type)) continue;
      ++f.data_checks;
      if (c.status == Status::passed) ++f.data_checks_passed;
    }
    for (const auto& o : b.objectives) {
      ObjectiveTally* t = o.name == "rto" ? &f.rto : o.name == "rpo" ? &f.rpo : nullptr;
      if (!t || !o.achieved) continue;
      ++t->measured;
      const bool missed = o.status == Status::failed || (o.objective && *o.achieved > *o.objective);
      ++(missed ? t->missed : t->met);
    }
  }
  f.calendar_days = calendar.size();
  for (const auto& d : calendar) {
    if (d.passed + d.failed + d.error > 0) ++f.run_days;
    if (d.state == DayState::missed) ++f.missed_days;
  }
  return f;
}

// What the run as a whole supports: a pass supports, a failure refutes, and
// an error, an interruption or an empty run leaves the question open.
Support verdict_support(const RunReport& report, const RunFacts& f) {
  const Status s = overall_status(report);
  if (s == Status::failed) return Support::not_met;
  if (s != Status::passed || report.interrupted || f.backups == 0) return Support::incomplete;
  return Support::met;
}

Support objectives_support(const RunFacts& f) {
  if (f.rto.missed + f.rpo.missed > 0) return Support::not_met;
  if (f.rto.measured + f.rpo.measured == 0) return Support::incomplete;
  return Support::met;
}

Support schedule_support(const RunFacts& f) {
  return f.missed_days > 0 ? Support::incomplete : Support::met;
}

std::string tally(const char* name, const ObjectiveTally& t) {
  if (t.measured == 0) return fmt::format("{} not measured", name);
  return fmt::format("{} met for {}/{}", name, t.met, t.measured);
}

struct Row {
  const char* framework;
  const char* clause;
  const char* asks;
  std::string evidence;
  Support support;
};

std::vector<Row> rows(const RunReport& report, const RunFacts& f) {
  const Support base = verdict_support(report, f);
  const std::string restored =
      fmt::format("{}/{} backup{} restored into scratch instances and checked", f.restored,
                  f.backups, f.backups == 1 ? "" : "s");
  const std::string checks = fmt::format("{}/{} checks passed", f.checks_passed, f.checks);
  const std::string objectives = tally("RTO", f.rto) + ", " + tally("RPO", f.rpo);
  const std::string schedule = fmt::format("runs on {} of the last {} days, {} missed", f.run_days,
                                           f.calendar_days, f.missed_days);
  const std::string verdict = fmt::format("verdict {}{}", status_name(overall_status(report)),
                                          report.interrupted ? " (interrupted)" : "");
  const std::string when =
      fmt::format("drill run {} started {}", report.run_id.empty() ? "-" : report.run_id,
                  format_utc(report.started));
  const std::string signature =
      report.signer.signed_run ? "report bundle signed" : "report bundle NOT signed";
  return {
      {"SOC 2", "A1.3", "Recovery plan procedures supporting system recovery are tested.",
       restored + "; " + checks + "; " + tally("RTO", f.rto), base},
      {"ISO/IEC 27001:2022", "A.8.13",
       "Backup copies are maintained and regularly tested according to the backup policy.",
       restored + "; " +
           fmt::format("{}/{} data checks passed", f.data_checks_passed, f.data_checks) + "; " +
           schedule,
       worse(base, schedule_support(f))},
      {"ISO/IEC 27001:2022", "A.5.30",
       "ICT readiness is planned, maintained and tested against business continuity objectives.",
       objectives + "; " + verdict, worse(base, objectives_support(f))},
      {"PCI DSS v4.0", "12.10.2",
       "The incident response plan, including recovery and backup processes, is reviewed and "
       "tested at least every 12 months.",
       when + "; " + verdict + "; " + signature, base},
      {"NIST SP 800-53 Rev. 5", "CP-4",
       "The contingency plan is tested for effectiveness and readiness, and the results reviewed.",
       fmt::format("timed drill (provision, restore, checks, teardown) of {} backup{}; ", f.backups,
                   f.backups == 1 ? "" : "s") +
           verdict + "; " + objectives,
       base},
      {"NIST SP 800-53 Rev. 5", "CP-9",
       "Backups are conducted and their integrity and availability protected (CP-9(1): tested "
       "for reliability and integrity).",
       restored + "; " +
           fmt::format("{}/{} data checks passed", f.data_checks_passed, f.data_checks) + "; " +
           signature,
       base},
      {"DORA (EU) 2022/2554", "Art. 12",
       "Backup policies and restoration and recovery procedures are set up and periodically "
       "tested.",
       restored + "; " + objectives + "; " + schedule,
       worse(worse(base, objectives_support(f)), schedule_support(f))},
  };
}

}  // namespace

std::string compliance_section(const RunReport& report, const std::vector<CalendarDay>& calendar) {
  const RunFacts facts = collect(report, calendar);
  std::string out =
      "<section id=\"compliance\">\n<h2>Compliance mapping</h2>\n"
      "<p class=\"note\">How this run's results serve as evidence for common control "
      "frameworks. The status is derived from this run only (verdict, restores, checks, "
      "objectives and the calendar of recent runs); it does not by itself establish "
      "compliance, which remains the auditor's judgement.</p>\n"
      "<table class=\"data compliance\"><thead><tr><th>Framework</th><th>Clause</th>"
      "<th>What it asks</th><th>Evidence in this run</th><th>Status</th></tr></thead><tbody>\n";
  for (const Row& r : rows(report, facts))
    out += fmt::format(
        "<tr><td>{}</td><td class=\"clause\">{}</td><td>{}</td><td>{}</td>"
        "<td><span class=\"cs cs-{}\">{}</span></td></tr>\n",
        html_escape(r.framework), html_escape(r.clause), html_escape(r.asks),
        html_escape(r.evidence), support_class(r.support), support_label(r.support));
  return out + "</tbody></table>\n</section>\n";
}

}  // namespace dp::reports::detail
