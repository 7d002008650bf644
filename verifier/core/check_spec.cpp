#include "verifier/core/check_spec.hpp"

#include <fmt/format.h>

namespace dp {

std::string ParamValue::to_text() const {
  struct Visitor {
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(std::int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return fmt::format("{}", d); }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(const Array& a) const {
      std::string out = "[";
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (i) out += ", ";
        out += a[i].to_text();
      }
      return out + "]";
    }
  };
  return std::visit(Visitor{}, value);
}

const char* param_type_name(ParamType type) {
  switch (type) {
    case ParamType::string:
      return "a string";
    case ParamType::integer:
      return "an integer";
    case ParamType::boolean:
      return "a boolean";
    case ParamType::duration:
      return "a duration string such as \"30s\"";
    case ParamType::scalar:
      return "a string, number or boolean";
    case ParamType::rows:
      return "an array of rows, each an array of values";
    case ParamType::string_list:
      return "an array of strings";
  }
  return "a value";
}

}  // namespace dp
