#pragma once
// Plan-neutral description of a check, shared by config/ (which fills it from
// TOML and validates it against each kind's ParamRules) and checks/ (which
// builds a Check from it). It lives in core so neither layer includes the
// other: cli hands the checks registry's kind list to config::load.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace dp {

struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;
};

// A parameter value copied out of TOML. Arrays nest (expect_rows is an array
// of arrays of scalars).
struct ParamValue {
  using Array = std::vector<ParamValue>;
  std::variant<std::string, std::int64_t, double, bool, Array> value;
  SourcePos pos;

  const std::string* as_string() const { return std::get_if<std::string>(&value); }
  const std::int64_t* as_int() const { return std::get_if<std::int64_t>(&value); }
  const Array* as_array() const { return std::get_if<Array>(&value); }
  // Scalars as the text a database would print them (true/false, 1.5); arrays as "[...]".
  std::string to_text() const;
};

enum class ParamType { string, integer, boolean, duration, scalar, rows, string_list };
const char* param_type_name(ParamType type);

struct ParamRule {
  std::string key;
  ParamType type;
  bool required = false;
  std::string help;
};

struct CheckSpec {
  std::string type;
  std::string name;  // unique within a backup; defaults to a name built from type and params
  std::map<std::string, ParamValue> params;
  SourcePos pos;

  const ParamValue* find(const std::string& key) const {
    auto it = params.find(key);
    return it == params.end() ? nullptr : &it->second;
  }
};

// A problem a kind's own validator found; key empty means the check table itself.
struct SpecProblem {
  std::string key;
  std::string message;
};

struct CheckKindInfo {
  std::string type;
  std::string summary;
  std::vector<ParamRule> params;  // "type" and "name" are implicit
  // Cross-key rules the generic pass cannot express ("give expect, min or max").
  std::function<std::vector<SpecProblem>(const CheckSpec&)> validate;
  // The default name when the plan gives none, e.g. "row_count public.orders".
  std::function<std::string(const CheckSpec&)> default_name;
  // The backup must name a `snapshot` (schema, row_counts, fingerprint).
  bool needs_snapshot = false;
  // The check names a [[blob_store]] in its `store` param (blob_refs): config
  // checks the name and copies the store's resolved path, manifest and
  // check_files into the spec as "store.path", "store.manifest" and
  // "store.check_files".
  bool uses_blob_store = false;
};

}  // namespace dp
