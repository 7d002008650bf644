// The MySQL / MariaDB schema from information_schema, one query per kind of
// object for the whole database, like the PostgreSQL reader. Tables carry no
// schema (the database is the session's), so a dump restored into a database
// with another name compares equal to the source's snapshot; a foreign key to
// a table in another database names that database.
//
// Definitions are built here in one fixed spelling, since MySQL has no
// pg_get_constraintdef: "PRIMARY KEY (`a`)", "UNIQUE (`a`, `b`)",
// "FOREIGN KEY (`a`) REFERENCES `t` (`b`) ON UPDATE NO ACTION ON DELETE
// CASCADE", "CHECK (<clause>)", and indexes "UNIQUE INDEX `name` USING
// BTREE (`a`)". Column types are COLUMN_TYPE ("int(11)", "varchar(120)");
// auto_increment and generated columns show as their default expression.
#include <fmt/format.h>

#include <map>

#include "verifier/engine/catalog.hpp"
#include "verifier/engine/catalog_rows.hpp"

namespace dp::engine::detail {
namespace {

constexpr char k_sep = k_name_sep;  // GROUP_CONCAT separator

constexpr const char* k_tables =
    "SELECT table_name FROM information_schema.tables "
    "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'";

constexpr const char* k_columns =
    "SELECT table_name, column_name, column_type, is_nullable, column_default, extra, "
    "generation_expression FROM information_schema.columns WHERE table_schema = DATABASE() "
    "ORDER BY table_name, ordinal_position";

constexpr const char* k_keys =
    "SELECT tc.table_name, tc.constraint_name, tc.constraint_type, "
    "GROUP_CONCAT(k.column_name ORDER BY k.ordinal_position SEPARATOR '\x1f'), "
    "MAX(k.referenced_table_schema), MAX(k.referenced_table_name), "
    "GROUP_CONCAT(k.referenced_column_name ORDER BY k.ordinal_position SEPARATOR '\x1f'), "
    "MAX(rc.update_rule), MAX(rc.delete_rule) "
    "FROM information_schema.table_constraints tc "
    "LEFT JOIN information_schema.key_column_usage k ON k.constraint_schema = "
    "tc.constraint_schema AND k.table_name = tc.table_name AND k.constraint_name = "
    "tc.constraint_name "
    "LEFT JOIN information_schema.referential_constraints rc ON rc.constraint_schema = "
    "tc.constraint_schema AND rc.table_name = tc.table_name AND rc.constraint_name = "
    "tc.constraint_name "
    "WHERE tc.constraint_schema = DATABASE() AND tc.constraint_type IN ('PRIMARY KEY', "
    "'UNIQUE', 'FOREIGN KEY') GROUP BY tc.table_name, tc.constraint_name, tc.constraint_type";

// MariaDB's CHECK_CONSTRAINTS has TABLE_NAME (check names are per table).
constexpr const char* k_checks =
    "SELECT table_name, constraint_name, check_clause FROM information_schema.check_constraints "
    "WHERE constraint_schema = DATABASE()";

constexpr const char* k_indexes =
    "SELECT table_name, index_name, non_unique, "
    "GROUP_CONCAT(column_name ORDER BY seq_in_index SEPARATOR '\x1f'), MAX(index_type) "
    "FROM information_schema.statistics WHERE table_schema = DATABASE() "
    "GROUP BY table_name, index_name, non_unique";

constexpr const char* k_views =
    "SELECT table_name, view_definition FROM information_schema.views "
    "WHERE table_schema = DATABASE()";

std::string quoted_list(const Engine& engine, const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + engine.quote_identifier(n);
  return out;
}

Result<QueryResult> run(Engine& engine, std::string_view what, const char* sql,
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

std::optional<std::string> column_default(const Row& row) {
  const std::string extra = text(row[5]);
  if (row[6] && !row[6]->empty())
    return fmt::format("GENERATED ALWAYS AS ({}) {}", *row[6],
                       extra.find("STORED") != std::string::npos ? "STORED" : "VIRTUAL");
  if (extra.find("auto_increment") != std::string::npos) return std::string("auto_increment");
  return row[4];
}

}  // namespace

Result<Schema> read_mysql(Engine& engine) {
  Schema schema;
  std::map<std::string, std::size_t> by_name;
  auto table_of = [&](const Value& name) -> Table* {
    auto it = by_name.find(text(name));
    return it == by_name.end() ? nullptr : &schema.tables[it->second];
  };
  auto current_db = run(engine, "database", "SELECT DATABASE()", 1);
  if (!current_db) return Unexpected<Error>(std::move(current_db).error());
  const std::string database =
      current_db->rows.empty() ? std::string() : text(current_db->rows[0][0]);

  auto tables = run(engine, "tables", k_tables, 1);
  if (!tables) return Unexpected<Error>(std::move(tables).error());
  for (auto& row : tables->rows) {
    by_name[text(row[0])] = schema.tables.size();
    schema.tables.push_back(Table{{"", text(row[0])}, {}, {}, {}, {}});
  }

  auto columns = run(engine, "columns", k_columns, 7);
  if (!columns) return Unexpected<Error>(std::move(columns).error());
  for (auto& row : columns->rows)
    if (Table* t = table_of(row[0]))
      t->columns.push_back(
          Column{text(row[1]), text(row[2]), text(row[3]) != "NO", column_default(row)});

  auto keys = run(engine, "constraints", k_keys, 9);
  if (!keys) return Unexpected<Error>(std::move(keys).error());
  for (auto& row : keys->rows) {
    Table* t = table_of(row[0]);
    if (!t) continue;
    Constraint c;
    c.name = text(row[1]);
    c.columns = split_names(row[3]);
    const std::string type = text(row[2]);
    if (type == "PRIMARY KEY") {
      c.kind = "primary_key";
      c.definition = fmt::format("PRIMARY KEY ({})", quoted_list(engine, c.columns));
      t->primary_key = c.columns;
    } else if (type == "UNIQUE") {
      c.kind = "unique";
      c.definition = fmt::format("UNIQUE ({})", quoted_list(engine, c.columns));
    } else {
      c.kind = "foreign_key";
      std::string ref_schema = text(row[4]) == database ? std::string() : text(row[4]);
      c.ref_table = {ref_schema, text(row[5])};
      c.ref_columns = split_names(row[6]);
      c.definition = fmt::format("FOREIGN KEY ({}) REFERENCES {} ({}) ON UPDATE {} ON DELETE {}",
                                 quoted_list(engine, c.columns), quote_table(engine, c.ref_table),
                                 quoted_list(engine, c.ref_columns), text(row[7]), text(row[8]));
    }
    t->constraints.push_back(std::move(c));
  }

  auto checks = run(engine, "check constraints", k_checks, 3);
  if (!checks) return Unexpected<Error>(std::move(checks).error());
  for (auto& row : checks->rows)
    if (Table* t = table_of(row[0]))
      t->constraints.push_back(
          Constraint{text(row[1]), "check", {}, fmt::format("CHECK ({})", text(row[2])), {}, {}});

  auto indexes = run(engine, "indexes", k_indexes, 5);
  if (!indexes) return Unexpected<Error>(std::move(indexes).error());
  for (auto& row : indexes->rows) {
    Table* t = table_of(row[0]);
    if (!t) continue;
    bool unique = text(row[2]) == "0";
    std::string definition = fmt::format("{}INDEX {} USING {} ({})", unique ? "UNIQUE " : "",
                                         engine.quote_identifier(text(row[1])), text(row[4]),
                                         quoted_list(engine, split_names(row[3])));
    t->indexes.push_back(Index{text(row[1]), std::move(definition), unique});
  }

  auto views = run(engine, "views", k_views, 2);
  if (!views) return Unexpected<Error>(std::move(views).error());
  for (auto& row : views->rows) schema.views.push_back(View{{"", text(row[0])}, text(row[1])});
  return schema;
}

}  // namespace dp::engine::detail
