// Point-in-time recovery of a pg_basebackup with a WAL archive (issue 8),
// end to end: `drillproof run` on a written plan against a real archive, and
// the negative controls (gap, damaged segment, target before the backup).
#include <gtest/gtest.h>

#include <fstream>

#include "tests/integration/pitr_pg_fixture.hpp"

namespace dp::test {
namespace {

const nlohmann::json& only_backup(const nlohmann::json& report) { return report["backups"][0]; }

TEST_F(PitrPg, TargetTimeInTheMiddleStopsThereAndMeetsTheRpo) {
  TimePoint target = marker_time(30) + 500ms;
  auto run = drill(plan(archive(), fmt::format("target_time = \"{}\"", iso_us(target)), 30));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto& b = only_backup(report);
  EXPECT_EQ(b["status"], "passed") << b["phases"].dump(2);
  ASSERT_EQ(b["pitr"].size(), 1u) << b.dump(2);
  const auto& p = b["pitr"][0];
  EXPECT_EQ(p["status"], "passed") << p.dump(2);
  EXPECT_EQ(p["target"], "time " + format_timestamp(target));
  EXPECT_FALSE(p["sampled"].get<bool>());
  EXPECT_NE(p["reached_lsn"], "");
  EXPECT_EQ(p["timeline"], 1);
  EXPECT_EQ(p["first_missing"], "");
  // The newest marker present is marker 30, within one second of the target.
  auto point = parse_timestamp(p["recovery_point"].get<std::string>());
  ASSERT_TRUE(point);
  EXPECT_LE(std::chrono::abs(target - *point), 1s);
  EXPECT_LE(std::chrono::abs(*point - marker_time(30)), 1ms);
  EXPECT_LE(p["data_loss_s"].get<double>(), 1.0);
  EXPECT_EQ(b["checks"][0]["status"], "passed") << b["checks"][0].dump(2);  // max 30, count 30
  bool rpo = false;
  for (const auto& o : b["objectives"])
    if (o["name"] == "rpo") {
      rpo = true;
      EXPECT_EQ(o["status"], "passed") << o.dump(2);
    }
  EXPECT_TRUE(rpo) << b["objectives"].dump(2);
  auto junit = read_text(out() / "junit.xml");
  EXPECT_NE(junit.find("testcase name=\"pitr time " + format_timestamp(target) + "\""),
            std::string::npos)
      << junit;
  EXPECT_EQ(junit_schema_check(out() / "junit.xml"), 0);
  EXPECT_TRUE(leftovers(tmp()).empty());
}

// The target lies 700 ms after marker 30: recovery is exact, but the data
// at the target is 700 ms old, which misses an rpo of 200 ms.
TEST_F(PitrPg, RecoveryPointOlderThanTheRpoFails) {
  TimePoint target = marker_time(30) + 700ms;
  auto run =
      drill(plan(archive(), fmt::format("target_time = \"{}\"", iso_us(target)), 30, "200ms"));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto& b = only_backup(report);
  EXPECT_EQ(b["status"], "failed");
  EXPECT_EQ(b["pitr"][0]["status"], "passed") << b["pitr"].dump(2);
  const nlohmann::json* rpo = nullptr;
  for (const auto& o : b["objectives"])
    if (o["name"] == "rpo") rpo = &o;
  ASSERT_TRUE(rpo) << b["objectives"].dump(2);
  EXPECT_EQ((*rpo)["status"], "failed");
  EXPECT_NEAR((*rpo)["achieved_s"].get<double>(), 0.7, 0.01);
  EXPECT_NE((*rpo)["message"].get<std::string>().find(
                "before the recovery target, objective 200ms: missed by"),
            std::string::npos)
      << (*rpo)["message"];
}

// pitr_targets: two more recoveries to random times between the backup's
// end and the newest archived commit, drawn from the recorded seed; each
// lands on the newest marker at or before its target.
TEST_F(PitrPg, SampledTargetsAreRestoredAndTheSeedIsRecorded) {
  auto run =
      drill(plan(archive(), "target = \"latest\"\npitr_targets = 2\npitr_seed = 7", k_markers));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto& b = only_backup(report);
  EXPECT_EQ(b["pitr_seed"], 7);
  ASSERT_EQ(b["pitr"].size(), 3u) << b["pitr"].dump(2);
  EXPECT_FALSE(b["pitr"][0]["sampled"].get<bool>());
  for (std::size_t i = 1; i <= 2; ++i) {
    const auto& p = b["pitr"][i];
    EXPECT_TRUE(p["sampled"].get<bool>());
    EXPECT_EQ(p["status"], "passed") << p.dump(2);
    auto target = parse_timestamp(p["target_time"].get<std::string>());
    auto point = parse_timestamp(p["recovery_point"].get<std::string>());
    ASSERT_TRUE(target && point) << p.dump(2);
    EXPECT_LE(*point, *target + 1ms);
    EXPECT_LE(*target - *point, 1100ms) << p.dump(2);  // one marker per second
  }
  auto junit = read_text(out() / "junit.xml");
  EXPECT_NE(junit.find("testcase name=\"pitr sample 2\""), std::string::npos);
}

TEST_F(PitrPg, LatestReplaysTheWholeArchive) {
  auto run = drill(plan(archive(), "target = \"latest\"", k_markers));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto& p = only_backup(report)["pitr"][0];
  EXPECT_EQ(p["status"], "passed") << p.dump(2);
  EXPECT_EQ(p["target"], "latest");
  auto point = parse_timestamp(p["recovery_point"].get<std::string>());
  ASSERT_TRUE(point);
  EXPECT_LE(std::chrono::abs(*point - marker_time(k_markers)), 1ms);
}

TEST_F(PitrPg, NamedRestorePoint) {
  auto run = drill(plan(archive(), "target_name = \"mid\"", 30));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto& b = only_backup(report);
  EXPECT_EQ(b["pitr"][0]["status"], "passed") << b.dump(2);
  EXPECT_EQ(b["pitr"][0]["target"], "name mid");
  EXPECT_EQ(b["checks"][0]["status"], "passed") << b["checks"][0].dump(2);
}

// recovery_target_lsn: the position right after marker 40's commit; marker
// 41 commits a second later, so exactly 40 markers are there (the check).
TEST_F(PitrPg, TargetLsnStopsThere) {
  ASSERT_FALSE(s_lsn_40.empty());
  ASSERT_FALSE(s_lsn_40.starts_with("error")) << s_lsn_40;
  auto run = drill(plan(archive(), fmt::format("target_lsn = \"{}\"", s_lsn_40), 40));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto& b = only_backup(report);
  EXPECT_EQ(b["pitr"][0]["status"], "passed") << b.dump(2);
  EXPECT_EQ(b["pitr"][0]["target"], "lsn " + s_lsn_40);
  EXPECT_FALSE(b["pitr"][0]["reached_lsn"].get<std::string>().empty());
  EXPECT_EQ(b["checks"][0]["status"], "passed") << b["checks"][0].dump(2);
}

TEST_F(PitrPg, MissingSegmentIsNamedAndRecoveryFails) {
  ASSERT_EQ(s_gap_segment.size(), 24u) << s_gap_segment;
  fs::path copy = archive_copy();
  ASSERT_TRUE(fs::remove(copy / s_gap_segment));
  TimePoint target = marker_time(30) + 500ms;
  auto run = drill(plan(copy, fmt::format("target_time = \"{}\"", iso_us(target)), 30));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto& b = only_backup(report);
  EXPECT_EQ(b["status"], "failed");
  const auto& p = b["pitr"][0];
  EXPECT_EQ(p["status"], "failed");
  EXPECT_EQ(p["first_missing"], s_gap_segment) << p.dump(2);
  EXPECT_NE(p["message"].get<std::string>().find("the WAL archive has a gap: segment " +
                                                 s_gap_segment + " is missing"),
            std::string::npos)
      << p["message"];
  EXPECT_NE(p["message"].get<std::string>().find(
                "recovery ended before configured recovery target was reached"),
            std::string::npos)
      << p["message"];
  // The reached point is before the gap: markers up to 20 at most.
  auto reached = parse_timestamp(p["reached_time"].get<std::string>());
  ASSERT_TRUE(reached);
  EXPECT_LT(*reached, marker_time(26));
  auto junit = read_text(out() / "junit.xml");
  EXPECT_NE(junit.find("<failure message=\"recovery stopped short of target"), std::string::npos)
      << junit;
  EXPECT_TRUE(leftovers(tmp()).empty());
}

TEST_F(PitrPg, MissingSegmentFailsLatestToo) {
  fs::path copy = archive_copy();
  ASSERT_TRUE(fs::remove(copy / s_gap_segment));
  auto run = drill(plan(copy, "", 20));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto& p = only_backup(report)["pitr"][0];
  EXPECT_EQ(p["status"], "failed") << p.dump(2);
  EXPECT_EQ(p["first_missing"], s_gap_segment) << p.dump(2);
}

TEST_F(PitrPg, DamagedSegmentStopsRecoveryShort) {
  fs::path copy = archive_copy();
  {
    std::fstream f(copy / s_gap_segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(200);
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0xFF);
    f.seekp(200);
    f.write(&c, 1);
  }
  TimePoint target = marker_time(30) + 500ms;
  auto run = drill(plan(copy, fmt::format("target_time = \"{}\"", iso_us(target)), 30));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto& p = only_backup(report)["pitr"][0];
  EXPECT_EQ(p["status"], "failed") << p.dump(2);
  EXPECT_EQ(p["first_missing"], "");
  EXPECT_NE(p["message"].get<std::string>().find("segment " + s_gap_segment +
                                                 " (or the one after it) is damaged"),
            std::string::npos)
      << p["message"];
}

// A root-only archive: restore_command (run as postgres) could not read it,
// which would look like a gap at the first segment. It is refused before
// the server starts, as untestable (exit 3).
TEST_F(PitrPg, ArchiveTheServerUserCannotReadIsRefused) {
  fs::path copy = dir() / "private-archive";
  fs::copy(archive(), copy, fs::copy_options::recursive);
  ::chmod(copy.c_str(), 0700);
  auto run = drill(plan(copy, "", k_markers));
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto& p = only_backup(report)["pitr"][0];
  EXPECT_EQ(p["status"], "error");
  EXPECT_NE(p["message"].get<std::string>().find(fmt::format(
                "the server user '{}' cannot read the WAL archive: {} is owned by uid 0 with "
                "mode 700",
                s_user.name, copy.string())),
            std::string::npos)
      << p["message"];
}

TEST_F(PitrPg, TargetBeforeTheBackupEndIsAClearError) {
  auto before = parse_timestamp(s_before_backup);
  ASSERT_TRUE(before) << s_before_backup;
  auto run = drill(plan(archive(), fmt::format("target_time = \"{}\"", iso_us(*before)), 0));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto& b = only_backup(report);
  const auto& p = b["pitr"][0];
  EXPECT_EQ(p["status"], "failed");
  EXPECT_NE(p["message"].get<std::string>().find(
                "target_time " + format_timestamp(*before) +
                " is before the end of the base backup, which ended at "),
            std::string::npos)
      << p["message"];
  EXPECT_EQ(b["phases"][2]["name"], "restore");
  EXPECT_EQ(b["phases"][2]["status"], "failed");
}

}  // namespace
}  // namespace dp::test
