#pragma once
// Retention coverage of a catalog of dated backups (docs/plan.md,
// [[catalog]]). Pure: the clock (`now`) and the zone are arguments, so the
// calendar rules are tested without touching the file system.
//
// A requirement "daily 35d" looks at the 35 calendar days (in the catalog's
// time zone) ending today, if today already holds a backup or the newest
// backup is older than one period plus a grace (26 h for days; 2 h, 8 d,
// 34 d, 373 d for hours, weeks, months, years), else ending yesterday: a
// drill that runs before today's backup is due does not count today as a
// gap, while a stale catalog (even a monthly one) has a gap for today.
// The same rule holds for hours, ISO weeks (Monday to Sunday), calendar
// months and years. Backups dated after `now` are not counted.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "verifier/config/config.hpp"
#include "verifier/core/name_time.hpp"

namespace dp::drills {

// A run of consecutive periods without a backup, as labels: "2026-11-03"
// (day), "2026-11-21 03:00" (hour), "2026-W45" (ISO week), "2026-11"
// (month), "2026" (year).
struct CoverageGap {
  std::string first;
  std::string last;
  int periods = 0;
};

struct Coverage {
  int window = 0;                 // periods looked at (the requirement's count)
  int covered = 0;                // of them, holding at least one backup
  std::string first, last;        // the window's first and last period
  bool current_counted = false;   // the window ends with the period `now` is in
  std::vector<CoverageGap> gaps;  // oldest first
};

Coverage coverage(std::span<const TimePoint> times, const config::CatalogRequirement& requirement,
                  TimePoint now, const TimeZone& zone);

// "no daily backup for 2026-11-03 .. 2026-11-05 (3 days)", or for one
// period "no daily backup for 2026-11-03".
std::string gap_message(const CoverageGap& gap, config::CatalogPeriod period);

// "daily", "hours", ...: the adjective and the plural noun of a period.
const char* period_adjective(config::CatalogPeriod period);
const char* period_plural(config::CatalogPeriod period);

// The period `t` falls in, numbered from the epoch in `zone`'s wall clock,
// and its label. Hours are the exception: they are numbered on the UTC line
// (shifted by the zone's sub-hour offset, e.g. +05:30) and labelled on the
// wall clock, so across a daylight saving change no hour is skipped and
// none counted twice; the repeated autumn hour shows as two periods with
// the same label ("2026-10-25 02:00"). Exposed for tests.
std::int64_t period_index(config::CatalogPeriod period, TimePoint t, const TimeZone& zone);
std::string period_label(config::CatalogPeriod period, std::int64_t index,
                         const TimeZone& zone = TimeZone::utc());

}  // namespace dp::drills
