#pragma once
// Restoring one backup into a scratch instance with the engine's own tools.
// The backup is only ever read.
#include <filesystem>
#include <optional>
#include <string>

#include "drills/backup_format.hpp"
#include "drills/my_scratch.hpp"
#include "drills/pg_basebackup.hpp"
#include "drills/pg_scratch.hpp"
#include "reports/run_report.hpp"
#include "verifier/plan/plan.hpp"

namespace dp::drills {

struct RestoreRun {
  RestoreRun() = default;
  RestoreRun(Result<void> r, std::string tail)
      : result(std::move(r)), stderr_tail(std::move(tail)) {}

  Result<void> result;
  std::string stderr_tail;  // the restore tool's last lines, for the report
  // Point-in-time recovery: where this restore landed (reports/run_report.hpp);
  // none when the backup has no pitr settings.
  std::optional<reports::PitrResult> pitr;
};

// Creates the plan's roles and the target database, then pg_restore -j N
// (custom, directory), pg_restore (tar) or psql -v ON_ERROR_STOP=1 (plain,
// gzip piped through gzip -dc). Refuses a dump from a newer major version
// than the server, naming both.
RestoreRun restore_postgres(const PgScratch& scratch, const plan::BackupJob& job,
                            BackupFormat format, Deadline deadline);

// Copies (plain) or extracts with tar (base.tar[.gz] into `data`,
// pg_wal.tar[.gz] into data/pg_wal) a base backup into `data`, which must
// not exist. The backup is only read. tar's stderr goes to `log`.
Result<void> stage_basebackup(const BaseBackupLayout& layout, const std::filesystem::path& data,
                              const std::filesystem::path& log, Deadline deadline);

// pg_basebackup backups into a scratch made by PgScratch::create: moves
// `staged` (a data directory stage_basebackup filled, e.g. to verify a tar
// backup's manifest; empty: none) to scratch.data_dir() or stages the
// backup there, refuses a PG_VERSION major other than the server's, a
// backup without the WAL its backup_label starts from (-X none) and
// tablespaces, removes postmaster.pid/.opts and standby/recovery signals,
// and starts postgres with drillproof's own configuration files; the
// server replays the backup's WAL and the restore ends when it accepts
// connections (bounded by `deadline`).
RestoreRun restore_pg_basebackup(PgScratch& scratch, const plan::BackupJob& job,
                                 const BaseBackupLayout& layout,
                                 const std::filesystem::path& staged, Deadline deadline);

// MySQL dumps (.sql, .sql.gz): creates the plan's `database`, then pipes the
// dump into the mariadb client (gzip -dc in front for .sql.gz), whose
// "ERROR 1064 (42000) at line N: ..." becomes the message. A dump made by
// mysqldump / mariadb-dump without its "-- Dump completed" trailer is
// refused as truncated, naming its last line.
RestoreRun restore_mysql_dump(const MyScratch& scratch, const plan::BackupJob& job,
                              BackupFormat format, Deadline deadline);

// mariadb-backup directories: copies the backup into the scratch data
// directory, runs mariadb-backup --prepare on the copy (the original is only
// read), then starts the scratch server on it.
RestoreRun restore_mysql_physical(MyScratch& scratch, const plan::BackupJob& job,
                                  Deadline deadline);

// Copies a database file or loads an SQL dump into `db_file`.
RestoreRun restore_sqlite(const plan::BackupJob& job, BackupFormat format,
                          const std::filesystem::path& db_file);

}  // namespace dp::drills
