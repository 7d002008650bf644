#include "checks/freshness_check.hpp"

#include <fmt/format.h>

#include "verifier/core/timestamp.hpp"

namespace dp::checks {
namespace {

std::string string_param(const CheckSpec& spec, const char* key) {
  const ParamValue* v = spec.find(key);
  return v && v->as_string() ? *v->as_string() : std::string();
}

bool has(const CheckSpec& spec, const char* key) { return spec.find(key) != nullptr; }

}  // namespace

CheckKindInfo FreshnessCheck::kind_info() {
  CheckKindInfo info;
  info.type = "freshness";
  info.summary =
      "the achieved RPO: how old the newest data is at the backup's reference time, from "
      "`query` or a heartbeat `table` + `column`; fails past the backup's rpo";
  info.params = {
      {"query", ParamType::string, false, "SQL returning one timestamp: the newest change"},
      {"table", ParamType::string, false, "heartbeat table, optionally schema-qualified"},
      {"column", ParamType::string, false, "heartbeat column: SELECT max(column) FROM table"},
  };
  info.validate = [](const CheckSpec& spec) {
    std::vector<SpecProblem> problems;
    bool query = has(spec, "query"), table = has(spec, "table"), column = has(spec, "column");
    if (query && (table || column))
      problems.push_back({"query", "give either 'query' or 'table' + 'column', not both"});
    else if (!query && !table && !column)
      problems.push_back({"", "freshness needs 'query', or 'table' and 'column'"});
    else if (table && !column)
      problems.push_back({"table", "'table' needs 'column': the heartbeat timestamp column"});
    else if (column && !table)
      problems.push_back({"column", "'column' needs 'table'"});
    for (const char* key : {"query", "table", "column"})
      if (has(spec, key) && spec.find(key)->as_string() && spec.find(key)->as_string()->empty())
        problems.push_back({key, fmt::format("'{}' must not be empty", key)});
    return problems;
  };
  info.default_name = [](const CheckSpec& spec) {
    if (has(spec, "table"))
      return fmt::format("freshness {}.{}", string_param(spec, "table"),
                         string_param(spec, "column"));
    return std::string("freshness");
  };
  return info;
}

std::unique_ptr<Check> FreshnessCheck::make(const CheckSpec& spec) {
  return std::make_unique<FreshnessCheck>(spec.name, string_param(spec, "query"),
                                          string_param(spec, "table"),
                                          string_param(spec, "column"));
}

std::string FreshnessCheck::sql(const engine::Engine& engine) const {
  if (!m_query.empty()) return m_query;
  return fmt::format("SELECT max({}) FROM {}", engine.quote_identifier(m_column),
                     engine::quote_qualified(engine, m_table));
}

CheckOutcome FreshnessCheck::run(const CheckContext& ctx) const {
  CheckOutcome out;
  std::string target = m_query.empty() ? m_table : std::string("query");
  if (ctx.rpo) out.expected = fmt::format("<= {}", format_duration(*ctx.rpo));
  auto error = [&](std::string message) {
    out.outcome = Outcome::error;
    out.message = std::move(message);
    return out;
  };
  if (!ctx.reference_time) return error("no reference time: set reference_time in the backup");
  const auto reference = *ctx.reference_time;

  std::string statement = sql(ctx.engine);
  auto result = ctx.engine.query(statement);
  if (!result) return error(fmt::format("{}: {}", target, result.error().message));
  if (result->rows.size() > 1 || (!result->rows.empty() && result->rows[0].size() != 1))
    return error(fmt::format("{}: expected one row with one timestamp, got {} rows", target,
                             result->rows.size()));
  if (result->rows.empty() || !result->rows[0][0]) {
    out.outcome = Outcome::failed;
    out.observed = result->rows.empty() ? "no rows" : "NULL";
    out.message = fmt::format("no data: {} returned {}", statement,
                              result->rows.empty() ? "no rows" : "NULL");
    out.findings.push_back({m_name, target, Severity::error, out.message, statement});
    return out;
  }
  const std::string& text = *result->rows[0][0];
  auto newest = parse_timestamp(text);
  if (!newest) return error(fmt::format("{}: {}", target, newest.error().message));

  Millis achieved = std::chrono::floor<Millis>(reference - *newest);
  std::string evidence =
      fmt::format("{} = {}; reference time {}", statement, text, format_timestamp(reference));
  if (achieved < Millis::zero()) {
    out.findings.push_back(
        {m_name, target, Severity::info,
         fmt::format("newest data {} is {} after the backup's reference time {}: clock skew? "
                     "achieved rpo taken as 0s",
                     format_timestamp(*newest), format_duration(-achieved),
                     format_timestamp(reference)),
         evidence});
    achieved = Millis::zero();
  }
  out.achieved_rpo = achieved;
  out.observed =
      fmt::format("{} (newest data {})", format_duration(achieved), format_timestamp(*newest));
  if (ctx.rpo && achieved > *ctx.rpo) {
    out.outcome = Outcome::failed;
    out.message = fmt::format("newest data {} is {} old at the backup's reference time {}; rpo {}",
                              format_timestamp(*newest), format_duration(achieved),
                              format_timestamp(reference), format_duration(*ctx.rpo));
    out.findings.push_back({m_name, target, Severity::error, out.message, evidence});
  }
  return out;
}

}  // namespace dp::checks
