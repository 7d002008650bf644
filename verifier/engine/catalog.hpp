#pragma once
// The structure of a database as drillproof compares it: tables with
// columns, keys, constraints and indexes; views; sequences. Read through
// Engine::query with each engine's catalog (pg_catalog, sqlite_schema and
// its pragmas), so no adapter header is needed here.
#include <string>
#include <vector>

#include "verifier/engine/engine.hpp"

namespace dp::engine {

struct Column {
  std::string name;
  std::string type;  // as the engine spells it: "integer", "character varying(120)"
  bool nullable = true;
  std::optional<std::string> default_expr;
};

struct Constraint {
  std::string name;
  std::string kind;                  // "primary_key", "unique", "foreign_key", "check"
  std::vector<std::string> columns;  // in key order
  std::string definition;            // the engine's own text, e.g. pg_get_constraintdef
  // foreign keys only
  TableName ref_table;
  std::vector<std::string> ref_columns;
};

struct Index {
  std::string name;
  std::string definition;  // pg_get_indexdef / sqlite_schema.sql
  bool unique = false;
};

struct Table {
  TableName name;
  std::vector<Column> columns;           // in ordinal order
  std::vector<std::string> primary_key;  // empty: no primary key
  std::vector<Constraint> constraints;   // sorted by kind, then name
  std::vector<Index> indexes;            // sorted by name
};

struct View {
  TableName name;
  std::string definition;
};

struct Sequence {
  TableName name;
  std::string last_value;  // text; empty when never used
};

struct Schema {
  std::vector<Table> tables;  // sorted by qualified name
  std::vector<View> views;
  std::vector<Sequence> sequences;
  const Table* find(const std::string& qualified) const;
};

// Reads the whole user schema (system catalogs excluded). Errc::engine when a
// catalog query fails. MySQL: the session's database, tables named without
// a schema ("Track"), from information_schema.
Result<Schema> read_schema(Engine& engine);

namespace detail {
Result<Schema> read_mysql(Engine& engine);  // catalog_mysql.cpp; unsorted
}

}  // namespace dp::engine
