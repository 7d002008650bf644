// [[backup]] point-in-time recovery keys (read_pitr.cpp): what they accept,
// and each problem as the exact diagnostic at file:line:col.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <optional>

#include "verifier/config/config.hpp"
#include "verifier/core/temp_dir.hpp"
#include "verifier/core/timestamp.hpp"

namespace dp::config {
namespace {

namespace fs = std::filesystem;

class PitrKeys : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("dp-config-pitr-");
    ASSERT_TRUE(dir) << dir.error().message;
    m_dir.emplace(std::move(*dir));
    fs::create_directories(path() / "base" / "global");
    fs::create_directories(path() / "wal");
    fs::create_directories(path() / "binlogs");
    fs::create_directories(path() / "my");
    std::ofstream(path() / "orders.dump") << "PGDMP";
    std::ofstream(path() / "base" / "PG_VERSION") << "15\n";
  }
  fs::path path() const { return m_dir->path(); }
  fs::path plan_file() const { return path() / "plan.toml"; }

  // Line 1 [plan], 2 name, 3 blank, 4 [[backup]], 5 name, 6 engine, 7 path,
  // then `rest` from line 8.
  std::string plan(std::string_view engine, std::string_view backup, std::string_view rest) const {
    return fmt::format(
        "[plan]\nname = \"p\"\n\n[[backup]]\nname = \"b\"\nengine = \"{}\"\n"
        "path = \"{}\"\n{}",
        engine, backup, rest);
  }
  std::string pg(std::string_view rest) const { return plan("postgres", "base", rest); }
  Result<Config, Diagnostics> parse_plan(const std::string& text) const {
    return parse(text, plan_file(), {});
  }
  std::vector<std::string> errors(const std::string& text) const {
    std::vector<std::string> out;
    auto result = parse_plan(text);
    if (!result)
      for (const auto& d : result.error()) out.push_back(d.format());
    return out;
  }
  std::string at(int line, int column, std::string_view message) const {
    return fmt::format("{}:{}:{}: {}", plan_file().string(), line, column, message);
  }

  std::optional<TempDir> m_dir;
};

TEST_F(PitrKeys, NoArchiveMeansNoPitr) {
  auto result = parse_plan(pg(""));
  ASSERT_TRUE(result) << result.error().front().format();
  EXPECT_FALSE(result->backups.at(0).pitr);
}

TEST_F(PitrKeys, PostgresKeysAreCopied) {
  auto result = parse_plan(
      pg("format = \"basebackup\"\nwal_archive = \"wal\"\ntarget_time = 2026-11-21T03:00:00+01:00\n"
         "target_inclusive = false\npitr_targets = 3\npitr_seed = 42\n"
         "recovery_point_query = \"SELECT max(written_at) FROM markers\"\n"));
  ASSERT_TRUE(result) << result.error().front().format();
  const auto& pitr = result->backups.at(0).pitr;
  ASSERT_TRUE(pitr);
  EXPECT_EQ(pitr->wal_archive, path() / "wal");
  ASSERT_TRUE(pitr->target_time);
  EXPECT_EQ(format_timestamp(*pitr->target_time), "2026-11-21T02:00:00Z");
  EXPECT_FALSE(pitr->target_inclusive);
  EXPECT_EQ(pitr->sample_targets, 3);
  EXPECT_EQ(pitr->seed, 42u);
  EXPECT_EQ(pitr->recovery_point_query, "SELECT max(written_at) FROM markers");
}

TEST_F(PitrKeys, TargetTimeStringsNeedAZone) {
  auto good = parse_plan(pg("wal_archive = \"wal\"\ntarget_time = \"2026-11-21 03:00:00+00\"\n"));
  ASSERT_TRUE(good) << good.error().front().format();
  EXPECT_EQ(format_timestamp(*good->backups.at(0).pitr->target_time), "2026-11-21T03:00:00Z");
  auto out = errors(pg("wal_archive = \"wal\"\ntarget_time = \"2026-11-21 03:00:00\"\n"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], at(9, 15,
                       "'target_time' needs a time zone, such as \"2026-11-21T03:00:00Z\" or "
                       "\"2026-11-21 03:00:00+00\", got \"2026-11-21 03:00:00\""));
  out = errors(pg("wal_archive = \"wal\"\ntarget_time = 2026-11-21T03:00:00\n"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], at(9, 15,
                       "'target_time' needs a time zone, such as 2026-11-21T03:00:00Z: a local "
                       "date-time is ambiguous"));
}

TEST_F(PitrKeys, LsnNameAndLatestTargets) {
  auto lsn = parse_plan(pg("wal_archive = \"wal\"\ntarget_lsn = \"0/3000060\"\n"));
  ASSERT_TRUE(lsn) << lsn.error().front().format();
  EXPECT_EQ(lsn->backups.at(0).pitr->target_lsn, "0/3000060");
  auto name = parse_plan(pg("wal_archive = \"wal\"\ntarget_name = \"before_upgrade\"\n"));
  ASSERT_TRUE(name) << name.error().front().format();
  EXPECT_EQ(name->backups.at(0).pitr->target_name, "before_upgrade");
  auto latest = parse_plan(pg("wal_archive = \"wal\"\ntarget = \"latest\"\n"));
  ASSERT_TRUE(latest) << latest.error().front().format();
  EXPECT_FALSE(latest->backups.at(0).pitr->target_time);
  auto out = errors(pg("wal_archive = \"wal\"\ntarget_lsn = \"3000060\"\ntarget = \"newest\"\n"));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0],
            at(9, 14, "'target_lsn' must be an LSN such as \"0/3000060\", got \"3000060\""));
  EXPECT_EQ(out[1],
            at(10, 1, "'target' conflicts with 'target_lsn': set only one recovery target"));
  EXPECT_EQ(out[2], at(10, 10,
                       "'target' must be \"latest\", got \"newest\"; use target_time, target_lsn, "
                       "target_name or target_position for another target"));
}

TEST_F(PitrKeys, MoreThanOneTargetIsAnError) {
  auto out =
      errors(pg("wal_archive = \"wal\"\ntarget_name = \"a\"\n"
                "target_time = \"2026-11-21T03:00:00Z\"\n"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0],
            at(10, 1, "'target_time' conflicts with 'target_name': set only one recovery target"));
}

TEST_F(PitrKeys, TargetWithoutArchiveIsAnError) {
  auto out = errors(pg("target_time = \"2026-11-21T03:00:00Z\"\npitr_targets = 2\n"));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], at(8, 1,
                       "'target_time' needs an archive to replay: set wal_archive (postgres) or "
                       "binlog_archive (mysql) in this [[backup]]"));
  EXPECT_EQ(out[1], at(9, 1,
                       "'pitr_targets' needs an archive to replay: set wal_archive (postgres) or "
                       "binlog_archive (mysql) in this [[backup]]"));
}

TEST_F(PitrKeys, ArchiveMustExistAndMatchTheEngine) {
  auto out = errors(pg("wal_archive = \"nowal\"\n"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(
      out[0],
      at(8, 15, fmt::format("WAL archive directory not found: {}", (path() / "nowal").string())));
  out = errors(pg("binlog_archive = \"binlogs\"\n"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], at(8, 1, "'binlog_archive' applies to mysql backups only"));
  out = errors(plan("mysql", "my", "wal_archive = \"wal\"\n"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], at(8, 1, "'wal_archive' applies to postgres backups only"));
  out = errors(plan("sqlite", "orders.dump", "wal_archive = \"wal\"\n"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], at(8, 1, "'wal_archive' applies to postgres backups only"));
}

TEST_F(PitrKeys, WalArchiveNeedsABaseBackup) {
  auto out = errors(plan("postgres", "orders.dump", "format = \"dump\"\nwal_archive = \"wal\"\n"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], at(9, 1,
                       "'wal_archive' needs a base backup (format = \"basebackup\"): WAL cannot be "
                       "replayed onto a pg_dump archive"));
}

TEST_F(PitrKeys, ArchivePathThatCannotBeQuotedIsRefused) {
  fs::create_directories(path() / "w%al");
  auto out = errors(pg("wal_archive = \"w%al\"\n"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], at(8, 15,
                       fmt::format("'wal_archive' must not contain a quote, '%' or a line break "
                                   "(it becomes part of restore_command): {}",
                                   (path() / "w%al").string())));
}

TEST_F(PitrKeys, EngineSpecificTargets) {
  auto out = errors(plan("mysql", "my", "binlog_archive = \"binlogs\"\ntarget_lsn = \"0/1\"\n"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], at(9, 1, "'target_lsn' applies to postgres backups only"));
  out = errors(pg("wal_archive = \"wal\"\ntarget_position = \"mysql-bin.000003:4\"\n"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], at(9, 1, "'target_position' applies to mysql backups only"));
  auto my = parse_plan(plan(
      "mysql", "my", "binlog_archive = \"binlogs\"\ntarget_position = \"mysql-bin.000003:4\"\n"));
  ASSERT_TRUE(my) << my.error().front().format();
  EXPECT_EQ(my->backups.at(0).pitr->binlog_archive, path() / "binlogs");
  EXPECT_EQ(my->backups.at(0).pitr->target_position, "mysql-bin.000003:4");
  out = errors(plan("mysql", "my", "binlog_archive = \"binlogs\"\ntarget_position = \"4\"\n"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], at(9, 19,
                       "'target_position' must be \"<binlog file>:<position>\" such as "
                       "\"mysql-bin.000003:1234\", got \"4\""));
}

TEST_F(PitrKeys, SamplingBounds) {
  auto out =
      errors(pg("wal_archive = \"wal\"\npitr_targets = 101\npitr_seed = -1\n"
                "recovery_point_query = \"\"\n"));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], at(9, 16, "'pitr_targets' must be between 0 and 100, got 101"));
  EXPECT_EQ(out[1], at(10, 13, "'pitr_seed' must be 0 or more, got -1"));
  EXPECT_EQ(out[2], at(11, 24, "'recovery_point_query' must not be empty"));
}

}  // namespace
}  // namespace dp::config
