#include "checks/foreign_keys_check.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/fixtures/fake_engine.hpp"
#include "tests/unit/checks/spec_helpers.hpp"
#include "verifier/engine/catalog.hpp"

namespace dp::checks {
namespace {

using namespace spec_helpers;
using engine::Row;
using fake::FakeEngine;

// customers <- orders (customer_id) <- order_notes (order_id, shop_id), the
// last without a primary key and with a two-column key.
engine::Schema shop() {
  engine::Schema s;
  engine::Table customers;
  customers.name = {"public", "customers"};
  customers.columns = {{"id", "integer", false, std::nullopt}};
  customers.primary_key = {"id"};
  engine::Table orders;
  orders.name = {"public", "orders"};
  orders.columns = {{"id", "integer", false, std::nullopt},
                    {"shop_id", "integer", false, std::nullopt},
                    {"customer_id", "integer", true, std::nullopt}};
  orders.primary_key = {"id"};
  orders.constraints = {{"orders_customer_id_fkey",
                         "foreign_key",
                         {"customer_id"},
                         "FOREIGN KEY (customer_id) REFERENCES customers(id)",
                         {"public", "customers"},
                         {"id"}}};
  engine::Table notes;
  notes.name = {"public", "order_notes"};
  notes.columns = {{"order_id", "integer", true, std::nullopt},
                   {"shop_id", "integer", true, std::nullopt}};
  notes.constraints = {{"order_notes_fkey",
                        "foreign_key",
                        {"order_id", "shop_id"},
                        "FOREIGN KEY (order_id, shop_id) REFERENCES orders(id, shop_id)",
                        {"public", "orders"},
                        {"id", "shop_id"}}};
  s.tables = {customers, notes, orders};
  return s;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : "\x1f") + n;
  return out;
}

// The rows each PostgreSQL catalog query answers (tables, columns,
// constraints, indexes, views, sequences), as in schema_check_test.cpp.
std::vector<std::vector<Row>> catalog_rows(const engine::Schema& schema) {
  std::vector<std::vector<Row>> out(6);
  int oid = 16384;
  for (const auto& t : schema.tables) {
    std::string id = std::to_string(oid++);
    out[0].push_back({id, t.name.schema, t.name.name});
    for (const auto& c : t.columns)
      out[1].push_back({id, c.name, c.type, c.nullable ? "f" : "t", c.default_expr});
    if (!t.primary_key.empty())
      out[2].push_back({id, t.name.name + "_pkey", "p", "PRIMARY KEY", joined(t.primary_key),
                        std::nullopt, std::nullopt, std::nullopt});
    for (const auto& c : t.constraints)
      out[2].push_back({id, c.name, "f", c.definition, joined(c.columns), c.ref_table.schema,
                        c.ref_table.name, joined(c.ref_columns)});
  }
  return out;
}

// Learns each catalog statement from the one read_schema asked unscripted.
void script_catalog(FakeEngine& db, const engine::Schema& schema) {
  for (auto& rows : catalog_rows(schema)) {
    db.clear_queries();
    (void)engine::read_schema(db);
    ASSERT_FALSE(db.queries().empty());
    db.on(db.queries().back(), std::vector<std::string>(8, "c"), rows);
  }
  db.clear_queries();
  ASSERT_TRUE(engine::read_schema(db).has_value());
  db.clear_queries();
}

const std::string k_orders_where =
    "FROM \"public\".\"orders\" c WHERE c.\"customer_id\" IS NOT NULL AND NOT EXISTS (SELECT 1 "
    "FROM \"public\".\"customers\" p WHERE p.\"id\" = c.\"customer_id\")";
const std::string k_orders_count = "SELECT count(*) " + k_orders_where;
const std::string k_orders_keys =
    "SELECT c.\"id\" " + k_orders_where + " ORDER BY c.\"id\" LIMIT 5";
const std::string k_notes_where =
    "FROM \"public\".\"order_notes\" c WHERE c.\"order_id\" IS NOT NULL AND c.\"shop_id\" IS NOT "
    "NULL AND NOT EXISTS (SELECT 1 FROM \"public\".\"orders\" p WHERE p.\"id\" = c.\"order_id\" "
    "AND p.\"shop_id\" = c.\"shop_id\")";
const std::string k_notes_count = "SELECT count(*) " + k_notes_where;
const std::string k_notes_keys = "SELECT c.\"order_id\", c.\"shop_id\" " + k_notes_where +
                                 " ORDER BY c.\"order_id\", c.\"shop_id\" LIMIT 5";

class ForeignKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    script_catalog(db, shop());
    db.on_value(k_orders_count, "0", "count");
    db.on_value(k_notes_count, "0", "count");
  }
  CheckOutcome run(const CheckSpec& s = spec("foreign_keys", "shop fks", {})) {
    return ForeignKeysCheck(s).run(CheckContext{db, "shop"});
  }
  FakeEngine db;
};

TEST(ForeignKeysKind, ValidatesMaxKeys) {
  auto info = ForeignKeysCheck::kind_info();
  EXPECT_EQ(info.type, "foreign_keys");
  EXPECT_FALSE(info.needs_snapshot);
  EXPECT_TRUE(info.validate(spec("foreign_keys", "f", {})).empty());
  EXPECT_TRUE(info.validate(spec("foreign_keys", "f", {{"max_keys", integer(0)}})).empty());
  auto problems = info.validate(spec("foreign_keys", "f", {{"max_keys", integer(-1)}}));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].key, "max_keys");
  EXPECT_EQ(problems[0].message, "'max_keys' must be 0..1000, got -1");
}

TEST_F(ForeignKeysTest, NoOrphansPass) {
  CheckOutcome out = run();
  EXPECT_EQ(out.outcome, Outcome::passed);
  EXPECT_EQ(out.message, "");
  EXPECT_TRUE(out.findings.empty());
  ASSERT_EQ(out.objects.size(), 2u);
  EXPECT_EQ(out.objects[0].object, "public.order_notes.(order_id, shop_id) -> public.orders");
  EXPECT_EQ(out.objects[1].object, "public.orders.customer_id -> public.customers");
  EXPECT_EQ(out.expected, "no orphaned rows in 2 foreign keys");
  EXPECT_EQ(out.observed, "0 of 2 foreign keys with orphaned rows");
  // One count per foreign key after the catalog; no key lookups.
  EXPECT_EQ(db.queries().back(), k_orders_count);
}

TEST_F(ForeignKeysTest, OrphansAreNamedByThePrimaryKey) {
  db.on_value(k_orders_count, "7", "count");
  db.on(k_orders_keys, {"id"}, {{"3"}, {"9"}, {"12"}, {"40"}, {"41"}});
  CheckOutcome out = run();
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.objects[0].outcome, Outcome::passed);
  EXPECT_EQ(out.objects[1].outcome, Outcome::failed);
  ASSERT_EQ(out.findings.size(), 1u);
  EXPECT_EQ(out.findings[0].target, "public.orders.customer_id -> public.customers");
  EXPECT_EQ(out.findings[0].message,
            "7 orphaned rows; first keys: id=3, id=9, id=12, id=40, id=41, ...");
  EXPECT_EQ(out.findings[0].evidence, k_orders_count);
  EXPECT_EQ(out.message,
            "public.orders.customer_id -> public.customers: 7 orphaned rows; first keys: id=3, "
            "id=9, id=12, id=40, id=41, ...");
  EXPECT_EQ(out.observed, "1 of 2 foreign keys with orphaned rows");
}

TEST_F(ForeignKeysTest, WithoutAPrimaryKeyTheForeignKeyColumnsNameTheOrphans) {
  db.on_value(k_notes_count, "1", "count");
  db.on(k_notes_keys, {"order_id", "shop_id"}, {{"5", "2"}});
  CheckOutcome out = run();
  ASSERT_EQ(out.findings.size(), 1u);
  EXPECT_EQ(out.findings[0].message, "1 orphaned row; first keys: (order_id=5, shop_id=2)");
}

TEST_F(ForeignKeysTest, MaxKeysLimitsTheKeysShown) {
  db.on_value(k_orders_count, "3", "count");
  std::string keys = "SELECT c.\"id\" " + k_orders_where + " ORDER BY c.\"id\" LIMIT 2";
  db.on(keys, {"id"}, {{"3"}, {"9"}});
  CheckOutcome out = run(spec("foreign_keys", "shop fks", {{"max_keys", integer(2)}}));
  EXPECT_EQ(out.findings[0].message, "3 orphaned rows; first keys: id=3, id=9, ...");
  out = run(spec("foreign_keys", "shop fks", {{"max_keys", integer(0)}}));
  EXPECT_EQ(out.findings[0].message, "3 orphaned rows");
}

TEST_F(ForeignKeysTest, QueryErrorIsAnErrorForThatKeyOnly) {
  db.on_timeout(k_notes_count);
  db.on_value(k_orders_count, "1", "count");
  db.on(k_orders_keys, {"id"}, {{"3"}});
  CheckOutcome out = run();
  EXPECT_EQ(out.objects[0].outcome, Outcome::error);
  EXPECT_EQ(out.objects[0].message,
            "public.order_notes.(order_id, shop_id) -> public.orders: canceling statement due to "
            "statement timeout");
  EXPECT_EQ(out.objects[1].outcome, Outcome::failed);
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "1 of 2 foreign keys have orphaned rows, 1 could not be checked");
}

TEST_F(ForeignKeysTest, CatalogErrorIsAnError) {
  db.drop_connection();
  CheckOutcome out = run();
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message,
            "foreign_keys: catalog: tables: server closed the connection unexpectedly");
}

}  // namespace
}  // namespace dp::checks
