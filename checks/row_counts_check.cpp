// Counts every table the snapshot lists with one count(*) each. Which tables
// exist comes from one list_tables() call first, so a table the restore lost
// is a failure ("missing table") and not mistaken for a query error.
#include "checks/row_counts_check.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <set>

#include "checks/snapshot.hpp"

namespace dp::checks {
namespace {

struct Tolerance {
  std::int64_t rows = 0;   // absolute, when percent is unset
  double percent = -1.0;   // of the snapshot's count; < 0: not a percentage
  std::string text = "0";  // as the plan spelled it

  bool allows(std::uint64_t want, std::uint64_t got) const {
    std::uint64_t diff = want > got ? want - got : got - want;
    if (percent < 0) return diff <= static_cast<std::uint64_t>(rows);
    return static_cast<double>(diff) <= static_cast<double>(want) * percent / 100.0;
  }
};

// An integer number of rows, or a string "5" / "0.5%".
std::optional<Tolerance> parse_tolerance(const ParamValue* v) {
  if (!v) return Tolerance{};
  if (const auto* i = v->as_int()) {
    if (*i < 0) return std::nullopt;
    return Tolerance{*i, -1.0, std::to_string(*i)};
  }
  const auto* s = v->as_string();
  if (!s || s->empty()) return std::nullopt;
  std::string_view body = *s;
  bool percent = body.back() == '%';
  if (percent) body.remove_suffix(1);
  if (body.empty()) return std::nullopt;
  if (percent) {
    double value = 0;
    auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), value);
    if (ec != std::errc() || ptr != body.data() + body.size() || !(value >= 0) ||
        !std::isfinite(value))
      return std::nullopt;
    return Tolerance{0, value, *s};
  }
  std::int64_t rows = 0;
  auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), rows);
  if (ec != std::errc() || ptr != body.data() + body.size() || rows < 0) return std::nullopt;
  return Tolerance{rows, -1.0, *s};
}

}  // namespace

CheckKindInfo RowCountsCheck::kind_info() {
  CheckKindInfo info;
  info.type = "row_counts";
  info.summary = "every table has as many rows as the snapshot says, within `tolerance`";
  info.params = {
      {"tolerance", ParamType::scalar, false,
       "rows a table may differ by: an integer, or a percentage such as \"0.5%\" (default 0)"},
  };
  info.validate = [](const CheckSpec& spec) {
    std::vector<SpecProblem> problems;
    if (!parse_tolerance(spec.find("tolerance")))
      problems.push_back({"tolerance",
                          "'tolerance' must be a number of rows (0 or more) or a percentage "
                          "such as \"0.5%\""});
    return problems;
  };
  info.default_name = [](const CheckSpec&) { return std::string("row_counts"); };
  info.needs_snapshot = true;
  return info;
}

std::unique_ptr<Check> RowCountsCheck::make(const CheckSpec& spec) {
  return std::make_unique<RowCountsCheck>(spec);
}

CheckOutcome RowCountsCheck::run(const CheckContext& ctx) const {
  CheckOutcome out;
  if (!ctx.snapshot) {
    out.outcome = Outcome::error;
    out.message = "row_counts: the backup names no snapshot to compare with";
    return out;
  }
  // validate() rejected bad values before the plan ran.
  Tolerance tolerance = parse_tolerance(m_spec.find("tolerance")).value_or(Tolerance{});
  const Snapshot& snap = *ctx.snapshot;
  out.expected = fmt::format("row counts of {} tables as in the snapshot (tolerance {})",
                             snap.tables.size(), tolerance.text);
  auto listed = ctx.engine.list_tables();
  if (!listed) {
    out.outcome = Outcome::error;
    out.message = "row_counts: listing tables: " + listed.error().message;
    return out;
  }
  std::set<std::string> present;
  for (const auto& t : *listed) present.insert(t.qualified());

  std::size_t differ = 0, errors = 0;
  for (const auto& t : snap.tables) {
    const std::string name = t.schema.name.qualified();
    ObjectOutcome o{name, Outcome::passed, "", {}};
    if (!present.count(name)) {
      o.outcome = Outcome::failed;
      o.message = name + ": missing table";
      o.findings.push_back({m_spec.name, name, Severity::error, "missing table",
                            fmt::format("snapshot has {} rows", t.row_count)});
      ++differ;
      out.objects.push_back(std::move(o));
      continue;
    }
    const std::string sql =
        fmt::format("SELECT count(*) FROM {}", engine::quote_table(ctx.engine, t.schema.name));
    auto count = engine::query_count(ctx.engine, sql);
    if (!count) {
      o.outcome = Outcome::error;
      o.message = fmt::format("{}: {}", name, count.error().message);
      ++errors;
    } else if (!tolerance.allows(t.row_count, *count)) {
      std::string text = fmt::format("{} rows, snapshot has {} (tolerance {})", *count, t.row_count,
                                     tolerance.text);
      o.outcome = Outcome::failed;
      o.message = fmt::format("{}: {}", name, text);
      o.findings.push_back({m_spec.name, name, Severity::error, std::move(text),
                            fmt::format("{} = {}", sql, *count)});
      ++differ;
    }
    out.objects.push_back(std::move(o));
  }

  for (const auto& o : out.objects)
    out.findings.insert(out.findings.end(), o.findings.begin(), o.findings.end());
  out.outcome = worst_of(out.objects);
  out.observed = fmt::format("{} of {} tables match", snap.tables.size() - differ - errors,
                             snap.tables.size());
  if (differ && errors)
    out.message = fmt::format("{} of {} tables differ, {} could not be counted", differ,
                              snap.tables.size(), errors);
  else if (differ)
    out.message = fmt::format("{} of {} tables differ", differ, snap.tables.size());
  else if (errors)
    out.message = fmt::format("{} of {} tables could not be counted", errors, snap.tables.size());
  if (differ + errors == 1)  // one table: its own message says more
    for (const auto& o : out.objects)
      if (o.outcome != Outcome::passed) out.message = o.message;
  return out;
}

}  // namespace dp::checks
