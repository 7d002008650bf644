// Skeleton, replaced by the implementation.
#include "checks/integrity_check.hpp"

namespace dp::checks {

CheckKindInfo IntegrityCheck::kind_info() {
  CheckKindInfo info;
  info.type = "integrity";
  info.summary = "not implemented yet";
  info.validate = [](const CheckSpec&) { return std::vector<SpecProblem>{}; };
  info.default_name = [](const CheckSpec&) { return std::string("integrity"); };
  return info;
}

std::unique_ptr<Check> IntegrityCheck::make(const CheckSpec& spec) {
  return std::make_unique<IntegrityCheck>(spec);
}

CheckOutcome IntegrityCheck::run(const CheckContext&) const {
  CheckOutcome out;
  out.outcome = Outcome::error;
  out.message = "integrity: not implemented yet";
  return out;
}

}  // namespace dp::checks
