#pragma once
// Durations as written in plans: one or more <number><unit> groups, units
// ms, s, m, h, d, w ("30m", "1h30m", "500ms", "1.5h"). Formatting is the
// inverse for whole units and a human "2m 03.456s" form for measured times.
#include <chrono>
#include <string>
#include <string_view>

#include "verifier/core/result.hpp"

namespace dp {

using Millis = std::chrono::milliseconds;

// Fails with Errc::invalid_input and a message naming what was wrong
// ("bad duration \"5x\": unknown unit 'x'; use ms, s, m, h, d or w").
Result<Millis> parse_duration(std::string_view text);

// "15m", "1h30m", "500ms", "0s": the shortest exact plan-file spelling.
std::string format_duration(Millis d);

// Seconds with three decimals ("12.345"), as JUnit and the summary use.
std::string format_seconds(Millis d);

}  // namespace dp
