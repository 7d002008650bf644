// End-to-end: the built binary's command line, exit codes and plan errors.
// Nothing here starts a database server.
#include <fmt/format.h>

#include "tests/integration/support.hpp"

namespace dp::test {
namespace {

class Cli : public ::testing::Test {
 protected:
  void SetUp() override { m_dir.emplace(world_dir("dp-cli-")); }
  fs::path dir() const { return m_dir->path(); }
  fs::path write_plan(const std::string& text) const {
    write_text(dir() / "plan.toml", text);
    return dir() / "plan.toml";
  }
  std::optional<TempDir> m_dir;
};

TEST_F(Cli, VersionPrintsVersion) {
  auto run = run_cli({"--version"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, std::string("drillproof ") + DP_VERSION + "\n");
}

TEST_F(Cli, HelpOnEverySubcommand) {
  auto top = run_cli({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("exit codes: 0 all passed, 1"), std::string::npos) << top.out;
  for (const char* sub : {"run", "validate", "snapshot", "demo"}) {
    auto run = run_cli({sub, "--help"});
    EXPECT_EQ(run.exit_code, 0) << sub;
    EXPECT_NE(run.out.find("Usage:"), std::string::npos) << sub << ": " << run.out;
  }
  auto run_help = run_cli({"run", "--help"});
  for (const char* opt : {"--out", "--only", "--jobs", "--keep-scratch", "--run-as"})
    EXPECT_NE(run_help.out.find(opt), std::string::npos) << opt;
}

TEST_F(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(run_cli({}).exit_code, 2);
  EXPECT_EQ(run_cli({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(run_cli({"run"}).exit_code, 2);
  EXPECT_EQ(run_cli({"run", "plan.toml", "--jobs", "0"}).exit_code, 2);
}

TEST_F(Cli, MissingPlanFileExitsTwo) {
  auto run = run_cli({"validate", (dir() / "nope.toml").string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("nope.toml: cannot read plan"), std::string::npos) << run.err;
}

// Every problem at once, as file:line:col, sorted, exit 2, nothing started.
TEST_F(Cli, PlanErrorsAreReportedTogether) {
  fs::path plan = write_plan(R"([plan]
name = "bad"
rto = "5x"

[[backup]]
name = "a"
engine = "postgres"
path = "missing.dump"
colour = "blue"

[[backup.check]]
type = "row_cont"
table = "t"

[[backup]]
name = "a"
engine = "sqlite"
path = "missing.db"
)");
  for (const char* cmd : {"validate", "run"}) {
    std::vector<std::string> args = {cmd, plan.string()};
    if (std::string(cmd) == "run") args.insert(args.end(), {"--out", (dir() / "out").string()});
    auto run = run_cli(args, {{"TMPDIR", dir().string()}});
    EXPECT_EQ(run.exit_code, 2) << cmd;
    std::string p = plan.string();
    std::vector<std::string> expected = {
        p + ":3:7: rto: bad duration \"5x\": unknown unit 'x'; use ms, s, m, h, d or w",
        p + ":8:8: backup file not found: " + (dir() / "missing.dump").string(),
        p + ":9:1: unknown key 'colour' in [[backup]]",
        p + ":12:8: unknown check type 'row_cont'; known types: blob_refs, fingerprint, "
            "foreign_keys, freshness, integrity, query, row_count, row_counts, schema",
        p + ":16:8: duplicate backup name 'a' (first at line 6)",
        p + ":18:8: backup file not found: " + (dir() / "missing.db").string(),
    };
    std::size_t last = 0;
    for (const auto& line : expected) {
      auto pos = run.err.find(line);
      EXPECT_NE(pos, std::string::npos) << cmd << ": missing\n  " << line << "\nin\n" << run.err;
      if (pos != std::string::npos) {
        EXPECT_GE(pos, last) << "not sorted by line: " << line;
        last = pos;
      }
    }
    EXPECT_FALSE(fs::exists(dir() / "out")) << "a report was written for an invalid plan";
  }
}

TEST_F(Cli, ValidatePrintsTheOrderAndStartsNothing) {
  fs::path plan = write_plan(fmt::format(R"([plan]
name = "order"
rto = "30m"
rpo = "24h"

[[backup]]
name = "second-in-file-first"
engine = "sqlite"
path = "{0}"
rto = "15m"

[[backup.check]]
type = "row_count"
table = "Track"
expect = 3503

[[backup]]
name = "dump"
engine = "sqlite"
path = "{1}"
)",
                                         chinook("Chinook_Sqlite.sqlite").string(),
                                         chinook("Chinook_Sqlite.sql").string()));
  auto run = run_cli({"validate", plan.string()}, {{"TMPDIR", dir().string()}});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  auto first = run.out.find("1. second-in-file-first  [sqlite, sqlite database]  rto 15m  rpo 1d");
  auto second = run.out.find("2. dump  [sqlite, sqlite SQL dump]  rto 30m  rpo 1d");
  EXPECT_NE(first, std::string::npos) << run.out;
  EXPECT_NE(second, std::string::npos) << run.out;
  EXPECT_LT(first, second);
  EXPECT_NE(run.out.find("check    row_count Track (row_count)"), std::string::npos);
  EXPECT_NE(run.out.find("nothing was started"), std::string::npos);
  // Nothing was created in TMPDIR besides the plan.
  EXPECT_EQ(leftovers(dir()), std::vector<std::string>{"plan.toml"});

  auto only = run_cli({"validate", plan.string(), "--only", "dump"});
  EXPECT_EQ(only.exit_code, 0);
  EXPECT_EQ(only.out.find("second-in-file-first"), std::string::npos);
  auto unknown = run_cli({"validate", plan.string(), "--only", "nope"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no backup named nope"), std::string::npos) << unknown.err;
}

// A file whose content does not match its engine is a plan error up front.
TEST_F(Cli, UnrecognisedBackupIsAPlanError) {
  fs::create_directory(dir() / "notadump");
  fs::path plan = write_plan(fmt::format(R"([plan]
name = "x"

[[backup]]
name = "d"
engine = "postgres"
path = "{}"
)",
                                         (dir() / "notadump").string()));
  auto run = run_cli({"validate", plan.string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(
      run.err.find("is a directory but neither a pg_dump directory archive (no toc.dat) nor a "
                   "pg_basebackup backup"),
      std::string::npos)
      << run.err;
}

// Passwords never go on a command line or into a plan.
TEST_F(Cli, SnapshotRefusesAPasswordInTheConnectionString) {
  auto run = run_cli({"snapshot", "--source", "host=/nowhere password=secret", "--out",
                      (dir() / "s.json").string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--source must not contain a password"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("secret"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(dir() / "s.json"));
}

// A client library that cannot be loaded (lazy_library.hpp) is each affected
// backup's `error`, found before anything is copied: the run goes on to the
// next backup, writes its reports and leaves no temp dir. The soname is
// overridden through the test-only DP_TEST_SQLITE_SONAME.
TEST_F(Cli, MissingClientLibraryIsThatBackupsError) {
  fs::path plan = write_plan(fmt::format(R"([plan]
name = "nolib"

[[backup]]
name = "file"
engine = "sqlite"
path = "{0}"

[[backup]]
name = "dump"
engine = "sqlite"
path = "{1}"
)",
                                         chinook("Chinook_Sqlite.sqlite").string(),
                                         chinook("Chinook_Sqlite.sql").string()));
  fs::create_directory(dir() / "tmp");
  const fs::path out = dir() / "out";
  auto run = run_cli({"run", plan.string(), "--out", out.string()},
                     {{"TMPDIR", (dir() / "tmp").string()},
                      {"DP_TEST_SQLITE_SONAME", "libdp-no-such-sqlite.so.0"}});
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  ASSERT_TRUE(fs::exists(out / "report.json")) << run.err;
  auto report = read_json(out / "report.json");
  ASSERT_EQ(report["backups"].size(), 2U);
  for (const auto& backup : report["backups"]) {
    EXPECT_EQ(backup["status"], "error") << backup.dump();
    std::string messages;
    for (const auto& phase : backup["phases"])
      messages +=
          phase["status"].get<std::string>() + ": " + phase["message"].get<std::string>() + "\n";
    EXPECT_NE(messages.find("error: cannot load libdp-no-such-sqlite.so.0 (SQLite library): "),
              std::string::npos)
        << messages;
    EXPECT_NE(messages.find("hint: apt-get install libsqlite3-0"), std::string::npos) << messages;
  }
  EXPECT_NE(read_text(out / "junit.xml").find("<error"), std::string::npos);
  EXPECT_TRUE(leftovers(dir() / "tmp").empty())
      << fmt::format("{}", leftovers(dir() / "tmp").size());
}

}  // namespace
}  // namespace dp::test
