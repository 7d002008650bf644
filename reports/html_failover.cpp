// The failover drill's section of report.html: what was measured, the
// timeline as a Gantt chart, and per service its steps and objectives.
// Every name and message goes through html_escape; class names come from
// fixed strings (status_name, phase names are checked against a list).
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "reports/failover_parts.hpp"
#include "reports/html_parts.hpp"
#include "verifier/core/duration.hpp"
#include "verifier/core/text.hpp"

namespace dp::reports::detail {
namespace {

constexpr int k_width = 760;

std::string esc(std::string_view s) { return html_escape(s); }

std::string phase_class(std::string_view phase) {
  for (const char* known : {"disaster", "failover", "drain", "failback"})
    if (phase == known) return known;
  return "other";
}

std::string when(const std::optional<Millis>& t) {
  return t ? "+" + esc(human_duration(*t)) : "<span class=\"muted\">never</span>";
}

int scale(Millis t, double total_ms, int width) {
  if (total_ms <= 0) return 0;
  return static_cast<int>(std::clamp(static_cast<double>(t.count()) / total_ms, 0.0, 1.0) * width +
                          0.5);
}

// A round step for the axis giving at most eight ticks.
long long axis_step(long long total_ms) {
  static constexpr std::array<long long, 20> k_steps = {
      100,    200,    500,    1000,   2000,    5000,    10000,   15000,    30000,    60000,
      120000, 300000, 600000, 900000, 1800000, 3600000, 7200000, 10800000, 21600000, 43200000};
  for (long long step : k_steps)
    if (total_ms / step <= 8) return step;
  return (total_ms / 8 / 86400000 + 1) * 86400000;
}

std::string tick(long long ms) {
  if (ms < 60'000) return fmt::format("{:g}s", static_cast<double>(ms) / 1000.0);
  if (ms < 3'600'000)
    return fmt::format("{}m{}", ms / 60'000,
                       ms % 60'000 ? fmt::format("{}s", ms % 60'000 / 1000) : "");
  return fmt::format("{}h{:02}m", ms / 3'600'000, ms % 3'600'000 / 60'000);
}

}  // namespace

std::string failover_gantt(const FailoverResult& f) {
  struct Row {
    const ServiceResult* service;
    const StepResult* step;
  };
  std::vector<Row> rows;
  for (const auto& s : f.services)
    for (const auto& step : s.steps) rows.push_back({&s, &step});
  if (rows.empty()) return "<p class=\"muted\">No step was recorded.</p>\n";
  constexpr int k_label = 150, k_value = 130, k_row = 24, k_top = 20;
  constexpr int k_bar = k_width - k_label - k_value;
  long long total = std::max<long long>(f.duration.count(), 1000);
  const long long step_ms = axis_step(total);
  const long long axis_max = (total + step_ms - 1) / step_ms * step_ms;
  const auto max_ms = static_cast<double>(axis_max);
  const int axis_y = k_top + k_row * static_cast<int>(rows.size()) + 2;
  std::string out = fmt::format(
      "<svg class=\"chart failover-gantt\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "role=\"img\" aria-label=\"Failover timeline: per service and phase, the action, the wait "
      "for health and each probe\">\n",
      k_width, axis_y + 34);
  for (long long t = 0; t <= axis_max; t += step_ms) {
    const int x = k_label + scale(Millis(t), max_ms, k_bar);
    out += fmt::format(
        "<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/><text class=\"tick\" "
        "x=\"{0}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
        x, k_top, axis_y + 4, axis_y + 17, tick(t));
  }
  out += fmt::format("<line class=\"axis\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n", k_label,
                     axis_y, k_label + k_bar, axis_y);
  if (f.t0) {
    const int x = k_label + scale(*f.t0, max_ms, k_bar);
    out += fmt::format(
        "<g class=\"t0\"><title>t0 ({}) at +{}</title><line class=\"t0-line\" x1=\"{}\" y1=\"{}\" "
        "x2=\"{}\" y2=\"{}\"/><text class=\"tick t0-label\" x=\"{}\" y=\"{}\">t0</text></g>\n",
        esc(f.t0_source), esc(human_duration(*f.t0)), x, k_top - 4, x, axis_y, x + 3, k_top - 8);
  }
  int y = k_top;
  for (const auto& [service, s] : rows) {
    const std::string label = service->name + " " + s->phase;
    out += fmt::format("<g class=\"step phase-{}\"><title>{}: {}{}</title>", phase_class(s->phase),
                       esc(label), status_name(s->status),
                       s->message.empty() ? "" : " \u2014 " + esc(s->message));
    out += fmt::format("<text class=\"label\" x=\"0\" y=\"{}\">{}</text>", y + 15, esc(label));
    if (s->action_start) {
      const Millis end = s->action_end.value_or(*s->action_start);
      const int x = k_label + scale(*s->action_start, max_ms, k_bar);
      const int w = std::max(2, scale(end - *s->action_start, max_ms, k_bar));
      out += fmt::format(
          "<rect class=\"action-bar st-{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"14\" "
          "rx=\"2\"/>",
          status_name(s->status), x, y + 4, w);
      if (s->probe_count > 0) {
        const Millis wait_end =
            s->healthy_from ? *s->healthy_from : std::max(end, s->probes.back().at);
        const int wx = k_label + scale(end, max_ms, k_bar);
        const int ww = std::max(1, scale(wait_end - end, max_ms, k_bar));
        out += fmt::format("<rect class=\"wait-bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"8\"/>",
                           wx, y + 7, ww);
      }
      for (const auto& p : s->probes)
        out +=
            fmt::format("<line class=\"probe {0}\" x1=\"{1}\" y1=\"{2}\" x2=\"{1}\" y2=\"{3}\"/>",
                        p.passed ? "probe-pass" : "probe-fail",
                        k_label + scale(p.at, max_ms, k_bar), y + 2, y + 20);
      if (s->healthy_from)
        out += fmt::format("<circle class=\"healthy\" cx=\"{}\" cy=\"{}\" r=\"4\"/>",
                           k_label + scale(*s->healthy_from, max_ms, k_bar), y + 11);
    }
    std::string value = s->healthy_from ? "healthy +" + human_duration(*s->healthy_from)
                                        : std::string(status_name(s->status));
    out += fmt::format("<text class=\"value st-text-{}\" x=\"{}\" y=\"{}\">{}</text></g>\n",
                       status_name(s->status), k_label + k_bar + 8, y + 15, esc(value));
    y += k_row;
  }
  out += fmt::format(
      "<text class=\"tick muted\" x=\"{}\" y=\"{}\" text-anchor=\"end\">time since the drill "
      "started; bar: action, grey: waiting for health, ticks: probes (red failed), dot: healthy"
      "</text>\n",
      k_label + k_bar, axis_y + 30);
  return out + "</svg>\n";
}

std::string failover_section(const FailoverResult& f) {
  std::string out = fmt::format(
      "<section id=\"failover\" class=\"backup edge-{}\">\n<h2>Failover drill {}</h2>\n"
      "<dl class=\"facts\">\n",
      status_name(f.status), status_badge(f.status));
  auto fact = [&](std::string_view term, const std::string& value) {
    out += fmt::format("<div><dt>{}</dt><dd>{}</dd></div>\n", term, value);
  };
  fact("Started", esc(format_utc(f.started)));
  fact("Duration", esc(human_duration(f.duration)));
  fact("t0", f.t0 ? fmt::format("+{} ({})", esc(human_duration(*f.t0)),
                                f.t0_source == "disaster" ? "disaster injected"
                                                          : "declared, no disaster action")
                  : "\u2014");
  fact("System RTO", f.system_rto ? esc(human_duration(*f.system_rto)) : "not measured");
  fact("Order", status_badge(f.order_status) + " " + esc(f.order_message));
  if (f.deadline) fact("Deadline", esc(format_duration(*f.deadline)));
  if (!f.aborted.empty()) fact("Aborted", esc(f.aborted));
  out += "</dl>\n<h3>Levels</h3>\n<ol>\n";
  for (const auto& level : f.levels) {
    std::string names;
    for (const auto& n : level) names += (names.empty() ? "" : ", ") + esc(n);
    out += "<li>" + names + "</li>\n";
  }
  out += "</ol>\n<h3>Timeline</h3>\n" + failover_gantt(f);
  for (const auto& v : f.order_violations) out += "<p class=\"alert\">" + esc(v) + "</p>\n";
  out +=
      "<h3>Steps</h3>\n<table class=\"data\"><thead><tr><th>Service</th><th>Phase</th>"
      "<th>Status</th><th>Action start</th><th>Action end</th><th>Healthy from</th>"
      "<th>Probes</th><th>Message</th></tr></thead><tbody>\n";
  for (const auto& s : f.services)
    for (const auto& step : s.steps)
      out += fmt::format(
          "<tr><td class=\"name\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
          "<td>{}/{}</td><td class=\"msg\">{}</td></tr>\n",
          esc(s.name), esc(step.phase), status_badge(step.status), when(step.action_start),
          when(step.action_end), when(step.healthy_from), step.probe_passes, step.probe_count,
          esc(step.message));
  out +=
      "</tbody></table>\n<h3>Objectives</h3>\n<table class=\"data\"><thead><tr><th>Service</th>"
      "<th>Objective</th><th>Status</th><th>Target</th><th>Achieved</th><th>Message</th></tr>"
      "</thead><tbody>\n";
  for (const auto& s : f.services)
    for (const auto& o : s.objectives)
      out += fmt::format(
          "<tr><td class=\"name\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
          "<td class=\"msg\">{}</td></tr>\n",
          esc(s.name), esc(o.name), status_badge(o.status),
          o.objective ? esc(format_duration(*o.objective)) : "none",
          o.achieved ? esc(human_duration(*o.achieved)) : "not measured", esc(o.message));
  out += "</tbody></table>\n";
  for (const auto& s : f.services)
    for (const auto& step : s.steps)
      if (!step.output_tail.empty())
        out += fmt::format(
            "<div class=\"output\"><div class=\"output-title\">{} {}: last lines of the action's "
            "output</div><pre>{}</pre></div>\n",
            esc(s.name), esc(step.phase), esc(step.output_tail));
  return out + "</section>\n";
}

}  // namespace dp::reports::detail
