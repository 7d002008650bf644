#include "verifier/engine/postgres/pg_engine.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <poll.h>

#include <algorithm>
#include <cerrno>
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

// The connection parameters for PQconnectdbParams / PQconnectStartParams;
// the strings live as long as the object.
struct ConnParams {
  std::string port, timeout, opts, dbname;
  std::vector<const char*> keys, values;
  int expand = 0;
};

void fill_params(const ConnectOptions& o, bool read_only, ConnParams& p);

ConnPtr open(const ConnectOptions& o, bool read_only) {
  ConnParams p;
  fill_params(o, read_only, p);
  return ConnPtr(PQconnectdbParams(p.keys.data(), p.values.data(), p.expand));
}

void fill_params(const ConnectOptions& o, bool read_only, ConnParams& p) {
  std::string& port = p.port;
  std::string& timeout = p.timeout;
  std::string& opts = p.opts;
  std::string& dbname = p.dbname;
  std::vector<const char*>& keys = p.keys;
  std::vector<const char*>& values = p.values;
  p.expand = o.conninfo.empty() ? 0 : 1;
  port = std::to_string(o.port);
  timeout = timeout_seconds(o.connect_timeout);
  // Settings that make text output canonical (docs/snapshot.md): the same
  // value always prints the same way, whatever the server's defaults.
  opts = fmt::format(
      "-c statement_timeout={} -c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=postgres "
      "-c extra_float_digits=3 -c bytea_output=hex",
      o.statement_timeout.count());
  if (read_only) opts += " -c default_transaction_read_only=on";
  dbname = o.database.empty() ? "postgres" : o.database;
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

namespace {

// Where a connection went, for messages: the socket directory, or the host
// and port libpq took from a conninfo string (never the string itself: it
// may hold a password).
std::string target_of(PGconn* conn, const ConnectOptions& o) {
  if (o.conninfo.empty() || !conn) return o.socket_dir.empty() ? "the server" : o.socket_dir;
  const char* host = PQhost(conn);
  const char* port = PQport(conn);
  std::string h = host && *host ? host : "the default socket";
  return port && *port ? fmt::format("{} port {}", h, port) : h;
}

QueryResult rows_of(PGresult* res) {
  QueryResult out;
  int ncols = PQnfields(res);
  int nrows = PQntuples(res);
  for (int c = 0; c < ncols; ++c) out.columns.emplace_back(PQfname(res, c));
  out.rows.reserve(static_cast<std::size_t>(nrows));
  for (int r = 0; r < nrows; ++r) {
    Row row;
    row.reserve(static_cast<std::size_t>(ncols));
    for (int c = 0; c < ncols; ++c) {
      if (PQgetisnull(res, r, c))
        row.emplace_back(std::nullopt);
      else
        row.emplace_back(
            std::string(PQgetvalue(res, r, c), static_cast<std::size_t>(PQgetlength(res, r, c))));
    }
    out.rows.push_back(std::move(row));
  }
  return out;
}

// Waits until the connection's socket is ready for `events` or the deadline
// passes (false).
bool wait_socket(PGconn* conn, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return false;
    pollfd p{PQsocket(conn), events, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return true;  // libpq reports the socket's error
  }
}

}  // namespace

Result<QueryResult> query_bounded(const ConnectOptions& options, std::string_view sql,
                                  std::chrono::steady_clock::time_point deadline, bool read_only) {
  if (auto ok = client_library_ready(EngineKind::postgres); !ok)
    return Unexpected<Error>(ok.error());
  ConnParams params;
  fill_params(options, read_only, params);
  ConnPtr conn(PQconnectStartParams(params.keys.data(), params.values.data(), params.expand));
  auto timed_out = [&](const char* while_) {
    return make_error(Errc::timeout, fmt::format("no answer from {} before the deadline ({})",
                                                 target_of(conn.get(), options), while_));
  };
  auto failed = [&](const char* what) {
    return make_error(Errc::engine, fmt::format("{} {}: {}", what, target_of(conn.get(), options),
                                                message_of(conn.get())));
  };
  if (!conn || PQstatus(conn.get()) == CONNECTION_BAD) return failed("connect to");
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK) {
    if (state == PGRES_POLLING_FAILED) return failed("connect to");
    if (!wait_socket(conn.get(), state == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline))
      return timed_out("connecting");
    state = PQconnectPoll(conn.get());
  }
  PQsetnonblocking(conn.get(), 1);
  const std::string text(sql);
  // read_only: the extended protocol runs exactly one statement.
  int sent = read_only ? PQsendQueryParams(conn.get(), text.c_str(), 0, nullptr, nullptr, nullptr,
                                           nullptr, 0)
                       : PQsendQuery(conn.get(), text.c_str());
  if (!sent) return failed("send the query to");
  for (int flushed; (flushed = PQflush(conn.get())) != 0;) {
    if (flushed < 0) return failed("send the query to");
    if (!wait_socket(conn.get(), POLLIN | POLLOUT, deadline)) return timed_out("sending");
    if (!PQconsumeInput(conn.get())) return failed("read from");
  }
  QueryResult out;
  std::optional<Error> error;
  for (;;) {
    while (PQisBusy(conn.get())) {
      if (!wait_socket(conn.get(), POLLIN, deadline)) return timed_out("waiting for the result");
      if (!PQconsumeInput(conn.get())) return failed("read from");
    }
    ResultPtr res(PQgetResult(conn.get()));
    if (!res) break;
    auto status = PQresultStatus(res.get());
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
      if (status == PGRES_TUPLES_OK || PQnfields(res.get()) > 0) out = rows_of(res.get());
    } else if (!error) {
      const char* code = PQresultErrorField(res.get(), PG_DIAG_SQLSTATE);
      // 57014 query_canceled: the server-side statement_timeout fired.
      error = Error{(code && std::strcmp(code, "57014") == 0) ? Errc::timeout : Errc::engine,
                    std::string(trim(PQresultErrorMessage(res.get())))};
    }
  }
  if (error) return Unexpected<Error>(std::move(*error));
  return out;
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
    return make_error(Errc::engine, fmt::format("connect to {}: {}", target_of(conn.get(), options),
                                                message_of(conn.get())));
  ResultPtr res(PQexec(conn.get(), std::string(sql).c_str()));
  auto status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    return make_error(Errc::engine, res ? std::string(trim(PQresultErrorMessage(res.get())))
                                        : message_of(conn.get()));
  return {};
}

}  // namespace dp::engine::postgres
