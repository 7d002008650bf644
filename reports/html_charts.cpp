// The inline SVG charts of report.html. Each SVG has a fixed width/height
// plus a viewBox, so it keeps its proportions on screen and on paper, and
// takes its colours from the page's CSS classes (st-passed, day-missed...),
// so the print stylesheet adjusts them in one place. Labels are escaped
// text elements, never markup built from names.
#include "reports/html_charts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "verifier/core/duration.hpp"

namespace dp::reports::detail {
namespace {

using namespace std::chrono;

constexpr int k_chart_width = 680;

std::string esc(std::string_view s) { return html_escape(s); }

std::string svg_open(int width, int height, std::string_view css_class, std::string_view label) {
  return fmt::format(
      "<svg class=\"chart {}\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" "
      "aria-label=\"{}\">\n",
      css_class, width, height, width, height, esc(label));
}

// Bars are scaled with doubles; a bar never vanishes entirely so a phase
// that took 0ms still shows where it happened.
int scaled(Millis value, double max_ms, int width) {
  if (max_ms <= 0) return 0;
  return static_cast<int>(static_cast<double>(value.count()) / max_ms * width + 0.5);
}

std::string objective_label(const std::string& name) {
  if (name == "rto") return "RTO";
  if (name == "rpo") return "RPO";
  return esc(name);
}

std::string objective_row(const ObjectiveResult& o, int y) {
  constexpr int k_label_w = 64;
  constexpr int k_bar_w = k_chart_width - k_label_w - 230;
  const int x0 = k_label_w;
  const int value_x = x0 + k_bar_w + 14;
  const bool missed =
      o.status == Status::failed || (o.objective && o.achieved && *o.achieved > *o.objective);
  const char* cls = missed ? "failed" : status_name(o.status);
  double max_ms = 1;
  if (o.objective) max_ms = std::max(max_ms, static_cast<double>(o.objective->count()));
  if (o.achieved) max_ms = std::max(max_ms, static_cast<double>(o.achieved->count()));

  std::string out = fmt::format("<g class=\"objective\"><title>{}: {}</title>\n",
                                objective_label(o.name), esc(o.message));
  out += fmt::format("<text class=\"label\" x=\"0\" y=\"{}\">{}</text>\n", y + 27,
                     objective_label(o.name));
  out += fmt::format("<rect class=\"track\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"38\"/>\n", x0,
                     y + 2, k_bar_w);
  if (o.objective) {
    const int w = std::max(2, scaled(*o.objective, max_ms, k_bar_w));
    out += fmt::format(
        "<rect class=\"obj-bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"12\"/>\n"
        "<line class=\"obj-mark\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n",
        x0, y + 6, w, x0 + w, y, x0 + w, y + 42);
    out += fmt::format("<text class=\"value\" x=\"{}\" y=\"{}\">objective {}</text>\n", value_x,
                       y + 16, esc(format_duration(*o.objective)));
  } else {
    out += fmt::format("<text class=\"value muted\" x=\"{}\" y=\"{}\">no objective set</text>\n",
                       value_x, y + 16);
  }
  if (o.achieved) {
    const int w = std::max(2, scaled(*o.achieved, max_ms, k_bar_w));
    out += fmt::format(
        "<rect class=\"ach-bar st-{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"16\"/>\n", cls, x0,
        y + 22, w);
    out += fmt::format("<text class=\"value st-text-{}\" x=\"{}\" y=\"{}\">achieved {}{}</text>\n",
                       cls, value_x, y + 36, esc(human_duration(*o.achieved)),
                       missed ? " \u2014 missed" : (o.objective ? " \u2014 met" : ""));
  } else {
    out += fmt::format("<text class=\"not-measured\" x=\"{}\" y=\"{}\">not measured</text>\n",
                       x0 + 8, y + 35);
    out +=
        fmt::format("<text class=\"value muted\" x=\"{}\" y=\"{}\">achieved: not measured</text>\n",
                    value_x, y + 36);
  }
  return out + "</g>\n";
}

// A step for the time axis that gives at most eight ticks.
long long tick_step(long long total_ms) {
  static constexpr std::array<long long, 27> k_steps = {
      1,      2,      5,       10,      20,      50,       100,      200,      500,
      1000,   2000,   5000,    10000,   15000,   30000,    60000,    120000,   300000,
      600000, 900000, 1800000, 3600000, 7200000, 10800000, 21600000, 43200000, 86400000};
  for (long long step : k_steps)
    if (total_ms / step <= 8) return step;
  const long long day = k_steps.back();
  return (total_ms / 8 / day + 1) * day;
}

std::string tick_label(long long ms, long long step) {
  if (step < 1000) return fmt::format("{:g}s", static_cast<double>(ms) / 1000.0);
  if (step < 60'000) return fmt::format("{}s", ms / 1000);
  if (step < 3'600'000) {
    if (ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
    return fmt::format("{}m{}s", ms / 60'000, ms % 60'000 / 1000);
  }
  if (ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  return fmt::format("{}h{:02}m", ms / 3'600'000, ms % 3'600'000 / 60'000);
}

std::string iso_day(sys_days d) {
  const year_month_day ymd{d};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

std::string short_day(sys_days d) {
  static constexpr std::array<const char*, 12> k_months = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const year_month_day ymd{d};
  return fmt::format("{} {}", k_months[static_cast<unsigned>(ymd.month()) - 1],
                     static_cast<unsigned>(ymd.day()));
}

std::string day_tooltip(const CalendarDay& d) {
  std::string text = iso_day(d.day) + ": ";
  const int runs = d.passed + d.failed + d.error;
  if (runs == 0) {
    text += d.state == DayState::missed ? "missed: no run although one was due"
            : d.state == DayState::idle ? "no run (none due)"
                                        : "no data (before the first recorded run)";
    return text;
  }
  text += fmt::format("{} run{}: {} passed, {} failed, {} error", runs, runs == 1 ? "" : "s",
                      d.passed, d.failed, d.error);
  if (d.overdue) text += "; a run was overdue this day";
  return text;
}

std::string day_state_text(DayState s) {
  switch (s) {
    case DayState::no_data:
      return "no data";
    case DayState::idle:
      return "no run";
    default:
      return day_state_name(s);
  }
}

std::string calendar_legend(int y) {
  static constexpr std::array<DayState, 6> k_order = {DayState::passed, DayState::failed,
                                                      DayState::error,  DayState::missed,
                                                      DayState::idle,   DayState::no_data};
  std::string out = fmt::format("<g class=\"legend\" transform=\"translate(0,{})\">\n", y);
  int x = 0;
  for (DayState s : k_order) {
    out += fmt::format(
        "<rect class=\"day day-{}\" x=\"{}\" y=\"0\" width=\"14\" height=\"14\" rx=\"2\"/>"
        "<text class=\"legend-text\" x=\"{}\" y=\"11\">{}</text>\n",
        day_state_name(s), x, x + 19, day_state_text(s));
    x += 96;
  }
  // The outline that marks the day of the run this report is about.
  out += fmt::format(
      "<rect class=\"day current\" x=\"{}\" y=\"0\" width=\"14\" height=\"14\" rx=\"2\"/>"
      "<text class=\"legend-text\" x=\"{}\" y=\"11\">this run</text>\n",
      x, x + 19);
  return out + "</g>\n";
}

}  // namespace

const char* day_state_name(DayState s) {
  switch (s) {
    case DayState::no_data:
      return "no-data";
    case DayState::idle:
      return "idle";
    case DayState::missed:
      return "missed";
    case DayState::passed:
      return "passed";
    case DayState::failed:
      return "failed";
    case DayState::error:
      return "error";
  }
  return "no-data";
}

std::string human_duration(Millis d) {
  const long long ms = std::max<long long>(0, d.count());
  if (ms < 60'000) return format_seconds(Millis(ms)) + "s";
  const long long s = ms / 1000;
  if (s < 3600) return fmt::format("{}m {:02}s", s / 60, s % 60);
  return fmt::format("{}h {:02}m {:02}s", s / 3600, s % 3600 / 60, s % 60);
}

std::vector<CalendarDay> build_calendar(const RunReport& report, const HtmlOptions& options) {
  struct Run {
    system_clock::time_point started;
    Status verdict;
  };
  // An interrupted run proves nothing for the backups it did not reach, so
  // it counts as an error unless it already failed (overall_status agrees);
  // a run whose backups were all skipped verified nothing: an error too, as
  // `audit` and `status` count it.
  auto calendar_verdict = [](Status s, bool interrupted) {
    if (s == Status::failed) return Status::failed;
    if (interrupted || s == Status::error || s == Status::skipped) return Status::error;
    return Status::passed;
  };
  std::vector<Run> runs;
  for (const auto& e : options.history)
    if (report.run_id.empty() || e.run_id != report.run_id)
      runs.push_back({e.started, calendar_verdict(e.verdict, e.interrupted)});
  runs.push_back({report.started, calendar_verdict(overall_status(report), report.interrupted)});
  std::stable_sort(runs.begin(), runs.end(),
                   [](const Run& a, const Run& b) { return a.started < b.started; });

  const Millis every = options.expect_every;
  const bool daily = every == hours(24) || every <= Millis(0);
  std::vector<std::pair<system_clock::time_point, system_clock::time_point>> overdue;
  if (!daily)
    for (std::size_t k = 1; k < runs.size(); ++k)
      if (runs[k].started - runs[k - 1].started > every)
        overdue.emplace_back(runs[k - 1].started + every, runs[k].started);

  const int n = std::clamp(options.calendar_days, 1, 366);
  const sys_days last = floor<days>(report.started);
  const sys_days first_run = floor<days>(runs.front().started);
  std::vector<CalendarDay> out;
  for (int i = n - 1; i >= 0; --i) {
    CalendarDay d;
    d.day = last - days(i);
    for (const Run& r : runs) {
      if (floor<days>(r.started) != d.day) continue;
      if (r.verdict == Status::failed)
        ++d.failed;
      else if (r.verdict == Status::error)
        ++d.error;
      else
        ++d.passed;
    }
    const system_clock::time_point begin = d.day, end = d.day + days(1);
    const bool in_gap = std::any_of(overdue.begin(), overdue.end(), [&](const auto& gap) {
      return gap.first < end && gap.second > begin;
    });
    if (d.failed > 0)
      d.state = DayState::failed;
    else if (d.error > 0)
      d.state = DayState::error;
    else if (d.passed > 0)
      d.state = DayState::passed;
    else if (d.day < first_run)
      d.state = DayState::no_data;
    else if (daily || in_gap)
      d.state = DayState::missed;
    else
      d.state = DayState::idle;
    d.overdue = in_gap && d.state != DayState::missed && d.state != DayState::no_data;
    out.push_back(d);
  }
  return out;
}

std::string objectives_chart(const BackupResult& backup) {
  if (backup.objectives.empty())
    return "<p class=\"muted\">No RTO or RPO objective is set for this backup; the restore time "
           "is still measured (see the timeline).</p>\n";
  constexpr int k_row = 50;
  const int height = 8 + k_row * static_cast<int>(backup.objectives.size());
  std::string out = svg_open(k_chart_width, height, "objectives-chart",
                             "Objectives: objective against achieved, per objective");
  int y = 4;
  for (const auto& o : backup.objectives) {
    out += objective_row(o, y);
    y += k_row;
  }
  return out + "</svg>\n";
}

std::string phase_gantt(const BackupResult& backup) {
  if (backup.phases.empty()) return "<p class=\"muted\">No phases were recorded.</p>\n";
  constexpr int k_label_w = 92, k_value_w = 150, k_row = 28, k_top = 6;
  constexpr int k_bar_w = k_chart_width - k_label_w - k_value_w;
  long long total = backup.duration.count();
  for (const auto& p : backup.phases)
    total = std::max<long long>(total, (p.started + p.duration).count());
  if (total <= 0) total = 1000;  // nothing ran: a one-second axis, not a 1ms one
  const long long step = tick_step(total);
  const long long axis_max = (total + step - 1) / step * step;
  const auto max_ms = static_cast<double>(axis_max);
  const int rows_h = k_row * static_cast<int>(backup.phases.size());
  const int axis_y = k_top + rows_h + 2;
  std::string out = svg_open(k_chart_width, axis_y + 30, "gantt",
                             "Phase timeline: start offset and duration of each phase");
  for (long long t = 0; t <= axis_max; t += step) {
    const int x = k_label_w + scaled(Millis(t), max_ms, k_bar_w);
    out += fmt::format(
        "<line class=\"grid\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>"
        "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
        x, k_top, x, axis_y + 4, x, axis_y + 17, tick_label(t, step));
  }
  out += fmt::format("<line class=\"axis\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n", k_label_w,
                     axis_y, k_label_w + k_bar_w, axis_y);
  out += fmt::format(
      "<text class=\"tick muted\" x=\"{}\" y=\"{}\" text-anchor=\"end\">time since the drill "
      "started</text>\n",
      k_label_w + k_bar_w, axis_y + 29);
  int y = k_top;
  for (const auto& p : backup.phases) {
    const int x = k_label_w + scaled(p.started, max_ms, k_bar_w);
    const int w = std::max(2, scaled(p.duration, max_ms, k_bar_w));
    out += fmt::format(
        "<g class=\"phase\"><title>{}: {}, started at +{}, took {}</title>"
        "<text class=\"label\" x=\"0\" y=\"{}\">{}</text>"
        "<rect class=\"phase-bar st-{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"18\" rx=\"2\"/>"
        "<text class=\"value\" x=\"{}\" y=\"{}\">{}{}</text></g>\n",
        esc(p.name), status_name(p.status), esc(human_duration(p.started)),
        esc(human_duration(p.duration)), y + 18, esc(p.name), status_name(p.status), x, y + 4, w,
        k_label_w + k_bar_w + 10, y + 18, esc(human_duration(p.duration)),
        p.status == Status::passed ? "" : fmt::format(" \u00b7 {}", status_name(p.status)));
    y += k_row;
  }
  return out + "</svg>\n";
}

std::string calendar_chart(const std::vector<CalendarDay>& days_in) {
  if (days_in.empty()) return {};
  constexpr int k_cell_w = 92, k_cell_h = 54, k_gap = 4, k_header = 18;
  const int offset = static_cast<int>(weekday{days_in.front().day}.iso_encoding()) - 1;
  const int count = static_cast<int>(days_in.size());
  const int rows = (offset + count + 6) / 7;
  const int grid_h = k_header + rows * (k_cell_h + k_gap);
  const int width = 7 * (k_cell_w + k_gap);
  std::string out = svg_open(width, grid_h + 24, "calendar",
                             "Calendar of recent runs: one cell per day, coloured by outcome");
  static constexpr std::array<const char*, 7> k_weekdays = {"Mon", "Tue", "Wed", "Thu",
                                                            "Fri", "Sat", "Sun"};
  for (int c = 0; c < 7; ++c)
    out += fmt::format("<text class=\"weekday\" x=\"{}\" y=\"12\">{}</text>\n",
                       c * (k_cell_w + k_gap) + 4, k_weekdays[static_cast<std::size_t>(c)]);
  for (int i = 0; i < count; ++i) {
    const CalendarDay& d = days_in[static_cast<std::size_t>(i)];
    const int x = (offset + i) % 7 * (k_cell_w + k_gap);
    const int y = k_header + (offset + i) / 7 * (k_cell_h + k_gap);
    const int runs = d.passed + d.failed + d.error;
    const bool current = i == count - 1;
    std::string detail = runs == 0 ? "" : fmt::format("{} run{}", runs, runs == 1 ? "" : "s");
    if (d.overdue) detail += ", overdue";
    out += fmt::format(
        "<g class=\"cal-day\"><title>{}</title>"
        "<rect class=\"day day-{}{}{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"4\"/>"
        "<text class=\"day-date\" x=\"{}\" y=\"{}\">{}</text>"
        "<text class=\"day-state\" x=\"{}\" y=\"{}\">{}</text>"
        "<text class=\"day-detail\" x=\"{}\" y=\"{}\">{}</text></g>\n",
        day_tooltip(d) + (current ? " (the day of this run)" : ""), day_state_name(d.state),
        d.overdue ? " overdue" : "", current ? " current" : "", x, y, k_cell_w, k_cell_h, x + 6,
        y + 15, short_day(d.day), x + 6, y + 32, day_state_text(d.state), x + 6, y + 47, detail);
  }
  return out + calendar_legend(grid_h + 6) + "</svg>\n";
}

}  // namespace dp::reports::detail
