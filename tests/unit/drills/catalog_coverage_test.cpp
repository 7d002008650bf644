// Retention coverage with an injected clock: gaps at both window edges,
// month and ISO-week boundaries, time zones, duplicates, future backups and
// an empty catalog. "Now" is Saturday 2026-11-21 16:00 UTC throughout.
#include "drills/catalog_coverage.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>

namespace dp::drills {
namespace {

using config::CatalogPeriod;
using config::CatalogRequirement;
using namespace std::chrono;

TimePoint at(std::string_view text) { return parse_timestamp(text).value(); }

const TimePoint k_now = at("2026-11-21T16:00:00Z");

// One backup at 02:00 UTC on each day from `first` to `last` inclusive,
// except the days listed in `skip`.
std::vector<TimePoint> daily(std::string_view first, std::string_view last,
                             std::vector<std::string_view> skip = {}) {
  std::vector<TimePoint> out;
  for (TimePoint t = at(first) + hours{2}; t <= at(last) + hours{2}; t += days{1}) {
    bool skipped = false;
    for (auto s : skip) skipped |= (t == at(s) + hours{2});
    if (!skipped) out.push_back(t);
  }
  return out;
}

CatalogRequirement req(CatalogPeriod period, int count, std::string text) {
  return CatalogRequirement{period, count, std::move(text)};
}

std::vector<std::string> messages(const Coverage& c, CatalogPeriod period) {
  std::vector<std::string> out;
  for (const auto& g : c.gaps) out.push_back(gap_message(g, period));
  return out;
}

TEST(CatalogCoverage, CompleteDailyCatalogIncludingTodayHasNoGap) {
  auto times = daily("2026-10-01", "2026-11-21");
  auto c = coverage(times, req(CatalogPeriod::day, 35, "daily 35d"), k_now, TimeZone::utc());
  EXPECT_TRUE(c.current_counted);
  EXPECT_EQ(c.first, "2026-10-18");
  EXPECT_EQ(c.last, "2026-11-21");
  EXPECT_EQ(c.window, 35);
  EXPECT_EQ(c.covered, 35);
  EXPECT_TRUE(c.gaps.empty());
}

TEST(CatalogCoverage, TodayWithoutBackupYetIsNotAGap) {
  // 01:00, the 02:00 backup is not due yet: the newest is 23 h old.
  auto times = daily("2026-10-01", "2026-11-20");
  auto c = coverage(times, req(CatalogPeriod::day, 35, "daily 35d"), at("2026-11-21T01:00:00Z"),
                    TimeZone::utc());
  EXPECT_FALSE(c.current_counted);
  EXPECT_EQ(c.first, "2026-10-17");
  EXPECT_EQ(c.last, "2026-11-20");
  EXPECT_EQ(c.covered, 35);
  EXPECT_TRUE(c.gaps.empty());
  // Still left out at 04:00 (26 h), counted and missing from 04:00 on.
  c = coverage(times, req(CatalogPeriod::day, 35, "daily 35d"), at("2026-11-21T03:59:59Z"),
               TimeZone::utc());
  EXPECT_TRUE(c.gaps.empty());
  c = coverage(times, req(CatalogPeriod::day, 35, "daily 35d"), at("2026-11-21T04:00:00Z"),
               TimeZone::utc());
  EXPECT_TRUE(c.current_counted);
  EXPECT_EQ(messages(c, CatalogPeriod::day),
            (std::vector<std::string>{"no daily backup for 2026-11-21"}));
}

TEST(CatalogCoverage, StaleMonthlyCatalogFailsInTheCurrentMonth) {
  // monthly 12, the last backup on 1 October: on 30 November it is 60
  // days old and November is a gap (it passed before the fix).
  std::vector<TimePoint> times;
  for (int m = 1; m <= 10; ++m) times.push_back(at(fmt::format("2026-{:02}-01T03:00:00Z", m)));
  times.push_back(at("2025-12-01T03:00:00Z"));
  auto c = coverage(times, req(CatalogPeriod::month, 12, "monthly 12"), at("2026-11-30T12:00:00Z"),
                    TimeZone::utc());
  EXPECT_TRUE(c.current_counted);
  EXPECT_EQ(c.first, "2025-12");
  EXPECT_EQ(c.last, "2026-11");
  EXPECT_EQ(c.covered, 11);
  EXPECT_EQ(messages(c, CatalogPeriod::month),
            (std::vector<std::string>{"no monthly backup for 2026-11"}));
  // On 3 November (33 days after 1 October) November is not due yet.
  c = coverage(times, req(CatalogPeriod::month, 12, "monthly 12"), at("2026-11-03T12:00:00Z"),
               TimeZone::utc());
  EXPECT_FALSE(c.current_counted);
  EXPECT_EQ(c.last, "2026-10");
  EXPECT_EQ(c.covered, 11);  // 2025-11 .. 2026-10 minus 2025-11
  EXPECT_EQ(messages(c, CatalogPeriod::month),
            (std::vector<std::string>{"no monthly backup for 2025-11"}));
}

TEST(CatalogCoverage, EveryGapIsListedAsARange) {
  auto times =
      daily("2026-10-01", "2026-11-21", {"2026-11-03", "2026-11-04", "2026-11-05", "2026-11-10"});
  auto c = coverage(times, req(CatalogPeriod::day, 35, "daily 35d"), k_now, TimeZone::utc());
  EXPECT_EQ(c.covered, 31);
  EXPECT_EQ(messages(c, CatalogPeriod::day),
            (std::vector<std::string>{"no daily backup for 2026-11-03 .. 2026-11-05 (3 days)",
                                      "no daily backup for 2026-11-10"}));
}

TEST(CatalogCoverage, GapsAtBothEdgesOfTheWindow) {
  // The window is 2026-11-15 .. 2026-11-21 (today is covered); its first
  // day is missing, and so is yesterday.
  auto times = daily("2026-11-16", "2026-11-21", {"2026-11-20"});
  auto c = coverage(times, req(CatalogPeriod::day, 7, "daily 7d"), k_now, TimeZone::utc());
  EXPECT_EQ(messages(c, CatalogPeriod::day),
            (std::vector<std::string>{"no daily backup for 2026-11-15",
                                      "no daily backup for 2026-11-20"}));
  // A backup just before the window does not count.
  times.push_back(at("2026-11-14T23:59:59Z"));
  c = coverage(times, req(CatalogPeriod::day, 7, "daily 7d"), k_now, TimeZone::utc());
  EXPECT_EQ(c.gaps.size(), 2u);
}

TEST(CatalogCoverage, StaleCatalogFailsFromTheDayAfterItsLastBackup) {
  auto times = daily("2026-10-01", "2026-11-15");
  auto c = coverage(times, req(CatalogPeriod::day, 35, "daily 35d"), k_now, TimeZone::utc());
  EXPECT_EQ(messages(c, CatalogPeriod::day),
            (std::vector<std::string>{"no daily backup for 2026-11-16 .. 2026-11-21 (6 days)"}));
}

TEST(CatalogCoverage, EmptyCatalogIsOneGapOverTheWholeWindow) {
  auto c = coverage({}, req(CatalogPeriod::day, 35, "daily 35d"), k_now, TimeZone::utc());
  EXPECT_EQ(c.covered, 0);
  EXPECT_EQ(messages(c, CatalogPeriod::day),
            (std::vector<std::string>{"no daily backup for 2026-10-18 .. 2026-11-21 (35 days)"}));
}

TEST(CatalogCoverage, DuplicatesCountOncePerDay) {
  auto times = daily("2026-11-15", "2026-11-21");
  auto copy = times;
  for (auto t : copy) times.push_back(t + hours{12});
  auto c = coverage(times, req(CatalogPeriod::day, 7, "daily 7d"), k_now, TimeZone::utc());
  EXPECT_EQ(c.covered, 7);
  EXPECT_TRUE(c.gaps.empty());
}

TEST(CatalogCoverage, BackupsAfterNowDoNotCount) {
  auto times = daily("2026-11-14", "2026-11-20");
  times.push_back(at("2026-11-21T17:00:00Z"));  // later today: not taken yet
  auto c = coverage(times, req(CatalogPeriod::day, 7, "daily 7d"), k_now, TimeZone::utc());
  EXPECT_TRUE(c.current_counted);  // the 02:00 backup is 14 h overdue
  EXPECT_EQ(messages(c, CatalogPeriod::day),
            (std::vector<std::string>{"no daily backup for 2026-11-21"}));
}

TEST(CatalogCoverage, DaysAreCalendarDaysOfTheZone) {
  // 23:30 UTC on the 20th is 00:30 on the 21st at +01:00.
  std::vector<TimePoint> times = {at("2026-11-19T12:00:00Z"), at("2026-11-20T23:30:00Z")};
  auto utc = coverage(times, req(CatalogPeriod::day, 2, "daily 2d"), k_now, TimeZone::utc());
  EXPECT_EQ(utc.last, "2026-11-20");
  EXPECT_TRUE(utc.gaps.empty());
  auto cet = coverage(times, req(CatalogPeriod::day, 3, "daily 3d"), k_now,
                      TimeZone::parse("+01:00").value());
  EXPECT_TRUE(cet.current_counted);
  EXPECT_EQ(messages(cet, CatalogPeriod::day),
            (std::vector<std::string>{"no daily backup for 2026-11-20"}));
  auto west = coverage(times, req(CatalogPeriod::day, 2, "daily 2d"), k_now,
                       TimeZone::parse("-05:00").value());
  EXPECT_EQ(west.last, "2026-11-20");  // 18:30 on the 20th there
  EXPECT_TRUE(west.gaps.empty());
}

TEST(CatalogCoverage, MonthlyNamesTheMissingMonth) {
  std::vector<TimePoint> times;
  for (int m = 1; m <= 12; ++m)
    if (m != 3) times.push_back(at(fmt::format("2026-{:02}-01T03:00:00Z", m)));
  times.push_back(at("2025-12-01T03:00:00Z"));
  auto c = coverage(times, req(CatalogPeriod::month, 12, "monthly 12"), k_now, TimeZone::utc());
  EXPECT_TRUE(c.current_counted);  // 2026-11-01 is in
  EXPECT_EQ(c.first, "2025-12");
  EXPECT_EQ(c.last, "2026-11");
  EXPECT_EQ(c.covered, 11);
  EXPECT_EQ(messages(c, CatalogPeriod::month),
            (std::vector<std::string>{"no monthly backup for 2026-03"}));
}

TEST(CatalogCoverage, MonthBoundaryFollowsTheZone) {
  // 2026-02-28 23:30 UTC is already March at +01:00.
  std::vector<TimePoint> times = {at("2026-02-28T23:30:00Z")};
  TimePoint now = at("2026-03-15T00:00:00Z");
  auto utc = coverage(times, req(CatalogPeriod::month, 1, "monthly 1"), now, TimeZone::utc());
  EXPECT_FALSE(utc.current_counted);
  EXPECT_EQ(utc.last, "2026-02");
  EXPECT_TRUE(utc.gaps.empty());
  auto cet = coverage(times, req(CatalogPeriod::month, 1, "monthly 1"), now,
                      TimeZone::parse("+01:00").value());
  EXPECT_TRUE(cet.current_counted);
  EXPECT_EQ(cet.last, "2026-03");
}

TEST(CatalogCoverage, MonthlyRangeAcrossAYearEnd) {
  std::vector<TimePoint> times = {at("2025-10-05T00:00:00Z"), at("2026-02-05T00:00:00Z")};
  auto c = coverage(times, req(CatalogPeriod::month, 5, "monthly 5"), at("2026-02-10T00:00:00Z"),
                    TimeZone::utc());
  EXPECT_EQ(messages(c, CatalogPeriod::month),
            (std::vector<std::string>{"no monthly backup for 2025-11 .. 2026-01 (3 months)"}));
}

TEST(CatalogCoverage, WeeklyUsesIsoWeeks) {
  EXPECT_EQ(
      period_label(CatalogPeriod::week, period_index(CatalogPeriod::week, k_now, TimeZone::utc())),
      "2026-W47");
  // 2027-01-01 is a Friday in ISO week 53 of 2026; 2026-01-01 (Thursday) is
  // in week 1 of 2026, and 2025-12-29 (Monday) too.
  auto week_of = [](std::string_view t) {
    return period_label(CatalogPeriod::week,
                        period_index(CatalogPeriod::week, at(t), TimeZone::utc()));
  };
  EXPECT_EQ(week_of("2027-01-01T12:00:00Z"), "2026-W53");
  EXPECT_EQ(week_of("2026-01-01T12:00:00Z"), "2026-W01");
  EXPECT_EQ(week_of("2025-12-29T00:00:00Z"), "2026-W01");
  EXPECT_EQ(week_of("2025-12-28T23:59:59Z"), "2025-W52");
  // Sunday and the next Monday are different weeks.
  std::vector<TimePoint> times = {at("2026-11-08T23:00:00Z"), at("2026-11-16T01:00:00Z")};
  auto c = coverage(times, req(CatalogPeriod::week, 3, "weekly 3w"), k_now, TimeZone::utc());
  EXPECT_EQ(messages(c, CatalogPeriod::week),
            (std::vector<std::string>{"no weekly backup for 2026-W46"}));
}

TEST(CatalogCoverage, HourlyAndYearlyLabels) {
  std::vector<TimePoint> times = {at("2026-11-21T13:05:00Z"), at("2026-11-21T15:59:00Z")};
  auto c = coverage(times, req(CatalogPeriod::hour, 4, "hourly 4h"), k_now, TimeZone::utc());
  EXPECT_FALSE(c.current_counted);  // nothing yet in 16:00
  EXPECT_EQ(messages(c, CatalogPeriod::hour),
            (std::vector<std::string>{"no hourly backup for 2026-11-21 12:00",
                                      "no hourly backup for 2026-11-21 14:00"}));
  times = {at("2023-06-01T00:00:00Z"), at("2026-01-01T00:00:00Z")};
  c = coverage(times, req(CatalogPeriod::year, 4, "yearly 4"), k_now, TimeZone::utc());
  EXPECT_EQ(messages(c, CatalogPeriod::year),
            (std::vector<std::string>{"no yearly backup for 2024 .. 2025 (2 years)"}));
}

TEST(NameTime, ReadsRealBackupNames) {
  auto utc = TimeZone::utc();
  auto read = [&](std::string_view format, std::string_view name) -> std::string {
    auto f = NameTimeFormat::compile(format);
    if (!f) return "compile: " + f.error().message;
    auto civil = f->find(name);
    return civil ? format_timestamp(utc.to_utc(*civil)) : "no match";
  };
  EXPECT_EQ(read("%Y%m%d-%H%M%S", "20261121-020000F"), "2026-11-21T02:00:00Z");  // pgBackRest
  EXPECT_EQ(read("%Y%m%dT%H%M%S", "20261121T020000"), "2026-11-21T02:00:00Z");   // Barman
  EXPECT_EQ(read("%Y-%m-%d", "shop-2026-11-21.sql.gz"), "2026-11-21T00:00:00Z");
  EXPECT_EQ(read("%Y/%m/%d", "2026/11/21/base.tar"), "2026-11-21T00:00:00Z");
  EXPECT_EQ(read("%Y-%m-%dT%H%M%SZ", "shop-2026-11-21T023015Z.dump"), "2026-11-21T02:30:15Z");
  EXPECT_EQ(read("%Y-%m", "archive-2026-11.tar"), "2026-11-01T00:00:00Z");
  EXPECT_EQ(read("%Y.%j", "db.2026.325.bak"), "2026-11-21T00:00:00Z");
  EXPECT_EQ(read("%y%m%d", "shop_261121.dump"), "2026-11-21T00:00:00Z");
  // pgBackRest diff/incr labels name the full first: the last match wins.
  EXPECT_EQ(read("%Y%m%d-%H%M%S", "20261120-020000F_20261121-020000D"), "2026-11-21T02:00:00Z");
  EXPECT_EQ(read("%Y%m%d-%H%M%S", "20261120-020000F_20261121-031500I"), "2026-11-21T03:15:00Z");
  // The last valid place wins; invalid dates and digit runs do not match.
  EXPECT_EQ(read("%Y-%m-%d", "v2-2026-13-01-2026-11-21"), "2026-11-21T00:00:00Z");
  EXPECT_EQ(read("%Y-%m-%d", "shop-2026-02-30.dump"), "no match");
  EXPECT_EQ(read("%Y%m%d", "shop-920261121.dump"), "no match");
  EXPECT_EQ(read("%Y%m%d", "shop-202611219.dump"), "no match");
  EXPECT_EQ(read("%Y-%m-%d", "shop-latest.dump"), "no match");
}

TEST(NameTime, BadFormatsAreExplained) {
  EXPECT_EQ(NameTimeFormat::compile("%Y-%q").error().message,
            "unknown field '%q'; use %Y %y %m %d %j %H %M %S or %%");
  EXPECT_EQ(NameTimeFormat::compile("%m-%d").error().message, "has no year field (%Y or %y)");
  EXPECT_EQ(NameTimeFormat::compile("%Y-%d").error().message, "has a day (%d) but no month (%m)");
  EXPECT_EQ(NameTimeFormat::compile("%Y%").error().message,
            "ends with a lone '%'; write %% for a literal '%'");
  EXPECT_TRUE(NameTimeFormat::compile("100%%-%Y").value().find("100%-2026").has_value());
}

TEST(NameTime, TimeZones) {
  CivilTime c{2026, 11, 21, 2, 0, 0};
  EXPECT_EQ(format_timestamp(TimeZone::parse("+01:00").value().to_utc(c)), "2026-11-21T01:00:00Z");
  EXPECT_EQ(format_timestamp(TimeZone::parse("-0530").value().to_utc(c)), "2026-11-21T07:30:00Z");
  EXPECT_EQ(format_timestamp(TimeZone::parse("UTC").value().to_utc(c)), "2026-11-21T02:00:00Z");
  EXPECT_TRUE(TimeZone::parse("local").value().is_local());
  EXPECT_EQ(TimeZone::parse("CET").error().message,
            "unknown time zone 'CET'; use \"UTC\", \"local\" or an offset like \"+01:00\"");
  EXPECT_FALSE(TimeZone::parse("+25:00").has_value());
}

}  // namespace
}  // namespace dp::drills

namespace dp::drills {
namespace {

// "local" follows the C library's zone, daylight saving included: with
// TZ=Europe/Berlin, 02:00 on a summer day is 00:00 UTC and on a winter day
// 01:00 UTC, and a backup at 23:30 UTC in summer belongs to the next day.
TEST(NameTime, LocalZoneFollowsDaylightSaving) {
  if (!std::filesystem::exists("/usr/share/zoneinfo/Europe/Berlin"))
    GTEST_SKIP() << "tzdata not installed";
  const char* old = std::getenv("TZ");
  std::string saved = old ? old : "";
  ::setenv("TZ", "Europe/Berlin", 1);
  ::tzset();
  auto local = TimeZone::parse("local").value();
  EXPECT_EQ(format_timestamp(local.to_utc(CivilTime{2026, 7, 1, 2, 0, 0})), "2026-07-01T00:00:00Z");
  EXPECT_EQ(format_timestamp(local.to_utc(CivilTime{2026, 11, 21, 2, 0, 0})),
            "2026-11-21T01:00:00Z");
  std::vector<TimePoint> times = {at("2026-07-01T23:30:00Z")};
  auto c = coverage(times, config::CatalogRequirement{config::CatalogPeriod::day, 1, "daily 1d"},
                    at("2026-07-02T12:00:00Z"), local);
  EXPECT_TRUE(c.current_counted);
  EXPECT_EQ(c.last, "2026-07-02");
  if (old)
    ::setenv("TZ", saved.c_str(), 1);
  else
    ::unsetenv("TZ");
  ::tzset();
}

// Hourly coverage across both 2026 changes in Europe/Berlin, one backup at
// :05 of every UTC hour. Spring (29 March, 02:00 CET -> 03:00 CEST at
// 01:00 UTC): no wall hour 02:00 exists and none is a gap. Autumn (25
// October, 03:00 CEST -> 02:00 CET at 01:00 UTC): 02:00 happens twice and a
// missing first one is a gap, not covered by the second.
TEST(CatalogCoverage, HourlyLocalAcrossDaylightSavingChanges) {
  if (!std::filesystem::exists("/usr/share/zoneinfo/Europe/Berlin"))
    GTEST_SKIP() << "tzdata not installed";
  const char* old = std::getenv("TZ");
  std::string saved = old ? old : "";
  ::setenv("TZ", "Europe/Berlin", 1);
  ::tzset();
  auto local = TimeZone::parse("local").value();
  auto hourly = [](std::string_view first, int n) {
    std::vector<TimePoint> out;
    for (int i = 0; i < n; ++i) out.push_back(at(first) + minutes{5} + hours{i});
    return out;
  };
  const CatalogRequirement six = req(CatalogPeriod::hour, 6, "hourly 6h");

  auto spring = hourly("2026-03-28T22:00:00Z", 7);  // 22:05Z .. 04:05Z
  auto c = coverage(spring, six, at("2026-03-29T04:30:00Z"), local);
  EXPECT_EQ(c.first, "2026-03-29 00:00");  // 23:00 UTC, CET
  EXPECT_EQ(c.last, "2026-03-29 06:00");   // 04:00 UTC, CEST
  EXPECT_EQ(c.covered, 6);
  EXPECT_TRUE(c.gaps.empty());
  spring.erase(spring.begin() + 3);  // 01:05 UTC = 03:05 CEST
  c = coverage(spring, six, at("2026-03-29T04:30:00Z"), local);
  EXPECT_EQ(messages(c, CatalogPeriod::hour),
            (std::vector<std::string>{"no hourly backup for 2026-03-29 03:00"}));

  auto autumn = hourly("2026-10-24T22:00:00Z", 7);
  c = coverage(autumn, six, at("2026-10-25T04:30:00Z"), local);
  EXPECT_EQ(c.first, "2026-10-25 01:00");  // 23:00 UTC, CEST
  EXPECT_EQ(c.last, "2026-10-25 05:00");   // 04:00 UTC, CET
  EXPECT_EQ(c.covered, 6);
  EXPECT_TRUE(c.gaps.empty());
  autumn.erase(autumn.begin() + 2);  // 00:05 UTC = 02:05 CEST; 02:05 CET stays
  c = coverage(autumn, six, at("2026-10-25T04:30:00Z"), local);
  EXPECT_EQ(c.covered, 5);
  EXPECT_EQ(messages(c, CatalogPeriod::hour),
            (std::vector<std::string>{"no hourly backup for 2026-10-25 02:00"}));

  if (old)
    ::setenv("TZ", saved.c_str(), 1);
  else
    ::unsetenv("TZ");
  ::tzset();
}

}  // namespace
}  // namespace dp::drills
