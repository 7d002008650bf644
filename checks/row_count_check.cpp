#include "checks/row_count_check.hpp"

#include <fmt/format.h>

namespace dp::checks {
namespace {

std::optional<std::int64_t> int_param(const CheckSpec& spec, const char* key) {
  const ParamValue* v = spec.find(key);
  if (!v || !v->as_int()) return std::nullopt;
  return *v->as_int();
}

}  // namespace

CheckKindInfo RowCountCheck::kind_info() {
  CheckKindInfo info;
  info.type = "row_count";
  info.summary = "the number of rows in a table: exactly `expect`, or within `min`/`max`";
  info.params = {
      {"table", ParamType::string, true, "table name, optionally schema-qualified"},
      {"expect", ParamType::integer, false, "exact row count"},
      {"min", ParamType::integer, false, "lowest acceptable row count"},
      {"max", ParamType::integer, false, "highest acceptable row count"},
  };
  info.validate = [](const CheckSpec& spec) {
    std::vector<SpecProblem> problems;
    auto expect = int_param(spec, "expect");
    auto min = int_param(spec, "min");
    auto max = int_param(spec, "max");
    if (!expect && !min && !max)
      problems.push_back({"", "row_count needs 'expect', 'min' or 'max'"});
    if (expect && (min || max))
      problems.push_back({"expect", "give either 'expect' or 'min'/'max', not both"});
    if (min && max && *min > *max)
      problems.push_back({"max", fmt::format("'max' ({}) is below 'min' ({})", *max, *min)});
    for (const char* key : {"expect", "min", "max"})
      if (auto v = int_param(spec, key); v && *v < 0)
        problems.push_back({key, fmt::format("'{}' must not be negative", key)});
    return problems;
  };
  info.default_name = [](const CheckSpec& spec) {
    const ParamValue* table = spec.find("table");
    return fmt::format("row_count {}", table && table->as_string() ? *table->as_string() : "?");
  };
  return info;
}

std::unique_ptr<Check> RowCountCheck::make(const CheckSpec& spec) {
  const ParamValue* table = spec.find("table");
  return std::make_unique<RowCountCheck>(
      spec.name, table && table->as_string() ? *table->as_string() : std::string(),
      int_param(spec, "expect"), int_param(spec, "min"), int_param(spec, "max"));
}

RowCountCheck::RowCountCheck(std::string name, std::string table,
                             std::optional<std::int64_t> expect, std::optional<std::int64_t> min,
                             std::optional<std::int64_t> max)
    : m_name(std::move(name)),
      m_table(std::move(table)),
      m_expect(expect),
      m_min(min),
      m_max(max) {}

std::string RowCountCheck::expectation() const {
  if (m_expect) return fmt::format("= {}", *m_expect);
  if (m_min && m_max) return fmt::format("{}..{}", *m_min, *m_max);
  if (m_min) return fmt::format(">= {}", *m_min);
  if (m_max) return fmt::format("<= {}", *m_max);
  return "";
}

CheckOutcome RowCountCheck::run(const CheckContext& ctx) const {
  CheckOutcome out;
  out.expected = expectation();
  auto counted = engine::query_count(
      ctx.engine,
      fmt::format("SELECT count(*) FROM {}", engine::quote_qualified(ctx.engine, m_table)));
  if (!counted) {
    out.outcome = Outcome::error;
    out.message = fmt::format("{}: {}", m_table, counted.error().message);
    return out;
  }
  const auto count = static_cast<std::int64_t>(*counted);
  out.observed = std::to_string(count);
  bool ok = (!m_expect || count == *m_expect) && (!m_min || count >= *m_min) &&
            (!m_max || count <= *m_max);
  if (!ok) {
    out.outcome = Outcome::failed;
    out.message = fmt::format("{}: {} rows, expected {}", m_table, count, out.expected);
    out.findings.push_back({m_name, m_table, Severity::error,
                            fmt::format("{} rows, expected {}", count, out.expected),
                            fmt::format("SELECT count(*) = {}", count)});
  }
  return out;
}

}  // namespace dp::checks
