// Integration: real scratch PostgreSQL. Chinook is loaded into a source
// cluster, dumped with pg_dump in every format, and each dump is drilled by
// the built drillproof binary. Negative controls damage the dumps.
#include <csignal>
#include <thread>

#include <fmt/format.h>

#include "tests/integration/source_pg.hpp"

namespace dp::test {
namespace {

using namespace std::chrono_literals;

class PgRestore : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_work = new TempDir(world_dir("dp-pgit-"));
    std::string why;
    auto source = SourcePg::start(why);
    if (source) s_source = new SourcePg(std::move(*source));
    if (!s_source) {
      s_why = "PostgreSQL unavailable: " + why;
      return;
    }
    if (auto err = s_source->psql_file(chinook("Chinook_PostgreSql.sql")); !err.empty()) {
      s_why = "loading Chinook failed: " + err;
      return;
    }
    for (char f : {'c', 'd', 't', 'p'}) {
      if (auto err = s_source->dump(f, dump_path(f), "chinook"); !err.empty()) {
        s_why = fmt::format("pg_dump -F{} failed: {}", f, err);
        return;
      }
    }
    SpawnOptions gz;
    gz.argv = {"gzip", "-k", dump_path('p').string()};
    auto zipped = run_captured(std::move(gz), 60s);
    if (!zipped || !zipped->status.ok()) s_why = "gzip failed";
  }
  static void TearDownTestSuite() {
    delete s_source;
    delete s_work;
    s_source = nullptr;
    s_work = nullptr;
  }
  void SetUp() override {
    DP_REQUIRE_OR_SKIP(s_why.empty(), s_why);
    m_dir.emplace(world_dir("dp-pgcase-"));
    std::filesystem::create_directory(tmp());
    ::chmod(tmp().c_str(), 0755);
  }

  static fs::path dump_path(char format) {
    return s_work->path() /
           fmt::format("chinook.{}", format == 'p' ? "sql" : std::string(1, format));
  }
  fs::path dir() const { return m_dir->path(); }
  fs::path tmp() const { return dir() / "tmp"; }
  fs::path out() const { return dir() / "report"; }

  // A plan for one postgres backup with the given checks appended.
  fs::path plan(const fs::path& backup, const std::string& checks,
                const std::string& extra = "") const {
    fs::path p = dir() / "plan.toml";
    write_text(p, fmt::format(R"([plan]
name = "chinook pg"
rto = "10m"

[[backup]]
name = "chinook"
engine = "postgres"
path = "{}"
database = "chinook"
{}
{})",
                              backup.string(), extra, checks));
    return p;
  }

  CliRun drill(const fs::path& plan_file) const {
    return run_cli({"run", plan_file.string(), "--out", out().string()},
                   {{"TMPDIR", tmp().string()}});
  }

  static constexpr const char* k_good_checks = R"(
[[backup.check]]
type = "row_count"
table = "public.track"
expect = 3503

[[backup.check]]
type = "row_count"
table = "public.invoice_line"
min = 2000
max = 2240

[[backup.check]]
type = "query"
name = "no negative invoice totals"
sql = "SELECT count(*) FROM invoice WHERE total < 0"
expect = 0

[[backup.check]]
type = "query"
name = "first genres"
sql = "SELECT genre_id, name FROM genre ORDER BY genre_id LIMIT 3"
expect_rows = [[1, "Rock"], [2, "Jazz"], [3, "Metal"]]
)";

  void expect_clean_pass(const fs::path& backup, const std::string& format) {
    auto run = drill(plan(backup, k_good_checks));
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = read_json(out() / "report.json");
    ASSERT_EQ(report["backups"].size(), 1u);
    const auto& b = report["backups"][0];
    EXPECT_EQ(b["status"], "passed");
    EXPECT_EQ(b["format"], format);
    EXPECT_EQ(b["checks"].size(), 4u);
    for (const auto& c : b["checks"]) EXPECT_EQ(c["status"], "passed") << c.dump();
    EXPECT_EQ(b["objectives"][0]["name"], "rto");
    EXPECT_EQ(b["objectives"][0]["status"], "passed");
    EXPECT_EQ(junit_schema_check(out() / "junit.xml"), 0);
    EXPECT_TRUE(leftovers(tmp()).empty()) << "scratch left behind in " << tmp();
  }

  std::optional<TempDir> m_dir;
  static inline TempDir* s_work = nullptr;
  static inline SourcePg* s_source = nullptr;
  static inline std::string s_why;
};

TEST_F(PgRestore, CustomFormatRestoresAndPasses) {
  expect_clean_pass(dump_path('c'), "pg_dump custom");
}
TEST_F(PgRestore, DirectoryFormatRestoresAndPasses) {
  expect_clean_pass(dump_path('d'), "pg_dump directory");
}
TEST_F(PgRestore, TarFormatRestoresAndPasses) { expect_clean_pass(dump_path('t'), "pg_dump tar"); }
TEST_F(PgRestore, PlainSqlRestoresAndPasses) {
  expect_clean_pass(dump_path('p'), "pg_dump plain SQL");
}
TEST_F(PgRestore, GzipPlainSqlRestoresAndPasses) {
  expect_clean_pass(dump_path('p').string() + ".gz", "pg_dump plain SQL, gzip");
}

TEST_F(PgRestore, BackupIsNeverModified) {
  auto before = read_text(dump_path('c'));
  auto run = drill(plan(dump_path('c'), k_good_checks));
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(read_text(dump_path('c')), before);
}

// Negative control: a custom dump cut in half cannot be restored: JUnit
// error on the restore testcase, checks skipped, exit 3.
TEST_F(PgRestore, TruncatedCustomDumpIsAnError) {
  std::string bytes = read_text(dump_path('c'));
  fs::path damaged = dir() / "truncated.dump";
  write_text(damaged, bytes.substr(0, bytes.size() / 2));
  auto run = drill(plan(damaged, k_good_checks));
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto& b = report["backups"][0];
  EXPECT_EQ(b["status"], "error");
  EXPECT_EQ(b["phases"][1]["name"], "restore");
  EXPECT_EQ(b["phases"][1]["status"], "error");
  EXPECT_NE(b["phases"][1]["message"].get<std::string>().find("pg_restore failed"),
            std::string::npos);
  EXPECT_FALSE(b["phases"][1]["stderr_tail"].get<std::string>().empty());
  for (const auto& c : b["checks"]) EXPECT_EQ(c["status"], "skipped");
  std::string junit = read_text(out() / "junit.xml");
  EXPECT_NE(junit.find("<testcase name=\"restore\" classname=\"drillproof.chinook\""),
            std::string::npos);
  EXPECT_NE(junit.find("<error message=\"pg_restore failed"), std::string::npos) << junit;
  EXPECT_NE(junit.find("errors=\"1\""), std::string::npos);
  EXPECT_EQ(junit_schema_check(out() / "junit.xml"), 0);
  EXPECT_TRUE(leftovers(tmp()).empty());
}

// Negative control: a plain dump that lost its tail still loads statement by
// statement, so the missing pg_dump trailer is what gives it away.
TEST_F(PgRestore, TruncatedPlainDumpIsAnError) {
  std::string sql = read_text(dump_path('p'));
  fs::path damaged = dir() / "truncated.sql";
  auto cut = sql.find("\n", sql.size() * 3 / 4);
  write_text(damaged, sql.substr(0, cut + 1));
  auto run = drill(plan(damaged, k_good_checks));
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  EXPECT_NE(report["backups"][0]["phases"][1]["message"].get<std::string>().find("is truncated"),
            std::string::npos);
}

// Negative control: rows dropped (a wrong expected count) is a JUnit
// failure and exit 1, and the other checks still run.
TEST_F(PgRestore, WrongRowCountIsAFailure) {
  auto run = drill(plan(dump_path('c'), R"(
[[backup.check]]
type = "row_count"
table = "public.track"
expect = 3504

[[backup.check]]
type = "query"
name = "genres"
sql = "SELECT count(*) FROM genre"
expect = 25
)"));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto& checks = report["backups"][0]["checks"];
  EXPECT_EQ(checks[0]["status"], "failed");
  EXPECT_EQ(checks[0]["observed"], "3503");
  EXPECT_EQ(checks[0]["expected"], "= 3504");
  EXPECT_EQ(checks[1]["status"], "passed");
  std::string junit = read_text(out() / "junit.xml");
  EXPECT_NE(junit.find("<testcase name=\"row_count public.track\""), std::string::npos);
  EXPECT_NE(junit.find("<failure message=\""), std::string::npos);
  EXPECT_NE(junit.find("failures=\"1\""), std::string::npos);
  EXPECT_EQ(junit_schema_check(out() / "junit.xml"), 0);
}

// Checks run read-only: a check that tries to write is refused by the server.
TEST_F(PgRestore, ChecksRunInReadOnlySession) {
  auto run = drill(plan(dump_path('c'), R"(
[[backup.check]]
type = "query"
name = "tries to write"
sql = "DELETE FROM track"
expect = 0
)"));
  EXPECT_EQ(run.exit_code, 3) << run.out;
  auto report = read_json(out() / "report.json");
  const auto& c = report["backups"][0]["checks"][0];
  EXPECT_EQ(c["status"], "error");
  EXPECT_NE(c["message"].get<std::string>().find("read-only transaction"), std::string::npos)
      << c.dump();
}

// Nor can a check switch the session to read-write first.
TEST_F(PgRestore, ChecksCannotLeaveReadOnly) {
  auto run = drill(plan(dump_path('c'), R"(
[[backup.check]]
type = "query"
name = "two statements"
sql = "SET default_transaction_read_only = off; DELETE FROM track"
expect = 0

[[backup.check]]
type = "query"
name = "read write"
sql = "SET TRANSACTION READ WRITE"
expect = 0

[[backup.check]]
type = "row_count"
table = "public.track"
expect = 3503
)"));
  // 1, not 3: the second check ran and returned no row (a failure).
  EXPECT_EQ(run.exit_code, 1) << run.out;
  auto report = read_json(out() / "report.json");
  const auto& checks = report["backups"][0]["checks"];
  EXPECT_EQ(checks[0]["status"], "error");
  EXPECT_EQ(checks[1]["status"], "failed");
  EXPECT_NE(checks[0]["message"].get<std::string>().find("multiple commands"), std::string::npos)
      << checks[0].dump();
  EXPECT_EQ(checks[2]["status"], "passed") << "rows were deleted: " << checks[2].dump();
}

// Missing the RTO objective is a failure whose message gives both figures.
TEST_F(PgRestore, MissedRtoIsAFailure) {
  auto run = drill(plan(dump_path('c'), "", "rto = \"1ms\""));
  EXPECT_EQ(run.exit_code, 1) << run.out;
  auto report = read_json(out() / "report.json");
  const auto& rto = report["backups"][0]["objectives"][0];
  EXPECT_EQ(rto["status"], "failed");
  std::string msg = rto["message"];
  EXPECT_NE(msg.find("objective 1ms"), std::string::npos) << msg;
  EXPECT_NE(msg.find("restored in "), std::string::npos) << msg;
  EXPECT_NE(read_text(out() / "junit.xml").find("<testcase name=\"rto objective\""),
            std::string::npos);
}

// A dump from a newer major version than the scratch server is refused up
// front with both versions named.
TEST_F(PgRestore, NewerMajorVersionDumpIsRefused) {
  std::string bytes = read_text(dump_path('c'));
  // The header holds "15.x (Debian ...)" twice: server and pg_dump version.
  std::string version = s_source->psql("SHOW server_version");
  ASSERT_FALSE(version.empty());
  std::string major = version.substr(0, version.find('.'));
  std::string newer = std::to_string(std::stoi(major) + 9);
  ASSERT_EQ(newer.size(), major.size());
  for (int i = 0; i < 2; ++i) {
    auto pos = bytes.find(major + ".", 16);
    ASSERT_NE(pos, std::string::npos);
    bytes.replace(pos, major.size(), newer);
  }
  fs::path damaged = dir() / "newer.dump";
  write_text(damaged, bytes);
  auto run = drill(plan(damaged, k_good_checks));
  EXPECT_EQ(run.exit_code, 3) << run.out;
  auto report = read_json(out() / "report.json");
  std::string msg = report["backups"][0]["phases"][1]["message"];
  EXPECT_NE(msg.find("dumped from PostgreSQL " + newer + "."), std::string::npos) << msg;
  EXPECT_NE(msg.find("newer than the scratch server PostgreSQL " + major + "."), std::string::npos)
      << msg;
}

// A restore that outlives restore_timeout is stopped: could not test, exit 3,
// and the scratch server is gone.
TEST_F(PgRestore, RestoreTimeoutIsAnError) {
  fs::path slow = dir() / "slow.sql";
  write_text(slow, "SELECT pg_sleep(120);\n");
  auto run = drill(plan(slow, k_good_checks, "restore_timeout = \"1s\""));
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto& restore = report["backups"][0]["phases"][1];
  EXPECT_EQ(restore["status"], "error");
  EXPECT_EQ(restore["message"], "restore did not finish within restore_timeout 1s");
  EXPECT_LT(restore["duration_s"].get<double>(), 30.0);
  EXPECT_TRUE(leftovers(tmp()).empty());
  EXPECT_TRUE(processes_mentioning(tmp().string()).empty());
}

// A scratch server that does not come up in time is an error naming why.
TEST_F(PgRestore, ServerThatWillNotStartIsAnError) {
  fs::path p = plan(dump_path('c'), k_good_checks);
  std::string text = read_text(p);
  text.replace(text.find("rto = \"10m\""), 11, "rto = \"10m\"\nstart_timeout = \"1ms\"");
  write_text(p, text);
  auto run = drill(p);
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto& provision = report["backups"][0]["phases"][0];
  EXPECT_EQ(provision["status"], "error");
  EXPECT_NE(provision["message"].get<std::string>().find(
                "postgres did not accept connections within 1ms"),
            std::string::npos)
      << provision.dump();
  EXPECT_EQ(report["backups"][0]["phases"][1]["status"], "skipped");
  EXPECT_NE(read_text(out() / "junit.xml").find("<skipped"), std::string::npos);
  EXPECT_TRUE(leftovers(tmp()).empty());
}

// As root, a TMPDIR the server user cannot traverse is named, with a hint.
TEST_F(PgRestore, UnreachableTmpdirIsNamed) {
  if (::geteuid() != 0) GTEST_SKIP() << "only root hands the server to another user";
  ::chmod(tmp().c_str(), 0700);
  auto run = drill(plan(dump_path('c'), k_good_checks));
  EXPECT_EQ(run.exit_code, 3) << run.out;
  std::string msg = read_json(out() / "report.json")["backups"][0]["phases"][0]["message"];
  EXPECT_NE(msg.find("the server user 'postgres' cannot reach " + tmp().string()),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("is mode 700"), std::string::npos) << msg;
  EXPECT_TRUE(leftovers(tmp()).empty());
}

// SIGTERM during a restore: the run stops, writes a report marked
// interrupted, exits 3, and leaves no server process and no temp dir.
TEST_F(PgRestore, SigtermDuringRestoreLeavesNothingBehind) {
  fs::path slow = dir() / "slow.sql";
  write_text(slow, "CREATE TABLE t (id int);\nSELECT pg_sleep(120);\n");
  fs::path plan_file = plan(slow, k_good_checks);
  SpawnOptions o;
  o.argv = {DP_BINARY, "run", plan_file.string(), "--out", out().string()};
  o.env = {{"TMPDIR", tmp().string()}};
  o.out = Redirect::to_file(dir() / "stdout");
  o.err = Redirect::to_file(dir() / "stderr");
  auto child = ChildProcess::spawn(std::move(o));
  ASSERT_TRUE(child) << child.error().message;
  // Wait until psql runs the restore (its log exists in the scratch dir).
  auto until = std::chrono::steady_clock::now() + 60s;
  bool restoring = false;
  while (!restoring && std::chrono::steady_clock::now() < until) {
    for (const auto& name : leftovers(tmp()))
      if (fs::exists(tmp() / name / "restore.log")) restoring = true;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(restoring) << read_text(dir() / "stderr");
  std::this_thread::sleep_for(300ms);
  ::kill(child->pid(), SIGTERM);
  auto status = child->wait(deadline_in(60s));
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(status->code, 3) << read_text(dir() / "stdout") << read_text(dir() / "stderr");
  auto report = read_json(out() / "report.json");
  EXPECT_EQ(report["interrupted"], true);
  EXPECT_EQ(report["backups"][0]["phases"][1]["status"], "error");
  EXPECT_NE(report["backups"][0]["phases"][1]["message"].get<std::string>().find("signal 15"),
            std::string::npos);
  EXPECT_TRUE(leftovers(tmp()).empty()) << "temp dir left: " << leftovers(tmp())[0];
  EXPECT_TRUE(processes_mentioning(tmp().string()).empty()) << "server process left behind";
}

// --keep-scratch leaves a running server and says how to connect.
TEST_F(PgRestore, KeepScratchLeavesAConnectableServer) {
  auto run = run_cli({"run", plan(dump_path('c'), k_good_checks).string(), "--out", out().string(),
                      "--keep-scratch"},
                     {{"TMPDIR", tmp().string()}});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  auto report = read_json(out() / "report.json");
  std::string hint = report["backups"][0]["scratch"];
  EXPECT_NE(run.out.find("-U postgres -d chinook"), std::string::npos) << run.out;
  auto left = leftovers(tmp());
  ASSERT_EQ(left.size(), 1u);
  fs::path kept = tmp() / left[0];
  auto pids = processes_mentioning(kept.string());
  ASSERT_FALSE(pids.empty());
  // Still answering queries after drillproof exited.
  SpawnOptions q;
  q.argv = {"psql",    "-h",       kept.string(),
            "-U",      "postgres", "-d",
            "chinook", "-Atc",     "SELECT count(*) FROM track"};
  auto answer = run_captured(std::move(q), 30s);
  ASSERT_TRUE(answer);
  EXPECT_EQ(std::string(trim(answer->out)), "3503");
  // Clean up the server we caused to be started (the postmaster is the
  // oldest process naming the dir; SIGQUIT is immediate shutdown).
  for (int pid : pids) ::kill(pid, SIGQUIT);
  for (int i = 0; i < 200 && !processes_mentioning(kept.string()).empty(); ++i)
    std::this_thread::sleep_for(50ms);
  std::error_code ec;
  fs::remove_all(kept, ec);
}

}  // namespace
}  // namespace dp::test
