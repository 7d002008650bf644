#include "checks/query_check.hpp"

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

const std::string k_status_sql = "SELECT status FROM orders WHERE id = 1";
const std::string k_users_sql = "SELECT id, name FROM users ORDER BY id";

QueryCheck expect_check(std::string sql, ParamValue want) {
  return QueryCheck("q", std::move(sql), std::move(want), std::nullopt);
}
QueryCheck rows_check(std::string sql, ParamValue rows) {
  return QueryCheck("users list", std::move(sql), std::nullopt, std::move(rows));
}

// The two users the clean database holds.
ParamValue two_users() {
  return array({array({integer(1), str("alice")}), array({integer(2), str("bob")})});
}

class QueryCheckTest : public ::testing::Test {
 protected:
  CheckOutcome run(const Check& check) { return check.run(CheckContext{db, "shop"}); }
  void users(std::vector<engine::Row> rows) { db.on(k_users_sql, {"id", "name"}, std::move(rows)); }

  FakeEngine db;
};

// --- value_matches: the comparison rules -------------------------------

TEST(QueryValueMatches, StringsCompareAsText) {
  EXPECT_TRUE(QueryCheck::value_matches(str("shipped"), "shipped"));
  EXPECT_FALSE(QueryCheck::value_matches(str("shipped"), "Shipped"));
  EXPECT_FALSE(QueryCheck::value_matches(str("shipped"), "shipped "));
  EXPECT_TRUE(QueryCheck::value_matches(str("0"), "0"));
  EXPECT_TRUE(QueryCheck::value_matches(str(""), ""));
  // A plan string is text: "1.5" does not equal the database's "1.50".
  EXPECT_FALSE(QueryCheck::value_matches(str("1.5"), "1.50"));
  EXPECT_FALSE(QueryCheck::value_matches(str("x"), std::nullopt));
}

TEST(QueryValueMatches, IntegersCompareNumerically) {
  EXPECT_TRUE(QueryCheck::value_matches(integer(0), "0"));
  EXPECT_TRUE(QueryCheck::value_matches(integer(275), "275"));
  EXPECT_TRUE(QueryCheck::value_matches(integer(2), "2.00"));
  EXPECT_TRUE(QueryCheck::value_matches(integer(-7), "-7"));
  EXPECT_FALSE(QueryCheck::value_matches(integer(0), "1"));
  EXPECT_FALSE(QueryCheck::value_matches(integer(0), ""));
  EXPECT_FALSE(QueryCheck::value_matches(integer(0), "zero"));
  EXPECT_FALSE(QueryCheck::value_matches(integer(1), "1abc"));
  EXPECT_FALSE(QueryCheck::value_matches(integer(0), std::nullopt));
}

TEST(QueryValueMatches, DecimalsCompareNumerically) {
  EXPECT_TRUE(QueryCheck::value_matches(real(1.5), "1.50"));
  EXPECT_TRUE(QueryCheck::value_matches(real(1.5), "1.5"));
  EXPECT_TRUE(QueryCheck::value_matches(real(1.5), "1.5000000000"));
  EXPECT_TRUE(QueryCheck::value_matches(real(0.1), "0.1"));
  EXPECT_TRUE(QueryCheck::value_matches(real(1000.0), "1e3"));
  EXPECT_FALSE(QueryCheck::value_matches(real(1.5), "1.51"));
  EXPECT_FALSE(QueryCheck::value_matches(real(1.5), "1,50"));
  EXPECT_FALSE(QueryCheck::value_matches(real(1.5), std::nullopt));
}

TEST(QueryValueMatches, BooleansAcceptTheEngineSpellings) {
  for (const char* t : {"t", "true", "1", "TRUE"}) {
    EXPECT_TRUE(QueryCheck::value_matches(boolean(true), t)) << t;
    EXPECT_FALSE(QueryCheck::value_matches(boolean(false), t)) << t;
  }
  for (const char* f : {"f", "false", "0", "FALSE"}) {
    EXPECT_TRUE(QueryCheck::value_matches(boolean(false), f)) << f;
    EXPECT_FALSE(QueryCheck::value_matches(boolean(true), f)) << f;
  }
  EXPECT_FALSE(QueryCheck::value_matches(boolean(true), "yes"));
  EXPECT_FALSE(QueryCheck::value_matches(boolean(false), ""));
  EXPECT_FALSE(QueryCheck::value_matches(boolean(true), std::nullopt));
  EXPECT_FALSE(QueryCheck::value_matches(boolean(false), std::nullopt));
}

TEST(QueryValueMatches, TheStringNullMatchesSqlNull) {
  EXPECT_TRUE(QueryCheck::value_matches(str("NULL"), std::nullopt));
  // ...and only SQL NULL: the text 'NULL' or an empty string is a value.
  EXPECT_FALSE(QueryCheck::value_matches(str("NULL"), "NULL"));
  EXPECT_FALSE(QueryCheck::value_matches(str("NULL"), ""));
  EXPECT_FALSE(QueryCheck::value_matches(str("null"), std::nullopt));
}

TEST(QueryValueMatches, ArraysNeverMatchAValue) {
  EXPECT_FALSE(QueryCheck::value_matches(array({integer(1)}), "1"));
  EXPECT_FALSE(QueryCheck::value_matches(array({}), "[]"));
}

TEST(QueryValueMatches, LargeIntegersCompareExactly) {
  EXPECT_FALSE(QueryCheck::value_matches(integer(5'000'000'000), "5000000001"));
  EXPECT_FALSE(QueryCheck::value_matches(integer(1'000'000'000'000), "1000000000999"));
  EXPECT_FALSE(QueryCheck::value_matches(integer(9'007'199'254'740'993), "9007199254740992"));
  EXPECT_TRUE(QueryCheck::value_matches(integer(5'000'000'000), "5000000000"));
}

TEST(QueryValueMatches, OnlyDecimalNumbersCountAsNumbers) {
  EXPECT_FALSE(QueryCheck::value_matches(integer(16), "0x10"));
  EXPECT_FALSE(QueryCheck::value_matches(integer(16), "0x1p4"));
  EXPECT_FALSE(QueryCheck::value_matches(integer(16), " 16"));
}

// --- expect: one value --------------------------------------------------

TEST_F(QueryCheckTest, ExpectTextPasses) {
  db.on_value(k_status_sql, "shipped", "status");
  CheckOutcome out = run(expect_check(k_status_sql, str("shipped")));
  EXPECT_EQ(out.outcome, Outcome::passed) << out.message;
  EXPECT_EQ(out.expected, "shipped");
  EXPECT_EQ(out.observed, "shipped");
  EXPECT_EQ(out.message, "");
  EXPECT_TRUE(out.findings.empty());
  EXPECT_EQ(db.queries(), std::vector<std::string>{k_status_sql});
}

TEST_F(QueryCheckTest, ExpectTextCatchesADifferentValue) {
  db.on_value(k_status_sql, "pending", "status");
  CheckOutcome out = run(expect_check(k_status_sql, str("shipped")));
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "expected shipped, got pending");
  EXPECT_EQ(out.expected, "shipped");
  EXPECT_EQ(out.observed, "pending");
  ASSERT_EQ(out.findings.size(), 1u);
  EXPECT_EQ(out.findings[0].check_id, "q");
  EXPECT_EQ(out.findings[0].target, "");
  EXPECT_EQ(out.findings[0].severity, Severity::error);
  EXPECT_EQ(out.findings[0].message, "expected shipped, got pending");
  EXPECT_EQ(out.findings[0].evidence, k_status_sql);
}

TEST_F(QueryCheckTest, ExpectZeroOrphans) {
  const std::string sql =
      "SELECT count(*) FROM order_items i LEFT JOIN orders o ON o.id = i.order_id "
      "WHERE o.id IS NULL";
  db.on_value(sql, "0", "count");
  EXPECT_EQ(run(expect_check(sql, integer(0))).outcome, Outcome::passed);

  db.on_value(sql, "3", "count");  // damaged: orders lost, items kept
  CheckOutcome out = run(expect_check(sql, integer(0)));
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "expected 0, got 3");
  EXPECT_EQ(out.expected, "0");
  EXPECT_EQ(out.observed, "3");
}

TEST_F(QueryCheckTest, ExpectNumericComparesNumerically) {
  db.on_value("SELECT price FROM items WHERE id = 7", "1.50", "price");
  CheckOutcome out = run(expect_check("SELECT price FROM items WHERE id = 7", real(1.5)));
  EXPECT_EQ(out.outcome, Outcome::passed) << out.message;
  EXPECT_EQ(out.expected, "1.5");
  EXPECT_EQ(out.observed, "1.50");

  db.on_value("SELECT price FROM items WHERE id = 7", "1.49", "price");
  out = run(expect_check("SELECT price FROM items WHERE id = 7", real(1.5)));
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "expected 1.5, got 1.49");
}

TEST_F(QueryCheckTest, ExpectBooleanAcceptsPostgresAndSqliteSpellings) {
  const std::string sql = "SELECT bool_and(paid) FROM invoices";
  db.on_value(sql, "t");
  EXPECT_EQ(run(expect_check(sql, boolean(true))).outcome, Outcome::passed);
  db.on_value(sql, "1");
  EXPECT_EQ(run(expect_check(sql, boolean(true))).outcome, Outcome::passed);
  db.on_value(sql, "f");
  CheckOutcome out = run(expect_check(sql, boolean(true)));
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "expected true, got f");
  EXPECT_EQ(run(expect_check(sql, boolean(false))).outcome, Outcome::passed);
}

TEST_F(QueryCheckTest, ExpectNullMatchesSqlNull) {
  const std::string sql = "SELECT max(deleted_at) FROM users";
  db.on_value(sql, std::nullopt);
  CheckOutcome out = run(expect_check(sql, str("NULL")));
  EXPECT_EQ(out.outcome, Outcome::passed) << out.message;
  EXPECT_EQ(out.observed, "NULL");

  db.on_value(sql, "2026-01-01");
  out = run(expect_check(sql, str("NULL")));
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "expected NULL, got 2026-01-01");
}

TEST_F(QueryCheckTest, ExpectValueButGotNull) {
  db.on_value(k_status_sql, std::nullopt, "status");
  CheckOutcome out = run(expect_check(k_status_sql, str("shipped")));
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "expected shipped, got NULL");
  EXPECT_EQ(out.observed, "NULL");
}

TEST_F(QueryCheckTest, ExpectWithMoreThanOneRowFails) {
  db.on(k_status_sql, {"status"}, {engine::Row{"shipped"}, engine::Row{"shipped"}});
  CheckOutcome out = run(expect_check(k_status_sql, str("shipped")));
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "expected one row with one column, got 2 rows of 1 columns");
  EXPECT_EQ(out.observed, "[['shipped'], ['shipped']]");
  ASSERT_EQ(out.findings.size(), 1u);
  EXPECT_EQ(out.findings[0].evidence, k_status_sql);
}

TEST_F(QueryCheckTest, ExpectWithNoRowFails) {
  db.on(k_status_sql, {"status"}, {});
  CheckOutcome out = run(expect_check(k_status_sql, str("shipped")));
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "expected one row with one column, got 0 rows of 1 columns");
  EXPECT_EQ(out.observed, "[]");
}

TEST_F(QueryCheckTest, ExpectWithTwoColumnsFails) {
  db.on(k_status_sql, {"status", "id"}, {engine::Row{"shipped", "1"}});
  CheckOutcome out = run(expect_check(k_status_sql, str("shipped")));
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "expected one row with one column, got 1 rows of 2 columns");
  EXPECT_EQ(out.observed, "[['shipped', '1']]");
}

// --- expect_rows --------------------------------------------------------

TEST_F(QueryCheckTest, ExpectRowsEqualPasses) {
  users({{"1", "alice"}, {"2", "bob"}});
  CheckOutcome out = run(rows_check(k_users_sql, two_users()));
  EXPECT_EQ(out.outcome, Outcome::passed) << out.message;
  EXPECT_EQ(out.expected, "[[1, alice], [2, bob]]");
  EXPECT_EQ(out.observed, "[['1', 'alice'], ['2', 'bob']]");
  EXPECT_EQ(out.message, "");
  EXPECT_TRUE(out.findings.empty());
  EXPECT_EQ(db.queries(), std::vector<std::string>{k_users_sql});
}

TEST_F(QueryCheckTest, ExpectRowsCatchesADifferingValue) {
  users({{"1", "alice"}, {"2", "robert"}});
  CheckOutcome out = run(rows_check(k_users_sql, two_users()));
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "row 2 column 2 (name): expected bob, got 'robert'");
  EXPECT_EQ(out.observed, "[['1', 'alice'], ['2', 'robert']]");
  ASSERT_EQ(out.findings.size(), 1u);
  EXPECT_EQ(out.findings[0].check_id, "users list");
  EXPECT_EQ(out.findings[0].target, "");
  EXPECT_EQ(out.findings[0].message, "row 2 column 2 (name): expected bob, got 'robert'");
  EXPECT_EQ(out.findings[0].evidence, k_users_sql);
}

TEST_F(QueryCheckTest, ExpectRowsReportsTheFirstDifferenceOnly) {
  users({{"9", "alice"}, {"2", "robert"}});
  CheckOutcome out = run(rows_check(k_users_sql, two_users()));
  EXPECT_EQ(out.message, "row 1 column 1 (id): expected 1, got '9'");
  EXPECT_EQ(out.findings.size(), 1u);
}

TEST_F(QueryCheckTest, ExpectRowsCatchesANull) {
  users({{"1", "alice"}, {"2", std::nullopt}});
  CheckOutcome out = run(rows_check(k_users_sql, two_users()));
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "row 2 column 2 (name): expected bob, got NULL");
  EXPECT_EQ(out.observed, "[['1', 'alice'], ['2', NULL]]");
}

TEST_F(QueryCheckTest, ExpectRowsCatchesADroppedRow) {
  users({{"1", "alice"}});
  CheckOutcome out = run(rows_check(k_users_sql, two_users()));
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "expected 2 rows, got 1");
  EXPECT_EQ(out.observed, "[['1', 'alice']]");
  ASSERT_EQ(out.findings.size(), 1u);
}

TEST_F(QueryCheckTest, ExpectRowsCatchesAnExtraRow) {
  users({{"1", "alice"}, {"2", "bob"}, {"3", "carol"}});
  CheckOutcome out = run(rows_check(k_users_sql, two_users()));
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "expected 2 rows, got 3");
}

TEST_F(QueryCheckTest, ExpectRowsCatchesAWrongColumnCount) {
  db.on(k_users_sql, {"id", "name", "email"},
        {engine::Row{"1", "alice", "a@x"}, engine::Row{"2", "bob", "b@x"}});
  CheckOutcome out = run(rows_check(k_users_sql, two_users()));
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "row 1: expected 2 columns, got 3");
}

TEST_F(QueryCheckTest, ExpectRowsOfScalarsAreOneColumnRows) {
  const std::string sql = "SELECT id FROM users ORDER BY id";
  db.on(sql, {"id"}, {engine::Row{"1"}, engine::Row{"2"}});
  CheckOutcome out = run(rows_check(sql, array({integer(1), integer(2)})));
  EXPECT_EQ(out.outcome, Outcome::passed) << out.message;

  db.on(sql, {"id"}, {engine::Row{"1"}, engine::Row{"3"}});
  out = run(rows_check(sql, array({integer(1), integer(2)})));
  EXPECT_EQ(out.message, "row 2 column 1 (id): expected 2, got '3'");
}

TEST_F(QueryCheckTest, ExpectRowsMixedTypes) {
  const std::string sql = "SELECT name, active, balance, note FROM accounts ORDER BY name";
  db.on(sql, {"name", "active", "balance", "note"},
        {engine::Row{"acme", "t", "10.50", std::nullopt}});
  CheckOutcome out =
      run(rows_check(sql, array({array({str("acme"), boolean(true), real(10.5), str("NULL")})})));
  EXPECT_EQ(out.outcome, Outcome::passed) << out.message;
}

TEST_F(QueryCheckTest, ExpectNoRows) {
  const std::string sql = "SELECT id FROM users WHERE email IS NULL";
  db.on(sql, {"id"}, {});
  EXPECT_EQ(run(rows_check(sql, array({}))).outcome, Outcome::passed);
  db.on(sql, {"id"}, {engine::Row{"4"}});
  CheckOutcome out = run(rows_check(sql, array({})));
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "expected 0 rows, got 1");
}

// --- could not evaluate -------------------------------------------------

TEST_F(QueryCheckTest, QueryErrorIsAnError) {
  db.on_engine_error(k_users_sql, "ERROR:  relation \"users\" does not exist");
  CheckOutcome out = run(rows_check(k_users_sql, two_users()));
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message, "query failed: ERROR:  relation \"users\" does not exist");
  EXPECT_EQ(out.expected, "[[1, alice], [2, bob]]");
  EXPECT_EQ(out.observed, "");
  EXPECT_TRUE(out.findings.empty());
}

TEST_F(QueryCheckTest, TimeoutIsAnError) {
  db.on_timeout(k_status_sql);
  CheckOutcome out = run(expect_check(k_status_sql, str("shipped")));
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message, "query failed: canceling statement due to statement timeout");
  EXPECT_TRUE(out.findings.empty());
}

TEST_F(QueryCheckTest, DroppedConnectionIsAnError) {
  users({{"1", "alice"}, {"2", "bob"}});
  db.drop_connection();
  CheckOutcome out = run(rows_check(k_users_sql, two_users()));
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message, "query failed: server closed the connection unexpectedly");
  EXPECT_TRUE(out.findings.empty());
}

TEST_F(QueryCheckTest, SendsTheSqlVerbatim) {
  const std::string sql = "SELECT 1\n  -- trailing comment\n";
  db.on_value(sql, "1");
  EXPECT_EQ(run(expect_check(sql, integer(1))).outcome, Outcome::passed);
  EXPECT_EQ(db.queries(), std::vector<std::string>{sql});
}

// --- make() and the kind's rules ----------------------------------------

TEST_F(QueryCheckTest, MakeReadsTheSpec) {
  auto check = QueryCheck::make(
      spec("query", "no orphans", {{"sql", str("SELECT 0")}, {"expect", integer(0)}}));
  ASSERT_NE(check, nullptr);
  EXPECT_EQ(check->id(), "query");
  EXPECT_EQ(check->describe(), "no orphans");
  db.on_value("SELECT 0", "0");
  EXPECT_EQ(run(*check).outcome, Outcome::passed);

  auto rows = QueryCheck::make(
      spec("query", "users", {{"sql", str(k_users_sql)}, {"expect_rows", two_users()}}));
  users({{"1", "alice"}, {"2", "bobby"}});
  CheckOutcome out = run(*rows);
  EXPECT_EQ(out.message, "row 2 column 2 (name): expected bob, got 'bobby'");
  EXPECT_EQ(out.findings.at(0).check_id, "users");
}

using Problems = std::vector<std::pair<std::string, std::string>>;

Problems problems_of(const CheckSpec& s) {
  Problems out;
  for (const auto& p : QueryCheck::kind_info().validate(s)) out.emplace_back(p.key, p.message);
  return out;
}

TEST(QueryKind, Info) {
  CheckKindInfo info = QueryCheck::kind_info();
  EXPECT_EQ(info.type, "query");
  EXPECT_FALSE(info.summary.empty());
  ASSERT_EQ(info.params.size(), 3u);
  EXPECT_EQ(info.params[0].key, "sql");
  EXPECT_EQ(info.params[0].type, ParamType::string);
  EXPECT_TRUE(info.params[0].required);
  EXPECT_EQ(info.params[1].key, "expect");
  EXPECT_EQ(info.params[1].type, ParamType::scalar);
  EXPECT_FALSE(info.params[1].required);
  EXPECT_EQ(info.params[2].key, "expect_rows");
  EXPECT_EQ(info.params[2].type, ParamType::rows);
  EXPECT_FALSE(info.params[2].required);
}

TEST(QueryKind, Validate) {
  EXPECT_EQ(problems_of(spec("query", "", {{"sql", str("SELECT 1")}, {"expect", integer(1)}})),
            Problems{});
  EXPECT_EQ(problems_of(spec("query", "",
                             {{"sql", str("SELECT 1")}, {"expect_rows", array({integer(1)})}})),
            Problems{});
  EXPECT_EQ(problems_of(spec("query", "", {{"sql", str("SELECT 1")}})),
            (Problems{{"", "query needs 'expect' or 'expect_rows'"}}));
  EXPECT_EQ(problems_of(spec("query", "",
                             {{"sql", str("SELECT 1")},
                              {"expect", integer(1)},
                              {"expect_rows", array({integer(1)})}})),
            (Problems{{"expect_rows", "give either 'expect' or 'expect_rows', not both"}}));
}

TEST(QueryKind, DefaultName) {
  CheckKindInfo info = QueryCheck::kind_info();
  EXPECT_EQ(info.default_name(spec("query", "", {{"sql", str("SELECT 1")}})), "query SELECT 1");
  EXPECT_EQ(info.default_name(spec("query", "", {{"sql", str("SELECT a,\n\tb\r\nFROM t")}})),
            "query SELECT a,  b  FROM t");
  EXPECT_EQ(info.default_name(spec("query", "", {})), "query ?");

  std::string sixty(60, 'x');
  EXPECT_EQ(info.default_name(spec("query", "", {{"sql", str(sixty)}})), "query " + sixty);
  std::string long_sql =
      "SELECT count(*) FROM order_items WHERE order_id NOT IN (SELECT id FROM "
      "orders)";
  std::string name = info.default_name(spec("query", "", {{"sql", str(long_sql)}}));
  EXPECT_EQ(name, "query " + long_sql.substr(0, 57) + "...");
  EXPECT_EQ(name.size(), 6u + 60u);
}

}  // namespace
}  // namespace dp::checks
