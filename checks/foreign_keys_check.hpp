#pragma once
// foreign_keys: no child row of any foreign key in the restored database
// points at a missing parent, checked with queries (enforcement during the
// restore does not matter). One ObjectOutcome per foreign key, naming up to
// `max_keys` orphans. See docs/plan.md.
#include "checks/check.hpp"
#include "verifier/engine/catalog.hpp"

namespace dp::checks {

class ForeignKeysCheck final : public Check {
 public:
  static CheckKindInfo kind_info();
  static std::unique_ptr<Check> make(const CheckSpec& spec);

  explicit ForeignKeysCheck(CheckSpec spec) : m_spec(std::move(spec)) {}
  std::string id() const override { return "foreign_keys"; }
  std::string describe() const override { return m_spec.name; }
  CheckOutcome run(const CheckContext& ctx) const override;

 private:
  // One foreign key: count its orphans and name the first few.
  ObjectOutcome check_one(engine::Engine& engine, const engine::Table& child,
                          const engine::Constraint& fk) const;

  CheckSpec m_spec;
};

}  // namespace dp::checks
