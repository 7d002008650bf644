// Reading where a MySQL point-in-time recovery starts (dump header,
// xtrabackup_binlog_info) and mariadb-binlog's event headers (my_pitr.hpp).
#include "drills/my_pitr.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <ctime>
#include <fstream>

#include "drills/file_tree.hpp"
#include "drills/restore.hpp"
#include "verifier/core/signals.hpp"
#include "verifier/core/text.hpp"
#include "verifier/core/timestamp.hpp"
#include "verifier/engine/engine.hpp"

namespace dp::drills {
namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;
using reports::Status;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Result<std::string> read_head(BackupFormat format, const fs::path& path, std::size_t max) {
  std::string out(max, '\0');
  if (format == BackupFormat::mysql_dump_gz) {
    gzFile gz = gzopen(path.c_str(), "rb");
    if (!gz) return make_error(Errc::io, fmt::format("cannot read {}", path.string()));
    int n = gzread(gz, out.data(), static_cast<unsigned>(max));
    gzclose(gz);
    if (n < 0)
      return make_error(Errc::io, fmt::format("{}: gzip stream is damaged", path.string()));
    out.resize(static_cast<std::size_t>(n));
    return out;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::io, fmt::format("cannot read {}", path.string()));
  in.read(out.data(), static_cast<std::streamsize>(max));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
}

// KEY='value' or KEY=value (up to , ; or space) in `line`.
std::optional<std::string> value_after(std::string_view line, std::string_view key) {
  auto at = line.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(at + key.size());
  if (!rest.empty() && rest[0] == '\'') {
    auto end = rest.find('\'', 1);
    if (end == std::string_view::npos) return std::nullopt;
    return std::string(rest.substr(1, end - 1));
  }
  auto end = rest.find_first_of(",; \t");
  return std::string(rest.substr(0, end));
}

std::optional<std::uint64_t> to_u64(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

Result<BinlogStart> dump_coordinates(BackupFormat format, const fs::path& path) {
  auto head = read_head(format, path, 1 << 16);
  if (!head) return Unexpected<Error>(std::move(head).error());
  BinlogStart start;
  for (std::string_view line : split_lines(*head)) {
    // MariaDB and MySQL 5.7 write CHANGE MASTER TO MASTER_LOG_FILE;
    // MySQL 8.0.23+ (--source-data) CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE.
    for (std::string_view kind : {"MASTER", "SOURCE"}) {
      const std::string file_key = std::string(kind) + "_LOG_FILE=";
      const std::string pos_key = std::string(kind) + "_LOG_POS=";
      if (!start.file.empty() || line.find(file_key) == std::string_view::npos) continue;
      auto file = value_after(line, file_key);
      auto pos = value_after(line, pos_key);
      auto n = pos ? to_u64(*pos) : std::nullopt;
      if (file && n && !file->empty()) {
        start.file = *file;
        start.position = *n;
      }
    }
    if (line.find("gtid_slave_pos=") != std::string_view::npos && start.gtid.empty())
      if (auto g = value_after(line, "gtid_slave_pos=")) start.gtid = *g;
  }
  if (start.file.empty())
    return make_error(
        Errc::invalid_input,
        fmt::format("{} records no binary log coordinates (no \"-- CHANGE MASTER TO "
                    "MASTER_LOG_FILE=..., MASTER_LOG_POS=...\" comment in its header), so there "
                    "is no point to start replaying binlog_archive from\nhint: make the dump with "
                    "mariadb-dump --master-data=2 (mysqldump --source-data=2), or --dump-slave=2 "
                    "on a replica",
                    path.string()));
  return start;
}

Result<BinlogStart> backup_coordinates(const fs::path& backup) {
  auto dir = real_backup_dir(backup);
  if (!dir) return Unexpected<Error>(std::move(dir).error());
  for (const char* name : {"xtrabackup_binlog_info", "mariadb_backup_binlog_info"}) {
    std::error_code ec;
    if (!fs::exists(*dir / name, ec)) continue;
    std::string text = read_text(*dir / name);
    std::vector<std::string> fields;
    std::string field;
    for (char c : text) {
      if (c == '\t' || c == ' ' || c == '\n' || c == '\r') {
        if (!field.empty()) fields.push_back(std::move(field));
        field.clear();
      } else {
        field += c;
      }
    }
    if (!field.empty()) fields.push_back(std::move(field));
    auto pos = fields.size() >= 2 ? to_u64(fields[1]) : std::nullopt;
    if (!pos)
      return make_error(Errc::invalid_input,
                        fmt::format("{}: expected \"<binlog file>\\t<position>[\\t<gtid>]\", found "
                                    "\"{}\"",
                                    (*dir / name).string(), trim(text)));
    return BinlogStart{fields[0], *pos, fields.size() >= 3 ? fields[2] : ""};
  }
  return make_error(Errc::invalid_input,
                    fmt::format("{} has no xtrabackup_binlog_info, so there is no point to start "
                                "replaying binlog_archive from\nhint: the source server had no "
                                "binary log (log_bin) when mariadb-backup ran",
                                backup.string()));
}

}  // namespace

std::optional<BinlogEventHeader> parse_binlog_event_header(std::string_view line) {
  // "#261121 19:40:12 server id 1  end_log_pos 1520 ..." (%2d hours: " 9:")
  if (line.size() < 16 || line[0] != '#') return std::nullopt;
  auto date = to_u64(line.substr(1, 6));
  if (!date) return std::nullopt;
  std::size_t i = 7;
  while (i < line.size() && line[i] == ' ') ++i;
  auto colon = line.find(':', i);
  if (colon == std::string_view::npos || colon - i > 2 || line.size() < colon + 6)
    return std::nullopt;
  auto hh = to_u64(line.substr(i, colon - i));
  auto mm = to_u64(line.substr(colon + 1, 2));
  auto ss = to_u64(line.substr(colon + 4, 2));
  if (!hh || !mm || !ss || line[colon + 3] != ':') return std::nullopt;
  auto at = line.find("end_log_pos ");
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(at + 12);
  auto end = to_u64(rest.substr(0, rest.find_first_not_of("0123456789")));
  if (!end) return std::nullopt;
  std::tm tm{};
  tm.tm_year = static_cast<int>(*date / 10000) + 100;
  tm.tm_mon = static_cast<int>(*date / 100 % 100) - 1;
  tm.tm_mday = static_cast<int>(*date % 100);
  tm.tm_hour = static_cast<int>(*hh);
  tm.tm_min = static_cast<int>(*mm);
  tm.tm_sec = static_cast<int>(*ss);
  BinlogEventHeader h;
  h.time = Clock::from_time_t(::timegm(&tm));
  h.end_pos = *end;
  for (std::string_view kind :
       {"Start: binlog", "Gtid list", "Binlog checkpoint", "Rotate to ", "Stop"})
    if (rest.find(kind) != std::string_view::npos) h.bookkeeping = true;
  return h;
}

std::optional<std::uint64_t> binlog_number(const std::string& name) {
  auto dot = name.rfind('.');
  if (dot == std::string::npos) return std::nullopt;
  return to_u64(std::string_view(name).substr(dot + 1));
}

std::string binlog_name(const std::string& like, std::uint64_t n) {
  auto dot = like.rfind('.');
  std::size_t width = dot == std::string::npos ? 6 : like.size() - dot - 1;
  return fmt::format("{}.{:0{}}", like.substr(0, dot), n, width);
}

Result<BinlogStart> read_binlog_start(BackupFormat format, const fs::path& backup) {
  if (format == BackupFormat::mysql_dump || format == BackupFormat::mysql_dump_gz)
    return dump_coordinates(format, backup);
  if (format == BackupFormat::mariadb_backup) return backup_coordinates(backup);
  return make_error(Errc::invalid_input,
                    fmt::format("{} is a {}: binlog_archive needs a MySQL/MariaDB dump or a "
                                "mariadb-backup",
                                backup.string(), format_name(format)));
}

}  // namespace dp::drills
