// [[backup.check]] tables -> CheckSpec, validated against the kind's ParamRules
// and then its own validate(). The kind's validator runs only on a check that
// passed the generic pass, so it never sees a missing or mistyped key and
// cannot add a confusing second message about the same mistake.
#include <fmt/format.h>

#include <algorithm>

#include "verifier/config/reader.hpp"

namespace dp::config::detail {
namespace {

constexpr std::string_view k_where = "[[backup.check]]";

bool is_scalar(const toml::node& node) {
  return node.is_string() || node.is_integer() || node.is_floating_point() || node.is_boolean();
}

// Copies a node already known to be a scalar or an array of them.
ParamValue to_param(const Reader& reader, const toml::node& node) {
  ParamValue out;
  out.pos = reader.pos(node);
  if (const auto* s = node.as_string()) {
    out.value = s->get();
  } else if (const auto* i = node.as_integer()) {
    out.value = i->get();
  } else if (const auto* f = node.as_floating_point()) {
    out.value = f->get();
  } else if (const auto* b = node.as_boolean()) {
    out.value = b->get();
  } else if (const auto* a = node.as_array()) {
    ParamValue::Array items;
    for (const auto& element : *a) items.push_back(to_param(reader, element));
    out.value = std::move(items);
  }
  return out;
}

// Checks `node` against `type`; reports at the offending node and returns false.
bool check_type(Reader& reader, std::string_view key, const toml::node& node, ParamType type) {
  auto wrong = [&](const toml::node& at) {
    reader.report(reader.pos(at), fmt::format("'{}' must be {}, got {}", key, param_type_name(type),
                                              type_name(at)));
    return false;
  };
  switch (type) {
    case ParamType::string:
      return node.is_string() || wrong(node);
    case ParamType::integer:
      return node.is_integer() || wrong(node);
    case ParamType::boolean:
      return node.is_boolean() || wrong(node);
    case ParamType::scalar:
      return is_scalar(node) || wrong(node);
    case ParamType::duration: {
      const auto* s = node.as_string();
      if (!s) return wrong(node);
      auto parsed = parse_duration(s->get());
      if (parsed) return true;
      reader.report(reader.pos(node), fmt::format("{}: {}", key, parsed.error().message));
      return false;
    }
    case ParamType::string_list: {
      const auto* array = node.as_array();
      if (!array) return wrong(node);
      bool ok = true;
      for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& element = *array->get(i);
        if (element.is_string()) continue;
        reader.report(reader.pos(element),
                      fmt::format("'{}' must be {}; element {} is {}", key, param_type_name(type),
                                  i + 1, type_name(element)));
        ok = false;
      }
      return ok;
    }
    case ParamType::rows: {
      const auto* rows = node.as_array();
      if (!rows) return wrong(node);
      bool ok = true;
      for (std::size_t r = 0; r < rows->size(); ++r) {
        const toml::node& row = *rows->get(r);
        const auto* values = row.as_array();
        if (!values) {
          reader.report(reader.pos(row),
                        fmt::format("'{}' row {} must be an array of values, got {}", key, r + 1,
                                    type_name(row)));
          ok = false;
          continue;
        }
        for (std::size_t c = 0; c < values->size(); ++c) {
          const toml::node& value = *values->get(c);
          if (is_scalar(value)) continue;
          reader.report(reader.pos(value),
                        fmt::format("'{}' row {} value {} must be {}, got {}", key, r + 1, c + 1,
                                    param_type_name(ParamType::scalar), type_name(value)));
          ok = false;
        }
      }
      return ok;
    }
  }
  return wrong(node);
}

const CheckKindInfo* find_kind(std::span<const CheckKindInfo> kinds, std::string_view type) {
  for (const auto& kind : kinds)
    if (kind.type == type) return &kind;
  return nullptr;
}

std::string known_types(std::span<const CheckKindInfo> kinds) {
  std::vector<std::string> names;
  for (const auto& kind : kinds) names.push_back(kind.type);
  std::sort(names.begin(), names.end());
  return names.empty() ? std::string("(none)") : join(names);
}

// Generic pass over every key but "type" and "name": unknown keys, missing
// required keys and types. Fills spec.params with the keys that passed.
bool read_params(Reader& reader, const toml::table& table, const CheckKindInfo& kind,
                 CheckSpec& spec) {
  std::size_t errors_before = reader.error_count();
  std::vector<std::string_view> allowed = {"type", "name"};
  for (const auto& rule : kind.params)
    if (rule.key != "type" && rule.key != "name") allowed.push_back(rule.key);
  std::string where = fmt::format("{} of type '{}'", k_where, kind.type);
  reader.reject_unknown_keys(table, where, allowed);

  for (const auto& rule : kind.params) {
    if (rule.key == "type" || rule.key == "name") continue;
    const toml::node* node =
        reader.find(table, rule.key, where, rule.required ? Need::required : Need::optional);
    if (!node || !check_type(reader, rule.key, *node, rule.type)) continue;
    spec.params.emplace(rule.key, to_param(reader, *node));
  }
  return reader.error_count() == errors_before;
}

}  // namespace

CheckRead read_check(Reader& reader, const toml::table& table,
                     std::span<const CheckKindInfo> kinds) {
  CheckRead out;
  CheckSpec spec;
  spec.pos = reader.pos(table);
  std::size_t errors_before = reader.error_count();

  auto type = reader.string(table, "type", k_where, Need::required);
  auto name = reader.string(table, "name", k_where, Need::optional);
  if (name) {
    out.name_pos = reader.pos(*table.get("name"));
    if (name->empty())
      reader.report(out.name_pos, "'name' must not be empty");
    else
      out.name = *name;
  }

  const CheckKindInfo* kind = nullptr;
  if (type) {
    spec.type = *type;
    kind = find_kind(kinds, *type);
    if (!kind)
      reader.report(
          reader.pos(*table.get("type")),
          fmt::format("unknown check type '{}'; known types: {}", *type, known_types(kinds)));
  }
  if (!kind) return out;  // without the kind's rules the other keys cannot be judged

  if (!read_params(reader, table, *kind, spec)) return out;
  if (kind->validate) {
    for (const auto& problem : kind->validate(spec)) {
      SourcePos at = problem.key.empty() ? spec.pos : reader.key_pos(table, problem.key);
      reader.report(std::move(at), problem.message);
    }
  }

  if (!name) {
    if (kind->default_name) spec.name = kind->default_name(spec);
    if (spec.name.empty()) spec.name = spec.type;
    out.name = spec.name;
    out.name_pos = spec.pos;
  } else {
    spec.name = *name;
  }
  if (reader.error_count() == errors_before) out.spec = std::move(spec);
  return out;
}

}  // namespace dp::config::detail
