#include "checks/freshness_check.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/fixtures/fake_engine.hpp"
#include "tests/unit/checks/spec_helpers.hpp"
#include "verifier/core/timestamp.hpp"

namespace dp::checks {
namespace {

using namespace spec_helpers;
using fake::FakeEngine;
using std::chrono::hours;

const std::string k_heartbeat_sql = "SELECT max(\"beat_at\") FROM \"ops\".\"heartbeat\"";
const std::string k_query = "SELECT max(created_at) FROM orders";

TimePoint ts(std::string_view text) { return *parse_timestamp(text); }

std::vector<std::pair<std::string, std::string>> problems_of(const CheckSpec& s) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : FreshnessCheck::kind_info().validate(s)) out.emplace_back(p.key, p.message);
  return out;
}

class FreshnessTest : public ::testing::Test {
 protected:
  CheckOutcome run(const Check& check) {
    CheckContext ctx{db, "shop"};
    ctx.rpo = rpo;
    ctx.reference_time = reference;
    return check.run(ctx);
  }
  FakeEngine db;
  std::optional<Millis> rpo = hours(6);
  std::optional<TimePoint> reference = ts("2026-11-20T03:00:00Z");
  FreshnessCheck heartbeat{"fresh", "", "ops.heartbeat", "beat_at"};
  FreshnessCheck query{"fresh", k_query, "", ""};
};

TEST_F(FreshnessTest, WithinRpoPasses) {
  db.on_value(k_heartbeat_sql, "2026-11-20 01:30:00+00");
  auto out = run(heartbeat);
  EXPECT_EQ(out.outcome, Outcome::passed) << out.message;
  ASSERT_TRUE(out.achieved_rpo);
  EXPECT_EQ(*out.achieved_rpo, Millis(hours(1) + std::chrono::minutes(30)));
  EXPECT_EQ(out.expected, "<= 6h");
  EXPECT_EQ(out.observed, "1h30m (newest data 2026-11-20T01:30:00Z)");
  EXPECT_TRUE(out.findings.empty());
  EXPECT_EQ(db.queries(), std::vector<std::string>{k_heartbeat_sql});
}

TEST_F(FreshnessTest, OlderThanRpoFailsWithExactMessage) {
  db.on_value(k_query, "2026-11-19 20:00:00");
  auto out = run(query);
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message,
            "newest data 2026-11-19T20:00:00Z is 7h old at the backup's reference time "
            "2026-11-20T03:00:00Z; rpo 6h");
  EXPECT_EQ(*out.achieved_rpo, Millis(hours(7)));
  ASSERT_EQ(out.findings.size(), 1u);
  EXPECT_EQ(out.findings[0].target, "query");
  EXPECT_EQ(out.findings[0].message, out.message);
  EXPECT_EQ(out.findings[0].evidence,
            k_query + " = 2026-11-19 20:00:00; reference time 2026-11-20T03:00:00Z");
}

TEST_F(FreshnessTest, ExactlyAtRpoPasses) {
  db.on_value(k_query, "2026-11-19T21:00:00Z");
  EXPECT_EQ(run(query).outcome, Outcome::passed);
}

TEST_F(FreshnessTest, WithoutRpoOnlyMeasures) {
  rpo.reset();
  db.on_value(k_query, "1795100400");  // 2026-11-19T15:00:00Z
  auto out = run(query);
  EXPECT_EQ(out.outcome, Outcome::passed);
  EXPECT_EQ(*out.achieved_rpo, Millis(hours(12)));
  EXPECT_EQ(out.expected, "");
}

TEST_F(FreshnessTest, NewerThanReferenceIsZeroWithInfoFinding) {
  db.on_value(k_query, "2026-11-20 03:05:00+00");
  auto out = run(query);
  EXPECT_EQ(out.outcome, Outcome::passed);
  EXPECT_EQ(*out.achieved_rpo, Millis(0));
  ASSERT_EQ(out.findings.size(), 1u);
  EXPECT_EQ(out.findings[0].severity, Severity::info);
  EXPECT_EQ(out.findings[0].message,
            "newest data 2026-11-20T03:05:00Z is 5m after the backup's reference time "
            "2026-11-20T03:00:00Z: clock skew? achieved rpo taken as 0s");
}

TEST_F(FreshnessTest, NullIsNoData) {
  db.on_value(k_heartbeat_sql, std::nullopt);
  auto out = run(heartbeat);
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "no data: " + k_heartbeat_sql + " returned NULL");
  EXPECT_FALSE(out.achieved_rpo);
  ASSERT_EQ(out.findings.size(), 1u);
  EXPECT_EQ(out.findings[0].target, "ops.heartbeat");
}

TEST_F(FreshnessTest, NoRowsIsNoData) {
  db.on(k_query, {"max"}, {});
  auto out = run(query);
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "no data: " + k_query + " returned no rows");
}

TEST_F(FreshnessTest, NoReferenceTimeIsAnError) {
  reference.reset();
  auto out = run(query);
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message, "no reference time: set reference_time in the backup");
  EXPECT_EQ(db.query_count(), 0u);
}

TEST_F(FreshnessTest, QueryErrorIsAnError) {
  db.on_engine_error(k_heartbeat_sql, "ERROR:  relation \"ops.heartbeat\" does not exist");
  auto out = run(heartbeat);
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message, "ops.heartbeat: ERROR:  relation \"ops.heartbeat\" does not exist");
}

TEST_F(FreshnessTest, NotATimestampIsAnError) {
  db.on_value(k_query, "yesterday");
  auto out = run(query);
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message,
            "query: bad timestamp \"yesterday\": expected YYYY-MM-DD[ HH:MM:SS[.ffffff][+HH:MM|Z]] "
            "or epoch seconds");
}

TEST_F(FreshnessTest, SeveralRowsIsAnError) {
  db.on(k_query, {"max"}, {{"2026-11-20"}, {"2026-11-19"}});
  auto out = run(query);
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message, "query: expected one row with one timestamp, got 2 rows");
}

TEST(FreshnessKind, Validation) {
  EXPECT_TRUE(problems_of(spec("freshness", "", {{"query", str("SELECT now()")}})).empty());
  EXPECT_TRUE(
      problems_of(spec("freshness", "", {{"table", str("t")}, {"column", str("c")}})).empty());
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(problems_of(spec("freshness", "", {})),
            (P{{"", "freshness needs 'query', or 'table' and 'column'"}}));
  EXPECT_EQ(problems_of(spec("freshness", "", {{"query", str("q")}, {"table", str("t")}})),
            (P{{"query", "give either 'query' or 'table' + 'column', not both"}}));
  EXPECT_EQ(problems_of(spec("freshness", "", {{"table", str("t")}})),
            (P{{"table", "'table' needs 'column': the heartbeat timestamp column"}}));
  EXPECT_EQ(problems_of(spec("freshness", "", {{"column", str("c")}})),
            (P{{"column", "'column' needs 'table'"}}));
  EXPECT_EQ(problems_of(spec("freshness", "", {{"query", str("")}})),
            (P{{"query", "'query' must not be empty"}}));
}

TEST(FreshnessKind, DefaultNameAndMake) {
  auto info = FreshnessCheck::kind_info();
  EXPECT_EQ(info.default_name(spec("freshness", "",
                                   {{"table", str("ops.heartbeat")}, {"column", str("beat_at")}})),
            "freshness ops.heartbeat.beat_at");
  EXPECT_EQ(info.default_name(spec("freshness", "", {{"query", str("SELECT 1")}})), "freshness");
  auto check = FreshnessCheck::make(
      spec("freshness", "hb", {{"table", str("ops.heartbeat")}, {"column", str("beat_at")}}));
  EXPECT_EQ(check->id(), "freshness");
  EXPECT_EQ(check->describe(), "hb");
}

}  // namespace
}  // namespace dp::checks
