#pragma once
// Internal to reports/: the sections report.html is assembled from, split by
// responsibility (html_report.cpp: the page; html_backup.cpp: one backup
// with its evidence; html_compliance.cpp: the compliance mapping). Each
// returns finished, escaped markup. Not part of the public report API.
#include <cstddef>
#include <string>
#include <vector>

#include "reports/html_charts.hpp"
#include "reports/run_report.hpp"

namespace dp::reports::detail {

// Findings shown per check (its own and its objects' together) and objects
// shown per check; the rest are counted and left to report.json, so a check
// with a million orphaned rows cannot make the page unreadable.
inline constexpr std::size_t k_html_findings_per_check = 200;
inline constexpr std::size_t k_html_objects_per_check = 1000;

// <span class="badge st-failed">failed</span>
std::string status_badge(Status s);

// The anchor of the backup at `index` (0-based): "backup-1". Anchors come
// from positions, never from names, so a hostile name cannot break out of
// an attribute or collide with another id.
std::string backup_anchor(std::size_t index);

// One backup: what was restored, objectives chart, phase timeline with
// messages and stderr tails, every check with its evidence.
std::string backup_section(const BackupResult& backup, std::size_t index);

// The table mapping this run's results to SOC 2, ISO 27001, PCI DSS,
// NIST SP 800-53 and DORA clauses, each with evidence and a status.
std::string compliance_section(const RunReport& report, const std::vector<CalendarDay>& calendar);

}  // namespace dp::reports::detail
