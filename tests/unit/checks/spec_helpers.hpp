#pragma once
// Building CheckSpecs by hand for the checks tests.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "verifier/core/check_spec.hpp"

namespace dp::checks::spec_helpers {

inline ParamValue str(std::string s) {
  ParamValue p;
  p.value = std::move(s);
  return p;
}
inline ParamValue integer(std::int64_t i) {
  ParamValue p;
  p.value = i;
  return p;
}
inline ParamValue real(double d) {
  ParamValue p;
  p.value = d;
  return p;
}
inline ParamValue boolean(bool b) {
  ParamValue p;
  p.value = b;
  return p;
}
inline ParamValue array(std::initializer_list<ParamValue> items) {
  ParamValue p;
  p.value = ParamValue::Array(items);
  return p;
}

inline CheckSpec spec(std::string type, std::string name,
                      std::initializer_list<std::pair<const std::string, ParamValue>> params) {
  CheckSpec s;
  s.type = std::move(type);
  s.name = std::move(name);
  s.params = params;
  return s;
}

}  // namespace dp::checks::spec_helpers
