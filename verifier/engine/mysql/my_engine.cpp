#include "verifier/engine/mysql/my_engine.hpp"

#include <fmt/format.h>
#include <mysql.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>

#include "verifier/core/text.hpp"

namespace dp::engine::mysql {
namespace {

// mysql_library_init is not thread-safe and mysql_init calls it implicitly,
// so the first connection initialises the library once for the process;
// mysql_library_end runs at exit. This replaces the guard object in main
// that CONVENTIONS §4 describes, so that nothing outside this adapter needs
// to know about libmysqlclient.
struct Library {
  Library() { ok = mysql_library_init(0, nullptr, nullptr) == 0; }
  ~Library() { mysql_library_end(); }
  bool ok = false;
};

bool library_ready() {
  static Library library;
  return library.ok;
}

struct ConnDeleter {
  void operator()(MYSQL* m) const { mysql_close(m); }
};
struct ResultDeleter {
  void operator()(MYSQL_RES* r) const { mysql_free_result(r); }
};
using ConnPtr = std::unique_ptr<MYSQL, ConnDeleter>;
using ResultPtr = std::unique_ptr<MYSQL_RES, ResultDeleter>;

constexpr unsigned k_binary_charset = 63;
constexpr unsigned k_er_statement_timeout = 1969;  // MariaDB max_statement_time
constexpr unsigned k_er_query_timeout = 3024;      // MySQL max_execution_time
constexpr unsigned k_er_access_denied = 1045;
constexpr unsigned k_er_bad_db = 1049;

// "ERROR 1064 (42000): You have an error ..." as the mariadb client prints it.
std::string message_of(MYSQL* m) {
  if (!m) return "out of memory";
  return fmt::format("ERROR {} ({}): {}", mysql_errno(m), mysql_sqlstate(m), mysql_error(m));
}

Unexpected<Error> error_of(MYSQL* m) {
  unsigned code = m ? mysql_errno(m) : 0;
  Errc errc =
      (code == k_er_statement_timeout || code == k_er_query_timeout) ? Errc::timeout : Errc::engine;
  return make_error(errc, message_of(m));
}

unsigned seconds(Millis t) {
  return static_cast<unsigned>(std::max<long long>(1, (t.count() + 999) / 1000));
}

// The password, if any, only from the environment, never from a plan. ""
// rather than NULL when not wanted: Connector/C reads MYSQL_PWD on NULL.
const char* password_of(const ConnectOptions& o) {
  if (!o.password_from_env) return "";
  return std::getenv("MYSQL_PWD");
}

// Runs one statement and discards any result.
bool exec(MYSQL* m, std::string_view sql) {
  if (mysql_real_query(m, sql.data(), sql.size()) != 0) return false;
  do {
    ResultPtr r(mysql_store_result(m));
  } while (mysql_next_result(m) == 0);
  return mysql_errno(m) == 0;
}

Result<ConnPtr> open(const ConnectOptions& o, bool read_only) {
  if (!library_ready()) return make_error(Errc::engine, "mysql_library_init failed");
  ConnPtr conn(mysql_init(nullptr));
  if (!conn) return make_error(Errc::engine, "mysql_init: out of memory");
  unsigned connect_timeout = seconds(o.connect_timeout);
  // The read timeout backs up the server-side statement timeout below: a
  // server that hangs or dies mid-result still cannot hold us forever.
  unsigned read_timeout = seconds(o.statement_timeout) + 30;
  unsigned protocol = MYSQL_PROTOCOL_SOCKET;
  mysql_options(conn.get(), MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_options(conn.get(), MYSQL_OPT_READ_TIMEOUT, &read_timeout);
  mysql_options(conn.get(), MYSQL_OPT_WRITE_TIMEOUT, &read_timeout);
  mysql_options(conn.get(), MYSQL_OPT_PROTOCOL, &protocol);
  mysql_options(conn.get(), MYSQL_SET_CHARSET_NAME, "utf8mb4");
  const std::string user = o.user.empty() ? "root" : o.user;
  if (!mysql_real_connect(conn.get(), "localhost", user.c_str(), password_of(o),
                          o.database.empty() ? nullptr : o.database.c_str(), 0, o.socket.c_str(),
                          CLIENT_MULTI_RESULTS))
    return make_error(Errc::engine, fmt::format("connect to database '{}' at {}: {}", o.database,
                                                o.socket, message_of(conn.get())));
  // Settings that make text output canonical (docs/snapshot.md).
  if (!exec(conn.get(),
            "SET SESSION time_zone = '+00:00', SESSION sql_mode = 'NO_BACKSLASH_ESCAPES', "
            "SESSION group_concat_max_len = 16777216"))
    return make_error(Errc::engine, "session settings: " + message_of(conn.get()));
  // MariaDB's statement timeout covers every statement; MySQL's only SELECT.
  double limit = static_cast<double>(o.statement_timeout.count()) / 1000.0;
  if (!exec(conn.get(), fmt::format("SET SESSION max_statement_time = {}", limit)))
    (void)exec(conn.get(),
               fmt::format("SET SESSION max_execution_time = {}", o.statement_timeout.count()));
  if (read_only && !exec(conn.get(), "SET SESSION TRANSACTION READ ONLY"))
    return make_error(Errc::engine, "read-only session: " + message_of(conn.get()));
  return conn;
}

bool is_binary(const MYSQL_FIELD& f) {
  if (f.charsetnr != k_binary_charset) return false;
  switch (f.type) {
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_VAR_STRING:
    case MYSQL_TYPE_VARCHAR:
    case MYSQL_TYPE_TINY_BLOB:
    case MYSQL_TYPE_MEDIUM_BLOB:
    case MYSQL_TYPE_LONG_BLOB:
    case MYSQL_TYPE_BLOB:
    case MYSQL_TYPE_GEOMETRY:
      return true;
    default:
      return false;
  }
}

// One value as text: the server's text, binary strings as \x<hex>, BIT(n)
// as n binary digits.
std::string typed_value(const MYSQL_FIELD& f, const char* data, unsigned long length) {
  if (f.type == MYSQL_TYPE_BIT) {
    unsigned long long bits = 0;
    for (unsigned long i = 0; i < length; ++i)
      bits = (bits << 8) | static_cast<unsigned char>(data[i]);
    std::string out(f.length, '0');
    for (unsigned long i = 0; i < f.length && i < 64; ++i)
      if ((bits >> i) & 1U) out[f.length - 1 - i] = '1';
    return out;
  }
  if (is_binary(f)) {
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out = "\\x";
    out.reserve(2 + 2 * length);
    for (unsigned long i = 0; i < length; ++i) {
      auto b = static_cast<unsigned char>(data[i]);
      out += k_hex[b >> 4];
      out += k_hex[b & 15];
    }
    return out;
  }
  return std::string(data, length);
}

class MyEngine final : public Engine {
 public:
  explicit MyEngine(ConnPtr conn) : m_conn(std::move(conn)) {}
  EngineKind kind() const override { return EngineKind::mysql; }
  std::string server_version() const override {
    const char* v = mysql_get_server_info(m_conn.get());
    return v ? v : "";
  }
  Result<std::vector<TableName>> list_tables() override {
    // The session's database only, with an empty schema: tables are named
    // as the database sees them ("Track"), so a dump restored into a
    // database of another name still matches its snapshot.
    auto rows = query(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'");
    if (!rows) return Unexpected<Error>(std::move(rows).error());
    std::vector<TableName> out;
    for (auto& r : rows->rows) out.push_back({"", r[0].value_or("")});
    std::sort(out.begin(), out.end(),
              [](const TableName& a, const TableName& b) { return a.name < b.name; });
    return out;
  }

  // Inside a READ ONLY transaction that is always rolled back, as for
  // PostgreSQL. Statements that commit implicitly (CHECK TABLE) still cannot
  // write rows: the session itself is read-only.
  Result<QueryResult> query(std::string_view sql) override {
    if (!exec(m_conn.get(), "START TRANSACTION READ ONLY")) return error_of(m_conn.get());
    auto result = run_query(sql);
    (void)exec(m_conn.get(), "ROLLBACK");
    return result;
  }
  std::string quote_identifier(std::string_view ident) const override { return quote_ident(ident); }

  // mysql_use_result streams rows from the socket one at a time, so memory
  // stays bounded; each row is re-encoded as a COPY TEXT line.
  Result<std::uint64_t> stream_rows(std::string_view select_sql, const RowSink& sink) override {
    if (!exec(m_conn.get(), "START TRANSACTION READ ONLY")) return error_of(m_conn.get());
    auto result = stream(select_sql, sink);
    (void)exec(m_conn.get(), "ROLLBACK");
    return result;
  }

 private:
  Result<QueryResult> run_query(std::string_view sql) {
    MYSQL* m = m_conn.get();
    if (mysql_real_query(m, sql.data(), sql.size()) != 0) return error_of(m);
    QueryResult out;
    ResultPtr res(mysql_store_result(m));
    if (!res && mysql_field_count(m) != 0) return error_of(m);
    if (res) {
      unsigned ncols = mysql_num_fields(res.get());
      MYSQL_FIELD* fields = mysql_fetch_fields(res.get());
      for (unsigned c = 0; c < ncols; ++c) out.columns.emplace_back(fields[c].name);
      while (MYSQL_ROW row = mysql_fetch_row(res.get())) {
        unsigned long* lengths = mysql_fetch_lengths(res.get());
        Row r;
        r.reserve(ncols);
        for (unsigned c = 0; c < ncols; ++c) {
          if (!row[c])
            r.emplace_back(std::nullopt);
          else
            r.emplace_back(typed_value(fields[c], row[c], lengths[c]));
        }
        out.rows.push_back(std::move(r));
      }
    }
    // Drain further result sets (CALL); the first one is the answer.
    while (mysql_next_result(m) == 0) ResultPtr more(mysql_store_result(m));
    if (mysql_errno(m) != 0) return error_of(m);
    return out;
  }

  Result<std::uint64_t> stream(std::string_view sql, const RowSink& sink) {
    MYSQL* m = m_conn.get();
    if (mysql_real_query(m, sql.data(), sql.size()) != 0) return error_of(m);
    ResultPtr res(mysql_use_result(m));
    if (!res) return mysql_errno(m) != 0 ? Result<std::uint64_t>(error_of(m)) : 0;
    unsigned ncols = mysql_num_fields(res.get());
    MYSQL_FIELD* fields = mysql_fetch_fields(res.get());
    std::uint64_t rows = 0;
    std::string line;
    while (MYSQL_ROW row = mysql_fetch_row(res.get())) {
      unsigned long* lengths = mysql_fetch_lengths(res.get());
      line.clear();
      for (unsigned c = 0; c < ncols; ++c) {
        if (c) line += '\t';
        if (!row[c])
          line += "\\N";
        else
          append_copy_field(line, typed_value(fields[c], row[c], lengths[c]));
      }
      sink(line);
      ++rows;
    }
    // mysql_fetch_row returns NULL at the end and on a broken connection.
    if (mysql_errno(m) != 0) return error_of(m);
    return rows;
  }

  ConnPtr m_conn;
};

}  // namespace

ConnectOptions source_options(std::string_view text) {
  ConnectOptions out;
  out.kind = EngineKind::mysql;
  for (const auto& word : split(text, ' ')) {
    auto eq = word.find('=');
    if (eq == std::string::npos) continue;
    std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (key == "socket") out.socket = value;
    if (key == "database" || key == "dbname") out.database = value;
    if (key == "user") out.user = value;
  }
  return out;
}

std::string quote_ident(std::string_view ident) {
  std::string out = "`";
  for (char c : ident) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

void append_copy_field(std::string& line, const Value& value) {
  if (!value) {
    line += "\\N";
    return;
  }
  for (char c : *value) {
    switch (c) {
      case '\\':
        line += "\\\\";
        break;
      case '\t':
        line += "\\t";
        break;
      case '\n':
        line += "\\n";
        break;
      case '\r':
        line += "\\r";
        break;
      case '\b':
        line += "\\b";
        break;
      case '\f':
        line += "\\f";
        break;
      case '\v':
        line += "\\v";
        break;
      default:
        line += c;
    }
  }
}

Result<std::unique_ptr<Engine>> connect(const ConnectOptions& options) {
  if (auto ok = client_library_ready(EngineKind::mysql); !ok) return Unexpected<Error>(ok.error());
  auto conn = open(options, true);
  if (!conn) return Unexpected<Error>(std::move(conn).error());
  return std::unique_ptr<Engine>(std::make_unique<MyEngine>(std::move(*conn)));
}

Result<void> ping(const ConnectOptions& options) {
  if (auto ok = client_library_ready(EngineKind::mysql); !ok) return Unexpected<Error>(ok.error());
  if (!library_ready()) return make_error(Errc::io, "mysql_library_init failed");
  ConnPtr conn(mysql_init(nullptr));
  if (!conn) return make_error(Errc::io, "mysql_init: out of memory");
  unsigned timeout = seconds(options.connect_timeout);
  unsigned protocol = MYSQL_PROTOCOL_SOCKET;
  mysql_options(conn.get(), MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_options(conn.get(), MYSQL_OPT_PROTOCOL, &protocol);
  const std::string user = options.user.empty() ? "root" : options.user;
  if (mysql_real_connect(conn.get(), "localhost", user.c_str(), password_of(options), nullptr, 0,
                         options.socket.c_str(), 0))
    return {};
  unsigned code = mysql_errno(conn.get());
  // A refused login will not succeed later; anything else may be a server
  // still starting.
  return make_error(code == k_er_access_denied || code == k_er_bad_db ? Errc::engine : Errc::io,
                    message_of(conn.get()));
}

Result<void> execute_admin(const ConnectOptions& options, std::string_view sql) {
  if (auto ok = client_library_ready(EngineKind::mysql); !ok) return ok;
  auto conn = open(options, false);
  if (!conn) return Unexpected<Error>(std::move(conn).error());
  if (!exec(conn->get(), sql)) return make_error(Errc::engine, message_of(conn->get()));
  return {};
}

}  // namespace dp::engine::mysql
