#include <fmt/format.h>

#include "drills/restore.hpp"
#include "verifier/engine/sqlite/sqlite_engine.hpp"

namespace dp::drills {

RestoreRun restore_sqlite(const plan::BackupJob& job, BackupFormat format,
                          const std::filesystem::path& db_file) {
  RestoreRun run;
  if (format == BackupFormat::sqlite_db)
    run.result = engine::sqlite::copy_database(job.backup.path, db_file);
  else
    run.result = engine::sqlite::load_sql_dump(job.backup.path, db_file);
  if (!run.result) run.stderr_tail = run.result.error().message;
  return run;
}

}  // namespace dp::drills
