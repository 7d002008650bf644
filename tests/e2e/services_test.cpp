// drillproof run / validate on failover-only plans whose actions and probes
// are plain commands: exit codes, report.json's failover object, JUnit
// testcases per service and phase, the Gantt chart in report.html, and the
// negative controls (hanging action, probe that never passes, action that
// cannot start, dependency cycle).
#include <fmt/format.h>
#include <signal.h>

#include <thread>

#include "tests/integration/support.hpp"

namespace dp::test {
namespace {

class Services : public ::testing::Test {
 protected:
  void SetUp() override { m_dir.emplace(world_dir("dp-e2e-services")); }
  void TearDown() override {
    if (HasFailure()) m_dir->keep();
  }
  fs::path dir() const { return m_dir->path(); }

  // Three services db <- api <- lb; `db_failover` and `db_probe` are TOML
  // values; `timeout` is db's step timeout.
  fs::path write_plan(const std::string& db_failover, const std::string& db_probe = "[\"true\"]",
                      const std::string& timeout = "20s") {
    const fs::path plan = dir() / "plan.toml";
    write_text(plan, fmt::format(R"([plan]
name = "e2e failover"

[[service]]
name = "lb"
depends_on = ["api"]
failover = ["true"]
drain = ["true"]
failback = ["true"]
health = {{ type = "cmd", command = ["true"], interval = "50ms" }}

[[service]]
name = "api"
depends_on = ["db"]
failover = {{ command = "sleep 0.1", shell = true }}
failback = ["true"]
rto = "1m"
health = {{ type = "cmd", command = ["true"], interval = "50ms", success_threshold = 2 }}

[[service]]
name = "db"
disaster = ["true"]
failover = {}
failback = ["true"]
timeout = "{}"
rto = "1m"
health = {{ type = "cmd", command = {}, interval = "50ms" }}
)",
                                 db_failover, timeout, db_probe));
    return plan;
  }

  CliRun run(const fs::path& plan) {
    return run_cli({"run", plan.string(), "--out", (dir() / "out").string()},
                   {{"TMPDIR", dir().string()}});
  }
  nlohmann::json report() { return read_json(dir() / "out/report.json"); }
  std::string junit() { return read_text(dir() / "out/junit.xml"); }

  static const nlohmann::json& step(const nlohmann::json& failover, const std::string& service,
                                    const std::string& phase) {
    for (const auto& s : failover["services"])
      if (s["name"] == service)
        for (const auto& st : s["steps"])
          if (st["phase"] == phase) return st;
    static const nlohmann::json none;
    ADD_FAILURE() << service << "." << phase << " not in the report";
    return none;
  }

 private:
  std::optional<TempDir> m_dir;
};

TEST_F(Services, CmdOnlyPlanPassesWithEveryReport) {
  auto result = run(write_plan(R"(["true"])"));
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("failover drill: order held: 3 services in 3 levels"),
            std::string::npos)
      << result.out;
  auto j = report();
  const auto& f = j["failover"];
  EXPECT_EQ(f["status"], "passed");
  EXPECT_EQ(f["t0_source"], "disaster");
  EXPECT_EQ(f["order"]["message"], "order held: 3 services in 3 levels");
  EXPECT_EQ(f["levels"], nlohmann::json::parse(R"([["db"], ["api"], ["lb"]])"));
  EXPECT_TRUE(f["system_rto_s"].is_number());
  EXPECT_EQ(step(f, "api", "failover")["status"], "passed");
  EXPECT_EQ(step(f, "api", "failover")["probe_count"], 2);
  EXPECT_EQ(step(f, "lb", "drain")["status"], "passed");
  EXPECT_EQ(j["status"], "passed");
  EXPECT_EQ(j["backups"].size(), 0u);
  const std::string xml = junit();
  for (const char* name : {"failover.order", "db.disaster", "db.failover", "db.failback",
                           "api.failover", "lb.drain", "lb.failback", "db.rto objective"})
    EXPECT_NE(
        xml.find(fmt::format("<testcase name=\"{}\" classname=\"drillproof.failover\"", name)),
        std::string::npos)
        << name << "\n"
        << xml;
  EXPECT_EQ(xml.find("<failure"), std::string::npos) << xml;
  if (int rc = junit_schema_check(dir() / "out/junit.xml"); rc >= 0) {
    EXPECT_EQ(rc, 0);
  }
  const std::string html = read_text(dir() / "out/report.html");
  EXPECT_NE(html.find("<svg class=\"chart failover-gantt\""), std::string::npos);
  EXPECT_NE(html.find("order held: 3 services in 3 levels"), std::string::npos);
}

TEST_F(Services, HangingFailoverTimesOutAndBlocksDependents) {
  auto result = run(write_plan(R"(["sleep", "600"])", R"(["true"])", "1s"));
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  auto f = report()["failover"];
  EXPECT_EQ(step(f, "db", "failover")["status"], "failed");
  EXPECT_EQ(step(f, "db", "failover")["message"],
            "failover action timed out after 1s; it was killed with its process group");
  EXPECT_EQ(step(f, "api", "failover")["status"], "skipped");
  EXPECT_EQ(step(f, "api", "failover")["message"], "blocked by db");
  EXPECT_EQ(step(f, "lb", "failover")["blocked_by"], "db");
  EXPECT_EQ(step(f, "lb", "failback")["message"], "not run: the failover did not complete");
  const std::string xml = junit();
  EXPECT_NE(xml.find("<testcase name=\"db.failover\""), std::string::npos);
  EXPECT_NE(xml.find("<failure message=\"failover action timed out after 1s"), std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<skipped message=\"blocked by db\"/>"), std::string::npos) << xml;
  EXPECT_TRUE(processes_mentioning("sleep 600").empty());
}

TEST_F(Services, ProbeThatNeverPassesIsAFailure) {
  auto result = run(write_plan(R"(["true"])", R"(["false"])", "1s"));
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  auto f = report()["failover"];
  const std::string message = step(f, "db", "failover")["message"];
  EXPECT_EQ(message.rfind("health probe did not pass 1 time in a row within the step timeout of "
                          "1s (",
                          0),
            0u)
      << message;
  EXPECT_EQ(step(f, "api", "failover")["message"], "blocked by db");
}

TEST_F(Services, ActionThatCannotStartIsAnError) {
  auto result = run(write_plan(R"(["/nonexistent/dr/db-failover.sh"])"));
  EXPECT_EQ(result.exit_code, 3) << result.out << result.err;
  EXPECT_NE(junit().find("<error message=\"failover action could not start"), std::string::npos)
      << junit();
}

TEST_F(Services, CycleIsAPlanErrorInValidateAndRun) {
  const fs::path plan = dir() / "cycle.toml";
  write_text(plan, R"([plan]
name = "cycle"
[[service]]
name = "db"
depends_on = ["api"]
failover = ["true"]
failback = ["true"]
health = { type = "cmd", command = ["true"] }
[[service]]
name = "api"
depends_on = ["db"]
failover = ["true"]
failback = ["true"]
health = { type = "cmd", command = ["true"] }
)");
  const std::string expected = plan.string() + ":3:1: dependency cycle: db -> api -> db";
  auto validate = run_cli({"validate", plan.string()});
  EXPECT_EQ(validate.exit_code, 2);
  EXPECT_NE(validate.err.find(expected), std::string::npos) << validate.err;
  auto run = run_cli({"run", plan.string(), "--out", (dir() / "out").string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find(expected), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(dir() / "out"));
}

// SIGTERM in the middle of a failover action: the action is killed with its
// group, the report is written and marked interrupted, exit 3.
TEST_F(Services, SigtermAbortsTheDrillAndWritesAPartialReport) {
  const fs::path started = dir() / "started";
  const fs::path plan = write_plan(
      fmt::format(R"({{ command = "touch {}; exec sleep 600", shell = true }})", started.string()),
      R"(["true"])", "10m");
  SpawnOptions o;
  o.argv = {DP_BINARY, "run", plan.string(), "--out", (dir() / "out").string()};
  o.env = {{"TMPDIR", dir().string()}};
  o.out = Redirect::to_file(dir() / "stdout");
  o.err = Redirect::to_file(dir() / "stderr");
  auto child = ChildProcess::spawn(std::move(o));
  ASSERT_TRUE(child) << child.error().message;
  for (int i = 0; i < 600 && !fs::exists(started); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(fs::exists(started)) << read_text(dir() / "stderr");
  ASSERT_EQ(::kill(child->pid(), SIGTERM), 0);
  auto status = child->wait(deadline_in(std::chrono::seconds(60)));
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(status->code, 3) << read_text(dir() / "stdout") << read_text(dir() / "stderr");
  auto j = report();
  EXPECT_EQ(j["interrupted"], true);
  const auto& f = j["failover"];
  EXPECT_EQ(step(f, "db", "failover")["status"], "error");
  EXPECT_EQ(step(f, "db", "failover")["message"], "aborted: interrupted by signal 15");
  EXPECT_EQ(step(f, "api", "failover")["message"], "blocked by db");
  EXPECT_EQ(f["aborted"], "interrupted by signal 15");
  EXPECT_TRUE(processes_mentioning("sleep 600").empty());
}

TEST_F(Services, ValidatePrintsLevels) {
  auto result = run_cli({"validate", write_plan(R"(["true"])").string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("  level 1: db\n  level 2: api\n  level 3: lb\n"), std::string::npos)
      << result.out;
}

}  // namespace
}  // namespace dp::test
