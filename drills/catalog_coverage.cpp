// Periods are numbered on the zone's wall clock so that "a calendar day"
// means the day a person in that zone would name; weeks count from Monday
// 1969-12-29 so that a week index maps to one ISO week.
#include "drills/catalog_coverage.hpp"

#include <fmt/format.h>

#include <optional>
#include <set>

namespace dp::drills {
namespace {

using namespace std::chrono;
using config::CatalogPeriod;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

std::string day_label(sys_days day) {
  year_month_day ymd{day};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

}  // namespace

const char* period_adjective(CatalogPeriod period) {
  switch (period) {
    case CatalogPeriod::hour:
      return "hourly";
    case CatalogPeriod::day:
      return "daily";
    case CatalogPeriod::week:
      return "weekly";
    case CatalogPeriod::month:
      return "monthly";
    case CatalogPeriod::year:
      return "yearly";
  }
  return "daily";
}

const char* period_plural(CatalogPeriod period) {
  switch (period) {
    case CatalogPeriod::hour:
      return "hours";
    case CatalogPeriod::day:
      return "days";
    case CatalogPeriod::week:
      return "weeks";
    case CatalogPeriod::month:
      return "months";
    case CatalogPeriod::year:
      return "years";
  }
  return "days";
}

namespace {

// The part of the zone's offset at `utc_secs` below a whole hour (1800 at
// +05:30, 0 in every zone whose daylight saving shifts by whole hours).
std::int64_t sub_hour_offset(std::int64_t utc_secs, const TimeZone& zone) {
  const TimePoint t{std::chrono::seconds{utc_secs}};
  const std::int64_t offset = zone.wall_clock(t).time_since_epoch().count() - utc_secs;
  return offset - floor_div(offset, 3'600) * 3'600;
}

}  // namespace

std::int64_t period_index(CatalogPeriod period, TimePoint t, const TimeZone& zone) {
  const std::int64_t secs = zone.wall_clock(t).time_since_epoch().count();
  const std::int64_t day = floor_div(secs, 86'400);
  switch (period) {
    case CatalogPeriod::hour: {
      // Hours are counted on the UTC line, not the wall clock: at a
      // daylight saving change the wall clock skips or repeats an hour, and
      // counting wall hours would report the skipped one as a gap and merge
      // the repeated two.
      const std::int64_t utc = floor<seconds>(t).time_since_epoch().count();
      return floor_div(utc + sub_hour_offset(utc, zone), 3'600);
    }
    case CatalogPeriod::day:
      return day;
    case CatalogPeriod::week:
      return floor_div(day + 3, 7);  // 1970-01-01 was a Thursday
    case CatalogPeriod::month:
    case CatalogPeriod::year: {
      year_month_day ymd{sys_days{days{day}}};
      std::int64_t y = static_cast<int>(ymd.year());
      if (period == CatalogPeriod::year) return y;
      return y * 12 + static_cast<unsigned>(ymd.month()) - 1;
    }
  }
  return day;
}

std::string period_label(CatalogPeriod period, std::int64_t index, const TimeZone& zone) {
  switch (period) {
    case CatalogPeriod::hour: {
      // The hour's start on the UTC line, shown on the zone's wall clock.
      std::int64_t start = index * 3'600;
      start -= sub_hour_offset(start, zone);
      const std::int64_t wall =
          zone.wall_clock(TimePoint{seconds{start}}).time_since_epoch().count();
      const std::int64_t hour = floor_div(wall, 3'600);
      return fmt::format("{} {:02}:00", day_label(sys_days{days{floor_div(hour, 24)}}),
                         hour - floor_div(hour, 24) * 24);
    }
    case CatalogPeriod::day:
      return day_label(sys_days{days{index}});
    case CatalogPeriod::week: {
      sys_days thursday{days{index * 7}};  // the week's Monday is index * 7 - 3
      year_month_day ymd{thursday};
      sys_days jan1{ymd.year() / January / 1};
      auto week = (thursday - jan1).count() / 7 + 1;
      return fmt::format("{:04}-W{:02}", static_cast<int>(ymd.year()), week);
    }
    case CatalogPeriod::month:
      return fmt::format("{:04}-{:02}", floor_div(index, 12),
                         index - floor_div(index, 12) * 12 + 1);
    case CatalogPeriod::year:
      return fmt::format("{:04}", index);
  }
  return {};
}

std::chrono::hours current_skip_limit(CatalogPeriod period) {
  using std::chrono::hours;
  switch (period) {
    case CatalogPeriod::hour:
      return hours{2};  // 1 h + 1 h: an hourly job that ran a little late
    case CatalogPeriod::day:
      return hours{26};  // 24 h + 2 h
    case CatalogPeriod::week:
      return hours{8 * 24};  // 7 d + 1 d
    case CatalogPeriod::month:
      return hours{34 * 24};  // 31 d + 3 d
    case CatalogPeriod::year:
      return hours{373 * 24};  // 366 d + 7 d
  }
  return hours{26};
}

Coverage coverage(std::span<const TimePoint> times, const config::CatalogRequirement& requirement,
                  TimePoint now, const TimeZone& zone) {
  const CatalogPeriod period = requirement.period;
  const std::int64_t current = period_index(period, now, zone);
  std::set<std::int64_t> held;
  std::optional<TimePoint> newest;
  for (TimePoint t : times) {
    if (t > now) continue;
    held.insert(period_index(period, t, zone));
    if (!newest || t > *newest) newest = t;
  }

  Coverage out;
  out.window = requirement.count;
  out.current_counted = held.count(current) > 0;
  // The current period is left out only while the newest backup is young
  // enough that the next one is not yet overdue; otherwise a monthly
  // catalog whose last backup was on 1 October would pass all of November.
  const bool skip_current =
      !out.current_counted && newest && now - *newest < current_skip_limit(period);
  const std::int64_t last = skip_current ? current - 1 : current;
  out.current_counted = !skip_current;
  const std::int64_t first = last - requirement.count + 1;
  out.first = period_label(period, first, zone);
  out.last = period_label(period, last, zone);
  std::int64_t gap_start = 0;
  bool in_gap = false;
  for (std::int64_t i = first; i <= last + 1; ++i) {
    const bool has = i <= last && held.count(i) > 0;
    if (i <= last && has) ++out.covered;
    if (i <= last && !has && !in_gap) {
      in_gap = true;
      gap_start = i;
    } else if ((has || i > last) && in_gap) {
      in_gap = false;
      out.gaps.push_back(CoverageGap{period_label(period, gap_start, zone),
                                     period_label(period, i - 1, zone),
                                     static_cast<int>(i - gap_start)});
    }
  }
  return out;
}

std::string gap_message(const CoverageGap& gap, CatalogPeriod period) {
  if (gap.periods == 1)
    return fmt::format("no {} backup for {}", period_adjective(period), gap.first);
  return fmt::format("no {} backup for {} .. {} ({} {})", period_adjective(period), gap.first,
                     gap.last, gap.periods, period_plural(period));
}

}  // namespace dp::drills
