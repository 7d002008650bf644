#pragma once
// Recognises what kind of backup a path holds, from its content (magic
// bytes), never from its name alone, and reads the PostgreSQL version a
// pg_dump archive was made with so a too-new dump is refused up front.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "verifier/core/engine_kind.hpp"
#include "verifier/core/result.hpp"

namespace dp::drills {

enum class BackupFormat {
  pg_custom,     // pg_dump -Fc
  pg_directory,  // pg_dump -Fd
  pg_tar,        // pg_dump -Ft
  pg_plain,      // pg_dump -Fp (.sql)
  pg_plain_gz,   // pg_dump -Fp | gzip
  sqlite_db,     // a database file
  sqlite_sql,    // sqlite3 .dump output
  sqlite_sql_gz,
  mysql_dump,           // mysqldump / mariadb-dump (.sql)
  mysql_dump_gz,        // the same, gzip
  mariadb_backup,       // a mariadb-backup (xtrabackup) directory, not yet prepared
  pg_basebackup_plain,  // pg_basebackup -Fp: a copy of a data directory with backup_label
  pg_basebackup_tar,    // pg_basebackup -Ft: base.tar[.gz] (+ pg_wal.tar[.gz])
};

// pg_basebackup_plain or pg_basebackup_tar.
bool is_pg_basebackup(BackupFormat f);

std::string format_name(BackupFormat f);

// Errc::invalid_input when the content is not a backup this engine restores
// (the message says what was found).
Result<BackupFormat> detect_format(EngineKind engine, const std::filesystem::path& path);
// The same, held to what the plan's `format` says ("dump", "basebackup";
// empty: anything): Errc::invalid_input naming both when they differ.
Result<BackupFormat> detect_format(EngineKind engine, const std::filesystem::path& path,
                                   std::string_view planned);

struct DumpOrigin {
  std::string server_version;    // "Dumped from database version", may be empty
  std::string pg_dump_version;   // "Dumped by pg_dump version" (mysql: the dump tool), may be empty
  bool made_by_pg_dump = false;  // plain files: has pg_dump's (mysql: mariadb-dump's) header
  // Archive creation time from the header (pg_dump records the dumping
  // host's local time; it is read in this machine's time zone). MySQL
  // dumps: the "-- Dump completed on" trailer; mariadb-backup: end_time in
  // xtrabackup_info, both local times too.
  std::optional<std::chrono::system_clock::time_point> created;
  // MySQL dumps: the "-- Dump completed" trailer is present (one pass over
  // a gzip'd dump gives both this and `created`).
  bool complete = false;
};

// Reads the archive header (custom, directory, tar) or the header comments
// (plain). Unknown fields stay empty; only an unreadable file is an error.
Result<DumpOrigin> read_dump_origin(BackupFormat format, const std::filesystem::path& path);

// The major version of a version string: "15.18 (Debian 15.18-0+deb12u1)" ->
// 15, "9.6.24" -> 9; 0 when unknown.
int major_version(const std::string& version);

// For pg_dump plain output: whether it ends with pg_dump's completion comment
// ("-- PostgreSQL database dump complete"), i.e. was not cut short; for
// mysqldump / mariadb-dump output, its "-- Dump completed" trailer.
Result<bool> plain_dump_complete(BackupFormat format, const std::filesystem::path& path);

struct LastLine {
  std::uint64_t number = 0;  // 1-based; 0 for an empty file
  std::string text;          // at most 120 bytes of it
};
// The last non-empty line of a plain or gzip'd SQL file, for messages about
// a dump that was cut short.
Result<LastLine> last_line(BackupFormat format, const std::filesystem::path& path);

}  // namespace dp::drills
