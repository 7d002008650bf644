#pragma once
// schema: the restored structure (tables with columns, keys, constraints
// and indexes; views; sequences) matches the snapshot's, read with
// engine::read_schema. One ObjectOutcome per snapshot table, plus one per
// view or sequence that differs; extra objects are warnings. Needs
// ctx.snapshot (error outcome without one). See docs/plan.md.
#include "checks/check.hpp"

namespace dp::checks {

class SchemaCheck final : public Check {
 public:
  static CheckKindInfo kind_info();
  static std::unique_ptr<Check> make(const CheckSpec& spec);

  explicit SchemaCheck(CheckSpec spec) : m_spec(std::move(spec)) {}
  std::string id() const override { return "schema"; }
  std::string describe() const override { return m_spec.name; }
  CheckOutcome run(const CheckContext& ctx) const override;

 private:
  CheckSpec m_spec;
};

}  // namespace dp::checks
