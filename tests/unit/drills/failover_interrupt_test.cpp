// run::execute on a services-only plan when SIGINT/SIGTERM came before the
// failover drill started: no disaster is injected, and the report still names
// every service as not started (as it does unstarted backups).
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "verifier/core/signals.hpp"
#include "verifier/core/temp_dir.hpp"
#include "verifier/run/execute.hpp"

namespace dp::run {
namespace {

config::ServiceConfig service(const std::string& name, std::vector<std::string> deps) {
  config::ServiceConfig s;
  s.name = name;
  s.depends_on = std::move(deps);
  s.failover.argv = {"true"};
  s.failback.emplace().argv = {"true"};
  s.health.type = config::ProbeKind::cmd;
  s.health.command = {"true"};
  return s;
}

TEST(FailoverInterrupted, InterruptBeforeTheDrillInjectsNothingAndNamesEveryService) {
  auto dir = TempDir::create("dp-failover-interrupt");
  ASSERT_TRUE(dir);
  const auto ran = dir->path() / "disaster-ran";
  auto db = service("db", {});
  config::ActionConfig disaster;
  disaster.argv = {"/bin/sh", "-c", "touch " + ran.string()};
  db.disaster = disaster;
  plan::Plan p;
  p.services = {service("api", {"db"}), db};
  p.levels = plan::service_levels(p.services);

  request_interrupt(SIGTERM);
  auto report = execute(p, {});
  clear_interrupt();

  EXPECT_TRUE(report.interrupted);
  EXPECT_FALSE(std::filesystem::exists(ran)) << "the disaster was injected after the interrupt";
  ASSERT_TRUE(report.failover);
  const auto& f = *report.failover;
  EXPECT_EQ(f.status, reports::Status::skipped);
  EXPECT_EQ(f.order_status, reports::Status::skipped);
  ASSERT_EQ(f.services.size(), 2u);
  EXPECT_EQ(f.services[0].name, "api");  // plan order
  EXPECT_EQ(f.services[0].level, 2);
  EXPECT_EQ(f.services[1].name, "db");
  EXPECT_EQ(f.services[1].level, 1);
  for (const auto& s : f.services) {
    EXPECT_EQ(s.status, reports::Status::skipped) << s.name;
    ASSERT_EQ(s.steps.size(), 1u) << s.name;
    EXPECT_EQ(s.steps[0].phase, "failover");
    EXPECT_EQ(s.steps[0].message, "not started: the run was interrupted");
  }
  EXPECT_EQ(reports::exit_code(report), 3);
}

}  // namespace
}  // namespace dp::run
