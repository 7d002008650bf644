#pragma once
// Restoring one backup into a scratch instance with the engine's own tools.
// The backup is only ever read.
#include <filesystem>
#include <string>

#include "drills/backup_format.hpp"
#include "drills/my_scratch.hpp"
#include "drills/pg_scratch.hpp"
#include "verifier/plan/plan.hpp"

namespace dp::drills {

struct RestoreRun {
  Result<void> result;
  std::string stderr_tail;  // the restore tool's last lines, for the report
};

// Creates the plan's roles and the target database, then pg_restore -j N
// (custom, directory), pg_restore (tar) or psql -v ON_ERROR_STOP=1 (plain,
// gzip piped through gzip -dc). Refuses a dump from a newer major version
// than the server, naming both.
RestoreRun restore_postgres(const PgScratch& scratch, const plan::BackupJob& job,
                            BackupFormat format, Deadline deadline);

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
