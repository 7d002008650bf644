#include "checks/query_check.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
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

// Decimal numbers as databases print them: [-+]digits[.digits][e[-+]digits].
// Hex, infinities and surrounding spaces are not numbers here.
bool is_decimal(const std::string& s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  std::size_t digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    std::size_t exp_digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

// Integers compare exactly: "42", "+42", and "42.000" (numeric columns)
// equal 42; floating point would let 5000000001 pass for 5000000000.
bool integer_equals(const std::string& s, std::int64_t want) {
  std::string_view text = s;
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (auto dot = text.find('.'); dot != std::string_view::npos) {
    if (text.find_first_not_of('0', dot + 1) != std::string_view::npos) return false;
    text = text.substr(0, dot);
  }
  std::int64_t got = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), got);
  return ec == std::errc() && ptr == text.data() + text.size() && got == want;
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
    if (!has_expect && !has_rows) problems.push_back({"", "query needs 'expect' or 'expect_rows'"});
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
    : m_name(std::move(name)),
      m_sql(std::move(sql)),
      m_expect(std::move(expect)),
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
  if (const auto* i = expected.as_int()) return integer_equals(*observed, *i);
  const auto* d = std::get_if<double>(&expected.value);
  if (!d || !is_decimal(*observed)) return false;
  double want = *d;
  double got = std::strtod(observed->c_str(), nullptr);
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
    out.findings.push_back({m_name, "", Severity::error, std::move(message), m_sql});
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
      fail(
          fmt::format("row {}: expected {} columns, got {}", r + 1, ncols, result->rows[r].size()));
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
