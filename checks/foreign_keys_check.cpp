// Skeleton, replaced by the implementation.
#include "checks/foreign_keys_check.hpp"

namespace dp::checks {

CheckKindInfo ForeignKeysCheck::kind_info() {
  CheckKindInfo info;
  info.type = "foreign_keys";
  info.summary = "not implemented yet";
  info.validate = [](const CheckSpec&) { return std::vector<SpecProblem>{}; };
  info.default_name = [](const CheckSpec&) { return std::string("foreign_keys"); };
  return info;
}

std::unique_ptr<Check> ForeignKeysCheck::make(const CheckSpec& spec) {
  return std::make_unique<ForeignKeysCheck>(spec);
}

CheckOutcome ForeignKeysCheck::run(const CheckContext&) const {
  CheckOutcome out;
  out.outcome = Outcome::error;
  out.message = "foreign_keys: not implemented yet";
  return out;
}

}  // namespace dp::checks
