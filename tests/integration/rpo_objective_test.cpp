// The RPO objective judged end to end by the built binary: markers are
// written to one database and read back from another that holds only older
// markers (as a standby that fell behind would), so the data-loss window
// exceeds the objective and the drill fails, in report.json and junit.xml.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/integration/source_pg.hpp"

namespace dp::test {
namespace {

using nlohmann::json;

TEST(RpoObjective, MissedObjectiveIsAFailureInJsonAndJunit) {
  std::string why;
  auto pg = SourcePg::start(why);
  DP_REQUIRE_OR_SKIP(pg.has_value(), why);
  ASSERT_EQ(pg->psql("CREATE DATABASE w"), "");
  ASSERT_EQ(pg->psql("CREATE DATABASE r"), "");
  // The "standby" has markers 1 and 2 only.
  ASSERT_EQ(pg->psql("CREATE TABLE drillproof_rpo_markers (seq bigint PRIMARY KEY, written_at "
                     "timestamptz NOT NULL); INSERT INTO drillproof_rpo_markers VALUES (1, now()), "
                     "(2, now())",
                     "r"),
            "");
  TempDir dir = world_dir("dp-rpo-objective");
  const std::string sock = pg->scratch().dir().string();
  write_text(dir.path() / "plan.toml", fmt::format(R"([plan]
name = "rpo missed"

[failover]
phases = ["failover"]

[[service]]
name = "db"
disaster = ["/bin/true"]
failover = ["/bin/true"]
rpo = "1ms"
health = {{ type = "cmd", command = ["/bin/true"] }}
[service.marker]
engine = "postgres"
write = "host={0} port=5432 dbname=w user=postgres"
read = "host={0} port=5432 dbname=r user=postgres"
interval = "50ms"
warmup = "1s"
)",
                                                   sock));
  const fs::path out = dir.path() / "out";
  auto run = run_cli({"run", (dir.path() / "plan.toml").string(), "--out", out.string()},
                     {{"TMPDIR", dir.path().string()}});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  const json report = read_json(out / "report.json");
  const json& db = report["failover"]["services"][0];
  ASSERT_EQ(db["name"], "db") << db.dump(2);
  const json* rpo = nullptr;
  for (const auto& o : db["objectives"])
    if (o["name"] == "rpo") rpo = &o;
  ASSERT_TRUE(rpo) << db.dump(2);
  EXPECT_EQ((*rpo)["status"], "failed") << rpo->dump(2);
  EXPECT_GT((*rpo)["achieved_s"].get<double>(), 0.001) << rpo->dump(2);
  EXPECT_EQ(db["marker"]["found_seq"], 2) << db.dump(2);
  EXPECT_EQ(db["marker"]["found_count"], 2) << db.dump(2);
  // The warm-up wrote several markers although the disaster was instant.
  EXPECT_GE(db["marker"]["acknowledged"].get<int>(), 3) << db.dump(2);
  EXPECT_EQ(
      (*rpo)["message"].get<std::string>().rfind("newest marker after failover: seq 2 of ", 0), 0u)
      << rpo->dump(2);
  EXPECT_EQ(report["failover"]["status"], "failed");
  const std::string junit = read_text(out / "junit.xml");
  auto at = junit.find("name=\"db.rpo objective\"");
  ASSERT_NE(at, std::string::npos) << junit;
  EXPECT_EQ(junit.find("<failure", at), junit.find('<', at + 1)) << junit.substr(at, 400);
  EXPECT_EQ(junit_schema_check(out / "junit.xml"), 0);
}

}  // namespace
}  // namespace dp::test
