#pragma once
// integrity: the engine's own consistency checks on the restored database
// (docs/plan.md, "integrity").
//
// PostgreSQL: amcheck. prerequisites() asks the drill to CREATE EXTENSION
// amcheck; run() calls bt_index_check on every valid B-tree index of a user
// table (one statement per index, so a failure names its index) and, on
// PostgreSQL 14+, verify_heapam on every user table. SQLite: PRAGMA
// integrity_check and PRAGMA foreign_key_check per table with foreign keys.
// MySQL: CHECK TABLE ... EXTENDED on every table of the database, judged by
// the Msg_type/Msg_text rows it returns (it reports damage as rows, not as a
// statement error): passed only when the last row is status "OK".
//
// Corruption is a finding, never an error: amcheck raises it as an ERROR
// (SQLSTATE XX001/XX002), so errors whose text says the data is corrupt make
// the object fail; any other error (permission, missing function, timeout)
// makes the object "error". One ObjectOutcome per index, table or database.
#include <string_view>

#include "checks/check.hpp"

namespace dp::checks {

class IntegrityCheck final : public Check {
 public:
  // Valid, ready B-tree indexes of user tables: index oid, schema, name.
  static constexpr std::string_view k_pg_indexes_sql =
      "SELECT c.oid, n.nspname, c.relname FROM pg_index i"
      " JOIN pg_class c ON c.oid = i.indexrelid"
      " JOIN pg_am a ON a.oid = c.relam"
      " JOIN pg_namespace n ON n.oid = c.relnamespace"
      " WHERE a.amname = 'btree' AND i.indisvalid AND i.indisready"
      " AND c.relpersistence <> 't'"
      " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
      " AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp'"
      " ORDER BY n.nspname, c.relname";
  // User tables and materialized views with storage: oid, schema, name.
  static constexpr std::string_view k_pg_tables_sql =
      "SELECT c.oid, n.nspname, c.relname FROM pg_class c"
      " JOIN pg_namespace n ON n.oid = c.relnamespace"
      " WHERE c.relkind IN ('r', 'm') AND c.relpersistence <> 't'"
      " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
      " AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp'"
      " ORDER BY n.nspname, c.relname";
  // SQLite tables that declare foreign keys.
  static constexpr std::string_view k_sqlite_fk_tables_sql =
      "SELECT DISTINCT m.name FROM sqlite_master AS m, pragma_foreign_key_list(m.name) AS f"
      " WHERE m.type = 'table' ORDER BY m.name";

  static CheckKindInfo kind_info();
  static std::unique_ptr<Check> make(const CheckSpec& spec);

  IntegrityCheck(CheckSpec spec, bool heapallindexed)
      : m_spec(std::move(spec)), m_heapallindexed(heapallindexed) {}
  std::string id() const override { return "integrity"; }
  std::string describe() const override { return m_spec.name; }
  CheckOutcome run(const CheckContext& ctx) const override;
  std::vector<std::string> prerequisites(EngineKind kind) const override;

  // Whether an error message reports damaged data rather than a failure to
  // check (exposed for tests).
  static bool is_corruption(std::string_view message);

 private:
  CheckOutcome run_postgres(const CheckContext& ctx) const;
  CheckOutcome run_sqlite(const CheckContext& ctx) const;
  CheckOutcome run_mysql(const CheckContext& ctx) const;

  CheckSpec m_spec;
  bool m_heapallindexed = true;
};

}  // namespace dp::checks
