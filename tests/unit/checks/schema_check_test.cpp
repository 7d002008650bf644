#include "checks/schema_check.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "checks/snapshot.hpp"
#include "tests/fixtures/fake_engine.hpp"
#include "tests/unit/checks/spec_helpers.hpp"
#include "verifier/engine/catalog.hpp"

namespace dp::checks {
namespace {

using namespace spec_helpers;
using engine::Column;
using engine::Constraint;
using engine::Index;
using engine::Row;
using fake::FakeEngine;

// A small shop: the schema the snapshot recorded and, unless a test
// damages it, what the restore produced.
engine::Schema shop() {
  engine::Schema s;
  engine::Table customers;
  customers.name = {"public", "customers"};
  customers.columns = {{"id", "integer", false, std::nullopt},
                       {"email", "character varying(120)", false, std::nullopt}};
  customers.primary_key = {"id"};
  customers.constraints = {{"customers_pkey", "primary_key", {"id"}, "PRIMARY KEY (id)", {}, {}}};
  customers.indexes = {{"customers_pkey",
                        "CREATE UNIQUE INDEX customers_pkey ON public.customers USING btree (id)",
                        true}};
  engine::Table orders;
  orders.name = {"public", "orders"};
  orders.columns = {{"id", "integer", false, "nextval('orders_id_seq'::regclass)"},
                    {"customer_id", "integer", true, std::nullopt},
                    {"total", "numeric(10,2)", false, "0"}};
  orders.primary_key = {"id"};
  orders.constraints = {
      {"orders_total_check", "check", {"total"}, "CHECK ((total >= (0)::numeric))", {}, {}},
      {"orders_customer_id_fkey",
       "foreign_key",
       {"customer_id"},
       "FOREIGN KEY (customer_id) REFERENCES customers(id)",
       {"public", "customers"},
       {"id"}},
      {"orders_pkey", "primary_key", {"id"}, "PRIMARY KEY (id)", {}, {}}};
  orders.indexes = {
      {"orders_customer_idx",
       "CREATE INDEX orders_customer_idx ON public.orders USING btree (customer_id)", false},
      {"orders_pkey", "CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (id)", true}};
  s.tables = {customers, orders};
  s.views = {{{"public", "big_orders"},
              " SELECT orders.id\n   FROM orders\n  WHERE (orders.total > (100)::numeric);"}};
  s.sequences = {{{"public", "orders_id_seq"}, "1000"}};
  return s;
}

Snapshot snapshot_of(const engine::Schema& schema) {
  Snapshot snap;
  snap.engine = "postgres";
  for (const auto& t : schema.tables) snap.tables.push_back({t, 10, {}});
  snap.views = schema.views;
  snap.sequences = schema.sequences;
  return snap;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : "\x1f") + n;
  return out;
}

// The rows each PostgreSQL catalog query answers for `schema`, in the order
// read_schema asks them (tables, columns, constraints, indexes, views,
// sequences).
std::vector<std::vector<Row>> catalog_rows(const engine::Schema& schema) {
  std::vector<std::vector<Row>> out(6);
  int oid = 16384;
  for (const auto& t : schema.tables) {
    std::string id = std::to_string(oid++);
    out[0].push_back({id, t.name.schema, t.name.name});
    for (const auto& c : t.columns)
      out[1].push_back({id, c.name, c.type, c.nullable ? "f" : "t", c.default_expr});
    for (const auto& c : t.constraints) {
      std::string type = c.kind == "primary_key" ? "p"
                         : c.kind == "unique"    ? "u"
                         : c.kind == "check"     ? "c"
                                                 : "f";
      bool fk = c.kind == "foreign_key";
      out[2].push_back({id, c.name, type, c.definition, joined(c.columns),
                        fk ? engine::Value(c.ref_table.schema) : std::nullopt,
                        fk ? engine::Value(c.ref_table.name) : std::nullopt,
                        fk ? engine::Value(joined(c.ref_columns)) : std::nullopt});
    }
    for (const auto& i : t.indexes)
      out[3].push_back({id, i.name, i.definition, i.unique ? "t" : "f"});
  }
  for (const auto& v : schema.views) out[4].push_back({v.name.schema, v.name.name, v.definition});
  for (const auto& s : schema.sequences)
    out[5].push_back({s.name.schema, s.name.name,
                      s.last_value.empty() ? std::nullopt : engine::Value(s.last_value)});
  return out;
}

// Scripts the catalog queries read_schema asks with `schema`'s rows. The
// SQL is the catalog's own business: each step learns the next statement
// from the one the catalog asked and nobody had scripted yet.
void script_catalog(FakeEngine& db, const engine::Schema& schema) {
  for (auto& rows : catalog_rows(schema)) {
    db.clear_queries();
    (void)engine::read_schema(db);
    ASSERT_FALSE(db.queries().empty());
    std::vector<std::string> columns(rows.empty() ? 8 : rows[0].size(), "c");
    db.on(db.queries().back(), columns, rows);
  }
  db.clear_queries();
  ASSERT_TRUE(engine::read_schema(db).has_value());
  db.clear_queries();
}

class SchemaTest : public ::testing::Test {
 protected:
  CheckOutcome run(const engine::Schema& live, const CheckSpec& spec = plain()) {
    script_catalog(db, live);
    CheckContext ctx{db, "shop"};
    ctx.snapshot = &snap;
    return SchemaCheck(spec).run(ctx);
  }
  static CheckSpec plain() { return spec("schema", "shop schema", {}); }

  // Every finding's message, in object order.
  static std::vector<std::string> messages(const CheckOutcome& out) {
    std::vector<std::string> m;
    for (const auto& f : out.findings) m.push_back(f.message);
    return m;
  }

  engine::Table& table(engine::Schema& s, const std::string& name) {
    for (auto& t : s.tables)
      if (t.name.name == name) return t;
    ADD_FAILURE() << "no table " << name;
    return s.tables.front();
  }

  FakeEngine db;
  Snapshot snap = snapshot_of(shop());
};

TEST(SchemaKind, NeedsASnapshotAndTakesIgnore) {
  auto info = SchemaCheck::kind_info();
  EXPECT_EQ(info.type, "schema");
  EXPECT_TRUE(info.needs_snapshot);
  ASSERT_EQ(info.params.size(), 1u);
  EXPECT_EQ(info.params[0].key, "ignore");
  EXPECT_EQ(info.params[0].type, ParamType::string_list);
  EXPECT_TRUE(info.validate(spec("schema", "s", {{"ignore", array({str("public.a_*")})}})).empty());
  EXPECT_EQ(info.validate(spec("schema", "s", {{"ignore", array({str("")})}})).size(), 1u);
  EXPECT_EQ(info.default_name(spec("schema", "", {})), "schema");
}

// --- clean case --------------------------------------------------------

TEST_F(SchemaTest, IdenticalSchemaPasses) {
  CheckOutcome out = run(shop());
  EXPECT_EQ(out.outcome, Outcome::passed);
  EXPECT_EQ(out.message, "");
  EXPECT_TRUE(out.findings.empty());
  ASSERT_EQ(out.objects.size(), 2u);
  EXPECT_EQ(out.objects[0].object, "public.customers");
  EXPECT_EQ(out.objects[1].object, "public.orders");
  EXPECT_EQ(out.objects[1].outcome, Outcome::passed);
  EXPECT_EQ(out.expected, "2 tables, 1 views, 1 sequences as in the snapshot");
  EXPECT_EQ(out.observed, "2 tables, 1 views, 1 sequences");
}

TEST_F(SchemaTest, NoSnapshotIsAnError) {
  CheckContext ctx{db, "shop"};
  CheckOutcome out = SchemaCheck(plain()).run(ctx);
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message, "schema: the backup names no snapshot to compare with");
}

TEST_F(SchemaTest, CatalogErrorIsAnError) {
  db.drop_connection();
  CheckContext ctx{db, "shop"};
  ctx.snapshot = &snap;
  CheckOutcome out = SchemaCheck(plain()).run(ctx);
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message, "schema: catalog: tables: server closed the connection unexpectedly");
}

// --- damaged cases: each must fail with the exact finding --------------

TEST_F(SchemaTest, MissingTable) {
  auto live = shop();
  live.tables.erase(live.tables.begin());
  CheckOutcome out = run(live);
  EXPECT_EQ(out.outcome, Outcome::failed);
  ASSERT_EQ(out.objects.size(), 2u);
  EXPECT_EQ(out.objects[0].object, "public.customers");
  EXPECT_EQ(out.objects[0].outcome, Outcome::failed);
  EXPECT_EQ(out.objects[0].message, "missing table");
  EXPECT_EQ(out.objects[0].findings[0].target, "public.customers");
  EXPECT_EQ(out.objects[0].findings[0].check_id, "shop schema");
  EXPECT_EQ(out.objects[1].outcome, Outcome::passed);
  EXPECT_EQ(messages(out), std::vector<std::string>{"missing table"});
  EXPECT_EQ(out.message, "1 of 2 tables differ");
}

TEST_F(SchemaTest, UnexpectedTableIsAWarning) {
  auto live = shop();
  engine::Table extra;
  extra.name = {"public", "audit_log"};
  extra.columns = {{"id", "integer", false, std::nullopt}};
  live.tables.insert(live.tables.begin(), extra);
  CheckOutcome out = run(live);
  EXPECT_EQ(out.outcome, Outcome::passed);
  ASSERT_EQ(out.objects.size(), 3u);
  EXPECT_EQ(out.objects[2].object, "public.audit_log");
  EXPECT_EQ(out.objects[2].outcome, Outcome::passed);
  ASSERT_EQ(out.findings.size(), 1u);
  EXPECT_EQ(out.findings[0].message, "unexpected table");
  EXPECT_EQ(out.findings[0].severity, Severity::warning);
}

TEST_F(SchemaTest, MissingColumn) {
  auto live = shop();
  table(live, "customers").columns.pop_back();
  CheckOutcome out = run(live);
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(messages(out), std::vector<std::string>{"column email missing"});
  EXPECT_EQ(out.findings[0].target, "public.customers");
  EXPECT_EQ(out.message, "1 of 2 tables differ");
}

TEST_F(SchemaTest, ColumnTypeNullabilityAndDefaultChanges) {
  auto live = shop();
  auto& orders = table(live, "orders");
  orders.columns[2].type = "integer";
  orders.columns[2].default_expr = std::nullopt;
  table(live, "customers").columns[1].nullable = true;
  CheckOutcome out = run(live);
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(messages(out),
            (std::vector<std::string>{"column email: nullability changed from NOT NULL to NULL",
                                      "column total: type changed from numeric(10,2) to integer",
                                      "column total: default changed from 0 to none"}));
  EXPECT_EQ(out.objects[1].message,
            "column total: type changed from numeric(10,2) to integer; column total: default "
            "changed from 0 to none");
}

TEST_F(SchemaTest, PrimaryKeyChanged) {
  auto live = shop();
  auto& orders = table(live, "orders");
  orders.primary_key = {"id", "customer_id"};
  orders.constraints[2].columns = orders.primary_key;
  CheckOutcome out = run(live);
  EXPECT_EQ(messages(out),
            std::vector<std::string>{"primary key changed from (id) to (id, customer_id)"});
}

TEST_F(SchemaTest, MissingIndexAndChangedIndex) {
  auto live = shop();
  auto& orders = table(live, "orders");
  orders.indexes.erase(orders.indexes.begin());
  table(live, "customers").indexes[0].definition =
      "CREATE UNIQUE INDEX customers_pkey ON public.customers USING hash (id)";
  CheckOutcome out = run(live);
  EXPECT_EQ(messages(out), (std::vector<std::string>{"index customers_pkey: definition changed",
                                                     "index orders_customer_idx missing"}));
  EXPECT_EQ(out.findings[1].evidence,
            "CREATE INDEX orders_customer_idx ON public.orders USING btree (customer_id)");
}

TEST_F(SchemaTest, MissingConstraintsAndForeignKey) {
  auto live = shop();
  auto& orders = table(live, "orders");
  orders.constraints.erase(orders.constraints.begin(), orders.constraints.begin() + 2);
  CheckOutcome out = run(live);
  EXPECT_EQ(messages(out),
            (std::vector<std::string>{"constraint orders_total_check missing",
                                      "foreign key orders_customer_id_fkey missing"}));
}

TEST_F(SchemaTest, ChangedForeignKeyDefinition) {
  auto live = shop();
  table(live, "orders").constraints[1].definition =
      "FOREIGN KEY (customer_id) REFERENCES customers(id) ON DELETE CASCADE";
  CheckOutcome out = run(live);
  EXPECT_EQ(messages(out),
            std::vector<std::string>{"foreign key orders_customer_id_fkey: definition changed"});
}

TEST_F(SchemaTest, ViewMissing) {
  auto live = shop();
  live.views.clear();
  CheckOutcome out = run(live);
  EXPECT_EQ(out.outcome, Outcome::failed);
  ASSERT_EQ(out.objects.size(), 3u);
  EXPECT_EQ(out.objects[2].object, "view public.big_orders");
  EXPECT_EQ(messages(out), std::vector<std::string>{"view big_orders missing"});
  EXPECT_EQ(out.findings[0].target, "public.big_orders");
  EXPECT_EQ(out.message, "0 of 2 tables differ, 1 views or sequences differ");
}

TEST_F(SchemaTest, ViewDefinitionChanged) {
  auto live = shop();
  live.views[0].definition = " SELECT 1;";
  CheckOutcome out = run(live);
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(messages(out), std::vector<std::string>{"view big_orders: definition changed"});
}

TEST_F(SchemaTest, SequenceBehindTheSnapshotFails) {
  auto live = shop();
  live.sequences[0].last_value = "990";
  CheckOutcome out = run(live);
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(messages(out),
            std::vector<std::string>{
                "sequence orders_id_seq: last value 1000 in snapshot, 990 restored"});
  EXPECT_EQ(out.objects.back().object, "sequence public.orders_id_seq");
}

TEST_F(SchemaTest, SequenceAheadOfTheSnapshotPasses) {
  auto live = shop();
  live.sequences[0].last_value = "1010";
  EXPECT_EQ(run(live).outcome, Outcome::passed);
}

TEST_F(SchemaTest, SequenceMissing) {
  auto live = shop();
  live.sequences.clear();
  CheckOutcome out = run(live);
  EXPECT_EQ(messages(out), std::vector<std::string>{"sequence orders_id_seq missing"});
}

TEST_F(SchemaTest, IgnoredObjectsAreLeftOut) {
  auto live = shop();
  table(live, "customers").columns.pop_back();
  auto& orders = table(live, "orders");
  orders.indexes.erase(orders.indexes.begin());
  live.sequences.clear();
  engine::Table extra;
  extra.name = {"public", "audit_2024"};
  live.tables.push_back(extra);
  CheckOutcome out = run(
      live, spec("schema", "shop schema",
                 {{"ignore", array({str("public.audit_*"), str("public.customers.email"),
                                    str("public.orders_customer_idx"), str("public.*_seq")})}}));
  EXPECT_EQ(out.outcome, Outcome::passed) << (out.findings.empty() ? "" : out.findings[0].message);
  EXPECT_TRUE(out.findings.empty());
  EXPECT_EQ(out.objects.size(), 2u);
}

}  // namespace
}  // namespace dp::checks
