#include "verifier/engine/engine.hpp"

#include <fmt/format.h>

#include <charconv>

#include "verifier/core/text.hpp"
#include "verifier/engine/mysql/my_engine.hpp"
#include "verifier/engine/postgres/pg_engine.hpp"
#include "verifier/engine/sqlite/sqlite_engine.hpp"
#if DP_LAZY_DB_LIBS
#include "verifier/engine/lazy_library.hpp"
#endif

namespace dp::engine {

std::string quote_sql_identifier(std::string_view ident) {
  std::string out = "\"";
  for (char c : ident) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string quote_table(const Engine& engine, const TableName& table) {
  if (table.schema.empty()) return engine.quote_identifier(table.name);
  return engine.quote_identifier(table.schema) + "." + engine.quote_identifier(table.name);
}

Result<std::uint64_t> query_count(Engine& engine, std::string_view sql) {
  auto result = engine.query(sql);
  if (!result) return Unexpected<Error>(std::move(result).error());
  if (result->rows.size() != 1 || result->rows[0].size() != 1 || !result->rows[0][0])
    return make_error(Errc::engine, "count(*) returned no value");
  const std::string& text = *result->rows[0][0];
  std::uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || ptr != text.data() + text.size())
    return make_error(Errc::engine, fmt::format("count(*) returned '{}'", text));
  return n;
}

std::string quote_qualified(const Engine& engine, std::string_view dotted) {
  std::string out;
  for (const auto& part : split(dotted, '.')) {
    if (!out.empty()) out += '.';
    out += engine.quote_identifier(part);
  }
  return out;
}

Result<void> client_library_ready(EngineKind kind) {
#if DP_LAZY_DB_LIBS
  switch (kind) {
    case EngineKind::postgres:
      return lazy::libpq().ensure_loaded();
    case EngineKind::sqlite:
      return lazy::libsqlite3().ensure_loaded();
    case EngineKind::mysql:
      return lazy::libmariadb().ensure_loaded();
  }
  return make_error(Errc::internal, "unknown engine kind");
#else
  (void)kind;  // linked at start-up: the loader already checked
  return {};
#endif
}

Result<std::unique_ptr<Engine>> connect(const ConnectOptions& options) {
  if (auto ok = client_library_ready(options.kind); !ok) return Unexpected<Error>(ok.error());
  switch (options.kind) {
    case EngineKind::postgres:
      return postgres::connect(options);
    case EngineKind::sqlite:
      return sqlite::open_read_only(options);
    case EngineKind::mysql:
      return mysql::connect(options);
  }
  return make_error(Errc::internal, "unknown engine kind");
}

}  // namespace dp::engine
