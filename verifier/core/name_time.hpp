#pragma once
// Reading the moment a backup was taken from its file name, and the time
// zone its name (and the calendar of a retention rule) is written in.
//
// A name-time format is text with strptime-style fields found anywhere in the
// name: %Y (4 digits), %y (2 digits, 20xx), %m, %d, %H, %M, %S (2 digits
// each), %j (3-digit day of year) and %% for a literal '%'; every other
// character must match itself. Fields are fixed-width, so "%Y%m%d-%H%M%S"
// reads pgBackRest labels (20261121-020000F), "%Y%m%dT%H%M%S" Barman ids
// (20261121T020000) and "%Y/%m/%d" a dated folder tree. Missing fields default to the start of the
// period (no %d: the 1st; no %H: midnight). Pure functions, no global state except the C library's
// local time zone for TimeZone::local.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verifier/core/result.hpp"
#include "verifier/core/timestamp.hpp"

namespace dp {

struct CivilTime {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  int hour = 0;
  int minute = 0;
  int second = 0;
};

class NameTimeFormat {
 public:
  // Errc::invalid_input for an unknown field ("unknown field '%q'"), a
  // trailing '%', or a format without a year.
  static Result<NameTimeFormat> compile(std::string_view format);

  // The LAST place in `name` where the whole format matches with valid
  // values (month 1..12, a day that exists in that month, ...): a pgBackRest
  // differential "20261120-020000F_20261121-020000D" is dated by its own
  // (second) time, not by the full backup it is based on. A match may
  // not start or end in the middle of a run of digits, so "%Y%m%d" does not
  // read "920261121". nullopt: no match.
  std::optional<CivilTime> find(std::string_view name) const;

  const std::string& text() const { return m_text; }

 private:
  struct Token {
    char field = 0;  // 0: literal
    std::string literal;
  };
  std::optional<CivilTime> match_at(std::string_view name, std::size_t at, std::size_t& end) const;
  std::string m_text;
  std::vector<Token> m_tokens;
};

// "UTC" (or "Z"), "local" (the machine's zone, via the C library), or a
// fixed offset "+HH:MM" / "-HH:MM" / "+HH" / "+HHMM".
class TimeZone {
 public:
  static Result<TimeZone> parse(std::string_view text);
  static TimeZone utc() { return TimeZone{}; }

  // The instant a wall-clock time in this zone names. For local time in a
  // DST gap or fold the C library picks one; a backup name is ambiguous
  // there too.
  TimePoint to_utc(const CivilTime& civil) const;
  // The wall-clock time of `t` in this zone, as seconds since 1970-01-01
  // 00:00 of that wall clock (so day boundaries are multiples of 86400).
  std::chrono::sys_seconds wall_clock(TimePoint t) const;

  const std::string& text() const { return m_text; }
  bool is_local() const { return m_local; }

 private:
  bool m_local = false;
  int m_offset_seconds = 0;
  std::string m_text = "UTC";
};

}  // namespace dp
