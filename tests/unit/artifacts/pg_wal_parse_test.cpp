// parse_pg_wal runs pg_waldump exactly as pg_verifybackup does, one run per
// WAL range. A stand-in program that echoes its argv to stderr and fails
// shows the exact arguments and how the first stderr line becomes the
// finding; real pg_waldump on real WAL is in tests/integration.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "verifier/artifacts/pg_wal.hpp"
#include "verifier/artifacts/pg_waldump.hpp"
#include "verifier/core/temp_dir.hpp"

namespace dp::artifacts {
namespace {

namespace fs = std::filesystem;

fs::path write_script(const fs::path& p, const std::string& body) {
  std::ofstream(p) << "#!/bin/sh\n" << body;
  ::chmod(p.c_str(), 0755);
  return p;
}

TEST(PgWalParse, EachRangeIsOneRunWithPgVerifybackupsArguments) {
  auto dir = TempDir::create("dp-walparse-");
  ASSERT_TRUE(dir) << dir.error().message;
  fs::path waldump = write_script(dir->path() / "pg_waldump",
                                  "echo \"pg_waldump: error: $*\" >&2\necho second line >&2\n"
                                  "case \"$*\" in *timeline=2*) exit 0;; esac\nexit 1\n");
  PgWalParseOptions o;
  o.pg_waldump = waldump;
  auto found = parse_pg_wal(
      dir->path(), {PgWalRange{1, 0x2000028, 0x2000100}, PgWalRange{2, 0x5000000, 0x1A0000100}}, o);
  ASSERT_EQ(found.size(), 1u);  // timeline 2's run exits 0
  EXPECT_EQ(found[0].kind, FindingKind::wal);
  EXPECT_EQ(found[0].path, "pg_wal");
  EXPECT_EQ(found[0].message,
            "WAL parsing failed for timeline 1: pg_waldump: error: --quiet --path=" +
                (dir->path() / "pg_wal").string() +
                " --timeline=1 --start=0/2000028 --end=0/2000100");
}

TEST(PgWalParse, SilentFailureNamesTheExitStatus) {
  auto dir = TempDir::create("dp-walparse-");
  ASSERT_TRUE(dir) << dir.error().message;
  PgWalParseOptions o;
  o.pg_waldump = write_script(dir->path() / "pg_waldump", "exit 3\n");
  auto found = parse_pg_wal(dir->path(), {PgWalRange{1, 0x2000028, 0x2000100}}, o);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].message, "WAL parsing failed for timeline 1: pg_waldump: exit code 3");
}

TEST(PgWalParse, MissingProgramIsAFindingNotACrash) {
  auto dir = TempDir::create("dp-walparse-");
  ASSERT_TRUE(dir) << dir.error().message;
  PgWalParseOptions o;
  o.pg_waldump = dir->path() / "no-such-pg_waldump";
  auto found = parse_pg_wal(dir->path(), {PgWalRange{1, 0x2000028, 0x2000100}}, o);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, FindingKind::wal);
  EXPECT_EQ(
      found[0].message.rfind("WAL not parsed for timeline 1: " + o.pg_waldump.string() + ": ", 0),
      0u)
      << found[0].message;
}

TEST(PgWalParse, TimeoutIsAFinding) {
  auto dir = TempDir::create("dp-walparse-");
  ASSERT_TRUE(dir) << dir.error().message;
  PgWalParseOptions o;
  o.pg_waldump = write_script(dir->path() / "pg_waldump", "exec sleep 30\n");
  o.timeout = std::chrono::milliseconds(300);
  auto found = parse_pg_wal(dir->path(), {PgWalRange{1, 0x2000028, 0x2000100}}, o);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].message.rfind("WAL not parsed for timeline 1: ", 0), 0u) << found[0].message;
}

TEST(PgWalParse, DisabledOrNoRangesRunsNothing) {
  PgWalParseOptions o;
  o.pg_waldump = "/nonexistent/pg_waldump";
  EXPECT_TRUE(parse_pg_wal("/nonexistent", {}, o).empty());
  o.enabled = false;
  EXPECT_TRUE(parse_pg_wal("/nonexistent", {PgWalRange{1, 0x2000028, 0x2000100}}, o).empty());
}

TEST(PgWalParse, PgVersionMajor) {
  auto dir = TempDir::create("dp-walparse-");
  ASSERT_TRUE(dir) << dir.error().message;
  EXPECT_EQ(pg_data_major(dir->path()), 0);
  std::ofstream(dir->path() / "PG_VERSION") << "15\n";
  EXPECT_EQ(pg_data_major(dir->path()), 15);
}

}  // namespace
}  // namespace dp::artifacts
