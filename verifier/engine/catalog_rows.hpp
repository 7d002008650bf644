#pragma once
// Internal to verifier/engine/: reading catalog query rows, shared by the
// PostgreSQL/SQLite reader (catalog.cpp) and the MySQL one (catalog_mysql.cpp).
#include <string>
#include <vector>

#include "verifier/engine/engine.hpp"

namespace dp::engine::detail {

// Separates identifiers in string_agg / GROUP_CONCAT output: a control
// character that no real identifier contains, so names with commas or
// quotes survive.
inline constexpr char k_name_sep = '\x1f';

// The value, or "" for NULL.
inline std::string text(const Value& v) { return v ? *v : std::string(); }

// "a<sep>b" -> {"a", "b"}; NULL or "" -> {}.
inline std::vector<std::string> split_names(const Value& v) {
  std::vector<std::string> out;
  if (!v || v->empty()) return out;
  std::string current;
  for (char c : *v) {
    if (c == k_name_sep) {
      out.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  out.push_back(std::move(current));
  return out;
}

}  // namespace dp::engine::detail
