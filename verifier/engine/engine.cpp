#include "verifier/engine/engine.hpp"

#include "verifier/core/text.hpp"
#include "verifier/engine/postgres/pg_engine.hpp"
#include "verifier/engine/sqlite/sqlite_engine.hpp"

namespace dp::engine {

std::string quote_sql_identifier(std::string_view ident) {
  std::string out = "\"";
  for (char c : ident) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string quote_qualified(const Engine& engine, std::string_view dotted) {
  std::string out;
  for (const auto& part : split(dotted, '.')) {
    if (!out.empty()) out += '.';
    out += engine.quote_identifier(part);
  }
  return out;
}

Result<std::unique_ptr<Engine>> connect(const ConnectOptions& options) {
  switch (options.kind) {
    case EngineKind::postgres:
      return postgres::connect(options);
    case EngineKind::sqlite:
      return sqlite::open_read_only(options);
    case EngineKind::mysql:
      break;
  }
  return make_error(Errc::unsupported, "engine 'mysql' is not supported yet");
}

}  // namespace dp::engine
