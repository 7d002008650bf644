#pragma once
// schema: see docs/plan.md.
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
