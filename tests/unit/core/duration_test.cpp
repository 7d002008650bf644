#include "verifier/core/duration.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace dp {
namespace {

using namespace std::chrono_literals;

Millis parsed(std::string_view text) {
  auto d = parse_duration(text);
  EXPECT_TRUE(d) << '"' << text << "\": " << (d ? "" : d.error().message);
  return d ? *d : Millis(-1);
}

std::string parse_error(std::string_view text) {
  auto d = parse_duration(text);
  EXPECT_FALSE(d) << '"' << text << "\" parsed as " << (d ? d->count() : 0) << "ms";
  if (d) return "";
  EXPECT_EQ(d.error().code, Errc::invalid_input) << text;
  return d.error().message;
}

TEST(ParseDuration, SingleUnits) {
  EXPECT_EQ(parsed("500ms"), Millis(500));
  EXPECT_EQ(parsed("30s"), Millis(30'000));
  EXPECT_EQ(parsed("30m"), Millis(30min));
  EXPECT_EQ(parsed("2h"), Millis(2h));
  EXPECT_EQ(parsed("2d"), Millis(48h));
  EXPECT_EQ(parsed("1w"), Millis(168h));
  EXPECT_EQ(parsed("0s"), Millis(0));
}

TEST(ParseDuration, Groups) {
  EXPECT_EQ(parsed("1h30m"), Millis(90min));
  EXPECT_EQ(parsed("1d2h3m4s5ms"), Millis(24h + 2h + 3min + 4s + 5ms));
  EXPECT_EQ(parsed("1s500ms"), Millis(1500));
}

TEST(ParseDuration, Fractions) {
  EXPECT_EQ(parsed("1.5h"), Millis(90min));
  EXPECT_EQ(parsed("0.5s"), Millis(500));
  EXPECT_EQ(parsed(".5s"), Millis(500));
  EXPECT_EQ(parsed("2.5ms"), Millis(3));  // rounds to the nearest millisecond
  EXPECT_EQ(parsed("0.25m"), Millis(15'000));
}

TEST(ParseDuration, Empty) {
  EXPECT_EQ(parse_error(""),
            "bad duration \"\": empty; write e.g. \"30m\", \"1h30m\" or \"500ms\"");
}

TEST(ParseDuration, MissingUnit) {
  EXPECT_EQ(parse_error("5"), "bad duration \"5\": missing unit after 5; use ms, s, m, h, d or w");
  EXPECT_EQ(parse_error("1h30"),
            "bad duration \"1h30\": missing unit after 30; use ms, s, m, h, d or w");
}

TEST(ParseDuration, UnknownUnit) {
  EXPECT_EQ(parse_error("5x"), "bad duration \"5x\": unknown unit 'x'; use ms, s, m, h, d or w");
  EXPECT_EQ(parse_error("5min"),
            "bad duration \"5min\": unknown unit 'min'; use ms, s, m, h, d or w");
  EXPECT_EQ(parse_error("30mm"),
            "bad duration \"30mm\": unknown unit 'mm'; use ms, s, m, h, d or w");
}

TEST(ParseDuration, NumberFirst) {
  EXPECT_EQ(parse_error("m5"), "bad duration \"m5\": expected a number at 'm5'");
  EXPECT_EQ(parse_error("-5s"), "bad duration \"-5s\": expected a number at '-5s'");
  EXPECT_EQ(parse_error("1h 30m"), "bad duration \"1h 30m\": expected a number at ' 30m'");
  EXPECT_EQ(parse_error(" 5s"), "bad duration \" 5s\": expected a number at ' 5s'");
}

TEST(ParseDuration, MalformedNumber) {
  EXPECT_EQ(parse_error("1..5s"), "bad duration \"1..5s\": '1..5' is not a number");
  EXPECT_EQ(parse_error("1.2.3s"), "bad duration \"1.2.3s\": '1.2.3' is not a number");
  EXPECT_EQ(parse_error(".s"), "bad duration \".s\": '.' is not a number");
}

TEST(ParseDuration, UppercaseUnitsAreNotUnits) {
  EXPECT_EQ(parse_error("5S"),
            "bad duration \"5S\": missing unit after 5; use ms, s, m, h, d or w");
}

TEST(ParseDuration, TooLong) {
  EXPECT_EQ(parse_error("99999999999w"), "bad duration \"99999999999w\": too long");
}

TEST(FormatDuration, ShortestExactSpelling) {
  EXPECT_EQ(format_duration(Millis(0)), "0s");
  EXPECT_EQ(format_duration(Millis(500)), "500ms");
  EXPECT_EQ(format_duration(Millis(30s)), "30s");
  EXPECT_EQ(format_duration(Millis(15min)), "15m");
  EXPECT_EQ(format_duration(Millis(90min)), "1h30m");
  EXPECT_EQ(format_duration(Millis(1500)), "1s500ms");
  EXPECT_EQ(format_duration(Millis(48h)), "2d");
  EXPECT_EQ(format_duration(Millis(24h + 1h + 1min + 1s + 1ms)), "1d1h1m1s1ms");
  EXPECT_EQ(format_duration(Millis(-90s)), "-1m30s");
}

TEST(FormatDuration, WeeksReadAsDays) {
  EXPECT_EQ(format_duration(Millis(14 * 24h)), "14d");
  EXPECT_EQ(format_duration(*parse_duration("1w")), "7d");
}

TEST(FormatDuration, RoundTrips) {
  for (Millis d : {Millis(0), Millis(1), Millis(999), Millis(1000), Millis(61'001), Millis(90min),
                   Millis(36h), Millis(15 * 24h + 3ms), Millis(123'456'789)}) {
    std::string text = format_duration(d);
    auto back = parse_duration(text);
    ASSERT_TRUE(back) << text << ": " << back.error().message;
    EXPECT_EQ(*back, d) << text;
  }
  for (const char* text : {"30m", "1h30m", "500ms", "2d", "1d23h59m59s999ms"}) {
    EXPECT_EQ(format_duration(parsed(text)), text);
  }
}

TEST(FormatSeconds, ThreeDecimals) {
  EXPECT_EQ(format_seconds(Millis(12'345)), "12.345");
  EXPECT_EQ(format_seconds(Millis(0)), "0.000");
  EXPECT_EQ(format_seconds(Millis(1)), "0.001");
  EXPECT_EQ(format_seconds(Millis(4'210)), "4.210");
  EXPECT_EQ(format_seconds(Millis(90min)), "5400.000");
  EXPECT_EQ(format_seconds(Millis(-1'500)), "-1.500");
}

}  // namespace
}  // namespace dp
