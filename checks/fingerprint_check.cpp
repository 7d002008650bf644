// Skeleton, replaced by the implementation.
#include "checks/fingerprint_check.hpp"

namespace dp::checks {

CheckKindInfo FingerprintCheck::kind_info() {
  CheckKindInfo info;
  info.type = "fingerprint";
  info.summary = "not implemented yet";
  info.validate = [](const CheckSpec&) { return std::vector<SpecProblem>{}; };
  info.default_name = [](const CheckSpec&) { return std::string("fingerprint"); };
  return info;
}

std::unique_ptr<Check> FingerprintCheck::make(const CheckSpec& spec) {
  return std::make_unique<FingerprintCheck>(spec);
}

CheckOutcome FingerprintCheck::run(const CheckContext&) const {
  CheckOutcome out;
  out.outcome = Outcome::error;
  out.message = "fingerprint: not implemented yet";
  return out;
}

}  // namespace dp::checks
