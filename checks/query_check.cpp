#include "checks/query_check.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

namespace dp::checks {
namespace {

std::string show(const engine::Value& v) { return v ? "'" + *v + "'" : "NULL"; }

std::string show_rows(const std::vector<engine::Row>& rows, std::size_t limit = 20) {
  std::string out = "[";
  for (std::size_t r = 0; r < rows.size() && r < limit; ++r) {
    if (r) out += ", ";
    out += "[";
    for (std::size_t c = 0; c < rows[r].size(); ++c) {
      if (c) out += ", ";
      out += show(rows[r][c]);
    }
    out += "]";
  }
  if (rows.size() > limit) out += fmt::format(", ... {} more", rows.size() - limit);
  return out + "]";
}

bool parse_number(const std::string& s, double& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

}  // namespace

CheckKindInfo QueryCheck::kind_info() {
  CheckKindInfo info;
  info.type = "query";
  info.summary = "an SQL query whose result must equal `expect` or `expect_rows`";
  info.params = {
      {"sql", ParamType::string, true, "the query, run in a read-only session"},
      {"expect", ParamType::scalar, false, "the single value the query must return"},
      {"expect_rows", ParamType::rows, false, "the rows the query must return, in order"},
  };
  info.validate = [](const CheckSpec& spec) {
    std::vector<SpecProblem> problems;
    bool has_expect = spec.find("expect") != nullptr;
    bool has_rows = spec.find("expect_rows") != nullptr;
    if (!has_expect && !has_rows)
      problems.push_back({"", "query needs 'expect' or 'expect_rows'"});
    if (has_expect && has_rows)
      problems.push_back({"expect_rows", "give either 'expect' or 'expect_rows', not both"});
    return problems;
  };
  info.default_name = [](const CheckSpec& spec) {
    const ParamValue* sql = spec.find("sql");
    std::string text = sql && sql->as_string() ? *sql->as_string() : "?";
    for (char& c : text)
      if (c == '\n' || c == '\t' || c == '\r') c = ' ';
    if (text.size() > 60) text = text.substr(0, 57) + "...";
    return "query " + text;
  };
  return info;
}

std::unique_ptr<Check> QueryCheck::make(const CheckSpec& spec) {
  const ParamValue* sql = spec.find("sql");
  std::optional<ParamValue> expect, rows;
  if (const ParamValue* e = spec.find("expect")) expect = *e;
  if (const ParamValue* r = spec.find("expect_rows")) rows = *r;
  return std::make_unique<QueryCheck>(spec.name, sql && sql->as_string() ? *sql->as_string() : "",
                                      expect, rows);
}

QueryCheck::QueryCheck(std::string name, std::string sql, std::optional<ParamValue> expect,
                       std::optional<ParamValue> expect_rows)
    : m_name(std::move(name)), m_sql(std::move(sql)), m_expect(std::move(expect)),
      m_expect_rows(std::move(expect_rows)) {}

bool QueryCheck::value_matches(const ParamValue& expected, const engine::Value& observed) {
  if (const auto* s = expected.as_string()) {
    if (*s == "NULL") return !observed;
    return observed && *observed == *s;
  }
  if (!observed) return false;
  if (const auto* b = std::get_if<bool>(&expected.value)) {
    const std::string& o = *observed;
    bool truthy = o == "t" || o == "true" || o == "1" || o == "TRUE";
    bool falsy = o == "f" || o == "false" || o == "0" || o == "FALSE";
    return *b ? truthy : falsy;
  }
  double want = 0;
  if (const auto* i = expected.as_int()) want = static_cast<double>(*i);
  else if (const auto* d = std::get_if<double>(&expected.value)) want = *d;
  else return false;
  double got = 0;
  if (!parse_number(*observed, got)) return false;
  return got == want || std::fabs(got - want) <= 1e-9 * std::max(std::fabs(got), std::fabs(want));
}

CheckOutcome QueryCheck::run(const CheckContext& ctx) const {
  CheckOutcome out;
  out.expected = m_expect ? m_expect->to_text() : m_expect_rows ? m_expect_rows->to_text() : "";
  auto result = ctx.engine.query(m_sql);
  if (!result) {
    out.outcome = Outcome::error;
    out.message = fmt::format("query failed: {}", result.error().message);
    return out;
  }
  auto fail = [&](std::string message) {
    out.outcome = Outcome::failed;
    out.message = message;
    out.findings.push_back({m_name, "query", Severity::error, std::move(message), m_sql});
  };
  if (m_expect) {
    if (result->rows.size() != 1 || result->rows[0].size() != 1) {
      out.observed = show_rows(result->rows);
      fail(fmt::format("expected one row with one column, got {} rows of {} columns",
                       result->rows.size(), result->columns.size()));
      return out;
    }
    const engine::Value& v = result->rows[0][0];
    out.observed = v ? *v : "NULL";
    if (!value_matches(*m_expect, v))
      fail(fmt::format("expected {}, got {}", m_expect->to_text(), out.observed));
    return out;
  }
  out.observed = show_rows(result->rows);
  const auto& want = *m_expect_rows->as_array();
  if (result->rows.size() != want.size()) {
    fail(fmt::format("expected {} rows, got {}", want.size(), result->rows.size()));
    return out;
  }
  for (std::size_t r = 0; r < want.size(); ++r) {
    const auto* cols = want[r].as_array();
    std::size_t ncols = cols ? cols->size() : 1;
    if (result->rows[r].size() != ncols) {
      fail(fmt::format("row {}: expected {} columns, got {}", r + 1, ncols,
                       result->rows[r].size()));
      return out;
    }
    for (std::size_t c = 0; c < ncols; ++c) {
      const ParamValue& w = cols ? (*cols)[c] : want[r];
      if (!value_matches(w, result->rows[r][c])) {
        fail(fmt::format("row {} column {} ({}): expected {}, got {}", r + 1, c + 1,
                         result->columns[c], w.to_text(), show(result->rows[r][c])));
        return out;
      }
    }
  }
  return out;
}

}  // namespace dp::checks
