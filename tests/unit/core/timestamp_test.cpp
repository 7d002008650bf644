#include "verifier/core/timestamp.hpp"

#include <gtest/gtest.h>

namespace dp {
namespace {

using std::chrono::seconds;

// 2026-11-20T03:00:00Z
constexpr std::int64_t k_base = 1'795'143'600;

TimePoint at(std::int64_t epoch_seconds) { return TimePoint(seconds(epoch_seconds)); }

std::string error_of(std::string_view text) {
  auto r = parse_timestamp(text);
  return r ? std::string("(parsed)") : r.error().message;
}

TEST(Timestamp, FormatIsIsoUtc) {
  EXPECT_EQ(format_timestamp(at(k_base)), "2026-11-20T03:00:00Z");
  EXPECT_EQ(format_timestamp(at(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_timestamp(at(k_base) + std::chrono::milliseconds(999)), "2026-11-20T03:00:00Z");
}

TEST(Timestamp, SpaceOrTSeparatorWithoutZoneIsUtc) {
  EXPECT_EQ(*parse_timestamp("2026-11-20 03:00:00"), at(k_base));
  EXPECT_EQ(*parse_timestamp("2026-11-20T03:00:00"), at(k_base));
  EXPECT_EQ(*parse_timestamp("  2026-11-20 03:00:00\n"), at(k_base));
  EXPECT_EQ(*parse_timestamp("2026-11-20 03:00"), at(k_base));
}

TEST(Timestamp, Fractions) {
  EXPECT_EQ(*parse_timestamp("2026-11-20 03:00:00.5"), at(k_base) + std::chrono::milliseconds(500));
  EXPECT_EQ(*parse_timestamp("2026-11-20 03:00:00.123456"),
            at(k_base) + std::chrono::microseconds(123456));
  EXPECT_EQ(*parse_timestamp("2026-11-20 03:00:00.1234569"),
            at(k_base) + std::chrono::microseconds(123456));
}

TEST(Timestamp, Zones) {
  EXPECT_EQ(*parse_timestamp("2026-11-20T03:00:00Z"), at(k_base));
  EXPECT_EQ(*parse_timestamp("2026-11-20 03:00:00+00"), at(k_base));
  EXPECT_EQ(*parse_timestamp("2026-11-20 05:00:00+02"), at(k_base));
  EXPECT_EQ(*parse_timestamp("2026-11-20 08:30:00+05:30"), at(k_base));
  EXPECT_EQ(*parse_timestamp("2026-11-20 08:30:00+0530"), at(k_base));
  EXPECT_EQ(*parse_timestamp("2026-11-19 22:00:00-05"), at(k_base));
  EXPECT_EQ(*parse_timestamp("2026-11-20 03:00:00.25+00:00"),
            at(k_base) + std::chrono::milliseconds(250));
}

TEST(Timestamp, DateIsMidnightUtc) {
  EXPECT_EQ(*parse_timestamp("2026-11-20"), at(k_base - 3 * 3600));
  EXPECT_EQ(*parse_timestamp("2024-02-29"), at(1'709'164'800));
}

TEST(Timestamp, EpochSeconds) {
  EXPECT_EQ(*parse_timestamp("1795143600"), at(k_base));
  EXPECT_EQ(*parse_timestamp("1795143600.25"), at(k_base) + std::chrono::milliseconds(250));
  EXPECT_EQ(*parse_timestamp("0"), at(0));
}

TEST(Timestamp, RoundTrip) {
  EXPECT_EQ(format_timestamp(*parse_timestamp("2026-11-19 20:00:00+00")), "2026-11-19T20:00:00Z");
  EXPECT_EQ(format_timestamp(*parse_timestamp("1999-12-31T23:59:59-01:00")),
            "2000-01-01T00:59:59Z");
}

TEST(Timestamp, Errors) {
  EXPECT_EQ(error_of(""), "bad timestamp \"\": empty");
  EXPECT_EQ(error_of("2026-13-01"), "bad timestamp \"2026-13-01\": month 13 is out of range");
  EXPECT_EQ(error_of("2026-02-30"), "bad timestamp \"2026-02-30\": day 30 is out of range");
  EXPECT_EQ(error_of("2026-11-20 25:00:00"),
            "bad timestamp \"2026-11-20 25:00:00\": time 25:00:00 is out of range");
  EXPECT_EQ(error_of("2026-11-20X03:00:00"),
            "bad timestamp \"2026-11-20X03:00:00\": expected ' ' or 'T' after the date");
  EXPECT_EQ(error_of("2026-11-20 03:00:00 CET"),
            "bad timestamp \"2026-11-20 03:00:00 CET\": unexpected 'CET'");
  EXPECT_EQ(error_of("2026-11-20 03:00:00+"),
            "bad timestamp \"2026-11-20 03:00:00+\": expected a zone offset +HH[:MM]");
  EXPECT_EQ(error_of("2026-11-20 03:00:00."),
            "bad timestamp \"2026-11-20 03:00:00.\": expected digits after the decimal point");
  EXPECT_EQ(error_of("yesterday"),
            "bad timestamp \"yesterday\": expected YYYY-MM-DD[ HH:MM:SS[.ffffff][+HH:MM|Z]] or "
            "epoch seconds");
  EXPECT_EQ(error_of("12.5.3"), error_of("12.5.3"));
  EXPECT_FALSE(parse_timestamp("12.5.3"));
  EXPECT_FALSE(parse_timestamp("1795143600."));
  EXPECT_FALSE(parse_timestamp("2026-1-20"));
  EXPECT_EQ(parse_timestamp("2026-11-20 03:00:00Q").error().code, Errc::invalid_input);
}

}  // namespace
}  // namespace dp
