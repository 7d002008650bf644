#include "checks/integrity_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <variant>

namespace dp::checks {
namespace {

bool bool_param(const CheckSpec& spec, const char* key, bool fallback) {
  const ParamValue* v = spec.find(key);
  if (!v) return fallback;
  if (const bool* b = std::get_if<bool>(&v->value)) return *b;
  return fallback;
}

std::string text_of(const engine::Value& v) { return v ? *v : std::string("NULL"); }

// libpq prints "ERROR:  <message>\nDETAIL:  ..."; the report wants the
// message alone on one line (the whole text goes to the evidence).
std::string first_line(std::string_view message) {
  for (std::string_view prefix : {"ERROR:  ", "FATAL:  "})
    if (message.substr(0, prefix.size()) == prefix) message.remove_prefix(prefix.size());
  return std::string(message.substr(0, message.find('\n')));
}

// The leading major version of "15.18 (Debian 15.18-1.pgdg120+1)"; 0 if unknown.
int major_version(std::string_view version) {
  int major = 0;
  for (char c : version) {
    if (c < '0' || c > '9') break;
    major = major * 10 + (c - '0');
  }
  return major;
}

// One object's outcome from an error: a finding when the error reports
// damaged data, an error outcome otherwise.
ObjectOutcome from_error(const std::string& check, const std::string& object,
                         const std::string& sql, const Error& error) {
  ObjectOutcome o;
  o.object = object;
  std::string line = first_line(error.message);
  o.message = fmt::format("{}: {}", object, line);
  if (error.code == Errc::engine && IntegrityCheck::is_corruption(error.message)) {
    o.outcome = Outcome::failed;
    o.findings.push_back(
        {check, object, Severity::error, line, fmt::format("{}\n{}", sql, error.message)});
  } else {
    o.outcome = Outcome::error;
  }
  return o;
}

// "The storage engine for the table doesn't support check", the note
// CHECK TABLE gives for MEMORY tables (MariaDB and MySQL word it alike).
bool is_unsupported_note(std::string message) {
  for (auto& c : message) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return message.find("doesn't support check") != std::string::npos;
}

// Summarises the objects into the check's own outcome and one-line message.
void summarise(CheckOutcome& out) {
  out.outcome = worst_of(out.objects);
  std::size_t failed = 0, errors = 0;
  const ObjectOutcome* first = nullptr;
  for (const auto& o : out.objects) {
    if (o.outcome == Outcome::failed) ++failed;
    if (o.outcome == Outcome::error) ++errors;
    if (!first && o.outcome == out.outcome && o.outcome != Outcome::passed) first = &o;
  }
  for (const auto& o : out.objects)
    out.findings.insert(out.findings.end(), o.findings.begin(), o.findings.end());
  out.observed =
      fmt::format("{} objects checked, {} failed, {} in error", out.objects.size(), failed, errors);
  if (!first) return;
  std::size_t same = out.outcome == Outcome::failed ? failed : errors;
  out.message = same > 1 ? fmt::format("{} (and {} more {})", first->message, same - 1,
                                       out.outcome == Outcome::failed ? "failed" : "in error")
                         : first->message;
}

struct Relation {
  std::string oid;
  std::string name;  // schema.name
};

Result<std::vector<Relation>> relations(engine::Engine& engine, std::string_view sql) {
  auto result = engine.query(sql);
  if (!result) return Unexpected<Error>(std::move(result).error());
  std::vector<Relation> out;
  for (const auto& row : result->rows) {
    if (row.size() < 3 || !row[0]) continue;
    out.push_back({*row[0], fmt::format("{}.{}", text_of(row[1]), text_of(row[2]))});
  }
  return out;
}

// "block 1, offset 7, attribute 2: <msg>" for one verify_heapam row.
std::string heap_problem(const engine::Row& row) {
  auto field = [&](std::size_t i) -> engine::Value {
    return i < row.size() ? row[i] : std::nullopt;
  };
  std::string where = fmt::format("block {}", text_of(field(0)));
  if (field(1)) where += fmt::format(", offset {}", *field(1));
  if (field(2)) where += fmt::format(", attribute {}", *field(2));
  return fmt::format("{}: {}", where, text_of(field(3)));
}

// One row of PRAGMA integrity_check; the first row of a damaged database
// starts with "*** in database main ***\n", which the object already names.
std::string integrity_row(const engine::Value& v) {
  std::string text = text_of(v);
  constexpr std::string_view k_banner = "*** in database ";
  if (text.rfind(k_banner, 0) == 0 && text.find('\n') != std::string::npos)
    text.erase(0, text.find('\n') + 1);
  return text;
}

}  // namespace

CheckKindInfo IntegrityCheck::kind_info() {
  CheckKindInfo info;
  info.type = "integrity";
  info.summary =
      "the engine's own consistency checks: amcheck on PostgreSQL (B-tree indexes and heap "
      "pages), PRAGMA integrity_check and foreign_key_check on SQLite, CHECK TABLE ... "
      "EXTENDED on MySQL";
  info.params = {
      {"heapallindexed", ParamType::boolean, false,
       "PostgreSQL: also verify that every heap tuple has its index entry (default true)"},
  };
  info.validate = [](const CheckSpec&) { return std::vector<SpecProblem>{}; };
  info.default_name = [](const CheckSpec&) { return std::string("integrity"); };
  return info;
}

std::unique_ptr<Check> IntegrityCheck::make(const CheckSpec& spec) {
  return std::make_unique<IntegrityCheck>(spec, bool_param(spec, "heapallindexed", true));
}

std::vector<std::string> IntegrityCheck::prerequisites(EngineKind kind) const {
  if (kind == EngineKind::postgres) return {"CREATE EXTENSION IF NOT EXISTS amcheck"};
  return {};
}

bool IntegrityCheck::is_corruption(std::string_view message) {
  // The adapters give the server's text, not its SQLSTATE, so besides the
  // codes themselves (for verbose error formats) we recognise the wording
  // of data_corrupted / index_corrupted errors from amcheck, the buffer
  // manager and SQLite's SQLITE_CORRUPT / SQLITE_NOTADB.
  static constexpr std::array<std::string_view, 15> k_markers = {
      "XX001",
      "XX002",
      "corrupt",
      "invalid page in block",
      "invariant violated",
      "lacks matching index tuple",
      "unexpected zero page",
      "could not find tuple using search from root page",
      "fell off the end of index",
      "not in agreement",
      "lp_len",
      "misplaced TID",
      "could not read block",
      "database disk image is malformed",
      "file is not a database",
  };
  for (std::string_view marker : k_markers)
    if (message.find(marker) != std::string_view::npos) return true;
  return false;
}

CheckOutcome IntegrityCheck::run(const CheckContext& ctx) const {
  switch (ctx.engine.kind()) {
    case EngineKind::postgres:
      return run_postgres(ctx);
    case EngineKind::sqlite:
      return run_sqlite(ctx);
    case EngineKind::mysql:
      return run_mysql(ctx);
  }
  CheckOutcome out;
  out.outcome = Outcome::error;
  out.message =
      fmt::format("integrity is not supported on {}", engine_kind_name(ctx.engine.kind()));
  return out;
}

CheckOutcome IntegrityCheck::run_mysql(const CheckContext& ctx) const {
  CheckOutcome out;
  out.expected = "CHECK TABLE ... EXTENDED status OK for every table";
  auto tables = ctx.engine.list_tables();
  if (!tables) {
    out.outcome = Outcome::error;
    out.message = fmt::format("list tables: {}", first_line(tables.error().message));
    return out;
  }
  for (const auto& table : *tables) {
    std::string object = "table " + table.qualified();
    std::string sql =
        fmt::format("CHECK TABLE {} EXTENDED", engine::quote_table(ctx.engine, table));
    auto result = ctx.engine.query(sql);
    if (!result) {
      out.objects.push_back(from_error(m_spec.name, object, sql, result.error()));
      continue;
    }
    ObjectOutcome o{object, Outcome::passed, "", {}};
    std::string last_status;
    bool uncheckable = false;
    for (const auto& row : result->rows) {
      if (row.size() < 4) continue;
      std::string type = text_of(row[2]);
      for (auto& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string message = text_of(row[3]);
      if (type == "status") last_status = message;
      if (type == "note" && is_unsupported_note(message)) uncheckable = true;
      if (type == "error" || type == "warning")
        o.findings.push_back({m_spec.name, object,
                              type == "error" ? Severity::error : Severity::warning,
                              fmt::format("{}: {}", type, message), sql});
    }
    // MEMORY (and other engines without CHECK) answer with that note alone,
    // no status row: nothing was checked, which is not damage.
    if (uncheckable && last_status.empty() && o.findings.empty()) {
      o.message = fmt::format("{}: engine does not support CHECK TABLE, not checked", object);
      o.findings.push_back({m_spec.name, object, Severity::info,
                            "engine does not support CHECK TABLE, not checked", sql});
      out.objects.push_back(std::move(o));
      continue;
    }
    // The verdict is the rows, never the statement's success: a damaged
    // table answers "error Corrupt" with a successful statement.
    bool ok = last_status == "OK" || last_status == "Table is already up to date";
    if (!ok && o.findings.empty())
      o.findings.push_back({m_spec.name, object, Severity::error,
                            result->rows.empty()
                                ? std::string("CHECK TABLE returned no rows")
                                : fmt::format("status: {}", text_of(result->rows.back()[3])),
                            sql});
    if (!ok || std::any_of(o.findings.begin(), o.findings.end(),
                           [](const Finding& f) { return f.severity == Severity::error; })) {
      o.outcome = Outcome::failed;
      o.message = o.findings.size() == 1 ? fmt::format("{}: {}", object, o.findings[0].message)
                                         : fmt::format("{}: {} problems, first: {}", object,
                                                       o.findings.size(), o.findings[0].message);
    }
    out.objects.push_back(std::move(o));
  }
  summarise(out);
  return out;
}

CheckOutcome IntegrityCheck::run_postgres(const CheckContext& ctx) const {
  CheckOutcome out;
  out.expected = "no corruption reported by amcheck";
  auto indexes = relations(ctx.engine, k_pg_indexes_sql);
  if (!indexes) {
    out.outcome = Outcome::error;
    out.message = fmt::format("list indexes: {}", first_line(indexes.error().message));
    return out;
  }
  for (const auto& index : *indexes) {
    std::string object = "index " + index.name;
    std::string sql =
        fmt::format("SELECT bt_index_check(index => {}::regclass, heapallindexed => {})", index.oid,
                    m_heapallindexed ? "true" : "false");
    auto result = ctx.engine.query(sql);
    if (!result)
      out.objects.push_back(from_error(m_spec.name, object, sql, result.error()));
    else
      out.objects.push_back({object, Outcome::passed, "", {}});
  }

  int major = major_version(ctx.engine.server_version());
  if (major != 0 && major < 14) {
    out.findings.push_back(
        {m_spec.name, "heap", Severity::info,
         fmt::format("heap pages not checked: verify_heapam needs PostgreSQL 14 or later, server "
                     "is {}",
                     ctx.engine.server_version()),
         ""});
  } else {
    auto tables = relations(ctx.engine, k_pg_tables_sql);
    if (!tables) {
      out.objects.push_back(
          {"tables",
           Outcome::error,
           fmt::format("tables: list tables: {}", first_line(tables.error().message)),
           {}});
    } else {
      for (const auto& table : *tables) {
        std::string object = "table " + table.name;
        std::string sql = fmt::format(
            "SELECT blkno, offnum, attnum, msg FROM verify_heapam({}::regclass)", table.oid);
        auto result = ctx.engine.query(sql);
        if (!result) {
          out.objects.push_back(from_error(m_spec.name, object, sql, result.error()));
          continue;
        }
        ObjectOutcome o{object, Outcome::passed, "", {}};
        for (const auto& row : result->rows)
          o.findings.push_back({m_spec.name, object, Severity::error, heap_problem(row), sql});
        if (!o.findings.empty()) {
          o.outcome = Outcome::failed;
          o.message = o.findings.size() == 1
                          ? fmt::format("{}: {}", object, o.findings[0].message)
                          : fmt::format("{}: {} problems, first: {}", object, o.findings.size(),
                                        o.findings[0].message);
        }
        out.objects.push_back(std::move(o));
      }
    }
  }
  std::vector<Finding> info = std::move(out.findings);
  out.findings.clear();
  summarise(out);
  out.findings.insert(out.findings.end(), info.begin(), info.end());
  return out;
}

CheckOutcome IntegrityCheck::run_sqlite(const CheckContext& ctx) const {
  CheckOutcome out;
  out.expected = "integrity_check ok, no foreign key violations";

  static constexpr std::string_view k_integrity_sql = "PRAGMA integrity_check";
  ObjectOutcome db{"database main", Outcome::passed, "", {}};
  auto result = ctx.engine.query(k_integrity_sql);
  if (!result) {
    db = from_error(m_spec.name, db.object, std::string(k_integrity_sql), result.error());
  } else {
    bool ok = result->rows.size() == 1 && !result->rows[0].empty() && result->rows[0][0] &&
              *result->rows[0][0] == "ok";
    if (!ok) {
      for (const auto& row : result->rows)
        db.findings.push_back({m_spec.name, db.object, Severity::error,
                               integrity_row(row.empty() ? std::nullopt : row[0]),
                               std::string(k_integrity_sql)});
      if (db.findings.empty())
        db.findings.push_back({m_spec.name, db.object, Severity::error,
                               "integrity_check returned no rows", std::string(k_integrity_sql)});
      db.outcome = Outcome::failed;
      db.message = db.findings.size() == 1
                       ? fmt::format("{}: {}", db.object, db.findings[0].message)
                       : fmt::format("{}: {} problems, first: {}", db.object, db.findings.size(),
                                     db.findings[0].message);
    }
  }
  out.objects.push_back(std::move(db));

  auto fk_tables = ctx.engine.query(k_sqlite_fk_tables_sql);
  if (!fk_tables) {
    out.objects.push_back(from_error(m_spec.name, "foreign keys main",
                                     std::string(k_sqlite_fk_tables_sql), fk_tables.error()));
  } else {
    for (const auto& row : fk_tables->rows) {
      if (row.empty() || !row[0]) continue;
      const std::string& table = *row[0];
      std::string object = fmt::format("foreign keys main.{}", table);
      std::string sql =
          fmt::format("PRAGMA main.foreign_key_check({})", ctx.engine.quote_identifier(table));
      auto check = ctx.engine.query(sql);
      if (!check) {
        out.objects.push_back(from_error(m_spec.name, object, sql, check.error()));
        continue;
      }
      ObjectOutcome o{object, Outcome::passed, "", {}};
      for (const auto& v : check->rows) {
        auto field = [&](std::size_t i) -> engine::Value {
          return i < v.size() ? v[i] : std::nullopt;
        };
        std::string child = fmt::format("main.{}", field(0) ? *field(0) : table);
        std::string where = field(1) ? fmt::format("rowid {}", *field(1)) : "a row without rowid";
        o.findings.push_back(
            {m_spec.name, child, Severity::error,
             fmt::format("{} {}: no parent row in {}", child, where, text_of(field(2))),
             fmt::format("{} (fkid {})", sql, text_of(field(3)))});
      }
      if (!o.findings.empty()) {
        o.outcome = Outcome::failed;
        o.message = o.findings.size() == 1 ? o.findings[0].message
                                           : fmt::format("{} ({} rows without a parent)",
                                                         o.findings[0].message, o.findings.size());
      }
      out.objects.push_back(std::move(o));
    }
  }
  summarise(out);
  return out;
}

}  // namespace dp::checks
