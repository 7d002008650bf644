// Integration: SQLite backups (a database file and a .sql dump of Chinook)
// drilled by the built binary, with negative controls.
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>

#include "tests/integration/support.hpp"

namespace dp::test {
namespace {

class SqliteRestore : public ::testing::Test {
 protected:
  void SetUp() override { m_dir.emplace(world_dir("dp-sqlite-")); }
  fs::path dir() const { return m_dir->path(); }
  fs::path out() const { return dir() / "report"; }

  fs::path plan(const fs::path& backup, const std::string& checks) const {
    fs::path p = dir() / "plan.toml";
    write_text(p, fmt::format(R"([plan]
name = "chinook sqlite"
rto = "5m"

[[backup]]
name = "chinook"
engine = "sqlite"
path = "{}"
{})",
                              backup.string(), checks));
    return p;
  }
  CliRun drill(const fs::path& plan_file) const {
    return run_cli({"run", plan_file.string(), "--out", out().string()},
                   {{"TMPDIR", dir().string()}});
  }

  static constexpr const char* k_checks = R"(
[[backup.check]]
type = "row_count"
table = "Track"
expect = 3503

[[backup.check]]
type = "row_count"
table = "main.Customer"
expect = 59

[[backup.check]]
type = "query"
name = "no negative invoice totals"
sql = "SELECT count(*) FROM Invoice WHERE Total < 0"
expect = 0

[[backup.check]]
type = "query"
name = "first media types"
sql = "SELECT MediaTypeId, Name FROM MediaType ORDER BY MediaTypeId LIMIT 2"
expect_rows = [[1, "MPEG audio file"], [2, "Protected AAC audio file"]]
)";

  std::optional<TempDir> m_dir;
};

TEST_F(SqliteRestore, DatabaseFileRestoresAndPasses) {
  fs::path db = chinook("Chinook_Sqlite.sqlite");
  struct stat before {};
  ::stat(db.c_str(), &before);
  auto run = drill(plan(db, k_checks));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  EXPECT_EQ(report["backups"][0]["format"], "sqlite database");
  EXPECT_EQ(report["backups"][0]["status"], "passed");
  EXPECT_EQ(junit_schema_check(out() / "junit.xml"), 0);
  // The original is never opened for writing: unchanged, no journal beside it.
  struct stat after {};
  ::stat(db.c_str(), &after);
  EXPECT_EQ(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
  EXPECT_EQ(before.st_size, after.st_size);
  EXPECT_FALSE(fs::exists(db.string() + "-journal"));
  EXPECT_FALSE(fs::exists(db.string() + "-wal"));
}

TEST_F(SqliteRestore, SqlDumpRestoresAndPasses) {
  auto run = drill(plan(chinook("Chinook_Sqlite.sql"), k_checks));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  EXPECT_EQ(report["backups"][0]["format"], "sqlite SQL dump");
  for (const auto& c : report["backups"][0]["checks"]) EXPECT_EQ(c["status"], "passed");
}

TEST_F(SqliteRestore, GzipSqlDumpRestoresAndPasses) {
  fs::path copy = dir() / "chinook.sql";
  fs::copy_file(chinook("Chinook_Sqlite.sql"), copy);
  SpawnOptions gz;
  gz.argv = {"gzip", copy.string()};
  ASSERT_TRUE(run_captured(std::move(gz), std::chrono::seconds(60)));
  auto run = drill(plan(copy.string() + ".gz", k_checks));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(read_json(out() / "report.json")["backups"][0]["format"], "sqlite SQL dump, gzip");
}

// A backup's manifest is verified before the restore: a clean copy passes
// with a "manifest" phase; one flipped byte fails the drill (exit 1) and the
// restore is skipped, before any scratch instance is started.
TEST_F(SqliteRestore, ManifestIsVerifiedBeforeTheRestore) {
  fs::create_directories(dir() / "backup");
  fs::path copy = dir() / "backup" / "chinook.sqlite";
  fs::copy_file(chinook("Chinook_Sqlite.sqlite"), copy);
  fs::path manifest = dir() / "chinook.manifest";
  auto made =
      run_cli({"manifest", "create", (dir() / "backup").string(), "--out", manifest.string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  std::string checks = fmt::format("manifest = \"{}\"\n{}", manifest.string(), k_checks);
  auto clean = drill(plan(copy, checks));
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  auto report = read_json(out() / "report.json");
  EXPECT_EQ(report["backups"][0]["phases"][0]["name"], "manifest");
  EXPECT_EQ(report["backups"][0]["phases"][0]["status"], "passed");

  std::string bytes = read_text(copy);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
  write_text(copy, bytes);
  fs::remove_all(out());
  auto damaged = drill(plan(copy, checks));
  EXPECT_EQ(damaged.exit_code, 1) << damaged.out << damaged.err;
  report = read_json(out() / "report.json");
  const auto& phases = report["backups"][0]["phases"];
  EXPECT_EQ(report["backups"][0]["status"], "failed");
  EXPECT_EQ(phases[0]["name"], "manifest");
  EXPECT_EQ(phases[0]["status"], "failed");
  EXPECT_NE(phases[0]["message"].get<std::string>().find("changed: chinook.sqlite: xxh3-128 "),
            std::string::npos)
      << phases[0]["message"];
  ASSERT_GE(phases.size(), 2u) << phases.dump(2);
  EXPECT_EQ(phases[1]["name"], "restore");  // no provision phase: nothing was started
  EXPECT_EQ(phases[1]["status"], "skipped");
}

// Negative control: a dump cut in the middle of a statement is an error
// (exit 3) naming the line where the cut statement starts.
TEST_F(SqliteRestore, TruncatedSqlDumpIsAnErrorNamingTheLine) {
  std::string sql = read_text(chinook("Chinook_Sqlite.sql"));
  auto cut = sql.find("VALUES", sql.size() / 2);
  fs::path damaged = dir() / "truncated.sql";
  write_text(damaged, sql.substr(0, cut));
  int line =
      1 + static_cast<int>(std::count(sql.begin(), sql.begin() + static_cast<long>(cut), '\n'));
  auto run = drill(plan(damaged, k_checks));
  EXPECT_EQ(run.exit_code, 3) << run.out;
  auto report = read_json(out() / "report.json");
  const auto& restore = report["backups"][0]["phases"][1];
  EXPECT_EQ(restore["status"], "error");
  std::string msg = restore["message"];
  EXPECT_NE(msg.find(fmt::format("truncated.sql:{}: the dump ends in the middle of this statement",
                                 line)),
            std::string::npos)
      << msg;
  EXPECT_NE(read_text(out() / "junit.xml").find("<error message="), std::string::npos);
}

// Negative control: a real `sqlite3 .dump` cut between two statements still
// parses, but ends inside its BEGIN TRANSACTION: an error, never a pass.
TEST_F(SqliteRestore, SqliteDumpCutBetweenStatementsIsAnError) {
  SpawnOptions dump;
  dump.argv = {"sqlite3", chinook("Chinook_Sqlite.sqlite").string(), ".dump"};
  auto done = run_captured(std::move(dump), std::chrono::seconds(60));
  DP_REQUIRE_OR_SKIP(done && done->status.ok(), "sqlite3 CLI not installed");
  write_text(dir() / "full.sql", done->out);
  std::string sql = done->out;
  ASSERT_NE(sql.find("BEGIN TRANSACTION;"), std::string::npos);
  auto cut = sql.find(";\nINSERT", sql.size() / 2);
  ASSERT_NE(cut, std::string::npos);
  write_text(dir() / "cut.sql", sql.substr(0, cut + 2));
  auto full = drill(plan(dir() / "full.sql", k_checks));
  EXPECT_EQ(full.exit_code, 0) << full.out << full.err;
  auto run = drill(plan(dir() / "cut.sql", k_checks));
  EXPECT_EQ(run.exit_code, 3) << run.out;
  std::string msg = read_json(out() / "report.json")["backups"][0]["phases"][1]["message"];
  EXPECT_NE(msg.find("dump ends inside a transaction (no COMMIT); the file looks truncated"),
            std::string::npos)
      << msg;
}

// Negative control: a syntax error in the dump names its line.
TEST_F(SqliteRestore, BrokenStatementNamesItsLine) {
  fs::path damaged = dir() / "broken.sql";
  write_text(damaged, "CREATE TABLE a (id INTEGER);\n\nINSRT INTO a VALUES (1);\n");
  auto run =
      drill(plan(damaged, "[[backup.check]]\ntype = \"row_count\"\ntable = \"a\"\nexpect = 1\n"));
  EXPECT_EQ(run.exit_code, 3);
  std::string msg = read_json(out() / "report.json")["backups"][0]["phases"][1]["message"];
  EXPECT_NE(msg.find("broken.sql:3: near \"INSRT\": syntax error"), std::string::npos) << msg;
}

// Negative control: rows deleted from a copy of the database are caught.
TEST_F(SqliteRestore, DroppedRowsAreAFailure) {
  fs::path copy = dir() / "damaged.sqlite";
  fs::copy_file(chinook("Chinook_Sqlite.sqlite"), copy);
  SpawnOptions del;
  del.argv = {
      "sqlite3", copy.string(),
      "DELETE FROM InvoiceLine WHERE InvoiceId = 1; DELETE FROM Invoice WHERE InvoiceId = 1; "
      "DELETE FROM PlaylistTrack WHERE TrackId = 1; DELETE FROM Track WHERE TrackId = 1;"};
  auto deleted = run_captured(std::move(del), std::chrono::seconds(60));
  DP_REQUIRE_OR_SKIP(deleted && deleted->status.ok(), "sqlite3 CLI not installed");
  auto run = drill(plan(copy, k_checks));
  EXPECT_EQ(run.exit_code, 1) << run.out;
  auto report = read_json(out() / "report.json");
  const auto& check = report["backups"][0]["checks"][0];
  EXPECT_EQ(check["status"], "failed");
  EXPECT_EQ(check["observed"], "3502");
  EXPECT_EQ(check["findings"][0]["target"], "Track");
}

// Negative control: a flipped byte in the header makes the file unreadable
// as SQLite: the restore is an error, not a crash.
TEST_F(SqliteRestore, DamagedHeaderIsAnError) {
  std::string bytes = read_text(chinook("Chinook_Sqlite.sqlite"));
  bytes[0] = 'X';
  fs::path damaged = dir() / "damaged.sqlite";
  write_text(damaged, bytes);
  auto run = drill(plan(damaged, k_checks));
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
}

// Negative control: a gzip dump cut short reads as a clean end of stream to
// a careless reader; it must be an error even when the cut falls between
// statements of a dump without a transaction.
TEST_F(SqliteRestore, TruncatedGzipDumpIsAnError) {
  fs::path copy = dir() / "chinook.sql";
  fs::copy_file(chinook("Chinook_Sqlite.sql"), copy);
  SpawnOptions gz;
  gz.argv = {"gzip", copy.string()};
  ASSERT_TRUE(run_captured(std::move(gz), std::chrono::seconds(60)));
  std::string bytes = read_text(copy.string() + ".gz");
  fs::path damaged = dir() / "truncated.sql.gz";
  write_text(damaged, bytes.substr(0, bytes.size() / 2));
  auto run = drill(plan(damaged, k_checks));
  EXPECT_EQ(run.exit_code, 3) << run.out;
  std::string msg = read_json(out() / "report.json")["backups"][0]["phases"][1]["message"];
  EXPECT_NE(msg.find("gzip stream is damaged or truncated"), std::string::npos) << msg;
}

// Negative control: zeroed bytes (filesystem damage) in a dump stop SQLite's
// parser as if the text ended; the rows after them must not be lost quietly.
TEST_F(SqliteRestore, NulBytesInDumpAreAnError) {
  fs::path damaged = dir() / "zeros.sql";
  std::string sql = "CREATE TABLE a (id INTEGER);\nINSERT INTO a VALUES (1);\n";
  sql += std::string(16, '\0');
  sql += "\nINSERT INTO a VALUES (2);\n";
  write_text(damaged, sql);
  auto run =
      drill(plan(damaged, "[[backup.check]]\ntype = \"row_count\"\ntable = \"a\"\nexpect = 2\n"));
  EXPECT_EQ(run.exit_code, 3) << run.out;
  std::string msg = read_json(out() / "report.json")["backups"][0]["phases"][1]["message"];
  EXPECT_NE(msg.find("zeros.sql:3: NUL byte in the dump; the file looks damaged"),
            std::string::npos)
      << msg;
}

}  // namespace
}  // namespace dp::test
