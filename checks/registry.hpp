#pragma once
// The one list of check kinds. Adding a kind is one .hpp/.cpp pair and one
// line in registry.cpp.
#include <memory>
#include <span>
#include <vector>

#include "checks/check.hpp"
#include "verifier/core/result.hpp"

namespace dp::checks {

struct CheckKind {
  CheckKindInfo info;
  // Builds the check from a spec that config::load already validated
  // against `info`; a failure here is a bug in the kind's rules.
  std::unique_ptr<Check> (*make)(const CheckSpec& spec);
};

std::span<const CheckKind> registry();
// The catalogue handed to config::load.
std::vector<CheckKindInfo> kind_infos();
// Errc::invalid_input for an unknown type.
Result<std::unique_ptr<Check>> make_check(const CheckSpec& spec);

}  // namespace dp::checks
