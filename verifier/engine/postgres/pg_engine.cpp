#include "verifier/engine/postgres/pg_engine.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "verifier/core/text.hpp"

namespace dp::engine::postgres {
namespace {

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

std::string message_of(PGconn* conn) {
  return std::string(trim(conn ? PQerrorMessage(conn) : "out of memory"));
}

// libpq's connect_timeout is whole seconds, and values below 2 are raised to 2.
std::string timeout_seconds(Millis t) {
  return std::to_string(std::max<long long>(2, (t.count() + 999) / 1000));
}

ConnPtr open(const ConnectOptions& o, bool read_only) {
  std::string port = std::to_string(o.port);
  std::string timeout = timeout_seconds(o.connect_timeout);
  // Settings that make text output canonical (docs/snapshot.md): the same
  // value always prints the same way, whatever the server's defaults.
  std::string opts = fmt::format(
      "-c statement_timeout={} -c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=postgres "
      "-c extra_float_digits=3 -c bytea_output=hex",
      o.statement_timeout.count());
  if (read_only) opts += " -c default_transaction_read_only=on";
  std::string dbname = o.database.empty() ? "postgres" : o.database;
  std::vector<const char*> keys, values;
  auto add = [&](const char* k, const std::string& v) {
    keys.push_back(k);
    values.push_back(v.c_str());
  };
  if (!o.conninfo.empty()) {
    add("dbname", o.conninfo);  // expanded (expand_dbname=1); later keys override it
  } else {
    add("host", o.socket_dir);
    add("port", port);
    add("user", o.user);
    add("dbname", dbname);
  }
  static const std::string k_app = "drillproof", k_utf8 = "UTF8";
  add("connect_timeout", timeout);
  add("application_name", k_app);
  add("options", opts);
  add("client_encoding", k_utf8);
  keys.push_back(nullptr);
  values.push_back(nullptr);
  return ConnPtr(PQconnectdbParams(keys.data(), values.data(), o.conninfo.empty() ? 0 : 1));
}

class PgEngine final : public Engine {
 public:
  explicit PgEngine(ConnPtr conn) : m_conn(std::move(conn)) {}
  EngineKind kind() const override { return EngineKind::postgres; }
  std::string server_version() const override {
    const char* v = PQparameterStatus(m_conn.get(), "server_version");
    return v ? v : "";
  }
  Result<std::vector<TableName>> list_tables() override {
    auto rows = query(
        "SELECT n.nspname, c.relname FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', "
        "'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' "
        "AND NOT c.relispartition ORDER BY 1, 2");
    if (!rows) return Unexpected<Error>(std::move(rows).error());
    std::vector<TableName> out;
    for (auto& r : rows->rows) out.push_back({r[0].value_or(""), r[1].value_or("")});
    return out;
  }
  Result<QueryResult> query(std::string_view sql) override {
    // One statement (the extended protocol refuses several) inside a
    // READ ONLY transaction that is always rolled back: a check cannot
    // switch the session to read-write and then write.
    ResultPtr begin(PQexec(m_conn.get(), "BEGIN TRANSACTION READ ONLY"));
    if (!begin || PQresultStatus(begin.get()) != PGRES_COMMAND_OK)
      return make_error(Errc::engine, message_of(m_conn.get()));
    ResultPtr res(PQexecParams(m_conn.get(), std::string(sql).c_str(), 0, nullptr, nullptr, nullptr,
                               nullptr, 0));
    ResultPtr rollback(PQexec(m_conn.get(), "ROLLBACK"));
    auto status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return error_of(res.get());
    QueryResult out;
    int ncols = PQnfields(res.get());
    int nrows = PQntuples(res.get());
    for (int c = 0; c < ncols; ++c) out.columns.emplace_back(PQfname(res.get(), c));
    out.rows.reserve(static_cast<std::size_t>(nrows));
    for (int r = 0; r < nrows; ++r) {
      Row row;
      row.reserve(static_cast<std::size_t>(ncols));
      for (int c = 0; c < ncols; ++c) {
        if (PQgetisnull(res.get(), r, c))
          row.emplace_back(std::nullopt);
        else
          row.emplace_back(std::string(PQgetvalue(res.get(), r, c),
                                       static_cast<std::size_t>(PQgetlength(res.get(), r, c))));
      }
      out.rows.push_back(std::move(row));
    }
    return out;
  }
  std::string quote_identifier(std::string_view ident) const override { return quote_ident(ident); }

  // COPY (SELECT ...) TO STDOUT already is the canonical encoding, one
  // CopyData message per row; the server formats, we only pass lines on.
  Result<std::uint64_t> stream_rows(std::string_view select_sql, const RowSink& sink) override {
    ResultPtr begin(PQexec(m_conn.get(), "BEGIN TRANSACTION READ ONLY"));
    if (!begin || PQresultStatus(begin.get()) != PGRES_COMMAND_OK)
      return make_error(Errc::engine, message_of(m_conn.get()));
    auto result = copy_out(fmt::format("COPY ({}) TO STDOUT", select_sql), sink);
    ResultPtr rollback(PQexec(m_conn.get(), "ROLLBACK"));
    return result;
  }

 private:
  Result<std::uint64_t> copy_out(const std::string& copy_sql, const RowSink& sink) {
    ResultPtr start(PQexec(m_conn.get(), copy_sql.c_str()));
    if (!start || PQresultStatus(start.get()) != PGRES_COPY_OUT) return error_of(start.get());
    std::uint64_t rows = 0;
    char* buffer = nullptr;
    int len;
    while ((len = PQgetCopyData(m_conn.get(), &buffer, 0)) > 0) {
      std::string_view line(buffer, static_cast<std::size_t>(len));
      if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
      sink(line);
      PQfreemem(buffer);
      ++rows;
    }
    if (len == -2) return make_error(Errc::engine, message_of(m_conn.get()));
    ResultPtr end(PQgetResult(m_conn.get()));
    if (!end || PQresultStatus(end.get()) != PGRES_COMMAND_OK) return error_of(end.get());
    while (ResultPtr more{PQgetResult(m_conn.get())}) {
    }
    return rows;
  }

  Unexpected<Error> error_of(PGresult* res) {
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    std::string msg = res ? std::string(trim(PQresultErrorMessage(res))) : message_of(m_conn.get());
    // 57014 query_canceled: our statement_timeout fired.
    Errc code = (state && std::strcmp(state, "57014") == 0) ? Errc::timeout : Errc::engine;
    return make_error(code, msg);
  }

  ConnPtr m_conn;
};

}  // namespace

std::string quote_ident(std::string_view ident) { return quote_sql_identifier(ident); }

std::string quote_literal(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

Result<std::unique_ptr<Engine>> connect(const ConnectOptions& options) {
  if (auto ok = client_library_ready(EngineKind::postgres); !ok)
    return Unexpected<Error>(ok.error());
  ConnPtr conn = open(options, true);
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK)
    return make_error(
        Errc::engine,
        options.conninfo.empty()
            ? fmt::format("connect to database '{}' at {}: {}", options.database,
                          options.socket_dir, message_of(conn.get()))
            // Never echo a connection string: it may hold a password.
            : fmt::format("connect to the source database: {}", message_of(conn.get())));
  return std::unique_ptr<Engine>(std::make_unique<PgEngine>(std::move(conn)));
}

Ping ping(const ConnectOptions& options) {
  // No libpq: no attempt can be made (drills check the library before they
  // start a server, so this only stops a caller that did not).
  if (auto ok = client_library_ready(EngineKind::postgres); !ok) return Ping::bad_options;
  std::string port = std::to_string(options.port);
  std::string timeout = timeout_seconds(options.connect_timeout);
  const char* keys[] = {"host", "port", "user", "dbname", "connect_timeout", nullptr};
  const char* values[] = {options.socket_dir.c_str(),
                          port.c_str(),
                          options.user.c_str(),
                          "postgres",
                          timeout.c_str(),
                          nullptr};
  switch (PQpingParams(keys, values, 0)) {
    case PQPING_OK:
      return Ping::ok;
    case PQPING_REJECT:
      return Ping::rejecting;
    case PQPING_NO_RESPONSE:
      return Ping::no_response;
    case PQPING_NO_ATTEMPT:
      return Ping::bad_options;
  }
  return Ping::no_response;
}

Result<void> execute_admin(const ConnectOptions& options, std::string_view sql) {
  if (auto ok = client_library_ready(EngineKind::postgres); !ok) return ok;
  ConnPtr conn = open(options, false);
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK)
    return make_error(Errc::engine,
                      fmt::format("connect to {}: {}", options.socket_dir, message_of(conn.get())));
  ResultPtr res(PQexec(conn.get(), std::string(sql).c_str()));
  auto status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    return make_error(Errc::engine, res ? std::string(trim(PQresultErrorMessage(res.get())))
                                        : message_of(conn.get()));
  return {};
}

}  // namespace dp::engine::postgres
