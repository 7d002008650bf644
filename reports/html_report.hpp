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
  // The schedule the calendar measures against. 24h: a day on which no run
  // started is missed. Any other interval: a day without a run is missed when
  // it overlaps a gap between two runs longer than this (from the earlier run
  // + expect_every to the later run). Days before the first recorded run are
  // "no data", never missed. Rules in docs/html-report.md.
  Millis expect_every{24 * 3'600'000};
  // Days shown, ending at the UTC day the report's run started (1..366).
  int calendar_days = 35;
};

// Escapes text for HTML element content and attribute values (& < > " ').
// Invalid UTF-8 becomes U+FFFD; control characters other than tab, LF and CR
// become the visible text "\xNN" (C1 controls "\u{NN}"). Total: never fails.
std::string html_escape(std::string_view text);

// The whole page. Same report and options, same bytes.
std::string render_html(const RunReport& report, const HtmlOptions& options);

}  // namespace dp::reports
