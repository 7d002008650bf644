#pragma once
#include <optional>
#include <string_view>

namespace dp {

enum class EngineKind { postgres, sqlite, mysql };

inline std::string_view engine_kind_name(EngineKind k) {
  switch (k) {
    case EngineKind::postgres:
      return "postgres";
    case EngineKind::sqlite:
      return "sqlite";
    case EngineKind::mysql:
      return "mysql";
  }
  return "postgres";
}

inline std::optional<EngineKind> parse_engine_kind(std::string_view s) {
  if (s == "postgres" || s == "postgresql") return EngineKind::postgres;
  if (s == "sqlite") return EngineKind::sqlite;
  if (s == "mysql" || s == "mariadb") return EngineKind::mysql;
  return std::nullopt;
}

}  // namespace dp
