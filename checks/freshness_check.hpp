#pragma once
// freshness: how old the newest data in the restored backup is at the
// moment the backup represents (the achieved RPO; docs/plan.md, "freshness").
//
// The newest committed change comes from `query` (one row, one timestamp)
// or from a heartbeat column (`SELECT max(column) FROM table`). The value is
// read with dp::parse_timestamp; achieved = reference_time - newest, never
// negative (newer data than the reference time is clock skew: an info
// finding). Fails when achieved exceeds the backup's rpo, or when the query
// returns NULL or no row (no data). Error outcome when there is no
// reference time, the query fails or its value is not a timestamp.
#include "checks/check.hpp"

namespace dp::checks {

class FreshnessCheck final : public Check {
 public:
  static CheckKindInfo kind_info();
  static std::unique_ptr<Check> make(const CheckSpec& spec);

  // Either `query` or `table` + `column` is non-empty.
  FreshnessCheck(std::string name, std::string query, std::string table, std::string column)
      : m_name(std::move(name)),
        m_query(std::move(query)),
        m_table(std::move(table)),
        m_column(std::move(column)) {}
  std::string id() const override { return "freshness"; }
  std::string describe() const override { return m_name; }
  CheckOutcome run(const CheckContext& ctx) const override;

 private:
  std::string sql(const engine::Engine& engine) const;

  std::string m_name;
  std::string m_query;
  std::string m_table;
  std::string m_column;
};

}  // namespace dp::checks
