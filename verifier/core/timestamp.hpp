#pragma once
// Timestamps as databases print them, for checks that compare the newest
// data with the moment a backup represents (freshness). Pure functions, no
// time zone database: only numeric offsets and Z are understood.
#include <chrono>
#include <string>
#include <string_view>

#include "verifier/core/result.hpp"

namespace dp {

using TimePoint = std::chrono::system_clock::time_point;

// Accepts, after trimming surrounding whitespace:
//   "YYYY-MM-DD HH:MM[:SS[.ffffff]][zone]"  (' ' or 'T' between date and time)
//   where zone is Z, +HH, -HH, +HHMM or +HH:MM (optionally after one space);
//   a timestamp without a zone is UTC;
//   "YYYY-MM-DD"                             (midnight UTC);
//   integer or decimal epoch seconds         ("1763607600", "1763607600.25").
// Fractions are kept to the microsecond. Errc::invalid_input naming the text
// otherwise ("bad timestamp \"2026-13-01\": month 13 is out of range").
Result<TimePoint> parse_timestamp(std::string_view text);

// ISO 8601 UTC, whole seconds: "2026-11-20T03:00:00Z" (fractions truncated).
std::string format_timestamp(TimePoint t);

}  // namespace dp
