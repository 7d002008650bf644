// The snapshot says what the schema was at backup time; read_schema says what
// the restore produced. Objects are matched by name, so a renamed object is
// one "missing" plus one "unexpected". Objects the restore has in addition
// are warnings, not failures: they do not lose data, and a restore that
// creates extension tables or helper objects should not fail the drill.
#include "checks/schema_check.hpp"

#include <fmt/format.h>

#include <charconv>
#include <map>

#include "checks/snapshot.hpp"
#include "verifier/engine/catalog.hpp"

namespace dp::checks {
namespace {

std::vector<std::string> ignore_patterns(const CheckSpec& spec) {
  std::vector<std::string> out;
  const ParamValue* v = spec.find("ignore");
  if (!v) return out;
  if (const auto* s = v->as_string()) out.push_back(*s);
  if (const auto* a = v->as_array())
    for (const auto& item : *a)
      if (const auto* s = item.as_string()) out.push_back(*s);
  return out;
}

// `*` matches any run of characters (dots included); everything else is literal.
bool glob_match(std::string_view pattern, std::string_view name) {
  std::size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string key_text(const std::vector<std::string>& cols) {
  if (cols.empty()) return "none";
  std::string out = "(";
  for (std::size_t i = 0; i < cols.size(); ++i) out += (i ? ", " : "") + cols[i];
  return out + ")";
}

std::string nullability(bool nullable) { return nullable ? "NULL" : "NOT NULL"; }

std::string default_text(const std::optional<std::string>& d) { return d ? *d : "none"; }

// "foreign key x", "constraint x": what a constraint is called in messages.
std::string constraint_label(const engine::Constraint& c) {
  return (c.kind == "foreign_key" ? "foreign key " : "constraint ") + c.name;
}

class Comparer {
 public:
  Comparer(std::string check_name, std::vector<std::string> ignore)
      : m_check(std::move(check_name)), m_ignore(std::move(ignore)) {}

  bool ignored(const std::string& name) const {
    for (const auto& p : m_ignore)
      if (glob_match(p, name)) return true;
    return false;
  }

  ObjectOutcome table(const engine::Table& want, const engine::Table* got) const {
    ObjectOutcome o{want.name.qualified(), Outcome::passed, "", {}};
    if (!got) {
      add(o, Severity::error, "missing table", "");
      return finish(std::move(o));
    }
    columns(o, want, *got);
    if (want.primary_key != got->primary_key)
      add(o, Severity::error,
          fmt::format("primary key changed from {} to {}", key_text(want.primary_key),
                      key_text(got->primary_key)),
          "");
    constraints(o, want, *got);
    indexes(o, want, *got);
    return finish(std::move(o));
  }

  ObjectOutcome unexpected_table(const engine::Table& got) const {
    ObjectOutcome o{got.name.qualified(), Outcome::passed, "", {}};
    add(o, Severity::warning, "unexpected table", "");
    return finish(std::move(o));
  }

  void views(const Snapshot& snap, const engine::Schema& live,
             std::vector<ObjectOutcome>& out) const {
    std::map<std::string, const engine::View*> got;
    for (const auto& v : live.views) got[v.name.qualified()] = &v;
    for (const auto& v : snap.views) {
      std::string q = v.name.qualified();
      if (ignored(q)) continue;
      auto it = got.find(q);
      ObjectOutcome o{"view " + q, Outcome::passed, "", {}};
      if (it == got.end())
        add(o, Severity::error, fmt::format("view {} missing", v.name.name), "", q);
      else if (it->second->definition != v.definition)
        add(o, Severity::error, fmt::format("view {}: definition changed", v.name.name),
            fmt::format("snapshot: {}\nrestored: {}", v.definition, it->second->definition), q);
      if (it != got.end()) got.erase(it);
      if (!o.findings.empty()) out.push_back(finish(std::move(o)));
    }
    for (const auto& [q, v] : got) {
      if (ignored(q)) continue;
      ObjectOutcome o{"view " + q, Outcome::passed, "", {}};
      add(o, Severity::warning, fmt::format("unexpected view {}", v->name.name), "", q);
      out.push_back(finish(std::move(o)));
    }
  }

  void sequences(const Snapshot& snap, const engine::Schema& live,
                 std::vector<ObjectOutcome>& out) const {
    std::map<std::string, const engine::Sequence*> got;
    for (const auto& s : live.sequences) got[s.name.qualified()] = &s;
    for (const auto& s : snap.sequences) {
      std::string q = s.name.qualified();
      if (ignored(q)) continue;
      auto it = got.find(q);
      ObjectOutcome o{"sequence " + q, Outcome::passed, "", {}};
      if (it == got.end())
        add(o, Severity::error, fmt::format("sequence {} missing", s.name.name), "", q);
      else if (went_back(s.last_value, it->second->last_value))
        add(o, Severity::error,
            fmt::format("sequence {}: last value {} in snapshot, {} restored", s.name.name,
                        s.last_value,
                        it->second->last_value.empty() ? "none" : it->second->last_value),
            "", q);
      if (it != got.end()) got.erase(it);
      if (!o.findings.empty()) out.push_back(finish(std::move(o)));
    }
    for (const auto& [q, s] : got) {
      if (ignored(q)) continue;
      ObjectOutcome o{"sequence " + q, Outcome::passed, "", {}};
      add(o, Severity::warning, fmt::format("unexpected sequence {}", s->name.name), "", q);
      out.push_back(finish(std::move(o)));
    }
  }

 private:
  // A restored sequence behind the snapshot would hand out keys again.
  static bool went_back(const std::string& want, const std::string& got) {
    if (want.empty()) return false;
    if (got.empty()) return true;
    std::int64_t w = 0, g = 0;
    auto [pw, ew] = std::from_chars(want.data(), want.data() + want.size(), w);
    auto [pg, eg] = std::from_chars(got.data(), got.data() + got.size(), g);
    if (ew != std::errc() || eg != std::errc()) return want != got;
    return g < w;
  }

  void add(ObjectOutcome& o, Severity severity, std::string message, std::string evidence,
           std::string target = "") const {
    o.findings.push_back({m_check, target.empty() ? o.object : std::move(target), severity,
                          std::move(message), std::move(evidence)});
  }

  // Failed when any finding is an error; the message lists the errors (or,
  // when there are none, the warnings).
  static ObjectOutcome finish(ObjectOutcome o) {
    bool failed = false;
    for (const auto& f : o.findings) failed = failed || f.severity == Severity::error;
    if (failed) o.outcome = Outcome::failed;
    for (const auto& f : o.findings) {
      if (failed && f.severity != Severity::error) continue;
      o.message += (o.message.empty() ? "" : "; ") + f.message;
    }
    return o;
  }

  void columns(ObjectOutcome& o, const engine::Table& want, const engine::Table& got) const {
    std::map<std::string, const engine::Column*> live;
    for (const auto& c : got.columns) live[c.name] = &c;
    const std::string prefix = want.name.qualified() + ".";
    for (const auto& c : want.columns) {
      auto it = live.find(c.name);
      if (ignored(prefix + c.name)) {
        if (it != live.end()) live.erase(it);
        continue;
      }
      if (it == live.end()) {
        add(o, Severity::error, fmt::format("column {} missing", c.name), "");
        continue;
      }
      const engine::Column& g = *it->second;
      if (g.type != c.type)
        add(o, Severity::error,
            fmt::format("column {}: type changed from {} to {}", c.name, c.type, g.type), "");
      if (g.nullable != c.nullable)
        add(o, Severity::error,
            fmt::format("column {}: nullability changed from {} to {}", c.name,
                        nullability(c.nullable), nullability(g.nullable)),
            "");
      if (g.default_expr != c.default_expr)
        add(o, Severity::error,
            fmt::format("column {}: default changed from {} to {}", c.name,
                        default_text(c.default_expr), default_text(g.default_expr)),
            "");
      live.erase(it);
    }
    for (const auto& c : got.columns)
      if (live.count(c.name) && !ignored(prefix + c.name))
        add(o, Severity::warning, fmt::format("unexpected column {}", c.name), "");
  }

  void constraints(ObjectOutcome& o, const engine::Table& want, const engine::Table& got) const {
    // Primary keys are compared by their columns above.
    auto key = [](const engine::Constraint& c) { return c.kind + '\x1f' + c.name; };
    std::map<std::string, const engine::Constraint*> live;
    for (const auto& c : got.constraints)
      if (c.kind != "primary_key") live[key(c)] = &c;
    const std::string schema = want.name.schema + ".";
    for (const auto& c : want.constraints) {
      if (c.kind == "primary_key") continue;
      // Take the match out of `live` (what is left is unexpected); keep a
      // pointer, not the iterator, which erase invalidates.
      const engine::Constraint* found = nullptr;
      if (auto it = live.find(key(c)); it != live.end()) {
        found = it->second;
        live.erase(it);
      }
      if (ignored(schema + c.name)) continue;
      if (c.kind == "definition") {
        if (!found || found->definition != c.definition)
          add(o, Severity::error, "table definition changed",
              fmt::format("snapshot: {}\nrestored: {}", c.definition,
                          found ? found->definition : ""));
      } else if (!found) {
        add(o, Severity::error, constraint_label(c) + " missing", c.definition);
      } else if (found->definition != c.definition) {
        add(o, Severity::error, constraint_label(c) + ": definition changed",
            fmt::format("snapshot: {}\nrestored: {}", c.definition, found->definition));
      }
    }
    for (const auto& [k, c] : live)
      if (!ignored(schema + c->name))
        add(o, Severity::warning, "unexpected " + constraint_label(*c), c->definition);
  }

  void indexes(ObjectOutcome& o, const engine::Table& want, const engine::Table& got) const {
    std::map<std::string, const engine::Index*> live;
    for (const auto& i : got.indexes) live[i.name] = &i;
    const std::string schema = want.name.schema + ".";
    for (const auto& i : want.indexes) {
      const engine::Index* found = nullptr;
      if (auto it = live.find(i.name); it != live.end()) {
        found = it->second;
        live.erase(it);
      }
      if (ignored(schema + i.name)) continue;
      if (!found)
        add(o, Severity::error, fmt::format("index {} missing", i.name), i.definition);
      else if (found->definition != i.definition || found->unique != i.unique)
        add(o, Severity::error, fmt::format("index {}: definition changed", i.name),
            fmt::format("snapshot: {}\nrestored: {}", i.definition, found->definition));
    }
    for (const auto& [name, i] : live)
      if (!ignored(schema + name))
        add(o, Severity::warning, fmt::format("unexpected index {}", name), i->definition);
  }

  std::string m_check;
  std::vector<std::string> m_ignore;
};

}  // namespace

CheckKindInfo SchemaCheck::kind_info() {
  CheckKindInfo info;
  info.type = "schema";
  info.summary =
      "tables, columns, keys, constraints, indexes, views and sequences match the snapshot";
  info.params = {
      {"ignore", ParamType::string_list, false,
       "objects to leave out: \"public.audit_*\", \"public.orders.note\", \"public.orders_idx\""},
  };
  info.validate = [](const CheckSpec& spec) {
    std::vector<SpecProblem> problems;
    for (const auto& p : ignore_patterns(spec))
      if (p.empty()) problems.push_back({"ignore", "'ignore' patterns must not be empty"});
    return problems;
  };
  info.default_name = [](const CheckSpec&) { return std::string("schema"); };
  info.needs_snapshot = true;
  return info;
}

std::unique_ptr<Check> SchemaCheck::make(const CheckSpec& spec) {
  return std::make_unique<SchemaCheck>(spec);
}

CheckOutcome SchemaCheck::run(const CheckContext& ctx) const {
  CheckOutcome out;
  if (!ctx.snapshot) {
    out.outcome = Outcome::error;
    out.message = "schema: the backup names no snapshot to compare with";
    return out;
  }
  const Snapshot& snap = *ctx.snapshot;
  out.expected = fmt::format("{} tables, {} views, {} sequences as in the snapshot",
                             snap.tables.size(), snap.views.size(), snap.sequences.size());
  auto live = engine::read_schema(ctx.engine);
  if (!live) {
    out.outcome = Outcome::error;
    out.message = "schema: " + live.error().message;
    return out;
  }
  out.observed = fmt::format("{} tables, {} views, {} sequences", live->tables.size(),
                             live->views.size(), live->sequences.size());

  Comparer cmp(m_spec.name, ignore_patterns(m_spec));
  std::map<std::string, const engine::Table*> got;
  for (const auto& t : live->tables) got[t.name.qualified()] = &t;
  std::size_t tables = 0, differ = 0;
  for (const auto& t : snap.tables) {
    std::string q = t.schema.name.qualified();
    auto it = got.find(q);
    const engine::Table* match = it == got.end() ? nullptr : it->second;
    if (it != got.end()) got.erase(it);
    if (cmp.ignored(q)) continue;
    ++tables;
    out.objects.push_back(cmp.table(t.schema, match));
    if (out.objects.back().outcome != Outcome::passed) ++differ;
  }
  for (const auto& [q, t] : got)
    if (!cmp.ignored(q)) out.objects.push_back(cmp.unexpected_table(*t));
  std::size_t before = out.objects.size();
  cmp.views(snap, *live, out.objects);
  cmp.sequences(snap, *live, out.objects);
  std::size_t others = 0;
  for (std::size_t i = before; i < out.objects.size(); ++i)
    if (out.objects[i].outcome != Outcome::passed) ++others;

  for (const auto& o : out.objects)
    out.findings.insert(out.findings.end(), o.findings.begin(), o.findings.end());
  out.outcome = worst_of(out.objects);
  if (out.outcome != Outcome::passed) {
    out.message = fmt::format("{} of {} tables differ", differ, tables);
    if (others) out.message += fmt::format(", {} views or sequences differ", others);
  }
  return out;
}

}  // namespace dp::checks
