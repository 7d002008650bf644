// The order check judges only the recorded timeline.
#include "drills/failover_order.hpp"
#include "verifier/plan/plan.hpp"

#include <gtest/gtest.h>

namespace dp::drills {
namespace {

using namespace std::chrono_literals;
using reports::Status;

reports::ServiceResult svc(std::string name, std::vector<std::string> deps, Millis start,
                           std::optional<Millis> healthy) {
  reports::ServiceResult s;
  s.name = std::move(name);
  s.depends_on = std::move(deps);
  reports::StepResult step;
  step.phase = "failover";
  step.action_start = start;
  step.action_end = start + 10ms;
  step.healthy_from = healthy;
  step.status = healthy ? Status::passed : Status::failed;
  s.steps.push_back(step);
  return s;
}

TEST(FailoverOrderTest, HeldWhenEveryDependencyWasHealthyFirst) {
  reports::FailoverResult r;
  r.levels = {{"db"}, {"api"}};
  r.services = {svc("db", {}, 0ms, 100ms), svc("api", {"db"}, 100ms, 200ms)};
  check_order(r);
  EXPECT_EQ(r.order_status, Status::passed);
  EXPECT_EQ(r.order_message, "order held: 2 services in 2 levels");
}

TEST(FailoverOrderTest, StartBeforeDependencyHealthyIsAViolation) {
  reports::FailoverResult r;
  r.levels = {{"db"}, {"api"}};
  r.services = {svc("db", {}, 0ms, 1500ms), svc("api", {"db"}, 1200ms, 2000ms)};
  check_order(r);
  EXPECT_EQ(r.order_status, Status::failed);
  ASSERT_EQ(r.order_violations.size(), 1u);
  EXPECT_EQ(r.order_violations[0],
            "failover: api started at +1.200s, before db was healthy at +1.500s");
  EXPECT_EQ(r.order_message,
            "order violated: failover: api started at +1.200s, before db was healthy at +1.500s");
}

TEST(FailoverOrderTest, DependencyNeverHealthy) {
  reports::FailoverResult r;
  r.levels = {{"db"}, {"api"}};
  r.services = {svc("db", {}, 0ms, std::nullopt), svc("api", {"db"}, 50ms, 60ms)};
  check_order(r);
  EXPECT_EQ(r.order_violations.at(0), "failover: api started at +0.050s but db was never healthy");
}

TEST(FailoverOrderTest, SkippedDependentsAreNotViolations) {
  reports::FailoverResult r;
  r.levels = {{"db"}, {"api"}};
  r.services = {svc("db", {}, 0ms, std::nullopt), svc("api", {"db"}, 0ms, std::nullopt)};
  r.services[1].steps[0].action_start.reset();
  check_order(r);
  EXPECT_EQ(r.order_status, Status::passed);
  EXPECT_EQ(r.order_message,
            "order held for the 1 service that started (of 2 services in 2 levels)");
}

TEST(FailoverOrderTest, DrainBeforeDependentFinishedIsAViolation) {
  reports::FailoverResult r;
  r.levels = {{"db"}, {"api"}};
  r.services = {svc("db", {}, 0ms, 10ms), svc("api", {"db"}, 20ms, 30ms)};
  reports::StepResult drain;
  drain.phase = "drain";
  drain.action_start = 100ms;
  drain.action_end = 300ms;
  r.services[1].steps.push_back(drain);  // api drains 100..300
  drain.action_start = 200ms;
  drain.action_end = 250ms;
  r.services[0].steps.push_back(drain);  // db drains at 200: too early
  check_order(r);
  EXPECT_EQ(r.order_violations.at(0), "drain: db started at +0.200s before api finished draining");
}

}  // namespace
}  // namespace dp::drills

namespace dp::plan {
namespace {

TEST(FailoverPlanTest, LevelsAreBuiltAndOnlyLeavesServicesOut) {
  config::Config config;
  config.backups.resize(1);
  config.backups[0].name = "orders";
  config.services.resize(3);
  config.services[0].name = "lb";
  config.services[0].depends_on = {"api"};
  config.services[1].name = "api";
  config.services[1].depends_on = {"db"};
  config.services[2].name = "db";
  auto all = build(config, Options{}, 1);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->services.size(), 3u);
  EXPECT_EQ(all->levels, (std::vector<std::vector<std::size_t>>{{2}, {1}, {0}}));
  auto only = build(config, Options{{"orders"}, 1, false, ""}, 1);
  ASSERT_TRUE(only);
  EXPECT_TRUE(only->services.empty());
  EXPECT_EQ(only->jobs.size(), 1u);
}

}  // namespace
}  // namespace dp::plan
