#pragma once
// row_count: SELECT count(*) FROM <table>, compared with expect, or with
// min and/or max.
#include <cstdint>
#include <optional>

#include "checks/check.hpp"

namespace dp::checks {

class RowCountCheck final : public Check {
 public:
  static CheckKindInfo kind_info();
  static std::unique_ptr<Check> make(const CheckSpec& spec);

  RowCountCheck(std::string name, std::string table, std::optional<std::int64_t> expect,
                std::optional<std::int64_t> min, std::optional<std::int64_t> max);
  std::string id() const override { return "row_count"; }
  std::string describe() const override { return m_name; }
  CheckOutcome run(const CheckContext& ctx) const override;
  std::string expectation() const;

 private:
  std::string m_name;
  std::string m_table;
  std::optional<std::int64_t> m_expect, m_min, m_max;
};

}  // namespace dp::checks
