// One backup's section of report.html: what was restored, the objectives
// and phase charts, phase output, and every check with its evidence.
// Failing checks are expanded (<details open>) so the failures are on
// screen and on paper without any script; passing checks with long object
// lists start collapsed. Within a check, objects that did not pass come
// first, so the cap on long lists never hides a failure behind passes.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <numeric>
#include <unordered_set>

#include "reports/html_parts.hpp"
#include "verifier/core/duration.hpp"
#include "verifier/core/text.hpp"

namespace dp::reports::detail {
namespace {

std::string esc(std::string_view s) { return html_escape(s); }

std::string or_dash(std::string_view s) {
  return s.empty() ? std::string("<span class=\"muted\">\u2014</span>") : esc(s);
}

std::string backup_facts(const BackupResult& b) {
  std::string out = "<dl class=\"facts\">\n";
  auto fact = [&](std::string_view term, const std::string& value) {
    out += fmt::format("<div><dt>{}</dt><dd>{}</dd></div>\n", term, value);
  };
  fact("Engine", or_dash(b.engine));
  fact("Backup path", "<code>" + or_dash(b.path) + "</code>");
  fact("Format", or_dash(b.format));
  if (b.engine != "catalog") fact("Server version", or_dash(b.server_version));
  fact("Status", status_badge(b.status));
  fact("Started", esc(format_utc(b.started)));
  fact("Duration", esc(human_duration(b.duration)));
  if (!b.scratch.empty()) fact("Scratch kept", "<code>" + esc(b.scratch) + "</code>");
  return out + "</dl>\n";
}

std::string objectives_block(const BackupResult& b) {
  std::string out = "<h3>Recovery objectives</h3>\n" + objectives_chart(b);
  if (b.objectives.empty()) return out;
  out +=
      "<table class=\"data\"><thead><tr><th>Objective</th><th>Status</th><th>Objective</th>"
      "<th>Achieved</th><th>Message</th></tr></thead><tbody>\n";
  for (const auto& o : b.objectives)
    out += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"msg\">{}</td></tr>\n",
        esc(o.name), status_badge(o.status),
        o.objective ? esc(format_duration(*o.objective)) : "none",
        o.achieved ? esc(human_duration(*o.achieved)) : "not measured", or_dash(o.message));
  return out + "</tbody></table>\n";
}

// Point-in-time recoveries: target, where recovery landed, the newest
// change found there and, when it fell short, the first missing segment.
std::string pitr_block(const BackupResult& b) {
  if (b.pitr.empty()) return "";
  std::string out =
      "<h3>Point-in-time recovery</h3>\n<table class=\"data\"><thead><tr><th>Target</th>"
      "<th>Status</th><th>Reached LSN</th><th>Last replayed commit</th><th>Timeline</th>"
      "<th>Recovery point</th><th>Data loss</th><th>First missing segment</th><th>Message</th>"
      "</tr></thead><tbody>\n";
  for (const auto& p : b.pitr)
    out += fmt::format(
        "<tr><td>{}{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td>"
        "<td>{}</td><td><code>{}</code></td><td class=\"msg\">{}</td></tr>\n",
        esc(p.target), p.sampled ? " <span class=\"muted\">(sampled)</span>" : "",
        status_badge(p.status), or_dash(p.reached_lsn),
        p.reached_time ? esc(format_utc(*p.reached_time)) : or_dash(""),
        p.timeline ? std::to_string(p.timeline) : or_dash(""),
        p.recovery_point ? esc(format_utc(*p.recovery_point)) : or_dash(""),
        p.data_loss ? esc(human_duration(*p.data_loss)) : or_dash(""), or_dash(p.first_missing),
        or_dash(p.message));
  if (b.pitr_seed)
    out += fmt::format(
        "<tr><td colspan=\"9\" class=\"muted\">sampled with pitr_seed = {}</td>"
        "</tr>\n",
        *b.pitr_seed);
  return out + "</tbody></table>\n";
}

std::string phases_block(const BackupResult& b) {
  std::string out = "<h3>Phase timeline</h3>\n" + phase_gantt(b);
  if (b.phases.empty()) return out;
  out +=
      "<table class=\"data\"><thead><tr><th>Phase</th><th>Status</th><th>Started at</th>"
      "<th>Duration</th><th>Message</th></tr></thead><tbody>\n";
  for (const auto& p : b.phases)
    out += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>+{}</td><td>{}</td><td class=\"msg\">{}</td></tr>\n",
        esc(p.name), status_badge(p.status), esc(human_duration(p.started)),
        esc(human_duration(p.duration)), or_dash(p.message));
  out += "</tbody></table>\n";
  for (const auto& p : b.phases) {
    if (p.stderr_tail.empty()) continue;
    out += fmt::format(
        "<div class=\"output\"><div class=\"output-title\">{}: last lines of the tool's "
        "stderr</div><pre>{}</pre></div>\n",
        esc(p.name), esc(p.stderr_tail));
  }
  return out;
}

std::string finding_item(const Finding& f, std::string_view object) {
  std::string out =
      fmt::format("<li><span class=\"sev sev-{0}\">{0}</span> ", severity_name(f.severity));
  if (!f.target.empty() && f.target != object)
    out += fmt::format("<span class=\"target\">{}</span>: ", esc(f.target));
  out += fmt::format("<span class=\"msg\">{}</span>", esc(f.message));
  if (!f.evidence.empty()) out += fmt::format("<pre class=\"evidence\">{}</pre>", esc(f.evidence));
  return out + "</li>\n";
}

// Lists up to `budget` findings, counting down; the rest are counted.
std::string findings_list(const std::vector<Finding>& findings, std::string_view object,
                          std::size_t& budget) {
  if (findings.empty()) return {};
  std::string out = "<ul class=\"findings\">\n";
  std::size_t shown = 0;
  for (const auto& f : findings) {
    if (budget == 0) break;
    out += finding_item(f, object);
    --budget;
    ++shown;
  }
  if (shown < findings.size())
    out += fmt::format(
        "<li class=\"omitted\">{} more finding{} not shown here (see report.json)</li>\n",
        findings.size() - shown, findings.size() - shown == 1 ? "" : "s");
  return out + "</ul>\n";
}

std::string objects_table(const CheckResult& c, std::size_t& budget) {
  std::vector<std::size_t> order(c.objects.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_partition(order.begin(), order.end(),
                        [&](std::size_t i) { return c.objects[i].status != Status::passed; });
  std::string out =
      "<table class=\"data objects\"><thead><tr><th>Object</th><th>Status</th><th>Message and "
      "findings</th></tr></thead><tbody>\n";
  const std::size_t shown = std::min(order.size(), k_html_objects_per_check);
  for (std::size_t k = 0; k < shown; ++k) {
    const ObjectResult& o = c.objects[order[k]];
    out += fmt::format(
        "<tr><td class=\"obj\">{}</td><td>{}</td><td><div class=\"msg\">{}</div>{}</td></tr>\n",
        esc(o.name), status_badge(o.status), or_dash(o.message),
        findings_list(o.findings, o.name, budget));
  }
  out += "</tbody></table>\n";
  if (shown < order.size())
    out += fmt::format(
        "<p class=\"omitted\">{} more objects, all passed, not shown here (see report.json)</p>\n",
        order.size() - shown);
  return out;
}

std::string finding_key(const Finding& f) {
  return fmt::format("{}\x1f{}\x1f{}\x1f{}", severity_name(f.severity), f.target, f.message,
                     f.evidence);
}

// Per-object checks also repeat each object's findings at the check level;
// those are shown once, under their object, and not counted twice.
std::vector<Finding> check_level_findings(const CheckResult& c) {
  if (c.objects.empty()) return c.findings;
  std::unordered_set<std::string> under_objects;
  for (const auto& o : c.objects)
    for (const auto& f : o.findings) under_objects.insert(finding_key(f));
  std::vector<Finding> own;
  for (const auto& f : c.findings)
    if (!under_objects.contains(finding_key(f))) own.push_back(f);
  return own;
}

std::string evidence_block(const CheckResult& c, const std::string& anchor) {
  const auto failed_objects = static_cast<std::size_t>(
      std::count_if(c.objects.begin(), c.objects.end(),
                    [](const ObjectResult& o) { return o.status != Status::passed; }));
  const std::vector<Finding> own = check_level_findings(c);
  std::size_t findings = own.size();
  for (const auto& o : c.objects) findings += o.findings.size();
  const bool open = c.status == Status::failed || c.status == Status::error || failed_objects > 0;
  std::string out = fmt::format(
      "<details class=\"evidence\" id=\"{}-evidence\"{}><summary>Evidence for <strong>{}</strong>: "
      "{} finding{}",
      anchor, open ? " open" : "", esc(c.name), findings, findings == 1 ? "" : "s");
  if (!c.objects.empty())
    out += fmt::format(", {} object{} ({} not passed)", c.objects.size(),
                       c.objects.size() == 1 ? "" : "s", failed_objects);
  out += "</summary>\n";
  std::size_t budget = k_html_findings_per_check;
  out += findings_list(own, "", budget);
  if (!c.objects.empty()) out += objects_table(c, budget);
  return out + "</details>\n";
}

std::string checks_block(const BackupResult& b, std::size_t index) {
  std::string out = "<h3>Checks and evidence</h3>\n";
  if (b.checks.empty())
    return out + "<p class=\"muted\">The plan defines no checks for this backup.</p>\n";
  std::array<std::size_t, 4> by_status{};
  for (const auto& c : b.checks) ++by_status[static_cast<std::size_t>(c.status)];
  out += fmt::format("<p>{} checks: {} passed, {} failed, {} error, {} skipped.</p>\n",
                     b.checks.size(), by_status[0], by_status[1], by_status[2], by_status[3]);
  out +=
      "<table class=\"data checks\"><thead><tr><th>Check</th><th>Type</th><th>Status</th>"
      "<th>Expected</th><th>Observed</th><th>Message</th><th>Time</th></tr></thead><tbody>\n";
  std::string evidence;
  for (std::size_t k = 0; k < b.checks.size(); ++k) {
    const CheckResult& c = b.checks[k];
    const std::string anchor = fmt::format("b{}-c{}", index + 1, k + 1);
    const bool has_evidence = !c.findings.empty() || !c.objects.empty();
    const std::string name =
        has_evidence ? fmt::format("<a href=\"#{}-evidence\">{}</a>", anchor, esc(c.name))
                     : esc(c.name);
    out += fmt::format(
        "<tr id=\"{}\"><td class=\"name\">{}</td><td class=\"nw\">{}</td><td>{}</td>"
        "<td><code>{}</code></td><td><code>{}</code></td><td class=\"msg\">{}</td>"
        "<td class=\"nw\">{}</td></tr>\n",
        anchor, name, esc(c.type), status_badge(c.status), or_dash(c.expected), or_dash(c.observed),
        or_dash(c.message), esc(human_duration(c.duration)));
    if (has_evidence) evidence += evidence_block(c, anchor);
  }
  return out + "</tbody></table>\n" + evidence;
}

}  // namespace

std::string status_badge(Status s) {
  return fmt::format("<span class=\"badge st-{0}\">{0}</span>", status_name(s));
}

std::string backup_anchor(std::size_t index) { return fmt::format("backup-{}", index + 1); }

std::string backup_section(const BackupResult& backup, std::size_t index) {
  std::string out = fmt::format(
      "<section class=\"backup edge-{}\" id=\"{}\">\n<h2><span class=\"index\">{}</span> {} "
      "{}</h2>\n",
      status_name(backup.status), backup_anchor(index), index + 1, esc(backup.name),
      status_badge(backup.status));
  out += backup_facts(backup);
  // A catalog is listed, not restored: it has no RTO or RPO to chart.
  if (backup.engine != "catalog") out += objectives_block(backup);
  out += pitr_block(backup);
  out += phases_block(backup);
  out += checks_block(backup, index);
  return out + "</section>\n";
}

}  // namespace dp::reports::detail
