// Skeleton, replaced by the implementation.
#include "checks/schema_check.hpp"

namespace dp::checks {

CheckKindInfo SchemaCheck::kind_info() {
  CheckKindInfo info;
  info.type = "schema";
  info.summary = "not implemented yet";
  info.validate = [](const CheckSpec&) { return std::vector<SpecProblem>{}; };
  info.default_name = [](const CheckSpec&) { return std::string("schema"); };
  return info;
}

std::unique_ptr<Check> SchemaCheck::make(const CheckSpec& spec) {
  return std::make_unique<SchemaCheck>(spec);
}

CheckOutcome SchemaCheck::run(const CheckContext&) const {
  CheckOutcome out;
  out.outcome = Outcome::error;
  out.message = "schema: not implemented yet";
  return out;
}

}  // namespace dp::checks
