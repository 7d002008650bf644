#pragma once
// SQLite adapter on libsqlite3. open_read_only() opens the file with
// SQLITE_OPEN_READONLY and a busy timeout; a progress handler enforces the
// statement timeout. The loaders write only to their destination file.
#include <filesystem>
#include <memory>

#include "verifier/engine/engine.hpp"

namespace dp::engine::sqlite {

Result<std::unique_ptr<Engine>> open_read_only(const ConnectOptions& options);

// Executes an SQL dump (as `sqlite3 db .dump` writes it; `.sql` or gzip
// `.sql.gz`) into a new database at `db_file`, statement by statement. An
// error names the dump's line: "dump.sql:1234: near \"INSRT\": syntax error".
Result<void> load_sql_dump(const std::filesystem::path& dump, const std::filesystem::path& db_file);

// Whether the file starts with the SQLite 3 header.
bool is_sqlite_database(const std::filesystem::path& file);

// Copies a database file byte for byte (and its -wal file, if any) without
// ever opening the source through SQLite, then checks the copy opens.
Result<void> copy_database(const std::filesystem::path& source, const std::filesystem::path& dest);

}  // namespace dp::engine::sqlite
