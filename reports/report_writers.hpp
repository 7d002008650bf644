#pragma once
// Renderers of a finished RunReport. Pure functions of the report: no
// clocks, no environment. write_reports() is the only one that touches disk.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "reports/html_report.hpp"
#include "reports/run_report.hpp"
#include "verifier/core/result.hpp"

namespace dp::reports {

// Escapes text for XML 1.0 element content and attribute values: & < > " '
// become entities; control characters other than tab, LF and CR (which XML
// 1.0 cannot carry at all) become the visible text "\xNN"; invalid UTF-8
// bytes become U+FFFD. The result is always well-formed.
std::string xml_escape(std::string_view text);

// JUnit XML valid against shared/schemas/junit-10.xsd: one testsuite per
// backup; testcases "provision", "restore", "rto objective", one per check
// (its name), "teardown". Testcase names never contain dates or ids.
std::string render_junit(const RunReport& report);

// report.json, format documented in docs/report.md.
std::string render_json(const RunReport& report);

// The short stdout summary; ANSI colour only when `color`.
std::string render_summary(const RunReport& report, bool color);

// Creates `dir` and writes report.json, junit.xml and report.html into it,
// each atomically; returns the names written (relative to `dir`).
Result<std::vector<std::string>> write_reports(const RunReport& report,
                                               const std::filesystem::path& dir,
                                               const HtmlOptions& html);

// Writes `content` to a unique "<path>.tmp.XXXXXX" in the same directory,
// fsyncs it, renames it over `path` (mode 0644) and fsyncs the directory, so
// a reader never sees a half-written file and concurrent writers never
// publish each other's partial output. Errc::io naming the path.
Result<void> write_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace dp::reports
