#pragma once
// Small text helpers shared by every layer.
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "verifier/core/result.hpp"

namespace dp {

std::string_view trim(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
// The lines of `text` without their '\n', as views into it; a final line
// without '\n' counts, an empty text has none.
std::vector<std::string_view> split_lines(std::string_view text);

// The last `max_lines` lines of `text`, at most `max_bytes` bytes, so a
// report carries the end of a tool's stderr where the error usually is.
std::string tail_lines(std::string_view text, std::size_t max_lines, std::size_t max_bytes = 8192);

// Reads at most the last `max_bytes` of a file; a missing file reads as "".
std::string read_file_tail(const std::filesystem::path& path, std::size_t max_bytes);
// Reads at most the first `max_bytes` of a file.
Result<std::string> read_file_head(const std::filesystem::path& path, std::size_t max_bytes);
Result<void> write_file(const std::filesystem::path& path, std::string_view content);

// "2026-11-21T03:04:05Z" (whole seconds) and "20261121T030405Z" for paths.
std::string format_utc(std::chrono::system_clock::time_point t);
std::string format_utc_compact(std::chrono::system_clock::time_point t);

std::string host_name();

// Whether a libpq connection string or URI carries a password
// ("password=...", or "postgresql://user:secret@host"). Passwords belong in
// PGPASSWORD or ~/.pgpass, never in a plan or on a command line.
bool conninfo_has_password(std::string_view conninfo);

// `s` with control characters (below 0x20, and 0x7f) and '\\' written as
// C escapes ("\\n", "\\x1b"), for file names from a backup shown in a
// terminal or a report: a name cannot forge a line or a terminal sequence.
std::string escape_control(std::string_view s);

}  // namespace dp
