// The short stdout summary. Every piece of report text passes through
// terminal_safe() so a hostile backup or check name cannot smuggle escape
// sequences into the terminal; colour codes are added only when asked.
// Kept scratch instances are not listed here: cli prints how to connect to
// them after the summary.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "reports/report_writers.hpp"
#include "reports/utf8.hpp"

namespace dp::reports {
namespace {

constexpr std::size_t k_max_findings_per_check = 5;

constexpr std::string_view k_green = "\x1b[32m";
constexpr std::string_view k_red = "\x1b[31m";
constexpr std::string_view k_yellow = "\x1b[33m";
constexpr std::string_view k_reset = "\x1b[0m";

class Painter {
 public:
  explicit Painter(bool color) : m_color(color) {}

  std::string paint(Status s, std::string_view text) const {
    if (!m_color) return std::string(text);
    std::string_view code = s == Status::passed ? k_green : s == Status::failed ? k_red : k_yellow;
    return fmt::format("{}{}{}", code, text, k_reset);
  }
  std::string mark(Status s) const { return paint(s, mark_text(s)); }

 private:
  static std::string_view mark_text(Status s) {
    switch (s) {
      case Status::passed:
        return "\u2713";  // ✓
      case Status::failed:
        return "\u2717";  // ✗
      case Status::error:
        return "!";
      case Status::skipped:
        return "-";
    }
    return "?";
  }

  bool m_color;
};

std::string safe(std::string_view text) { return detail::terminal_safe(text); }

std::string first_line(std::string_view text) { return safe(text.substr(0, text.find('\n'))); }

std::string pad(const std::string& text, std::size_t width) {
  const std::size_t w = detail::display_width(text);
  return w >= width ? text : text + std::string(width - w, ' ');
}

std::string upper_status(Status s) {
  std::string name = status_name(s);
  for (char& c : name) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return name;
}

std::string seconds(Millis d) { return format_seconds(std::max(d, Millis{0})); }

std::string plural(std::size_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

std::string header(const RunReport& report, const Painter& painter) {
  std::array<std::size_t, 4> counts{};  // indexed by Status
  for (const auto& b : report.backups) ++counts[static_cast<std::size_t>(b.status)];
  std::string tally = plural(report.backups.size(), "backup");
  if (!report.backups.empty()) {
    tally += fmt::format(": {} passed", counts[static_cast<std::size_t>(Status::passed)]);
    for (Status s : {Status::failed, Status::error, Status::skipped}) {
      const std::size_t n = counts[static_cast<std::size_t>(s)];
      if (n > 0) tally += fmt::format(", {} {}", n, status_name(s));
    }
  }
  const Status overall = overall_status(report);
  return fmt::format("drillproof {}: plan \"{}\": {} ({}) in {}s\n", safe(report.tool_version),
                     safe(report.plan_name), painter.paint(overall, upper_status(overall)), tally,
                     seconds(std::chrono::duration_cast<Millis>(report.finished - report.started)));
}

std::string restore_text(const BackupResult& b) {
  if (b.engine == "catalog")  // listed, not restored: the scan's short form
    for (const auto& p : b.phases)
      if (p.name == "scan") return first_line(p.message.substr(0, p.message.find(';')));
  std::string text = "not restored";
  for (const auto& p : b.phases) {
    if (p.name != "restore") continue;
    text = p.status == Status::passed ? fmt::format("restored in {}s", seconds(p.duration))
                                      : fmt::format("restore {}", status_name(p.status));
  }
  // Time-to-restored (provision + restore), the figure the RTO is judged on.
  for (const auto& o : b.objectives)
    if (o.name == "rto" && o.achieved) text = fmt::format("restored in {}s", seconds(*o.achieved));
  for (const auto& o : b.objectives)
    if (o.objective) text += fmt::format(" ({} {})", safe(o.name), format_duration(*o.objective));
  return text;
}

std::string checks_text(const BackupResult& b) {
  if (b.checks.empty()) return "no checks";
  const auto passed = std::count_if(b.checks.begin(), b.checks.end(), [](const CheckResult& c) {
    return c.status == Status::passed;
  });
  return fmt::format("{}/{} passed", passed, plural(b.checks.size(), "check"));
}

bool is_red(Status s) { return s == Status::failed || s == Status::error; }

// The lines under a backup that say what went wrong, most useful first:
// a phase that could not run, a missed objective, then failing checks.
void append_details(std::string& out, const BackupResult& b, const Painter& painter) {
  const std::string indent(6, ' ');
  const bool any_red_check = std::any_of(b.checks.begin(), b.checks.end(),
                                         [](const CheckResult& c) { return is_red(c.status); });
  for (const auto& p : b.phases) {
    if (!is_red(p.status)) continue;
    if (p.name == "checks" && any_red_check) continue;  // the checks below say it
    std::string why = first_line(p.message);
    out += fmt::format("{}{} {}{}{}\n", indent, painter.mark(p.status), safe(p.name),
                       why.empty() ? "" : ": ", why);
  }
  for (const auto& o : b.objectives) {
    if (!is_red(o.status)) continue;
    std::string why = first_line(o.message);
    out += fmt::format("{}{} {} objective{}{}\n", indent, painter.mark(o.status), safe(o.name),
                       why.empty() ? "" : ": ", why);
  }
  for (const auto& c : b.checks) {
    if (!is_red(c.status)) continue;
    const std::string mark = painter.mark(c.status);
    if (c.findings.empty()) {
      std::string why = !c.message.empty() ? first_line(c.message)
                                           : fmt::format("expected {}, observed {}",
                                                         safe(c.expected), safe(c.observed));
      out += fmt::format("{}{} {}: {}\n", indent, mark, safe(c.name), why);
      continue;
    }
    const std::size_t shown = std::min(c.findings.size(), k_max_findings_per_check);
    for (std::size_t i = 0; i < shown; ++i) {
      const Finding& f = c.findings[i];
      // "row_count public.orders" already names its table: do not repeat it.
      bool repeat = f.target.empty() || c.name.find(f.target) != std::string::npos;
      out += fmt::format("{}{} {}{}{}: {}\n", indent, mark, safe(c.name), repeat ? "" : " ",
                         repeat ? "" : safe(f.target), first_line(f.message));
    }
    if (const std::size_t more = c.findings.size() - shown; more > 0)
      out += fmt::format("{}  ... and {} more finding{}\n", indent, more, more == 1 ? "" : "s");
  }
}

// The failover drill: the order verdict and system RTO, then one line per
// service with its achieved objectives and what went wrong.
void append_failover(std::string& out, const FailoverResult& f, const Painter& painter) {
  out += fmt::format("  {} failover drill: {}{}\n", painter.mark(f.status), safe(f.order_message),
                     f.system_rto ? fmt::format("; system RTO {}s", seconds(*f.system_rto)) : "");
  if (!f.aborted.empty()) out += fmt::format("      aborted: {}\n", safe(f.aborted));
  for (const auto& s : f.services) {
    std::string objectives;
    for (const auto& o : s.objectives) {
      if (!o.achieved && !o.objective) continue;
      objectives += fmt::format("  {} {}", safe(o.name),
                                o.achieved ? seconds(*o.achieved) + "s" : "not measured");
      if (o.objective) objectives += fmt::format(" (objective {})", format_duration(*o.objective));
    }
    out += fmt::format("    {} {}{}\n", painter.mark(s.status), safe(s.name), objectives);
    for (const auto& step : s.steps)
      if (step.status != Status::passed)
        out += fmt::format("        {} {}: {}\n", painter.mark(step.status), safe(step.phase),
                           first_line(step.message));
    for (const auto& o : s.objectives)
      if (is_red(o.status))
        out += fmt::format("        {} {} objective: {}\n", painter.mark(o.status), safe(o.name),
                           first_line(o.message));
    if (s.marker && is_red(s.marker->status))
      out += fmt::format("        {} markers: {}\n", painter.mark(s.marker->status),
                         first_line(s.marker->message));
  }
}

}  // namespace

std::string render_summary(const RunReport& report, bool color) {
  const Painter painter(color);
  std::string out = header(report, painter);

  struct Row {
    std::string name, engine, format, restore, checks;
  };
  std::vector<Row> rows;
  std::size_t w_name = 0, w_engine = 0, w_format = 0, w_restore = 0;
  for (const auto& b : report.backups) {
    Row r{safe(b.name), safe(b.engine), safe(b.format), restore_text(b), checks_text(b)};
    w_name = std::max(w_name, detail::display_width(r.name));
    w_engine = std::max(w_engine, detail::display_width(r.engine));
    w_format = std::max(w_format, detail::display_width(r.format));
    w_restore = std::max(w_restore, detail::display_width(r.restore));
    rows.push_back(std::move(r));
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const BackupResult& b = report.backups[i];
    const Row& r = rows[i];
    out += fmt::format("  {} {}  {}  {}  {}   {}\n", painter.mark(b.status), pad(r.name, w_name),
                       pad(r.engine, w_engine), pad(r.format, w_format), pad(r.restore, w_restore),
                       r.checks);
    append_details(out, b, painter);
  }
  if (report.failover) append_failover(out, *report.failover, painter);
  if (report.interrupted)
    out += fmt::format(
        "  {} interrupted: the run was stopped before it finished; this report is partial\n",
        painter.mark(Status::error));
  return out;
}

}  // namespace dp::reports
