// Skeleton, replaced by the implementation.
#include "checks/freshness_check.hpp"

namespace dp::checks {

CheckKindInfo FreshnessCheck::kind_info() {
  CheckKindInfo info;
  info.type = "freshness";
  info.summary = "not implemented yet";
  info.validate = [](const CheckSpec&) { return std::vector<SpecProblem>{}; };
  info.default_name = [](const CheckSpec&) { return std::string("freshness"); };
  return info;
}

std::unique_ptr<Check> FreshnessCheck::make(const CheckSpec& spec) {
  return std::make_unique<FreshnessCheck>(spec);
}

CheckOutcome FreshnessCheck::run(const CheckContext&) const {
  CheckOutcome out;
  out.outcome = Outcome::error;
  out.message = "freshness: not implemented yet";
  return out;
}

}  // namespace dp::checks
