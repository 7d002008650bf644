#include "drills/backup_format.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "drills/pg_basebackup.hpp"
#include "verifier/core/text.hpp"

namespace dp::drills {
namespace fs = std::filesystem;
namespace {

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::memcmp(s.data(), prefix.data(), prefix.size()) == 0;
}

bool is_gzip(const std::string& head) {
  return head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1f &&
         static_cast<unsigned char>(head[1]) == 0x8b;
}

// First `max` bytes of the decompressed stream.
Result<std::string> gzip_head(const fs::path& path, std::size_t max) {
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) return make_error(Errc::io, fmt::format("cannot read {}", path.string()));
  std::string out(max, '\0');
  int n = gzread(gz, out.data(), static_cast<unsigned>(max));
  gzclose(gz);
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

// A tar member header: name at 0, octal size at 124, "ustar" at 257.
bool is_tar(const std::string& head) {
  return head.size() >= 512 && head.compare(257, 5, "ustar") == 0;
}

// Reads pg_dump's archive header (pg_backup_archiver.c ReadHead) far enough
// to get the two version strings.
DumpOrigin parse_archive_header(const std::string& h) {
  DumpOrigin origin;
  if (!starts_with(h, "PGDMP") || h.size() < 11) return origin;
  std::size_t pos = 5;
  int vmaj = static_cast<unsigned char>(h[pos++]);
  int vmin = static_cast<unsigned char>(h[pos++]);
  pos++;  // revision
  std::size_t int_size = static_cast<unsigned char>(h[pos++]);
  if (vmaj > 1 || (vmaj == 1 && vmin >= 7)) pos++;  // offset size
  pos++;                                            // format
  auto version_at_least = [&](int maj, int min) {
    return vmaj > maj || (vmaj == maj && vmin >= min);
  };
  bool ok = true;
  auto read_int = [&]() -> std::int64_t {
    if (pos + 1 + int_size > h.size() || int_size > 8) {
      ok = false;
      return 0;
    }
    bool negative = h[pos++] != 0;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < int_size; ++i)
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(h[pos++])) << (8 * i);
    return negative ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
  };
  auto read_str = [&]() -> std::string {
    std::int64_t len = read_int();
    if (!ok || len < 0 || pos + static_cast<std::size_t>(len) > h.size()) return {};
    std::string s = h.substr(pos, static_cast<std::size_t>(len));
    pos += static_cast<std::size_t>(len);
    return s;
  };
  if (version_at_least(1, 15))
    pos++;  // compression algorithm byte
  else if (version_at_least(1, 2))
    read_int();  // compression level
  if (version_at_least(1, 4)) {
    std::int64_t t[7];  // sec, min, hour, mday, mon, year, isdst as struct tm
    for (auto& v : t) v = read_int();
    if (ok) {
      std::tm tm{};
      tm.tm_sec = static_cast<int>(t[0]);
      tm.tm_min = static_cast<int>(t[1]);
      tm.tm_hour = static_cast<int>(t[2]);
      tm.tm_mday = static_cast<int>(t[3]);
      tm.tm_mon = static_cast<int>(t[4]);
      tm.tm_year = static_cast<int>(t[5]);
      tm.tm_isdst = static_cast<int>(t[6]);
      std::time_t when = std::mktime(&tm);
      if (when != -1) origin.created = std::chrono::system_clock::from_time_t(when);
    }
    read_str();  // database name
  }
  if (version_at_least(1, 10) && ok) {
    origin.server_version = read_str();
    origin.pg_dump_version = read_str();
  }
  origin.made_by_pg_dump = true;
  return origin;
}

std::string after_marker(const std::string& text, std::string_view marker) {
  auto p = text.find(marker);
  if (p == std::string::npos) return {};
  auto end = text.find('\n', p);
  return std::string(trim(text.substr(p + marker.size(), end - p - marker.size())));
}

DumpOrigin parse_plain_header(const std::string& text) {
  DumpOrigin origin;
  origin.made_by_pg_dump = text.find("-- PostgreSQL database dump") != std::string::npos ||
                           text.find("-- PostgreSQL database cluster dump") != std::string::npos;
  origin.server_version = after_marker(text, "-- Dumped from database version ");
  origin.pg_dump_version = after_marker(text, "-- Dumped by pg_dump version ");
  if (origin.pg_dump_version.empty())
    origin.pg_dump_version = after_marker(text, "-- Dumped by pg_dumpall version ");
  return origin;
}

// "YYYY-MM-DD HH:MM:SS" in this machine's time zone, as the MySQL tools
// write it.
std::optional<std::chrono::system_clock::time_point> local_time(const std::string& text) {
  std::tm tm{};
  if (std::sscanf(text.c_str(), "%d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_isdst = -1;
  std::time_t when = std::mktime(&tm);
  if (when == -1) return std::nullopt;
  return std::chrono::system_clock::from_time_t(when);
}

// "-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for ..." / "-- MySQL dump
// 10.13  Distrib 8.0.36, for ..." and "-- Server version\t10.11.19-MariaDB".
DumpOrigin parse_mysql_header(const std::string& text) {
  DumpOrigin origin;
  for (std::string_view tool : {"-- MariaDB dump ", "-- MySQL dump "}) {
    auto p = text.find(tool);
    if (p == std::string::npos) continue;
    origin.made_by_pg_dump = true;
    origin.pg_dump_version = after_marker(text.substr(p), tool.substr(3));
  }
  origin.server_version = after_marker(text, "-- Server version");
  return origin;
}

bool is_plain(BackupFormat f) {
  return f == BackupFormat::pg_plain || f == BackupFormat::mysql_dump ||
         f == BackupFormat::sqlite_sql;
}

// The last few KiB of a plain file, or of a gzip file's decompressed
// stream (which means decompressing all of it).
Result<std::string> content_tail(BackupFormat format, const fs::path& path) {
  if (is_plain(format)) return read_file_tail(path, 4096);
  std::string tail;
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) return make_error(Errc::io, fmt::format("cannot read {}", path.string()));
  gzbuffer(gz, 1 << 17);
  std::string buf(1 << 16, '\0');
  int n;
  while ((n = gzread(gz, buf.data(), static_cast<unsigned>(buf.size()))) > 0) {
    tail.append(buf.data(), static_cast<std::size_t>(n));
    if (tail.size() > 8192) tail.erase(0, tail.size() - 4096);
  }
  int err = 0;
  const char* msg = gzerror(gz, &err);
  std::string error_text = msg ? msg : "";
  gzclose(gz);
  if (n < 0 || (err != Z_OK && err != Z_STREAM_END))
    return make_error(Errc::io,
                      fmt::format("{}: gzip stream is damaged: {}", path.string(), error_text));
  return tail;
}

// mariadb-backup's xtrabackup_info (mariadb_backup_info since 10.11.8):
// "key = value" lines.
DumpOrigin parse_backup_info(const fs::path& dir) {
  DumpOrigin origin;
  for (const char* name : {"mariadb_backup_info", "xtrabackup_info"}) {
    auto text = read_file_head(dir / name, 65536);
    if (!text || text->empty()) continue;
    origin.made_by_pg_dump = true;
    for (const auto& line : split(*text, '\n')) {
      auto eq = line.find(" = ");
      if (eq == std::string::npos) continue;
      std::string key(trim(line.substr(0, eq))), value(trim(line.substr(eq + 3)));
      if (key == "server_version") origin.server_version = value;
      if (key == "tool_version") origin.pg_dump_version = value;
      if (key == "end_time") origin.created = local_time(value);
    }
    break;
  }
  return origin;
}

}  // namespace

std::string format_name(BackupFormat f) {
  switch (f) {
    case BackupFormat::pg_custom:
      return "pg_dump custom";
    case BackupFormat::pg_directory:
      return "pg_dump directory";
    case BackupFormat::pg_tar:
      return "pg_dump tar";
    case BackupFormat::pg_plain:
      return "pg_dump plain SQL";
    case BackupFormat::pg_plain_gz:
      return "pg_dump plain SQL, gzip";
    case BackupFormat::sqlite_db:
      return "sqlite database";
    case BackupFormat::sqlite_sql:
      return "sqlite SQL dump";
    case BackupFormat::sqlite_sql_gz:
      return "sqlite SQL dump, gzip";
    case BackupFormat::mysql_dump:
      return "mysqldump SQL";
    case BackupFormat::mysql_dump_gz:
      return "mysqldump SQL, gzip";
    case BackupFormat::mariadb_backup:
      return "mariadb-backup directory";
    case BackupFormat::pg_basebackup_plain:
      return "pg_basebackup plain";
    case BackupFormat::pg_basebackup_tar:
      return "pg_basebackup tar";
  }
  return "unknown";
}

bool is_pg_basebackup(BackupFormat f) {
  return f == BackupFormat::pg_basebackup_plain || f == BackupFormat::pg_basebackup_tar;
}

Result<BackupFormat> detect_format(EngineKind engine, const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    if (engine == EngineKind::postgres && fs::exists(path / "toc.dat", ec))
      return BackupFormat::pg_directory;
    if (engine == EngineKind::postgres) {
      auto layout = basebackup_layout(path);
      if (!layout) return Unexpected<Error>(std::move(layout).error());
      if (*layout) return (*layout)->format;
    }
    if (engine == EngineKind::mysql) {
      if (fs::exists(path / "xtrabackup_checkpoints", ec) ||
          fs::exists(path / "mariadb_backup_checkpoints", ec))
        return BackupFormat::mariadb_backup;
      return make_error(Errc::invalid_input,
                        fmt::format("{} is a directory but not a mariadb-backup directory (no "
                                    "xtrabackup_checkpoints or mariadb_backup_checkpoints)",
                                    path.string()));
    }
    return make_error(Errc::invalid_input,
                      fmt::format("{} is a directory but neither a pg_dump directory archive "
                                  "(no toc.dat) nor a pg_basebackup backup (no PG_VERSION and "
                                  "global/pg_control, no base.tar)",
                                  path.string()));
  }
  auto head = read_file_head(path, 1024);
  if (!head) return Unexpected<Error>(std::move(head).error());
  if (head->empty())
    return make_error(Errc::invalid_input, fmt::format("{} is empty", path.string()));
  bool gz = is_gzip(*head);
  std::string text = *head;
  if (gz) {
    auto inner = gzip_head(path, 1024);
    if (!inner) return Unexpected<Error>(std::move(inner).error());
    text = *inner;
  }
  if (engine == EngineKind::postgres) {
    if (!gz && starts_with(text, "PGDMP")) return BackupFormat::pg_custom;
    if (!gz && is_tar(text)) return BackupFormat::pg_tar;
    if (gz && (starts_with(text, "PGDMP") || is_tar(text)))
      return make_error(Errc::invalid_input,
                        fmt::format("{} is a gzip-compressed pg_dump archive; pg_restore reads "
                                    "archives uncompressed (pg_dump compresses custom format "
                                    "itself)",
                                    path.string()));
    return gz ? BackupFormat::pg_plain_gz : BackupFormat::pg_plain;
  }
  if (engine == EngineKind::sqlite) {
    if (!gz && starts_with(text, std::string("SQLite format 3\0", 16)))
      return BackupFormat::sqlite_db;
    return gz ? BackupFormat::sqlite_sql_gz : BackupFormat::sqlite_sql;
  }
  if (starts_with(text, "PGDMP") || starts_with(text, std::string("SQLite format 3\0", 16)))
    return make_error(Errc::invalid_input,
                      fmt::format("{} is a {} file, not a MySQL dump", path.string(),
                                  starts_with(text, "PGDMP") ? "pg_dump archive" : "SQLite"));
  return gz ? BackupFormat::mysql_dump_gz : BackupFormat::mysql_dump;
}

Result<BackupFormat> detect_format(EngineKind engine, const fs::path& path,
                                   std::string_view planned) {
  auto format = detect_format(engine, path);
  if (planned.empty()) return format;
  if (!format) {
    if (planned != "basebackup") return format;
    return make_error(Errc::invalid_input, fmt::format("the plan says format = \"basebackup\": {}",
                                                       format.error().message));
  }
  if ((planned == "basebackup") == is_pg_basebackup(*format)) return format;
  return make_error(Errc::invalid_input,
                    fmt::format("{} is a {}, but the plan says format = \"{}\"", path.string(),
                                format_name(*format), planned));
}

Result<DumpOrigin> read_dump_origin(BackupFormat format, const fs::path& path) {
  switch (format) {
    case BackupFormat::pg_custom: {
      auto head = read_file_head(path, 4096);
      if (!head) return Unexpected<Error>(std::move(head).error());
      return parse_archive_header(*head);
    }
    case BackupFormat::pg_directory: {
      auto head = read_file_head(path / "toc.dat", 4096);
      if (!head) return Unexpected<Error>(std::move(head).error());
      return parse_archive_header(*head);
    }
    case BackupFormat::pg_tar: {
      // toc.dat is the first member; its content starts after the 512-byte header.
      auto head = read_file_head(path, 512 + 4096);
      if (!head) return Unexpected<Error>(std::move(head).error());
      if (head->size() <= 512) return DumpOrigin{};
      return parse_archive_header(head->substr(512));
    }
    case BackupFormat::pg_plain: {
      auto head = read_file_head(path, 8192);
      if (!head) return Unexpected<Error>(std::move(head).error());
      return parse_plain_header(*head);
    }
    case BackupFormat::pg_plain_gz: {
      auto head = gzip_head(path, 8192);
      if (!head) return Unexpected<Error>(std::move(head).error());
      return parse_plain_header(*head);
    }
    case BackupFormat::mysql_dump:
    case BackupFormat::mysql_dump_gz: {
      auto head =
          format == BackupFormat::mysql_dump ? read_file_head(path, 8192) : gzip_head(path, 8192);
      if (!head) return Unexpected<Error>(std::move(head).error());
      DumpOrigin origin = parse_mysql_header(*head);
      auto tail = content_tail(format, path);
      if (!tail) return Unexpected<Error>(std::move(tail).error());
      origin.complete = tail->find("\n-- Dump completed") != std::string::npos;
      std::string completed = after_marker(*tail, "-- Dump completed on ");
      if (!completed.empty()) origin.created = local_time(completed);
      return origin;
    }
    case BackupFormat::mariadb_backup:
      return parse_backup_info(path);
    case BackupFormat::pg_basebackup_plain:
    case BackupFormat::pg_basebackup_tar:
      return basebackup_origin(path);
    default:
      return DumpOrigin{};
  }
}

int major_version(const std::string& version) {
  int major = 0;
  for (char c : version) {
    if (c < '0' || c > '9') break;
    major = major * 10 + (c - '0');
  }
  return major;
}

Result<bool> plain_dump_complete(BackupFormat format, const fs::path& path) {
  auto tail = content_tail(format, path);
  if (!tail) return Unexpected<Error>(std::move(tail).error());
  if (format == BackupFormat::mysql_dump || format == BackupFormat::mysql_dump_gz)
    return tail->find("\n-- Dump completed") != std::string::npos;
  return tail->find("-- PostgreSQL database dump complete") != std::string::npos ||
         tail->find("-- PostgreSQL database cluster dump complete") != std::string::npos;
}

Result<LastLine> last_line(BackupFormat format, const fs::path& path) {
  gzFile gz = gzopen(path.c_str(), "rb");  // reads plain files as they are
  if (!gz) return make_error(Errc::io, fmt::format("cannot read {}", path.string()));
  gzbuffer(gz, 1 << 17);
  (void)format;
  LastLine last, current{1, ""};
  bool blank = true;
  std::string buf(1 << 16, '\0');
  int n;
  while ((n = gzread(gz, buf.data(), static_cast<unsigned>(buf.size()))) > 0) {
    for (int i = 0; i < n; ++i) {
      char c = buf[static_cast<std::size_t>(i)];
      if (c == '\n') {
        if (!blank) last = current;
        current.number++;
        current.text.clear();
        blank = true;
        continue;
      }
      if (c != ' ' && c != '\t' && c != '\r') blank = false;
      if (current.text.size() < 120) current.text += c;
    }
  }
  gzclose(gz);
  if (n < 0) return make_error(Errc::io, fmt::format("cannot read {}", path.string()));
  if (!blank) last = current;
  return last;
}

}  // namespace dp::drills
