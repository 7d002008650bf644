#pragma once
// report.html: one self-contained page an auditor can read, print and keep.
// No external assets and no scripts: styles are inline, charts are inline
// SVG, and a Content-Security-Policy meta tag forbids scripts outright, so a
// hostile table name can neither load nor run anything. Every string from the
// plan, a database, a tool or an error message goes through one escaping
// function. Pure: no clocks, no environment, no disk.
#include <span>
#include <string>

#include "reports/history.hpp"
#include "reports/run_report.hpp"

namespace dp::reports {

struct HtmlOptions {
  // Earlier runs from the history (oldest first), for the calendar of recent
  // runs; the run being rendered is added by the renderer. May be empty.
  std::span<const HistoryEntry> history;
  // The schedule the calendar measures against: a day with no run within it
  // is marked missed.
  Millis expect_every{24 * 3'600'000};
  int calendar_days = 35;
};

// Escapes text for HTML element content and attribute values (& < > " ').
std::string html_escape(std::string_view text);

std::string render_html(const RunReport& report, const HtmlOptions& options);

}  // namespace dp::reports
