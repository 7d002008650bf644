#include "checks/row_count_check.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/fixtures/fake_engine.hpp"
#include "tests/unit/checks/spec_helpers.hpp"

namespace dp::checks {
namespace {

using namespace spec_helpers;
using fake::FakeEngine;

const std::string k_orders_sql = "SELECT count(*) FROM \"public\".\"orders\"";

std::vector<std::pair<std::string, std::string>> problems_of(const CheckSpec& s) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : RowCountCheck::kind_info().validate(s)) out.emplace_back(p.key, p.message);
  return out;
}

class RowCountTest : public ::testing::Test {
 protected:
  CheckOutcome run(const Check& check) { return check.run(CheckContext{db, "shop"}); }
  // The orders table answers count(*) with `count`.
  void orders_count(engine::Value count) { db.on_value(k_orders_sql, std::move(count), "count"); }

  FakeEngine db;
};

RowCountCheck expect(std::int64_t n) {
  return RowCountCheck("orders rows", "public.orders", n, std::nullopt, std::nullopt);
}
RowCountCheck range(std::optional<std::int64_t> min, std::optional<std::int64_t> max) {
  return RowCountCheck("orders rows", "public.orders", std::nullopt, min, max);
}

// --- clean cases: the check must pass ----------------------------------

TEST_F(RowCountTest, PassesWhenCountEqualsExpect) {
  orders_count("100");
  CheckOutcome out = run(expect(100));
  EXPECT_EQ(out.outcome, Outcome::passed);
  EXPECT_EQ(out.expected, "= 100");
  EXPECT_EQ(out.observed, "100");
  EXPECT_EQ(out.message, "");
  EXPECT_TRUE(out.findings.empty());
  EXPECT_EQ(db.queries(), std::vector<std::string>{k_orders_sql});
}

TEST_F(RowCountTest, PassesAnEmptyTableExpectedEmpty) {
  orders_count("0");
  CheckOutcome out = run(expect(0));
  EXPECT_EQ(out.outcome, Outcome::passed);
  EXPECT_EQ(out.expected, "= 0");
  EXPECT_EQ(out.observed, "0");
}

TEST_F(RowCountTest, PassesAtOrAboveMin) {
  for (const char* count : {"1", "2", "5000000000"}) {
    orders_count(count);
    CheckOutcome out = run(range(1, std::nullopt));
    EXPECT_EQ(out.outcome, Outcome::passed) << count;
    EXPECT_EQ(out.expected, ">= 1");
    EXPECT_EQ(out.observed, count);
    EXPECT_TRUE(out.findings.empty());
  }
}

TEST_F(RowCountTest, PassesAtOrBelowMax) {
  for (const char* count : {"0", "9", "10"}) {
    orders_count(count);
    CheckOutcome out = run(range(std::nullopt, 10));
    EXPECT_EQ(out.outcome, Outcome::passed) << count;
    EXPECT_EQ(out.expected, "<= 10");
    EXPECT_EQ(out.observed, count);
  }
}

TEST_F(RowCountTest, PassesWithinMinAndMaxInclusive) {
  for (const char* count : {"10", "15", "20"}) {
    orders_count(count);
    CheckOutcome out = run(range(10, 20));
    EXPECT_EQ(out.outcome, Outcome::passed) << count;
    EXPECT_EQ(out.expected, "10..20");
    EXPECT_EQ(out.observed, count);
  }
}

// --- damaged cases: the check must catch them ---------------------------

TEST_F(RowCountTest, CatchesDroppedRows) {
  orders_count("99");
  CheckOutcome out = run(expect(100));
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "public.orders: 99 rows, expected = 100");
  EXPECT_EQ(out.expected, "= 100");
  EXPECT_EQ(out.observed, "99");
  ASSERT_EQ(out.findings.size(), 1u);
  const Finding& f = out.findings[0];
  EXPECT_EQ(f.check_id, "orders rows");
  EXPECT_EQ(f.target, "public.orders");
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_EQ(f.message, "99 rows, expected = 100");
  EXPECT_EQ(f.evidence, "SELECT count(*) = 99");
}

TEST_F(RowCountTest, CatchesExtraRows) {
  orders_count("101");
  CheckOutcome out = run(expect(100));
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "public.orders: 101 rows, expected = 100");
  ASSERT_EQ(out.findings.size(), 1u);
}

TEST_F(RowCountTest, CatchesAnEmptiedTableBelowMin) {
  orders_count("0");
  CheckOutcome out = run(range(1, std::nullopt));
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "public.orders: 0 rows, expected >= 1");
  EXPECT_EQ(out.observed, "0");
  ASSERT_EQ(out.findings.size(), 1u);
  EXPECT_EQ(out.findings[0].evidence, "SELECT count(*) = 0");
}

TEST_F(RowCountTest, CatchesCountAboveMax) {
  orders_count("11");
  CheckOutcome out = run(range(std::nullopt, 10));
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "public.orders: 11 rows, expected <= 10");
}

TEST_F(RowCountTest, CatchesCountOutsideRange) {
  orders_count("9");
  EXPECT_EQ(run(range(10, 20)).message, "public.orders: 9 rows, expected 10..20");
  orders_count("21");
  CheckOutcome out = run(range(10, 20));
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "public.orders: 21 rows, expected 10..20");
  EXPECT_EQ(out.observed, "21");
}

// --- could not evaluate: error, never passed or failed ------------------

TEST_F(RowCountTest, QueryErrorIsAnError) {
  db.on_engine_error(k_orders_sql, "ERROR:  relation \"public.orders\" does not exist");
  CheckOutcome out = run(expect(100));
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message, "public.orders: ERROR:  relation \"public.orders\" does not exist");
  EXPECT_EQ(out.expected, "= 100");
  EXPECT_EQ(out.observed, "");
  EXPECT_TRUE(out.findings.empty());
}

TEST_F(RowCountTest, TimeoutIsAnError) {
  db.on_timeout(k_orders_sql);
  CheckOutcome out = run(expect(100));
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message, "public.orders: canceling statement due to statement timeout");
  EXPECT_TRUE(out.findings.empty());
}

TEST_F(RowCountTest, DroppedConnectionIsAnError) {
  orders_count("100");
  db.drop_connection();
  CheckOutcome out = run(expect(100));
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message, "public.orders: server closed the connection unexpectedly");
  EXPECT_TRUE(out.findings.empty());
  EXPECT_EQ(db.queries(), std::vector<std::string>{k_orders_sql});
}

TEST_F(RowCountTest, ConnectionDroppingBetweenChecksErrorsOnlyTheLaterOne) {
  orders_count("100");
  db.on_value("SELECT count(*) FROM \"public\".\"users\"", "7", "count");
  db.drop_connection_after(1);
  RowCountCheck users("users rows", "public.users", 7, std::nullopt, std::nullopt);
  EXPECT_EQ(run(expect(100)).outcome, Outcome::passed);
  CheckOutcome out = run(users);
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message, "public.users: server closed the connection unexpectedly");
}

TEST_F(RowCountTest, NonNumericCountIsAnError) {
  orders_count("abc");
  CheckOutcome out = run(expect(100));
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message, "public.orders: count(*) returned 'abc'");
  EXPECT_EQ(out.observed, "");
  EXPECT_TRUE(out.findings.empty());
}

TEST_F(RowCountTest, CountWithTrailingGarbageIsAnError) {
  for (const char* text : {"100abc", "100 ", "1.5", "", "-"}) {
    orders_count(text);
    CheckOutcome out = run(expect(100));
    EXPECT_EQ(out.outcome, Outcome::error) << '"' << text << '"';
    EXPECT_EQ(out.message, std::string("public.orders: count(*) returned '") + text + "'");
  }
}

TEST_F(RowCountTest, NullOrMissingCountIsAnError) {
  orders_count(std::nullopt);
  CheckOutcome out = run(expect(100));
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message, "public.orders: count(*) returned no value");

  db.on(k_orders_sql, {"count"}, {});
  EXPECT_EQ(run(expect(100)).message, "public.orders: count(*) returned no value");

  db.on(k_orders_sql, {"count", "extra"}, {engine::Row{"100", "1"}});
  EXPECT_EQ(run(expect(100)).outcome, Outcome::error);

  db.on(k_orders_sql, {"count"}, {engine::Row{"100"}, engine::Row{"100"}});
  EXPECT_EQ(run(expect(100)).outcome, Outcome::error);
}

// --- the SQL it sends ---------------------------------------------------

TEST_F(RowCountTest, SendsTheQuotedQualifiedName) {
  orders_count("100");
  (void)run(expect(100));
  ASSERT_EQ(db.queries().size(), 1u);
  EXPECT_EQ(db.queries()[0], "SELECT count(*) FROM \"public\".\"orders\"");
}

TEST_F(RowCountTest, QuotesAnUnqualifiedNameAsOnePart) {
  db.on_value("SELECT count(*) FROM \"orders\"", "3");
  RowCountCheck check("c", "orders", 3, std::nullopt, std::nullopt);
  EXPECT_EQ(run(check).outcome, Outcome::passed);
  EXPECT_EQ(db.queries(), std::vector<std::string>{"SELECT count(*) FROM \"orders\""});
}

TEST_F(RowCountTest, DoublesQuotesInsideIdentifiers) {
  db.on_value("SELECT count(*) FROM \"public\".\"we\"\"ird\"", "1");
  RowCountCheck check("c", "public.we\"ird", 1, std::nullopt, std::nullopt);
  CheckOutcome out = run(check);
  EXPECT_EQ(out.outcome, Outcome::passed) << out.message;
  EXPECT_EQ(db.queries().at(0), "SELECT count(*) FROM \"public\".\"we\"\"ird\"");
}

TEST(RowCountSqlite, UsesTheSameQuotingOnSqlite) {
  FakeEngine db(EngineKind::sqlite);
  ASSERT_EQ(db.kind(), EngineKind::sqlite);
  db.on_value("SELECT count(*) FROM \"main\".\"users\"", "100");
  RowCountCheck check("users rows", "main.users", 99, std::nullopt, std::nullopt);
  CheckOutcome out = check.run(CheckContext{db, "users"});
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "main.users: 100 rows, expected = 99");
  EXPECT_EQ(db.queries(), std::vector<std::string>{"SELECT count(*) FROM \"main\".\"users\""});
}

// --- make() from a spec -------------------------------------------------

TEST_F(RowCountTest, MakeReadsTheSpec) {
  auto check = RowCountCheck::make(spec(
      "row_count", "orders rows", {{"table", str("public.orders")}, {"expect", integer(100)}}));
  ASSERT_NE(check, nullptr);
  EXPECT_EQ(check->id(), "row_count");
  EXPECT_EQ(check->describe(), "orders rows");
  orders_count("99");
  CheckOutcome out = run(*check);
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "public.orders: 99 rows, expected = 100");
  EXPECT_EQ(out.findings.at(0).check_id, "orders rows");
}

TEST_F(RowCountTest, MakeReadsMinAndMax) {
  auto check = RowCountCheck::make(
      spec("row_count", "r",
           {{"table", str("public.orders")}, {"min", integer(5)}, {"max", integer(6)}}));
  auto* rc = dynamic_cast<RowCountCheck*>(check.get());
  ASSERT_NE(rc, nullptr);
  EXPECT_EQ(rc->expectation(), "5..6");
  orders_count("6");
  EXPECT_EQ(run(*check).outcome, Outcome::passed);
  orders_count("7");
  EXPECT_EQ(run(*check).message, "public.orders: 7 rows, expected 5..6");
}

// --- the kind's rules ---------------------------------------------------

TEST(RowCountKind, Info) {
  CheckKindInfo info = RowCountCheck::kind_info();
  EXPECT_EQ(info.type, "row_count");
  EXPECT_FALSE(info.summary.empty());
  ASSERT_EQ(info.params.size(), 4u);
  EXPECT_EQ(info.params[0].key, "table");
  EXPECT_EQ(info.params[0].type, ParamType::string);
  EXPECT_TRUE(info.params[0].required);
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(info.params[i].type, ParamType::integer) << info.params[i].key;
    EXPECT_FALSE(info.params[i].required) << info.params[i].key;
  }
  EXPECT_EQ(info.params[1].key, "expect");
  EXPECT_EQ(info.params[2].key, "min");
  EXPECT_EQ(info.params[3].key, "max");
}

using Problems = std::vector<std::pair<std::string, std::string>>;

TEST(RowCountKind, ValidAccepted) {
  EXPECT_EQ(problems_of(spec("row_count", "", {{"table", str("t")}, {"expect", integer(0)}})),
            Problems{});
  EXPECT_EQ(problems_of(spec("row_count", "", {{"table", str("t")}, {"min", integer(1)}})),
            Problems{});
  EXPECT_EQ(problems_of(spec("row_count", "", {{"table", str("t")}, {"max", integer(1)}})),
            Problems{});
  EXPECT_EQ(problems_of(spec("row_count", "",
                             {{"table", str("t")}, {"min", integer(3)}, {"max", integer(3)}})),
            Problems{});
}

TEST(RowCountKind, NeedsExpectMinOrMax) {
  EXPECT_EQ(problems_of(spec("row_count", "", {{"table", str("t")}})),
            (Problems{{"", "row_count needs 'expect', 'min' or 'max'"}}));
}

TEST(RowCountKind, ExpectExcludesMinAndMax) {
  EXPECT_EQ(problems_of(spec("row_count", "",
                             {{"table", str("t")}, {"expect", integer(5)}, {"min", integer(1)}})),
            (Problems{{"expect", "give either 'expect' or 'min'/'max', not both"}}));
  EXPECT_EQ(problems_of(spec("row_count", "",
                             {{"table", str("t")}, {"expect", integer(5)}, {"max", integer(9)}})),
            (Problems{{"expect", "give either 'expect' or 'min'/'max', not both"}}));
}

TEST(RowCountKind, MinAboveMax) {
  EXPECT_EQ(problems_of(spec("row_count", "",
                             {{"table", str("t")}, {"min", integer(10)}, {"max", integer(5)}})),
            (Problems{{"max", "'max' (5) is below 'min' (10)"}}));
}

TEST(RowCountKind, Negative) {
  EXPECT_EQ(problems_of(spec("row_count", "", {{"table", str("t")}, {"expect", integer(-1)}})),
            (Problems{{"expect", "'expect' must not be negative"}}));
  EXPECT_EQ(
      problems_of(
          spec("row_count", "", {{"table", str("t")}, {"min", integer(-2)}, {"max", integer(-1)}})),
      (Problems{{"min", "'min' must not be negative"}, {"max", "'max' must not be negative"}}));
}

TEST(RowCountKind, ReportsEveryProblemAtOnce) {
  EXPECT_EQ(problems_of(spec("row_count", "",
                             {{"table", str("t")},
                              {"expect", integer(-1)},
                              {"min", integer(9)},
                              {"max", integer(2)}})),
            (Problems{{"expect", "give either 'expect' or 'min'/'max', not both"},
                      {"max", "'max' (2) is below 'min' (9)"},
                      {"expect", "'expect' must not be negative"}}));
}

TEST(RowCountKind, DefaultName) {
  CheckKindInfo info = RowCountCheck::kind_info();
  EXPECT_EQ(info.default_name(
                spec("row_count", "", {{"table", str("public.orders")}, {"expect", integer(1)}})),
            "row_count public.orders");
  EXPECT_EQ(info.default_name(spec("row_count", "", {{"expect", integer(1)}})), "row_count ?");
  EXPECT_EQ(info.default_name(spec("row_count", "", {{"table", integer(3)}})), "row_count ?");
}

}  // namespace
}  // namespace dp::checks
