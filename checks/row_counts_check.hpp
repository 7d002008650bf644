#pragma once
// row_counts: every snapshot table's count(*) on the restored database is
// the snapshot's row_count, within `tolerance` (rows or "0.5%"). One
// ObjectOutcome per table; a missing table fails, a query error is an error
// for that table only. Needs ctx.snapshot. See docs/plan.md.
#include "checks/check.hpp"

namespace dp::checks {

class RowCountsCheck final : public Check {
 public:
  static CheckKindInfo kind_info();
  static std::unique_ptr<Check> make(const CheckSpec& spec);

  explicit RowCountsCheck(CheckSpec spec) : m_spec(std::move(spec)) {}
  std::string id() const override { return "row_counts"; }
  std::string describe() const override { return m_spec.name; }
  CheckOutcome run(const CheckContext& ctx) const override;

 private:
  CheckSpec m_spec;
};

}  // namespace dp::checks
