// Orphans are counted with plain queries rather than trusted to the engine's
// enforcement: a restore may load data with triggers disabled, constraints
// added NOT VALID, or (SQLite) foreign_keys off, and none of those stop a
// child row from pointing at nothing. Rows with any NULL key column are not
// orphans (MATCH SIMPLE, the default on both engines).
#include "checks/foreign_keys_check.hpp"

#include <fmt/format.h>

#include "verifier/engine/catalog.hpp"

namespace dp::checks {
namespace {

constexpr std::int64_t k_default_max_keys = 5;

std::int64_t max_keys_of(const CheckSpec& spec) {
  const ParamValue* v = spec.find("max_keys");
  return v && v->as_int() ? *v->as_int() : k_default_max_keys;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : std::string(sep)) + p;
  return out;
}

// "public.invoice_line.invoice_id -> public.invoice"
std::string object_name(const engine::Table& child, const engine::Constraint& fk) {
  std::string cols = join(fk.columns, ", ");
  if (fk.columns.size() > 1) cols = "(" + cols + ")";
  return fmt::format("{}.{} -> {}", child.name.qualified(), cols, fk.ref_table.qualified());
}

// FROM ... WHERE ...: the child rows whose key is set but has no parent.
std::string orphan_clause(const engine::Engine& engine, const engine::Table& child,
                          const engine::Constraint& fk) {
  std::vector<std::string> set, match;
  for (std::size_t i = 0; i < fk.columns.size(); ++i) {
    std::string c = "c." + engine.quote_identifier(fk.columns[i]);
    set.push_back(c + " IS NOT NULL");
    if (i < fk.ref_columns.size())
      match.push_back(fmt::format("p.{} = {}", engine.quote_identifier(fk.ref_columns[i]), c));
  }
  return fmt::format("FROM {} c WHERE {} AND NOT EXISTS (SELECT 1 FROM {} p WHERE {})",
                     engine::quote_table(engine, child.name), join(set, " AND "),
                     engine::quote_table(engine, fk.ref_table), join(match, " AND "));
}

}  // namespace

CheckKindInfo ForeignKeysCheck::kind_info() {
  CheckKindInfo info;
  info.type = "foreign_keys";
  info.summary = "no child row points at a missing parent, for every foreign key";
  info.params = {
      {"max_keys", ParamType::integer, false, "orphaned keys to name per foreign key (default 5)"},
  };
  info.validate = [](const CheckSpec& spec) {
    std::vector<SpecProblem> problems;
    if (std::int64_t n = max_keys_of(spec); n < 0 || n > 1000)
      problems.push_back({"max_keys", fmt::format("'max_keys' must be 0..1000, got {}", n)});
    return problems;
  };
  info.default_name = [](const CheckSpec&) { return std::string("foreign_keys"); };
  return info;
}

std::unique_ptr<Check> ForeignKeysCheck::make(const CheckSpec& spec) {
  return std::make_unique<ForeignKeysCheck>(spec);
}

ObjectOutcome ForeignKeysCheck::check_one(engine::Engine& engine, const engine::Table& child,
                                          const engine::Constraint& fk) const {
  ObjectOutcome o{object_name(child, fk), Outcome::passed, "", {}};
  const std::string from = orphan_clause(engine, child, fk);
  const std::string count_sql = "SELECT count(*) " + from;
  Result<std::uint64_t> count = engine::query_count(engine, count_sql);
  if (!count) {
    o.outcome = Outcome::error;
    o.message = fmt::format("{}: {}", o.object, count.error().message);
    return o;
  }
  if (*count == 0) return o;

  // Name the orphans by the child's primary key when it has one.
  const auto& key = child.primary_key.empty() ? fk.columns : child.primary_key;
  std::vector<std::string> cols;
  for (const auto& k : key) cols.push_back("c." + engine.quote_identifier(k));
  std::string keys_text;
  std::int64_t max_keys = max_keys_of(m_spec);
  if (max_keys > 0) {
    const std::string keys_sql = fmt::format("SELECT {} {} ORDER BY {} LIMIT {}", join(cols, ", "),
                                             from, join(cols, ", "), max_keys);
    auto rows = engine.query(keys_sql);
    if (!rows) {
      o.outcome = Outcome::error;
      o.message = fmt::format("{}: {}", o.object, rows.error().message);
      return o;
    }
    std::vector<std::string> shown;
    for (const auto& row : rows->rows) {
      std::vector<std::string> parts;
      for (std::size_t i = 0; i < key.size() && i < row.size(); ++i)
        parts.push_back(fmt::format("{}={}", key[i], row[i] ? *row[i] : "NULL"));
      shown.push_back(parts.size() == 1 ? parts[0] : "(" + join(parts, ", ") + ")");
    }
    if (*count > shown.size()) shown.push_back("...");
    keys_text = "; first keys: " + join(shown, ", ");
  }
  std::string message =
      fmt::format("{} orphaned row{}{}", *count, *count == 1 ? "" : "s", keys_text);
  o.outcome = Outcome::failed;
  o.message = fmt::format("{}: {}", o.object, message);
  o.findings.push_back({m_spec.name, o.object, Severity::error, std::move(message), count_sql});
  return o;
}

CheckOutcome ForeignKeysCheck::run(const CheckContext& ctx) const {
  CheckOutcome out;
  auto schema = engine::read_schema(ctx.engine);
  if (!schema) {
    out.outcome = Outcome::error;
    out.message = "foreign_keys: " + schema.error().message;
    return out;
  }
  std::size_t total = 0, orphaned = 0, errors = 0;
  for (const auto& t : schema->tables)
    for (const auto& c : t.constraints) {
      if (c.kind != "foreign_key") continue;
      ++total;
      out.objects.push_back(check_one(ctx.engine, t, c));
      if (out.objects.back().outcome == Outcome::failed) ++orphaned;
      if (out.objects.back().outcome == Outcome::error) ++errors;
    }
  for (const auto& o : out.objects)
    out.findings.insert(out.findings.end(), o.findings.begin(), o.findings.end());
  out.outcome = worst_of(out.objects);
  out.expected = fmt::format("no orphaned rows in {} foreign keys", total);
  out.observed = fmt::format("{} of {} foreign keys with orphaned rows", orphaned, total);
  if (orphaned + errors == 1) {
    for (const auto& o : out.objects)
      if (o.outcome != Outcome::passed) out.message = o.message;
  } else if (orphaned || errors) {
    out.message = fmt::format("{} of {} foreign keys have orphaned rows", orphaned, total);
    if (errors) out.message += fmt::format(", {} could not be checked", errors);
  }
  return out;
}

}  // namespace dp::checks
