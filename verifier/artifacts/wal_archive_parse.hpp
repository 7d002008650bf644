#pragma once
// The small text formats of a WAL archive, parsed without I/O, for
// wal_archive.cpp and its tests.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verifier/core/result.hpp"

namespace dp::artifacts {

// One line of a timeline history file: the timeline `parent` ended (and the
// file's own timeline, or a later ancestor, began) at `switch_lsn`.
struct TimelineSwitch {
  std::uint32_t parent = 0;
  std::uint64_t switch_lsn = 0;
};

// "1\t0/3000A28\tno recovery target specified\n..." as PostgreSQL's
// readTimeLineHistory reads it: blank and '#' lines skipped, parents
// strictly increasing and below `timeline`. Errc::invalid_input
// "line N: ..." otherwise.
Result<std::vector<TimelineSwitch>> parse_timeline_history(std::string_view text,
                                                           std::uint32_t timeline);

// "0/2000028" -> 0x2000028; nullopt unless hex/hex, each part at most 8 digits.
std::optional<std::uint64_t> parse_lsn(std::string_view text);

// The value of "KEY: value" in a backup_label or .backup file ("STOP TIME").
std::optional<std::string> label_field(std::string_view text, std::string_view key);

// "2026-11-21 19:33:43 UTC" (PostgreSQL's log time format): UTC, GMT or a
// numeric offset. nullopt for a zone abbreviation it cannot know (CET).
std::optional<std::chrono::system_clock::time_point> parse_pg_time(std::string_view text);

// The newest "desc: COMMIT <time>" or "desc: ABORT <time>" in pg_waldump
// output printed with TZ=UTC.
std::optional<std::chrono::system_clock::time_point> newest_commit_time(std::string_view out);

}  // namespace dp::artifacts
