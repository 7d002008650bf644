// Skeleton, replaced by the implementation.
#include "checks/row_counts_check.hpp"

namespace dp::checks {

CheckKindInfo RowCountsCheck::kind_info() {
  CheckKindInfo info;
  info.type = "row_counts";
  info.summary = "not implemented yet";
  info.validate = [](const CheckSpec&) { return std::vector<SpecProblem>{}; };
  info.default_name = [](const CheckSpec&) { return std::string("row_counts"); };
  return info;
}

std::unique_ptr<Check> RowCountsCheck::make(const CheckSpec& spec) {
  return std::make_unique<RowCountsCheck>(spec);
}

CheckOutcome RowCountsCheck::run(const CheckContext&) const {
  CheckOutcome out;
  out.outcome = Outcome::error;
  out.message = "row_counts: not implemented yet";
  return out;
}

}  // namespace dp::checks
