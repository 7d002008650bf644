// Reads the schema with a fixed handful of catalog queries for the whole
// database (never a few per table): real databases have thousands of tables,
// and each round trip costs more than the rows it returns. Rows are grouped
// in C++ by table, then everything is sorted here so the order does not
// depend on the server's collation.
//
// SQLite has no catalog for CHECK constraints, so each SQLite table carries
// its CREATE TABLE text as one constraint of kind "definition" (name
// "definition"): comparing it catches changed checks, collations and column
// clauses the pragmas do not show. SQLite foreign keys have no names; they
// are named "<table>_<col>[_<col>...]_fkey" as PostgreSQL would name them.
#include "verifier/engine/catalog.hpp"
#include "verifier/engine/catalog_rows.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

namespace dp::engine {
namespace {

using detail::split_names;
using detail::text;
constexpr char k_sep = detail::k_name_sep;

bool pg_true(const Value& v) { return v && (*v == "t" || *v == "true"); }

bool sqlite_true(const Value& v) { return v && !v->empty() && *v != "0"; }

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

Result<QueryResult> run(Engine& engine, std::string_view what, const std::string& sql,
                        std::size_t min_columns) {
  auto result = engine.query(sql);
  if (!result)
    return Unexpected<Error>(std::move(result).error().context("catalog: " + std::string(what)));
  for (const auto& row : result->rows)
    if (row.size() < min_columns)
      return make_error(Errc::engine, fmt::format("catalog: {}: expected {} columns, got {}", what,
                                                  min_columns, row.size()));
  return result;
}

void sort_schema(Schema& schema) {
  auto by_name = [](const auto& a, const auto& b) {
    return a.name.qualified() < b.name.qualified();
  };
  for (auto& t : schema.tables) {
    std::sort(t.constraints.begin(), t.constraints.end(), [](const auto& a, const auto& b) {
      return std::tie(a.kind, a.name) < std::tie(b.kind, b.name);
    });
    std::sort(t.indexes.begin(), t.indexes.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
  }
  std::sort(schema.tables.begin(), schema.tables.end(), by_name);
  std::sort(schema.views.begin(), schema.views.end(), by_name);
  std::sort(schema.sequences.begin(), schema.sequences.end(), by_name);
}

// --- PostgreSQL -------------------------------------------------------------

// The user tables, as a CTE every PostgreSQL query starts with.
constexpr const char* k_pg_tables = R"(WITH t AS (
  SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
    AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%')
)";

constexpr const char* k_pg_columns = R"(
SELECT t.oid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
  CASE WHEN a.attgenerated = 's'
       THEN 'GENERATED ALWAYS AS (' || pg_catalog.pg_get_expr(d.adbin, d.adrelid) || ') STORED'
       ELSE pg_catalog.pg_get_expr(d.adbin, d.adrelid) END
FROM t JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attnum > 0 AND NOT a.attisdropped
ORDER BY t.oid, a.attnum)";

constexpr const char* k_pg_constraints = R"(
SELECT t.oid, con.conname, con.contype, pg_catalog.pg_get_constraintdef(con.oid),
  (SELECT string_agg(a.attname, E'\x1f' ORDER BY k.o)
     FROM unnest(con.conkey) WITH ORDINALITY AS k(n, o)
     JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n),
  rn.nspname, rc.relname,
  (SELECT string_agg(a.attname, E'\x1f' ORDER BY k.o)
     FROM unnest(con.confkey) WITH ORDINALITY AS k(n, o)
     JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n)
FROM t JOIN pg_catalog.pg_constraint con ON con.conrelid = t.oid
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
WHERE con.contype IN ('p', 'u', 'f', 'c') AND con.conparentid = 0)";

constexpr const char* k_pg_indexes = R"(
SELECT t.oid, ic.relname, pg_catalog.pg_get_indexdef(i.indexrelid), i.indisunique
FROM t JOIN pg_catalog.pg_index i ON i.indrelid = t.oid
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid)";

constexpr const char* k_pg_views = R"(
SELECT schemaname, viewname, definition FROM pg_catalog.pg_views
WHERE schemaname NOT IN ('pg_catalog', 'information_schema'))";

constexpr const char* k_pg_sequences = R"(
SELECT schemaname, sequencename, last_value FROM pg_catalog.pg_sequences
WHERE schemaname NOT IN ('pg_catalog', 'information_schema'))";

std::string pg_constraint_kind(const std::string& contype) {
  if (contype == "p") return "primary_key";
  if (contype == "u") return "unique";
  if (contype == "f") return "foreign_key";
  return "check";
}

Result<Schema> read_pg(Engine& engine) {
  Schema schema;
  std::map<std::string, std::size_t> by_oid;
  {
    auto r =
        run(engine, "tables", std::string(k_pg_tables) + "SELECT oid, nspname, relname FROM t", 3);
    if (!r) return Unexpected<Error>(std::move(r).error());
    for (auto& row : r->rows) {
      by_oid[text(row[0])] = schema.tables.size();
      schema.tables.push_back(Table{{text(row[1]), text(row[2])}, {}, {}, {}, {}});
    }
  }
  auto table_of = [&](const Value& oid) -> Table* {
    auto it = by_oid.find(text(oid));
    return it == by_oid.end() ? nullptr : &schema.tables[it->second];
  };
  {
    auto r = run(engine, "columns", std::string(k_pg_tables) + k_pg_columns, 5);
    if (!r) return Unexpected<Error>(std::move(r).error());
    for (auto& row : r->rows)
      if (Table* t = table_of(row[0]))
        t->columns.push_back(Column{text(row[1]), text(row[2]), !pg_true(row[3]), row[4]});
  }
  {
    auto r = run(engine, "constraints", std::string(k_pg_tables) + k_pg_constraints, 8);
    if (!r) return Unexpected<Error>(std::move(r).error());
    for (auto& row : r->rows) {
      Table* t = table_of(row[0]);
      if (!t) continue;
      Constraint c;
      c.name = text(row[1]);
      c.kind = pg_constraint_kind(text(row[2]));
      c.definition = text(row[3]);
      c.columns = split_names(row[4]);
      if (c.kind == "foreign_key") {
        c.ref_table = {text(row[5]), text(row[6])};
        c.ref_columns = split_names(row[7]);
      }
      if (c.kind == "primary_key") t->primary_key = c.columns;
      t->constraints.push_back(std::move(c));
    }
  }
  {
    auto r = run(engine, "indexes", std::string(k_pg_tables) + k_pg_indexes, 4);
    if (!r) return Unexpected<Error>(std::move(r).error());
    for (auto& row : r->rows)
      if (Table* t = table_of(row[0]))
        t->indexes.push_back(Index{text(row[1]), text(row[2]), pg_true(row[3])});
  }
  {
    auto r = run(engine, "views", k_pg_views, 3);
    if (!r) return Unexpected<Error>(std::move(r).error());
    for (auto& row : r->rows)
      schema.views.push_back(View{{text(row[0]), text(row[1])}, text(row[2])});
  }
  {
    auto r = run(engine, "sequences", k_pg_sequences, 3);
    if (!r) return Unexpected<Error>(std::move(r).error());
    for (auto& row : r->rows)
      schema.sequences.push_back(Sequence{{text(row[0]), text(row[1])}, text(row[2])});
  }
  return schema;
}

// --- SQLite -----------------------------------------------------------------

constexpr const char* k_sqlite_tables =
    "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
    "ESCAPE '\\'";

constexpr const char* k_sqlite_columns =
    "SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk "
    "FROM sqlite_master m JOIN pragma_table_info(m.name) p "
    "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY m.name, p.cid";

constexpr const char* k_sqlite_foreign_keys =
    "SELECT m.name, f.id, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete "
    "FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f "
    "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
    "ORDER BY m.name, f.id, f.seq";

constexpr const char* k_sqlite_indexes =
    "SELECT m.name, il.name, il.\"unique\", il.origin, s.sql, ii.name "
    "FROM sqlite_master m JOIN pragma_index_list(m.name) il "
    "JOIN pragma_index_info(il.name) ii "
    "LEFT JOIN sqlite_master s ON s.type = 'index' AND s.name = il.name "
    "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
    "ORDER BY m.name, il.name, ii.seqno";

constexpr const char* k_sqlite_views = "SELECT name, sql FROM sqlite_master WHERE type = 'view'";

constexpr const char* k_sqlite_has_sequence =
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'";

constexpr const char* k_sqlite_sequences = "SELECT name, seq FROM sqlite_sequence";

std::string sqlite_quote(const std::string& ident) { return quote_sql_identifier(ident); }

std::string quoted_list(const std::vector<std::string>& names) {
  std::vector<std::string> q;
  for (const auto& n : names) q.push_back(sqlite_quote(n));
  return join(q, ", ");
}

Result<void> read_sqlite_foreign_keys(Engine& engine, Schema& schema,
                                      const std::map<std::string, std::size_t>& by_name) {
  auto r = run(engine, "foreign keys", k_sqlite_foreign_keys, 7);
  if (!r) return Unexpected<Error>(std::move(r).error());
  // Rows come grouped by (table, id) in seq order.
  std::string last_key;
  Constraint* current = nullptr;
  std::vector<std::pair<Table*, Constraint>> found;
  std::vector<std::string> on_update, on_delete;
  for (auto& row : r->rows) {
    auto it = by_name.find(text(row[0]));
    if (it == by_name.end()) continue;
    std::string key = text(row[0]) + k_sep + text(row[1]);
    if (key != last_key || !current) {
      Constraint c;
      c.kind = "foreign_key";
      c.ref_table = {"main", text(row[2])};
      found.emplace_back(&schema.tables[it->second], std::move(c));
      current = &found.back().second;
      on_update.push_back(text(row[5]));
      on_delete.push_back(text(row[6]));
      last_key = key;
    }
    current->columns.push_back(text(row[3]));
    if (row[4]) current->ref_columns.push_back(*row[4]);
  }
  for (std::size_t i = 0; i < found.size(); ++i) {
    auto& [table, c] = found[i];
    // REFERENCES parent without columns means the parent's primary key.
    if (c.ref_columns.empty())
      if (auto parent = by_name.find(c.ref_table.name); parent != by_name.end())
        c.ref_columns = schema.tables[parent->second].primary_key;
    c.name = table->name.name + "_" + join(c.columns, "_") + "_fkey";
    c.definition = fmt::format("FOREIGN KEY ({}) REFERENCES {}({}) ON UPDATE {} ON DELETE {}",
                               quoted_list(c.columns), sqlite_quote(c.ref_table.name),
                               quoted_list(c.ref_columns), on_update[i], on_delete[i]);
    table->constraints.push_back(std::move(c));
  }
  return {};
}

Result<void> read_sqlite_indexes(Engine& engine, Schema& schema,
                                 const std::map<std::string, std::size_t>& by_name) {
  auto r = run(engine, "indexes", k_sqlite_indexes, 6);
  if (!r) return Unexpected<Error>(std::move(r).error());
  struct Found {
    Table* table;
    std::string name, origin;
    Value sql;
    bool unique;
    std::vector<std::string> columns;
  };
  std::vector<Found> found;
  for (auto& row : r->rows) {
    auto it = by_name.find(text(row[0]));
    if (it == by_name.end()) continue;
    Table* t = &schema.tables[it->second];
    if (found.empty() || found.back().table != t || found.back().name != text(row[1]))
      found.push_back({t, text(row[1]), text(row[3]), row[4], sqlite_true(row[2]), {}});
    found.back().columns.push_back(text(row[5]));
  }
  for (auto& f : found) {
    std::string cols = quoted_list(f.columns);
    std::string definition =
        f.sql ? *f.sql
              : fmt::format("auto: {}({})", f.origin == "pk" ? "PRIMARY KEY" : "UNIQUE", cols);
    if (f.origin == "u")
      f.table->constraints.push_back(
          Constraint{f.name, "unique", f.columns, fmt::format("UNIQUE ({})", cols), {}, {}});
    f.table->indexes.push_back(Index{f.name, std::move(definition), f.unique});
  }
  return {};
}

Result<Schema> read_sqlite(Engine& engine) {
  Schema schema;
  std::map<std::string, std::size_t> by_name;
  {
    auto r = run(engine, "tables", k_sqlite_tables, 2);
    if (!r) return Unexpected<Error>(std::move(r).error());
    for (auto& row : r->rows) {
      by_name[text(row[0])] = schema.tables.size();
      Table t{{"main", text(row[0])}, {}, {}, {}, {}};
      t.constraints.push_back(Constraint{"definition", "definition", {}, text(row[1]), {}, {}});
      schema.tables.push_back(std::move(t));
    }
  }
  {
    auto r = run(engine, "columns", k_sqlite_columns, 6);
    if (!r) return Unexpected<Error>(std::move(r).error());
    std::map<std::string, std::vector<std::pair<long, std::string>>> pk;
    for (auto& row : r->rows) {
      auto it = by_name.find(text(row[0]));
      if (it == by_name.end()) continue;
      schema.tables[it->second].columns.push_back(
          Column{text(row[1]), text(row[2]), !sqlite_true(row[3]), row[4]});
      long position = std::strtol(text(row[5]).c_str(), nullptr, 10);
      if (position > 0) pk[text(row[0])].emplace_back(position, text(row[1]));
    }
    for (auto& [name, cols] : pk) {
      std::sort(cols.begin(), cols.end());
      auto& key = schema.tables[by_name[name]].primary_key;
      for (auto& c : cols) key.push_back(c.second);
    }
  }
  if (auto fk = read_sqlite_foreign_keys(engine, schema, by_name); !fk)
    return Unexpected<Error>(std::move(fk).error());
  if (auto ix = read_sqlite_indexes(engine, schema, by_name); !ix)
    return Unexpected<Error>(std::move(ix).error());
  {
    auto r = run(engine, "views", k_sqlite_views, 2);
    if (!r) return Unexpected<Error>(std::move(r).error());
    for (auto& row : r->rows) schema.views.push_back(View{{"main", text(row[0])}, text(row[1])});
  }
  {
    auto has = run(engine, "sequences", k_sqlite_has_sequence, 1);
    if (!has) return Unexpected<Error>(std::move(has).error());
    if (!has->rows.empty() && text(has->rows[0][0]) != "0") {
      auto r = run(engine, "sequences", k_sqlite_sequences, 2);
      if (!r) return Unexpected<Error>(std::move(r).error());
      for (auto& row : r->rows)
        schema.sequences.push_back(Sequence{{"main", text(row[0])}, text(row[1])});
    }
  }
  return schema;
}

}  // namespace

const Table* Schema::find(const std::string& qualified) const {
  for (const auto& t : tables)
    if (t.name.qualified() == qualified) return &t;
  return nullptr;
}

Result<Schema> read_schema(Engine& engine) {
  Result<Schema> schema = make_error(Errc::unsupported, "catalog: engine not supported");
  switch (engine.kind()) {
    case EngineKind::postgres:
      schema = read_pg(engine);
      break;
    case EngineKind::sqlite:
      schema = read_sqlite(engine);
      break;
    case EngineKind::mysql:
      schema = detail::read_mysql(engine);
      break;
  }
  if (schema) sort_schema(*schema);
  return schema;
}

}  // namespace dp::engine
