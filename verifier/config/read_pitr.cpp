// The point-in-time recovery keys of a [[backup]] -> PitrConfig
// (docs/plan.md "Point-in-time recovery"). An archive key switches PITR on;
// every target or sampling key without one is an error, because silently
// restoring the base backup alone would prove a recovery point nobody asked
// for.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "verifier/config/reader.hpp"
#include "verifier/core/timestamp.hpp"

namespace dp::config::detail {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view k_where = "[[backup]]";
constexpr std::string_view k_target_keys[] = {"target", "target_time", "target_lsn", "target_name",
                                              "target_position"};
constexpr std::string_view k_needs_archive[] = {
    "target",           "target_time",  "target_lsn", "target_name",         "target_position",
    "target_inclusive", "pitr_targets", "pitr_seed",  "recovery_point_query"};
constexpr std::int64_t k_max_samples = 100;
constexpr std::size_t k_max_restore_point_name = 63;  // PostgreSQL's MAXFNAMELEN - 1

bool is_hex(std::string_view s) {
  return !s.empty() && s.size() <= 8 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

bool is_lsn(std::string_view s) {
  auto slash = s.find('/');
  return slash != std::string_view::npos && is_hex(s.substr(0, slash)) &&
         is_hex(s.substr(slash + 1));
}

bool is_position(std::string_view s) {
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) return false;
  auto digits = s.substr(colon + 1);
  return digits.size() <= 19 &&
         std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A zone after the time of day: Z, or a sign after position 10 (the date's
// own '-' come before it).
bool has_zone(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.size() <= 11) return false;
  if (s.back() == 'Z' || s.back() == 'z') return true;
  return s.find_first_of("+-", 11) != std::string_view::npos;
}

std::optional<TimePoint> read_target_time(Reader& reader, const toml::table& table) {
  const toml::node* node = table.get("target_time");
  if (!node) return std::nullopt;
  SourcePos at = reader.pos(*node);
  constexpr std::string_view example = "2026-11-21T03:00:00Z";
  if (const auto* dt = node->as_date_time()) {
    const toml::date_time& v = dt->get();
    if (!v.offset) {
      reader.report(at, fmt::format("'target_time' needs a time zone, such as {}: a local "
                                    "date-time is ambiguous",
                                    example));
      return std::nullopt;
    }
    std::string text = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}{:+03}:{:02}",
                                   v.date.year, v.date.month, v.date.day, v.time.hour,
                                   v.time.minute, v.time.second, v.time.nanosecond / 1000,
                                   v.offset->minutes / 60, std::abs(v.offset->minutes % 60));
    if (auto t = parse_timestamp(text)) return *t;
    reader.report(at, fmt::format("'target_time' is not a valid time: {}", text));
    return std::nullopt;
  }
  const auto* s = node->as_string();
  if (!s) {
    reader.report(at, fmt::format("'target_time' must be a date-time with a zone such as {} or "
                                  "a string such as \"2026-11-21 03:00:00+00\", got {}",
                                  example, type_name(*node)));
    return std::nullopt;
  }
  auto parsed = parse_timestamp(s->get());
  if (!parsed) {
    reader.report(at, fmt::format("target_time: {}", parsed.error().message));
    return std::nullopt;
  }
  if (!has_zone(s->get())) {
    reader.report(at, fmt::format("'target_time' needs a time zone, such as \"{}\" or "
                                  "\"2026-11-21 03:00:00+00\", got \"{}\"",
                                  example, s->get()));
    return std::nullopt;
  }
  return *parsed;
}

// Keys that apply to one engine only; `engine` unknown: no complaint.
bool engine_allows(Reader& reader, const toml::table& table, std::string_view key,
                   std::optional<EngineKind> engine, EngineKind wanted) {
  if (!table.contains(key) || !engine || *engine == wanted) return true;
  reader.report(reader.key_pos(table, key),
                fmt::format("'{}' applies to {} backups only", key,
                            wanted == EngineKind::postgres ? "postgres" : "mysql"));
  return false;
}

void read_archive(Reader& reader, const toml::table& table, const fs::path& base_dir,
                  std::optional<EngineKind> engine, const BackupConfig& backup, PitrConfig& out) {
  using Kind = Reader::PathKind;
  if (engine_allows(reader, table, "wal_archive", engine, EngineKind::postgres)) {
    if (auto p = reader.existing_path(table, "wal_archive", k_where, Need::optional, base_dir,
                                      Kind::directory, "WAL archive directory")) {
      out.wal_archive = *p;
      // The path goes into restore_command = 'cp "<archive>/%f" "%p"'.
      if (p->string().find_first_of("\"%\n\r'") != std::string::npos)
        reader.report(reader.pos(*table.get("wal_archive")),
                      fmt::format("'wal_archive' must not contain a quote, '%' or a line break "
                                  "(it becomes part of restore_command): {}",
                                  p->string()));
      if (backup.format == "dump")
        reader.report(reader.key_pos(table, "wal_archive"),
                      "'wal_archive' needs a base backup (format = \"basebackup\"): WAL cannot be "
                      "replayed onto a pg_dump archive");
    }
  }
  if (engine_allows(reader, table, "binlog_archive", engine, EngineKind::mysql)) {
    if (auto p = reader.existing_path(table, "binlog_archive", k_where, Need::optional, base_dir,
                                      Kind::directory, "binlog archive directory"))
      out.binlog_archive = *p;
  }
}

void read_targets(Reader& reader, const toml::table& table, std::optional<EngineKind> engine,
                  PitrConfig& out) {
  // One target only; each later one is reported naming the first.
  std::vector<std::string_view> present;
  for (auto key : k_target_keys)
    if (table.contains(key)) present.push_back(key);
  std::sort(present.begin(), present.end(), [&](std::string_view a, std::string_view b) {
    SourcePos pa = reader.key_pos(table, a), pb = reader.key_pos(table, b);
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  for (std::size_t i = 1; i < present.size(); ++i)
    reader.report(reader.key_pos(table, present[i]),
                  fmt::format("'{}' conflicts with '{}': set only one recovery target", present[i],
                              present[0]));

  if (auto text = reader.string(table, "target", k_where, Need::optional);
      text && *text != "latest")
    reader.report(reader.pos(*table.get("target")),
                  fmt::format("'target' must be \"latest\", got \"{}\"; use target_time, "
                              "target_lsn, target_name or target_position for another target",
                              *text));
  out.target_time = read_target_time(reader, table);

  if (engine_allows(reader, table, "target_lsn", engine, EngineKind::postgres))
    if (auto text = reader.string(table, "target_lsn", k_where, Need::optional)) {
      if (is_lsn(*text))
        out.target_lsn = *text;
      else
        reader.report(
            reader.pos(*table.get("target_lsn")),
            fmt::format("'target_lsn' must be an LSN such as \"0/3000060\", got \"{}\"", *text));
    }
  if (engine_allows(reader, table, "target_name", engine, EngineKind::postgres))
    if (auto text = reader.string(table, "target_name", k_where, Need::optional)) {
      if (text->empty() || text->size() > k_max_restore_point_name)
        reader.report(reader.pos(*table.get("target_name")),
                      fmt::format("'target_name' must be a restore point name of 1 to {} "
                                  "characters",
                                  k_max_restore_point_name));
      else
        out.target_name = *text;
    }
  if (engine_allows(reader, table, "target_position", engine, EngineKind::mysql))
    if (auto text = reader.string(table, "target_position", k_where, Need::optional)) {
      if (is_position(*text))
        out.target_position = *text;
      else
        reader.report(reader.pos(*table.get("target_position")),
                      fmt::format("'target_position' must be \"<binlog file>:<position>\" such as "
                                  "\"mysql-bin.000003:1234\", got \"{}\"",
                                  *text));
    }
  if (auto inclusive = reader.boolean(table, "target_inclusive", k_where, Need::optional))
    out.target_inclusive = *inclusive;
}

void read_sampling(Reader& reader, const toml::table& table, PitrConfig& out) {
  if (auto n = reader.integer(table, "pitr_targets", k_where, Need::optional)) {
    if (*n < 0 || *n > k_max_samples)
      reader.report(
          reader.pos(*table.get("pitr_targets")),
          fmt::format("'pitr_targets' must be between 0 and {}, got {}", k_max_samples, *n));
    else
      out.sample_targets = static_cast<int>(*n);
  }
  if (auto seed = reader.integer(table, "pitr_seed", k_where, Need::optional)) {
    if (*seed < 0)
      reader.report(reader.pos(*table.get("pitr_seed")),
                    fmt::format("'pitr_seed' must be 0 or more, got {}", *seed));
    else
      out.seed = static_cast<std::uint64_t>(*seed);
  }
  if (auto query = reader.string(table, "recovery_point_query", k_where, Need::optional)) {
    if (query->empty())
      reader.report(reader.pos(*table.get("recovery_point_query")),
                    "'recovery_point_query' must not be empty");
    out.recovery_point_query = *query;
  }
}

}  // namespace

void read_pitr(Reader& reader, const toml::table& table, const fs::path& base_dir,
               std::optional<EngineKind> engine, BackupConfig& out) {
  bool has_wal = table.contains("wal_archive");
  bool has_binlog = table.contains("binlog_archive");
  if (!has_wal && !has_binlog) {
    for (auto key : k_needs_archive)
      if (table.contains(key))
        reader.report(reader.key_pos(table, key),
                      fmt::format("'{}' needs an archive to replay: set wal_archive (postgres) "
                                  "or binlog_archive (mysql) in this [[backup]]",
                                  key));
    return;
  }
  PitrConfig pitr;
  pitr.pos = out.pos;
  read_archive(reader, table, base_dir, engine, out, pitr);
  read_targets(reader, table, engine, pitr);
  read_sampling(reader, table, pitr);
  out.pitr = std::move(pitr);
}

}  // namespace dp::config::detail
