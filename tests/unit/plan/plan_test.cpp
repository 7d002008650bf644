#include "verifier/plan/plan.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace dp::plan {
namespace {

using namespace std::chrono_literals;

config::BackupConfig backup(std::string name) {
  config::BackupConfig b;
  b.name = std::move(name);
  b.path = "/backups/" + b.name + ".dump";
  b.database = "restored";
  return b;
}

// Three backups: orders overrides rto, users inherits everything, billing
// sets rpo, restore_timeout and restore_jobs.
config::Config make_config() {
  config::Config c;
  c.file = "/plans/shop.toml";
  c.plan.name = "shop nightly";
  c.plan.owner = "dba@example.com";
  c.plan.objectives.rto = Millis(15min);
  c.plan.objectives.rpo = Millis(24h);
  c.plan.restore_timeout = Millis(2h);
  c.plan.run_as = "drillproof";

  config::BackupConfig orders = backup("orders");
  orders.objectives.rto = Millis(5min);
  CheckSpec rows;
  rows.type = "row_count";
  rows.name = "orders rows";
  orders.checks.push_back(rows);
  c.backups.push_back(orders);

  c.backups.push_back(backup("users"));

  config::BackupConfig billing = backup("billing");
  billing.engine = EngineKind::sqlite;
  billing.objectives.rpo = Millis(1h);
  billing.restore_timeout = Millis(10min);
  billing.restore_jobs = 2;
  c.backups.push_back(billing);
  return c;
}

std::vector<std::string> names(const Plan& p) {
  std::vector<std::string> out;
  for (const auto& j : p.jobs) out.push_back(j.backup.name);
  return out;
}
std::vector<int> indexes(const Plan& p) {
  std::vector<int> out;
  for (const auto& j : p.jobs) out.push_back(j.index);
  return out;
}

TEST(PlanBuild, EveryBackupInPlanOrderWithOneBasedIndex) {
  auto plan = build(make_config(), Options{}, 4);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(names(*plan), (std::vector<std::string>{"orders", "users", "billing"}));
  EXPECT_EQ(indexes(*plan), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(plan->file, "/plans/shop.toml");
  EXPECT_EQ(plan->settings.name, "shop nightly");
  EXPECT_EQ(plan->settings.owner, "dba@example.com");
  EXPECT_EQ(plan->parallel, 1);
  EXPECT_FALSE(plan->keep_scratch);
}

TEST(PlanBuild, CopiesTheBackupConfig) {
  auto plan = build(make_config(), Options{}, 4);
  ASSERT_TRUE(plan);
  const BackupJob& orders = plan->jobs.at(0);
  EXPECT_EQ(orders.backup.path, "/backups/orders.dump");
  ASSERT_EQ(orders.backup.checks.size(), 1u);
  EXPECT_EQ(orders.backup.checks[0].name, "orders rows");
  EXPECT_EQ(plan->jobs.at(2).backup.engine, EngineKind::sqlite);
}

TEST(PlanBuild, BackupObjectivesOverrideThePlans) {
  auto plan = build(make_config(), Options{}, 4);
  ASSERT_TRUE(plan);
  const BackupJob& orders = plan->jobs.at(0);
  EXPECT_EQ(orders.rto, Millis(5min));  // its own
  EXPECT_EQ(orders.rpo, Millis(24h));   // the plan's: it set none
  const BackupJob& users = plan->jobs.at(1);
  EXPECT_EQ(users.rto, Millis(15min));
  EXPECT_EQ(users.rpo, Millis(24h));
  const BackupJob& billing = plan->jobs.at(2);
  EXPECT_EQ(billing.rto, Millis(15min));
  EXPECT_EQ(billing.rpo, Millis(1h));
}

TEST(PlanBuild, NoObjectiveAnywhereStaysUnset) {
  config::Config c = make_config();
  c.plan.objectives = {};
  auto plan = build(c, Options{}, 4);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->jobs.at(0).rto, Millis(5min));
  EXPECT_FALSE(plan->jobs.at(0).rpo.has_value());
  EXPECT_FALSE(plan->jobs.at(1).rto.has_value());
  EXPECT_FALSE(plan->jobs.at(1).rpo.has_value());
  EXPECT_EQ(plan->jobs.at(2).rpo, Millis(1h));
}

TEST(PlanBuild, RestoreTimeoutDefaultsToThePlans) {
  auto plan = build(make_config(), Options{}, 4);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->jobs.at(0).restore_timeout, Millis(2h));
  EXPECT_EQ(plan->jobs.at(1).restore_timeout, Millis(2h));
  EXPECT_EQ(plan->jobs.at(2).restore_timeout, Millis(10min));

  config::Config defaults = make_config();
  defaults.plan = config::PlanSettings{};
  auto plan2 = build(defaults, Options{}, 4);
  ASSERT_TRUE(plan2);
  EXPECT_EQ(plan2->jobs.at(0).restore_timeout, Millis(3'600'000));
}

TEST(PlanBuild, RestoreJobsDefaultToCores) {
  auto plan = build(make_config(), Options{}, 8);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->jobs.at(0).restore_jobs, 8);
  EXPECT_EQ(plan->jobs.at(1).restore_jobs, 8);
  EXPECT_EQ(plan->jobs.at(2).restore_jobs, 2);  // its own
}

TEST(PlanBuild, RestoreJobsAtLeastOne) {
  for (int cores : {0, -1}) {
    auto plan = build(make_config(), Options{}, cores);
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->jobs.at(0).restore_jobs, 1) << cores;
    EXPECT_EQ(plan->jobs.at(2).restore_jobs, 2) << cores;
  }
}

TEST(PlanBuild, OnlyKeepsPlanOrderAndIndex) {
  Options o;
  o.only = {"billing", "orders"};
  auto plan = build(make_config(), o, 4);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(names(*plan), (std::vector<std::string>{"orders", "billing"}));
  EXPECT_EQ(indexes(*plan), (std::vector<int>{1, 3}));
  // Objectives still resolve for the kept jobs.
  EXPECT_EQ(plan->jobs.at(1).rto, Millis(15min));
  EXPECT_EQ(plan->jobs.at(1).rpo, Millis(1h));
}

TEST(PlanBuild, OnlyTheSameNameTwiceRunsItOnce) {
  Options o;
  o.only = {"users", "users"};
  auto plan = build(make_config(), o, 4);
  ASSERT_TRUE(plan);
  EXPECT_EQ(names(*plan), (std::vector<std::string>{"users"}));
  EXPECT_EQ(indexes(*plan), (std::vector<int>{2}));
}

TEST(PlanBuild, OnlyUnknownNameListsThePlansNames) {
  Options o;
  o.only = {"users", "nope"};
  auto plan = build(make_config(), o, 4);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code, Errc::invalid_input);
  EXPECT_EQ(plan.error().message,
            "--only: no backup named nope in /plans/shop.toml; the plan has: orders, users, "
            "billing");
}

TEST(PlanBuild, OnlyNamesEveryUnknownName) {
  Options o;
  o.only = {"nope", "orders", "Users"};
  auto plan = build(make_config(), o, 4);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code, Errc::invalid_input);
  EXPECT_EQ(plan.error().message,
            "--only: no backup named nope, Users in /plans/shop.toml; the plan has: orders, "
            "users, billing");
}

TEST(PlanBuild, JobsBelowOneIsAnError) {
  for (int jobs : {0, -2}) {
    Options o;
    o.jobs = jobs;
    auto plan = build(make_config(), o, 4);
    ASSERT_FALSE(plan) << jobs;
    EXPECT_EQ(plan.error().code, Errc::invalid_input);
    EXPECT_EQ(plan.error().message, "--jobs must be at least 1, got " + std::to_string(jobs));
  }
}

TEST(PlanBuild, JobsAndKeepScratchCarryOver) {
  Options o;
  o.jobs = 3;
  o.keep_scratch = true;
  auto plan = build(make_config(), o, 4);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->parallel, 3);
  EXPECT_TRUE(plan->keep_scratch);
}

TEST(PlanBuild, RunAsFromOptionsOverridesThePlan) {
  Options o;
  o.run_as = "ci";
  auto plan = build(make_config(), o, 4);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->run_as, "ci");
  EXPECT_EQ(plan->settings.run_as, "drillproof");  // settings stay as written
}

TEST(PlanBuild, RunAsFallsBackToThePlan) {
  auto plan = build(make_config(), Options{}, 4);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->run_as, "drillproof");

  config::Config c = make_config();
  c.plan.run_as.clear();
  auto none = build(c, Options{}, 4);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->run_as, "");
}

TEST(PlanBuild, EmptyPlanBuildsNoJobs) {
  config::Config c;
  c.file = "/plans/empty.toml";
  auto plan = build(c, Options{}, 4);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->jobs.empty());
}

}  // namespace
}  // namespace dp::plan

namespace dp::plan {
namespace {

config::Config with_catalogs() {
  config::Config c = make_config();
  for (const char* name : {"shop-dumps", "wal"}) {
    config::CatalogConfig cat;
    cat.name = name;
    cat.path = std::string("/backups/") + name;
    c.catalogs.push_back(cat);
  }
  return c;
}

TEST(PlanBuild, CatalogsAreCarriedInPlanOrder) {
  auto plan = build(with_catalogs(), Options{}, 4);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->catalogs.size(), 2u);
  EXPECT_EQ(plan->catalogs[0].name, "shop-dumps");
  EXPECT_EQ(plan->catalogs[1].name, "wal");
  EXPECT_EQ(plan->jobs.size(), 3u);
}

TEST(PlanBuild, OnlySelectsCatalogsToo) {
  Options o;
  o.only = {"wal", "users"};
  auto plan = build(with_catalogs(), o, 4);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->catalogs.size(), 1u);
  EXPECT_EQ(plan->catalogs[0].name, "wal");
  ASSERT_EQ(plan->jobs.size(), 1u);
  EXPECT_EQ(plan->jobs[0].backup.name, "users");

  o.only = {"wall"};
  auto unknown = build(with_catalogs(), o, 4);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message,
            "--only: no backup named wall in /plans/shop.toml; the plan has: orders, users, "
            "billing, shop-dumps, wal");
}

}  // namespace
}  // namespace dp::plan
