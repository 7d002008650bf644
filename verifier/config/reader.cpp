#include "verifier/config/reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace dp::config::detail {
namespace {

int to_int(toml::source_index index) {
  constexpr auto k_max = static_cast<toml::source_index>(std::numeric_limits<int>::max());
  return static_cast<int>(std::min(index, k_max));
}

}  // namespace

SourcePos Reader::pos(const toml::source_region& region) const {
  return SourcePos{m_file, to_int(region.begin.line), to_int(region.begin.column)};
}

SourcePos Reader::key_pos(const toml::table& table, std::string_view key) const {
  auto it = table.find(key);
  if (it == table.end()) return pos(table);
  return pos(it->first.source());
}

void Reader::report(SourcePos at, std::string message) {
  m_diags.push_back(Diagnostic{std::move(at), std::move(message)});
}

Diagnostics Reader::take_sorted() {
  std::stable_sort(m_diags.begin(), m_diags.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.pos.line != b.pos.line) return a.pos.line < b.pos.line;
    return a.pos.column < b.pos.column;
  });
  return std::move(m_diags);
}

void Reader::reject_unknown_keys(const toml::table& table, std::string_view where,
                                 std::span<const std::string_view> allowed) {
  for (auto&& [key, node] : table) {
    if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
    report(pos(key.source()), fmt::format("unknown key '{}' in {}; expected one of: {}", key.str(),
                                          where, join(allowed)));
  }
}

const toml::node* Reader::find(const toml::table& table, std::string_view key,
                               std::string_view where, Need need) {
  const toml::node* node = table.get(key);
  if (!node && need == Need::required)
    report(pos(table), fmt::format("{} is missing required key '{}'", where, key));
  return node;
}

std::optional<std::string> Reader::string(const toml::table& table, std::string_view key,
                                          std::string_view where, Need need) {
  const toml::node* node = find(table, key, where, need);
  if (!node) return std::nullopt;
  if (const auto* s = node->as_string()) return s->get();
  report(pos(*node), fmt::format("'{}' must be a string, got {}", key, type_name(*node)));
  return std::nullopt;
}

std::optional<std::filesystem::path> Reader::existing_path(const toml::table& table,
                                                           std::string_view key,
                                                           std::string_view where, Need need,
                                                           const std::filesystem::path& base_dir,
                                                           PathKind kind, std::string_view what) {
  auto text = string(table, key, where, need);
  if (!text) return std::nullopt;
  auto path = (base_dir / std::filesystem::path(*text)).lexically_normal();
  std::error_code ec;
  bool found = kind == PathKind::directory ? std::filesystem::is_directory(path, ec)
                                           : std::filesystem::is_regular_file(path, ec);
  if (text->empty() || !found)
    report(pos(*table.get(key)), fmt::format("{} not found: {}", what, path.string()));
  return path;
}

std::optional<Millis> Reader::duration(const toml::table& table, std::string_view key,
                                       std::string_view where, Need need) {
  const toml::node* node = find(table, key, where, need);
  if (!node) return std::nullopt;
  const auto* s = node->as_string();
  if (!s) {
    report(pos(*node), fmt::format("'{}' must be a duration string such as \"30m\", got {}", key,
                                   type_name(*node)));
    return std::nullopt;
  }
  auto parsed = parse_duration(s->get());
  if (!parsed) {
    report(pos(*node), fmt::format("{}: {}", key, parsed.error().message));
    return std::nullopt;
  }
  if (parsed->count() <= 0) {
    report(pos(*node), fmt::format("'{}' must be greater than zero", key));
    return std::nullopt;
  }
  return *parsed;
}

std::optional<std::int64_t> Reader::integer(const toml::table& table, std::string_view key,
                                            std::string_view where, Need need) {
  const toml::node* node = find(table, key, where, need);
  if (!node) return std::nullopt;
  if (const auto* i = node->as_integer()) return i->get();
  report(pos(*node), fmt::format("'{}' must be an integer, got {}", key, type_name(*node)));
  return std::nullopt;
}

std::optional<bool> Reader::boolean(const toml::table& table, std::string_view key,
                                    std::string_view where, Need need) {
  const toml::node* node = find(table, key, where, need);
  if (!node) return std::nullopt;
  if (const auto* b = node->as_boolean()) return b->get();
  report(pos(*node),
         fmt::format("'{}' must be a boolean (true or false), got {}", key, type_name(*node)));
  return std::nullopt;
}

std::optional<std::vector<std::string>> Reader::string_list(const toml::table& table,
                                                            std::string_view key,
                                                            std::string_view where, Need need) {
  const toml::node* node = find(table, key, where, need);
  if (!node) return std::nullopt;
  const auto* array = node->as_array();
  if (!array) {
    report(pos(*node),
           fmt::format("'{}' must be an array of strings, got {}", key, type_name(*node)));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    if (const auto* s = element.as_string()) {
      out.push_back(s->get());
      continue;
    }
    report(pos(element), fmt::format("'{}' must be an array of strings; element {} is {}", key,
                                     i + 1, type_name(element)));
    ok = false;
  }
  if (!ok) return std::nullopt;
  return out;
}

const char* type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::none:
      return "nothing";
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
  }
  return "value";
}

std::string join(std::span<const std::string_view> items) {
  return fmt::format("{}", fmt::join(items, ", "));
}

std::string join(std::span<const std::string> items) {
  return fmt::format("{}", fmt::join(items, ", "));
}

}  // namespace dp::config::detail
