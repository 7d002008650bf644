#pragma once
// Internal to reports/: the inline SVG charts of report.html (objectives,
// phase timeline, calendar of recent runs) and the calendar's day model,
// which the compliance mapping reuses. Not part of the public report API.
// Every function is pure: the only times used are those in the report and
// the history, never the clock, so the same input renders the same bytes.
// Text inside the SVG goes through html_escape like the rest of the page.
#include <chrono>
#include <string>
#include <vector>

#include "reports/html_report.hpp"
#include "reports/run_report.hpp"

namespace dp::reports::detail {

// no_data: before the first recorded run, so nothing can be said.
// idle:    no run, and none was due (a gap within expect_every).
// missed:  no run although one was due.
// passed/failed/error: the worst verdict of the runs started that day.
enum class DayState { no_data, idle, missed, passed, failed, error };
const char* day_state_name(DayState s);

struct CalendarDay {
  std::chrono::sys_days day;
  DayState state = DayState::no_data;
  int passed = 0;
  int failed = 0;
  int error = 0;
  // A day with runs that still lies inside an overdue gap (only possible
  // when runs are due more often than daily).
  bool overdue = false;
};

// The last options.calendar_days days (UTC, clamped to 1..366) ending at the
// day the report's run started, oldest first. Runs are options.history (a
// line repeating the report's run_id is ignored) plus the report itself.
// With expect_every of exactly 24h a day without a run is missed; for any
// other schedule a day without a run is missed when it overlaps a gap that
// exceeded expect_every, i.e. lies after previous run + expect_every and
// before the next run. Days before the first recorded run are no_data.
std::vector<CalendarDay> build_calendar(const RunReport& report, const HtmlOptions& options);

// Horizontal bars per objective: the objective against the achieved value,
// red when missed, "not measured" when nothing was achieved. Returns a
// paragraph instead of an SVG when the backup has no objectives.
std::string objectives_chart(const BackupResult& backup);

// Gantt chart of the backup's phases: one bar per phase at its start offset,
// coloured by status, with an axis labelled in seconds, minutes or hours.
std::string phase_gantt(const BackupResult& backup);

// The calendar grid (weeks as rows, Monday first) with its legend.
std::string calendar_chart(const std::vector<CalendarDay>& days);

// "4.210s", "12m 03s", "1h 02m 03s": a measured time for people.
std::string human_duration(Millis d);

}  // namespace dp::reports::detail
