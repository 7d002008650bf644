#include "checks/row_counts_check.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "checks/snapshot.hpp"
#include "tests/fixtures/fake_engine.hpp"
#include "tests/unit/checks/spec_helpers.hpp"

namespace dp::checks {
namespace {

using namespace spec_helpers;
using fake::FakeEngine;

const std::string k_orders_sql = "SELECT count(*) FROM \"public\".\"orders\"";
const std::string k_customers_sql = "SELECT count(*) FROM \"public\".\"customers\"";

TableSnapshot table(std::string name, std::uint64_t rows) {
  TableSnapshot t;
  t.schema.name = {"public", std::move(name)};
  t.row_count = rows;
  return t;
}

class RowCountsTest : public ::testing::Test {
 protected:
  RowCountsTest() {
    snap.tables = {table("customers", 59), table("orders", 1210)};
    db.set_tables({{"public", "customers"}, {"public", "orders"}});
    db.on_value(k_customers_sql, "59", "count");
  }
  CheckOutcome run(const CheckSpec& s = spec("row_counts", "shop rows", {})) {
    CheckContext ctx{db, "shop"};
    ctx.snapshot = &snap;
    return RowCountsCheck(s).run(ctx);
  }
  static CheckSpec with_tolerance(ParamValue v) {
    return spec("row_counts", "shop rows", {{"tolerance", std::move(v)}});
  }

  FakeEngine db;
  Snapshot snap;
};

std::vector<std::string> problems_of(ParamValue v) {
  std::vector<std::string> out;
  for (const auto& p :
       RowCountsCheck::kind_info().validate(spec("row_counts", "r", {{"tolerance", std::move(v)}})))
    out.push_back(p.key + ": " + p.message);
  return out;
}

TEST(RowCountsKind, NeedsASnapshotAndValidatesTolerance) {
  auto info = RowCountsCheck::kind_info();
  EXPECT_EQ(info.type, "row_counts");
  EXPECT_TRUE(info.needs_snapshot);
  EXPECT_TRUE(info.validate(spec("row_counts", "r", {})).empty());
  EXPECT_TRUE(problems_of(integer(0)).empty());
  EXPECT_TRUE(problems_of(integer(10)).empty());
  EXPECT_TRUE(problems_of(str("0.5%")).empty());
  EXPECT_TRUE(problems_of(str("3")).empty());
  const std::string bad =
      "tolerance: 'tolerance' must be a number of rows (0 or more) or a percentage such as "
      "\"0.5%\"";
  for (auto v :
       {integer(-1), str("-1%"), str("x%"), str("%"), str("lots"), real(0.5), boolean(true)})
    EXPECT_EQ(problems_of(v), std::vector<std::string>{bad});
}

TEST_F(RowCountsTest, MatchingCountsPass) {
  db.on_value(k_orders_sql, "1210", "count");
  CheckOutcome out = run();
  EXPECT_EQ(out.outcome, Outcome::passed);
  EXPECT_EQ(out.message, "");
  EXPECT_TRUE(out.findings.empty());
  ASSERT_EQ(out.objects.size(), 2u);
  EXPECT_EQ(out.objects[0].object, "public.customers");
  EXPECT_EQ(out.objects[1].object, "public.orders");
  EXPECT_EQ(out.expected, "row counts of 2 tables as in the snapshot (tolerance 0)");
  EXPECT_EQ(out.observed, "2 of 2 tables match");
  EXPECT_EQ(db.queries(), (std::vector<std::string>{FakeEngine::k_list_tables_sql, k_customers_sql,
                                                    k_orders_sql}));
}

TEST_F(RowCountsTest, LostRowsFail) {
  db.on_value(k_orders_sql, "1200", "count");
  CheckOutcome out = run();
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.objects[0].outcome, Outcome::passed);
  EXPECT_EQ(out.objects[1].outcome, Outcome::failed);
  EXPECT_EQ(out.message, "public.orders: 1200 rows, snapshot has 1210 (tolerance 0)");
  ASSERT_EQ(out.findings.size(), 1u);
  EXPECT_EQ(out.findings[0].target, "public.orders");
  EXPECT_EQ(out.findings[0].check_id, "shop rows");
  EXPECT_EQ(out.findings[0].message, "1200 rows, snapshot has 1210 (tolerance 0)");
  EXPECT_EQ(out.findings[0].evidence, k_orders_sql + " = 1200");
  EXPECT_EQ(out.observed, "1 of 2 tables match");
}

TEST_F(RowCountsTest, ExtraRowsFailToo) {
  db.on_value(k_orders_sql, "1211", "count");
  EXPECT_EQ(run().message, "public.orders: 1211 rows, snapshot has 1210 (tolerance 0)");
}

TEST_F(RowCountsTest, AbsoluteTolerance) {
  db.on_value(k_orders_sql, "1200", "count");
  EXPECT_EQ(run(with_tolerance(integer(10))).outcome, Outcome::passed);
  CheckOutcome out = run(with_tolerance(integer(9)));
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.findings[0].message, "1200 rows, snapshot has 1210 (tolerance 9)");
}

TEST_F(RowCountsTest, PercentTolerance) {
  db.on_value(k_orders_sql, "1204", "count");  // 6 of 1210 = 0.496%
  EXPECT_EQ(run(with_tolerance(str("0.5%"))).outcome, Outcome::passed);
  db.on_value(k_orders_sql, "1203", "count");  // 7 of 1210 = 0.579%
  CheckOutcome out = run(with_tolerance(str("0.5%")));
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.findings[0].message, "1203 rows, snapshot has 1210 (tolerance 0.5%)");
}

TEST_F(RowCountsTest, MissingTableFails) {
  db.set_tables({{"public", "customers"}});
  CheckOutcome out = run();
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.objects[1].outcome, Outcome::failed);
  EXPECT_EQ(out.message, "public.orders: missing table");
  ASSERT_EQ(out.findings.size(), 1u);
  EXPECT_EQ(out.findings[0].message, "missing table");
  // The missing table is not queried.
  EXPECT_EQ(db.queries(),
            (std::vector<std::string>{FakeEngine::k_list_tables_sql, k_customers_sql}));
}

TEST_F(RowCountsTest, QueryErrorIsAnErrorForThatTableOnly) {
  db.on_timeout(k_orders_sql);
  db.on_value(k_customers_sql, "58", "count");
  CheckOutcome out = run();
  EXPECT_EQ(out.objects[0].outcome, Outcome::failed);
  EXPECT_EQ(out.objects[1].outcome, Outcome::error);
  EXPECT_EQ(out.objects[1].message, "public.orders: canceling statement due to statement timeout");
  EXPECT_EQ(out.outcome, Outcome::failed);  // failed beats error
  EXPECT_EQ(out.message, "1 of 2 tables differ, 1 could not be counted");
}

TEST_F(RowCountsTest, OnlyErrorsMakeAnError) {
  db.on_engine_error(k_orders_sql, "permission denied for table orders");
  CheckOutcome out = run();
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message, "public.orders: permission denied for table orders");
}

TEST_F(RowCountsTest, ListTablesErrorIsAnError) {
  db.drop_connection();
  CheckOutcome out = run();
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message, "row_counts: listing tables: server closed the connection unexpectedly");
}

TEST_F(RowCountsTest, NoSnapshotIsAnError) {
  CheckContext ctx{db, "shop"};
  CheckOutcome out = RowCountsCheck(spec("row_counts", "r", {})).run(ctx);
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message, "row_counts: the backup names no snapshot to compare with");
}

}  // namespace
}  // namespace dp::checks
