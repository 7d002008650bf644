#pragma once
// The narrow database interface checks are written against (CONVENTIONS §6).
// Only the adapter folders include libpq-fe.h / mysql.h / sqlite3.h.
//
// An Engine is one read-only session: used by one thread at a time. Values
// come back as text exactly as the database prints them; NULL is nullopt.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verifier/core/duration.hpp"
#include "verifier/core/engine_kind.hpp"
#include "verifier/core/result.hpp"

namespace dp::engine {

using Value = std::optional<std::string>;
using Row = std::vector<Value>;

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<Row> rows;
};

struct TableName {
  std::string schema;  // "public", "main"
  std::string name;
  std::string qualified() const { return schema.empty() ? name : schema + "." + name; }
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual EngineKind kind() const = 0;
  virtual std::string server_version() const = 0;
  // User tables (system catalogs excluded), sorted by schema and name.
  virtual Result<std::vector<TableName>> list_tables() = 0;
  // Runs one statement in the read-only session. Errc::engine with the
  // database's message on error, Errc::timeout when the statement timeout hit.
  virtual Result<QueryResult> query(std::string_view sql) = 0;
  // Quotes one identifier part for this engine's SQL.
  virtual std::string quote_identifier(std::string_view ident) const = 0;
  // Streams the rows of one SELECT in the canonical row encoding (below),
  // one call per row, without materialising the result: memory stays
  // bounded whatever the row count. Returns the number of rows.
  //
  // Canonical row encoding (documented in docs/snapshot.md): PostgreSQL
  // COPY TEXT format. Fields in select-list order separated by one TAB; NULL
  // is \N; in values, backslash, TAB, LF, CR, BS, FF and VT are written
  // \\, \t, \n, \r, \b, \f and \v (as PostgreSQL's COPY writes them); the
  // line carries no trailing newline. Values are the engine's own text
  // output under the session's normalising settings (UTC, ISO dates,
  // extra_float_digits=3, bytea hex); SQLite blobs are \\x<hex>; MySQL
  // binary strings are \\x<hex> and BIT(n) is n binary digits.
  using RowSink = std::function<void(std::string_view line)>;
  virtual Result<std::uint64_t> stream_rows(std::string_view select_sql, const RowSink& sink) = 0;
};

// Standard SQL quoting ("a""b"), as PostgreSQL and SQLite spell it.
std::string quote_sql_identifier(std::string_view ident);

// "public"."orders": each part quoted, so names containing dots stay whole.
std::string quote_table(const Engine& engine, const TableName& table);

// Runs a query that returns one non-negative integer (SELECT count(*) ...).
// Errc::engine "count(*) returned no value" / "count(*) returned 'x'" when
// the result is not exactly that; the query's own error otherwise.
Result<std::uint64_t> query_count(Engine& engine, std::string_view sql);

// "public.orders" -> "\"public\".\"orders\""; a name without a dot is one part.
std::string quote_qualified(const Engine& engine, std::string_view dotted);

struct ConnectOptions {
  EngineKind kind = EngineKind::postgres;
  // postgres: a libpq connection string ("host=/run/postgresql dbname=shop
  // user=app"); when set, socket_dir/port/user/database are ignored. The
  // password comes only from PGPASSWORD or ~/.pgpass, never from a plan.
  std::string conninfo;
  std::string socket_dir;  // postgres: the unix socket directory
  std::string socket;      // mysql: the unix socket file
  int port = 5432;
  std::string user;      // postgres role, mysql user (default root)
  std::string database;  // postgres or mysql database, or the sqlite file path
  // mysql: take the password from MYSQL_PWD (a source). A scratch server's
  // root has none, and MYSQL_PWD set for the source must not be sent to it.
  bool password_from_env = true;
  Millis connect_timeout{10'000};
  Millis statement_timeout{300'000};
};

// Opens a read-only session. Errc::engine when the database refuses.
Result<std::unique_ptr<Engine>> connect(const ConnectOptions& options);

// Whether the client library for `kind` is loaded (lazy_library.hpp), loading
// it on first call. Errc::unsupported naming the library and the package to
// install. Drills call it before starting a scratch server; every adapter
// entry point calls it too. Thread-safe.
Result<void> client_library_ready(EngineKind kind);

}  // namespace dp::engine
