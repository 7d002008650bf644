#pragma once
// query: runs the plan's SQL in the read-only session and compares the
// result: `expect` against the single value of a one-row, one-column result,
// or `expect_rows` against the whole (small) result set, row by row in order.
// Values compare as text, except that numbers compare numerically and
// booleans accept the engine's spellings (t/f, 1/0); the string "NULL"
// matches SQL NULL.
#include "checks/check.hpp"

namespace dp::checks {

class QueryCheck final : public Check {
 public:
  static CheckKindInfo kind_info();
  static std::unique_ptr<Check> make(const CheckSpec& spec);

  QueryCheck(std::string name, std::string sql, std::optional<ParamValue> expect,
             std::optional<ParamValue> expect_rows);
  std::string id() const override { return "query"; }
  std::string describe() const override { return m_name; }
  CheckOutcome run(const CheckContext& ctx) const override;

  // Whether a database value matches a plan value (the rules above).
  static bool value_matches(const ParamValue& expected, const engine::Value& observed);

 private:
  std::string m_name;
  std::string m_sql;
  std::optional<ParamValue> m_expect;
  std::optional<ParamValue> m_expect_rows;
};

}  // namespace dp::checks
