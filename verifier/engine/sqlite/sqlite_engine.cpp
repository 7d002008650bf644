#include "verifier/engine/sqlite/sqlite_engine.hpp"

#include <fmt/format.h>
#include <sqlite3.h>
#include <zlib.h>

#include <chrono>
#include <cstring>
#include <fstream>

#include "verifier/core/text.hpp"

namespace dp::engine::sqlite {
namespace {

struct DbDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbDeleter>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

using Clock = std::chrono::steady_clock;

void append_canonical(std::string& out, sqlite3_stmt* stmt, int col);

class SqliteEngine final : public Engine {
 public:
  SqliteEngine(DbPtr db, Millis statement_timeout)
      : m_db(std::move(db)), m_statement_timeout(statement_timeout) {
    sqlite3_progress_handler(m_db.get(), 10000, &SqliteEngine::on_progress, this);
  }
  EngineKind kind() const override { return EngineKind::sqlite; }
  std::string server_version() const override { return sqlite3_libversion(); }

  Result<std::vector<TableName>> list_tables() override {
    auto rows = query(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\' ORDER BY name");
    if (!rows) return Unexpected<Error>(std::move(rows).error());
    std::vector<TableName> out;
    for (auto& r : rows->rows) out.push_back({"main", r[0].value_or("")});
    return out;
  }

  Result<QueryResult> query(std::string_view sql) override {
    sqlite3_stmt* raw = nullptr;
    m_deadline = Clock::now() + m_statement_timeout;
    m_timed_out = false;
    int rc =
        sqlite3_prepare_v2(m_db.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
    StmtPtr stmt(raw);
    if (rc != SQLITE_OK) return make_error(Errc::engine, sqlite3_errmsg(m_db.get()));
    if (!stmt) return make_error(Errc::engine, "empty statement");
    QueryResult out;
    int ncols = sqlite3_column_count(stmt.get());
    for (int c = 0; c < ncols; ++c) out.columns.emplace_back(sqlite3_column_name(stmt.get(), c));
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      Row row;
      row.reserve(static_cast<std::size_t>(ncols));
      for (int c = 0; c < ncols; ++c) {
        if (sqlite3_column_type(stmt.get(), c) == SQLITE_NULL) {
          row.emplace_back(std::nullopt);
        } else {
          auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), c));
          int len = sqlite3_column_bytes(stmt.get(), c);
          row.emplace_back(std::string(text ? text : "", static_cast<std::size_t>(len)));
        }
      }
      out.rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) {
      if (m_timed_out)
        return make_error(Errc::timeout, fmt::format("statement timed out after {}",
                                                     format_duration(m_statement_timeout)));
      return make_error(Errc::engine, sqlite3_errmsg(m_db.get()));
    }
    return out;
  }

  std::string quote_identifier(std::string_view ident) const override {
    return quote_sql_identifier(ident);
  }

  Result<std::uint64_t> stream_rows(std::string_view select_sql, const RowSink& sink) override {
    sqlite3_stmt* raw = nullptr;
    m_deadline = Clock::now() + m_statement_timeout;
    m_timed_out = false;
    int rc = sqlite3_prepare_v2(m_db.get(), select_sql.data(), static_cast<int>(select_sql.size()),
                                &raw, nullptr);
    StmtPtr stmt(raw);
    if (rc != SQLITE_OK) return make_error(Errc::engine, sqlite3_errmsg(m_db.get()));
    if (!stmt) return make_error(Errc::engine, "empty statement");
    int ncols = sqlite3_column_count(stmt.get());
    std::string line;
    std::uint64_t rows = 0;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      line.clear();
      for (int c = 0; c < ncols; ++c) {
        if (c) line += '\t';
        append_canonical(line, stmt.get(), c);
      }
      sink(line);
      ++rows;
    }
    if (rc != SQLITE_DONE) {
      if (m_timed_out)
        return make_error(Errc::timeout, fmt::format("statement timed out after {}",
                                                     format_duration(m_statement_timeout)));
      return make_error(Errc::engine, sqlite3_errmsg(m_db.get()));
    }
    return rows;
  }

 private:
  static int on_progress(void* self) {
    auto* e = static_cast<SqliteEngine*>(self);
    if (Clock::now() < e->m_deadline) return 0;
    e->m_timed_out = true;
    return 1;
  }
  DbPtr m_db;
  Millis m_statement_timeout;
  Clock::time_point m_deadline{};
  bool m_timed_out = false;
};

// One value in the canonical row encoding (engine.hpp): COPY TEXT escaping,
// NULL as \N, blobs as \\x<hex> like PostgreSQL's bytea.
void append_canonical(std::string& out, sqlite3_stmt* stmt, int col) {
  switch (sqlite3_column_type(stmt, col)) {
    case SQLITE_NULL:
      out += "\\N";
      return;
    case SQLITE_BLOB: {
      static constexpr char k_hex[] = "0123456789abcdef";
      auto* bytes = static_cast<const unsigned char*>(sqlite3_column_blob(stmt, col));
      int n = sqlite3_column_bytes(stmt, col);
      out += "\\\\x";
      for (int i = 0; i < n; ++i) {
        out += k_hex[bytes[i] >> 4];
        out += k_hex[bytes[i] & 15];
      }
      return;
    }
    default: {
      auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
      int n = sqlite3_column_bytes(stmt, col);
      for (int i = 0; i < n; ++i) {
        char c = text[i];
        switch (c) {
          case '\\':
            out += "\\\\";
            break;
          case '\t':
            out += "\\t";
            break;
          case '\n':
            out += "\\n";
            break;
          case '\r':
            out += "\\r";
            break;
          default:
            out += c;
        }
      }
    }
  }
}

Result<std::string> read_maybe_gzip(const std::filesystem::path& path) {
  gzFile gz = gzopen(path.c_str(), "rb");  // reads plain files transparently
  if (!gz) return make_error(Errc::io, fmt::format("cannot read {}", path.string()));
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(gz, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  // A gzip stream cut short reads as a clean end of file (n == 0); only
  // gzerror tells, with Z_BUF_ERROR.
  int err = Z_OK;
  std::string msg = gzerror(gz, &err);
  gzclose(gz);
  if (n < 0 || (err != Z_OK && err != Z_STREAM_END))
    return make_error(
        Errc::process_failed,
        fmt::format("{}: gzip stream is damaged or truncated: {}", path.string(), msg));
  return out;
}

int line_of(std::string_view text, std::size_t offset) {
  int line = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i)
    if (text[i] == '\n') ++line;
  return line;
}

}  // namespace

bool is_sqlite_database(const std::filesystem::path& file) {
  auto head = read_file_head(file, 16);
  return head && *head == std::string("SQLite format 3\0", 16);
}

Result<std::unique_ptr<Engine>> open_read_only(const ConnectOptions& options) {
  if (auto ok = client_library_ready(EngineKind::sqlite); !ok) return Unexpected<Error>(ok.error());
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(options.database.c_str(), &raw,
                           SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK)
    return make_error(Errc::engine, fmt::format("open {}: {}", options.database,
                                                db ? sqlite3_errmsg(db.get()) : "out of memory"));
  sqlite3_busy_timeout(db.get(), static_cast<int>(options.connect_timeout.count()));
  return std::unique_ptr<Engine>(
      std::make_unique<SqliteEngine>(std::move(db), options.statement_timeout));
}

Result<void> load_sql_dump(const std::filesystem::path& dump,
                           const std::filesystem::path& db_file) {
  if (auto ok = client_library_ready(EngineKind::sqlite); !ok) return ok;
  auto text = read_maybe_gzip(dump);
  if (!text) return Unexpected<Error>(std::move(text).error());
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(db_file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK)
    return make_error(Errc::io, fmt::format("create {}: {}", db_file.string(),
                                            db ? sqlite3_errmsg(db.get()) : "out of memory"));
  // The scratch copy is throw-away: no journal, no fsync.
  sqlite3_exec(db.get(), "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;", nullptr, nullptr,
               nullptr);
  const char* begin = text->data();
  const char* tail = begin;
  const char* end = begin + text->size();
  while (tail < end) {
    sqlite3_stmt* stmt_raw = nullptr;
    const char* next = nullptr;
    // -1: read to the NUL std::string guarantees. With an explicit length
    // SQLite copies the rest of the text for every statement (quadratic).
    rc = sqlite3_prepare_v2(db.get(), tail, -1, &stmt_raw, &next);
    StmtPtr stmt(stmt_raw);
    // Skip leading whitespace so the line points at the statement, not the gap before it.
    std::size_t offset = static_cast<std::size_t>(tail - begin);
    while (offset < text->size() && (*text)[offset] != '\0' &&
           std::strchr(" \t\r\n", (*text)[offset]))
      ++offset;
    if (rc != SQLITE_OK) {
      std::string why = sqlite3_errmsg(db.get());
      if (why == "incomplete input")
        why = "the dump ends in the middle of this statement; the file looks truncated";
      return make_error(Errc::process_failed,
                        fmt::format("{}:{}: {}", dump.string(), line_of(*text, offset), why));
    }
    if (!stmt) {
      // prepare stops at a NUL byte as if the text ended there.
      if (next && next < end && *next == '\0')
        return make_error(Errc::process_failed,
                          fmt::format("{}:{}: NUL byte in the dump; the file looks damaged",
                                      dump.string(), line_of(*text, offset)));
      break;  // only whitespace or comments remained
    }
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE)
      return make_error(Errc::process_failed,
                        fmt::format("{}:{}: {}", dump.string(), line_of(*text, offset),
                                    sqlite3_errmsg(db.get())));
    tail = next;
  }
  // A dump cut short inside BEGIN TRANSACTION ... COMMIT leaves the transaction open.
  if (!sqlite3_get_autocommit(db.get()))
    return make_error(Errc::process_failed,
                      fmt::format("{}:{}: dump ends inside a transaction (no COMMIT); the file "
                                  "looks truncated",
                                  dump.string(), line_of(*text, text->size())));
  return {};
}

Result<void> copy_database(const std::filesystem::path& source, const std::filesystem::path& dest) {
  if (auto ok = client_library_ready(EngineKind::sqlite); !ok) return Unexpected<Error>(ok.error());
  if (!is_sqlite_database(source))
    return make_error(Errc::invalid_input,
                      fmt::format("{} is not an SQLite 3 database (bad header)", source.string()));
  std::error_code ec;
  std::filesystem::copy_file(source, dest, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return make_error(Errc::io, fmt::format("copy {}: {}", source.string(), ec.message()));
  auto wal = std::filesystem::path(source.string() + "-wal");
  if (std::filesystem::exists(wal, ec))
    std::filesystem::copy_file(wal, dest.string() + "-wal",
                               std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return make_error(Errc::io, fmt::format("copy {}: {}", wal.string(), ec.message()));
  // Open the copy read-write once so a -wal file is checkpointed into it and
  // a damaged header is caught here, not in the first check.
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(dest.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
  DbPtr db(raw);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(db.get(), "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK)
    return make_error(
        Errc::process_failed,
        fmt::format("{}: {}", source.string(), db ? sqlite3_errmsg(db.get()) : "out of memory"));
  return {};
}

}  // namespace dp::engine::sqlite
