// Integration: real scratch MariaDB. Chinook is loaded into one source server
// shared by the suite, snapshotted, dumped with mariadb-dump and backed up
// with mariadb-backup; the built drillproof binary restores each and runs
// every check kind. Negative controls damage the backups or the data.
#include <fmt/format.h>

#include <map>

#include "checks/snapshot.hpp"
#include "tests/integration/source_my.hpp"
#include "verifier/engine/engine.hpp"

namespace dp::test {
namespace {

using namespace std::chrono_literals;

std::map<std::string, std::string> tree_bytes(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) out[fs::relative(e.path(), root).string()] = read_text(e.path());
  return out;
}

// Every entry under `root` (not following symlinks): its type, mode, owner
// and, for regular files, bytes. What "the backup was only read" compares.
std::map<std::string, std::string> tree_listing(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    struct stat st {};
    EXPECT_EQ(::lstat(e.path().c_str(), &st), 0) << e.path();
    std::string entry = fmt::format("mode {:o} owner {}:{}", st.st_mode, st.st_uid, st.st_gid);
    if (S_ISREG(st.st_mode)) entry += " bytes " + read_text(e.path());
    out[fs::relative(e.path(), root).string()] = std::move(entry);
  }
  return out;
}

class MyRestore : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_work = new TempDir(world_dir("dp-myit-"));
    std::string why;
    auto source = SourceMy::start(why);
    if (source) s_source = new SourceMy(std::move(*source));
    if (!s_source) {
      s_why = "MariaDB unavailable: " + why;
      return;
    }
    if (auto err = s_source->load(chinook("Chinook_MySql.sql")); !err.empty())
      return fail("loading Chinook: " + err);
    if (auto err = s_source->dump("Chinook", work("chinook.sql")); !err.empty())
      return fail("mariadb-dump: " + err);
    SpawnOptions gz;
    gz.argv = {"gzip", "-k", work("chinook.sql").string()};
    if (auto zipped = run_captured(std::move(gz), 60s); !zipped || !zipped->status.ok())
      return fail("gzip failed");
    if (auto err = s_source->backup(work("backup")); !err.empty())
      return fail("mariadb-backup: " + err);
    auto db = engine::connect(s_source->scratch().connect_options("Chinook"));
    if (!db) return fail("connect: " + db.error().message);
    checks::SnapshotOptions options;
    options.segment_rows = 500;
    options.source_label = "chinook source";
    auto snapshot = checks::take_snapshot(**db, options);
    if (!snapshot) return fail("snapshot: " + snapshot.error().message);
    write_text(work("chinook.snapshot.json"), checks::snapshot_to_json(*snapshot));
    // After the snapshot: rows deleted, a column added, an orphan inserted.
    // The dump made now is the "backup that lost data" of the negative controls.
    if (auto err = s_source->sql(
            "DELETE FROM InvoiceLine WHERE InvoiceLineId BETWEEN 100 AND 109;"
            "ALTER TABLE Genre MODIFY Name varchar(60);"
            "SET FOREIGN_KEY_CHECKS = 0;"
            "INSERT INTO Album (AlbumId, Title, ArtistId) VALUES (9999, 'Orphan', 99999)",
            "Chinook");
        !err.empty())
      return fail("changing the source: " + err);
    if (auto err = s_source->dump("Chinook", work("changed.sql")); !err.empty())
      return fail("mariadb-dump: " + err);
  }
  static void fail(const std::string& why) { s_why = why; }
  static void TearDownTestSuite() {
    delete s_source;
    delete s_work;
    s_source = nullptr;
    s_work = nullptr;
  }
  void SetUp() override {
    DP_REQUIRE_OR_SKIP(s_why.empty() || s_why.rfind("MariaDB unavailable", 0) != 0, s_why);
    ASSERT_TRUE(s_why.empty()) << s_why;
    m_dir.emplace(world_dir("dp-mycase-"));
    fs::create_directory(tmp());
    ::chmod(tmp().c_str(), 0755);
  }

  static fs::path work(const std::string& name) { return s_work->path() / name; }
  fs::path dir() const { return m_dir->path(); }
  fs::path tmp() const { return dir() / "tmp"; }
  fs::path out() const { return dir() / "report"; }

  // Dumps are restored into "chinook"; a physical backup keeps the source's
  // database names, so its plan names "Chinook".
  fs::path plan(const fs::path& backup, const std::string& checks, const std::string& extra = "",
                const std::string& plan_extra = "") const {
    std::error_code ec;
    const char* database = fs::is_directory(backup, ec) ? "Chinook" : "chinook";
    fs::path p = dir() / "plan.toml";
    write_text(p, fmt::format(R"([plan]
name = "chinook mysql"
rto = "10m"
start_timeout = "60s"
check_timeout = "60s"
{}

[[backup]]
name = "chinook"
engine = "mysql"
path = "{}"
database = "{}"
snapshot = "{}"
{}
{})",
                              plan_extra, backup.string(), database,
                              work("chinook.snapshot.json").string(), extra, checks));
    return p;
  }

  CliRun drill(const fs::path& plan_file,
               std::vector<std::pair<std::string, std::string>> env = {}) const {
    env.emplace_back("TMPDIR", tmp().string());
    return run_cli({"run", plan_file.string(), "--out", out().string()}, std::move(env));
  }

  nlohmann::json backup_report() const { return read_json(out() / "report.json")["backups"][0]; }

  static nlohmann::json check(const nlohmann::json& b, const std::string& name) {
    for (const auto& c : b["checks"])
      if (c["name"] == name) return c;
    ADD_FAILURE() << "no check " << name;
    return nlohmann::json::object();
  }

  static std::vector<std::string> findings(const nlohmann::json& c) {
    std::vector<std::string> out;
    for (const auto& f : c["findings"]) out.push_back(f["message"]);
    return out;
  }

  // Every check kind, each of which passes on an intact Chinook.
  static constexpr const char* k_all_checks = R"(
[[backup.check]]
type = "row_count"
table = "Track"
expect = 3503

[[backup.check]]
type = "query"
name = "first genres"
sql = "SELECT GenreId, Name FROM Genre ORDER BY GenreId LIMIT 3"
expect_rows = [[1, "Rock"], [2, "Jazz"], [3, "Metal"]]

[[backup.check]]
type = "schema"

[[backup.check]]
type = "row_counts"

[[backup.check]]
type = "fingerprint"

[[backup.check]]
type = "foreign_keys"

[[backup.check]]
type = "freshness"
query = "SELECT max(InvoiceDate) FROM Invoice"

[[backup.check]]
type = "integrity"
)";

  void expect_clean_pass(const fs::path& backup, const std::string& format) {
    auto run = drill(plan(backup, k_all_checks));
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    auto b = backup_report();
    EXPECT_EQ(b["status"], "passed") << b.dump(2);
    EXPECT_EQ(b["format"], format);
    EXPECT_NE(b["server_version"].get<std::string>().find("MariaDB"), std::string::npos);
    ASSERT_EQ(b["checks"].size(), 8u);
    for (const auto& c : b["checks"]) EXPECT_EQ(c["status"], "passed") << c.dump();
    EXPECT_EQ(check(b, "integrity")["observed"], "11 objects checked, 0 failed, 0 in error");
    EXPECT_EQ(check(b, "row_counts")["status"], "passed");
    EXPECT_EQ(b["objectives"][0]["status"], "passed");
    EXPECT_EQ(junit_schema_check(out() / "junit.xml"), 0);
    EXPECT_TRUE(leftovers(tmp()).empty()) << "scratch left behind in " << tmp();
  }

  std::optional<TempDir> m_dir;
  static inline TempDir* s_work = nullptr;
  static inline SourceMy* s_source = nullptr;
  static inline std::string s_why;
};

TEST_F(MyRestore, DumpRestoresAndPassesEveryCheck) {
  expect_clean_pass(work("chinook.sql"), "mysqldump SQL");
}

TEST_F(MyRestore, GzipDumpRestoresAndPassesEveryCheck) {
  expect_clean_pass(work("chinook.sql.gz"), "mysqldump SQL, gzip");
}

// The physical backup is copied before --prepare: its bytes never change.
TEST_F(MyRestore, PhysicalBackupRestoresAndPassesEveryCheck) {
  auto before = tree_bytes(work("backup"));
  expect_clean_pass(work("backup"), "mariadb-backup directory");
  EXPECT_TRUE(before == tree_bytes(work("backup"))) << "the backup directory was modified";
}

// /backups/latest -> 2026-11-20: the link is resolved and the real
// directory copied; chown and --prepare touch only the copy, so every file's
// bytes, owner and mode in the original stay as they were.
TEST_F(MyRestore, SymlinkedPhysicalBackupIsOnlyRead) {
  fs::path original = dir() / "2026-11-20";
  fs::copy(work("backup"), original, fs::copy_options::recursive);
  fs::path latest = dir() / "latest";
  fs::create_directory_symlink(original, latest);
  auto before = tree_listing(original);
  ASSERT_FALSE(before.empty());
  expect_clean_pass(latest, "mariadb-backup directory");
  auto after = tree_listing(original);
  EXPECT_EQ(after.size(), before.size());
  for (const auto& [name, entry] : before)
    EXPECT_TRUE(after[name] == entry)
        << name << " changed: " << entry.substr(0, 40) << " -> " << after[name].substr(0, 40);
  EXPECT_TRUE(fs::is_symlink(latest));
}

// A symlink inside a physical backup is refused, never followed or copied
// as a link into the scratch copy.
TEST_F(MyRestore, SymlinkInsidePhysicalBackupIsRefused) {
  fs::path backup = dir() / "linked-backup";
  fs::copy(work("backup"), backup, fs::copy_options::recursive);
  fs::path ibd;
  for (const auto& e : fs::recursive_directory_iterator(backup))
    if (e.is_regular_file() && e.path().parent_path() != backup) ibd = e.path();
  ASSERT_FALSE(ibd.empty());
  fs::path moved = dir() / ibd.filename();
  fs::rename(ibd, moved);
  fs::create_symlink(moved, ibd);
  auto run = drill(plan(backup, ""));
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  std::string msg = backup_report()["phases"][1]["message"];
  EXPECT_NE(msg.find("contains a symbolic link, " + ibd.string()), std::string::npos) << msg;
  EXPECT_TRUE(leftovers(tmp()).empty());
}

// restore_timeout covers copying a physical backup: the copy stops between
// files, the drill is an error (exit 3), and nothing is left behind.
TEST_F(MyRestore, RestoreTimeoutStopsThePhysicalCopy) {
  auto run = drill(plan(work("backup"), "", R"(restore_timeout = "1ms")"));
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  std::string msg = backup_report()["phases"][1]["message"];
  EXPECT_NE(msg.find("restore_timeout passed while copying"), std::string::npos) << msg;
  EXPECT_TRUE(leftovers(tmp()).empty());
}

// MYSQL_HOST / MYSQL_TCP_PORT / MYSQL_PWD set for the source (as the docs
// suggest for `source`) must reach neither the restore client (it would
// load the dump over TCP somewhere else) nor the scratch sessions (root has
// no password there). Dump and physical restores both pass.
TEST_F(MyRestore, SourceClientEnvironmentDoesNotLeakIntoTheScratch) {
  const std::vector<std::pair<std::string, std::string>> env = {
      {"MYSQL_HOST", "127.0.0.1"}, {"MYSQL_TCP_PORT", "9"}, {"MYSQL_PWD", "S3cret"}};
  for (const fs::path& backup : {work("chinook.sql"), work("chinook.sql.gz"), work("backup")}) {
    auto run = drill(plan(backup, R"(
[[backup.check]]
type = "row_count"
table = "Track"
expect = 3503

[[backup.check]]
type = "integrity"
)"),
                     env);
    EXPECT_EQ(run.exit_code, 0) << backup << "\n" << run.out << run.err;
    auto b = backup_report();
    EXPECT_EQ(b["status"], "passed") << b.dump(2);
  }
  EXPECT_TRUE(leftovers(tmp()).empty());
}

// A physical backup carries the source's mysql.user: when the source's root
// has a password, the scratch server runs with --skip-grant-tables so the
// checks can still log in. A source of its own, since the shared one's root
// must stay passwordless for the other tests.
TEST_F(MyRestore, PhysicalBackupOfAPasswordProtectedServerIsChecked) {
  std::string why;
  auto source = SourceMy::start(why);
  ASSERT_TRUE(source) << why;
  ASSERT_EQ(source->sql("CREATE DATABASE Small;"
                        "CREATE TABLE Small.t (id int PRIMARY KEY, v varchar(10)) ENGINE=InnoDB;"
                        "INSERT INTO Small.t VALUES (1, 'a'), (2, 'b'), (3, 'c');"
                        "ALTER USER root@localhost IDENTIFIED BY 'S3cret'"),
            "");
  // Without the password the source now refuses root.
  EXPECT_NE(source->sql("SELECT 1"), "");
  fs::path backup = dir() / "pw-backup";
  auto made = source->run(source->scratch().binaries().backup,
                          {"--password=S3cret", "--backup", "--target-dir=" + backup.string()});
  ASSERT_TRUE(made && made->status.ok()) << (made ? tail_lines(made->err, 20) : "");
  fs::path p = dir() / "plan.toml";
  write_text(p, fmt::format(R"([plan]
name = "password source"
start_timeout = "60s"
check_timeout = "60s"

[[backup]]
name = "small"
engine = "mysql"
path = "{}"
database = "Small"

[[backup.check]]
type = "row_count"
table = "t"
expect = 3

[[backup.check]]
type = "query"
sql = "SELECT v FROM t ORDER BY id"
expect_rows = [["a"], ["b"], ["c"]]

[[backup.check]]
type = "integrity"
)",
                            backup.string()));
  auto run = drill(p);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto b = backup_report();
  EXPECT_EQ(b["status"], "passed") << b.dump(2);
  ASSERT_EQ(b["checks"].size(), 3u);
  for (const auto& c : b["checks"]) EXPECT_EQ(c["status"], "passed") << c.dump();
  EXPECT_EQ(check(b, "integrity")["observed"], "1 objects checked, 0 failed, 0 in error");
  EXPECT_TRUE(leftovers(tmp()).empty());
}

TEST_F(MyRestore, DumpIsNeverModified) {
  auto before = read_text(work("chinook.sql"));
  auto run = drill(plan(work("chinook.sql"), ""));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(read_text(work("chinook.sql")), before);
}

// Negative control: a dump cut at a line boundary still loads, so the
// missing "-- Dump completed" trailer is what gives it away; the message
// names the last line.
TEST_F(MyRestore, TruncatedDumpIsAnErrorNamingTheLastLine) {
  std::string sql = read_text(work("chinook.sql"));
  auto cut = sql.find("\n", sql.size() / 2);
  fs::path damaged = dir() / "truncated.sql";
  write_text(damaged, sql.substr(0, cut + 1));
  std::size_t lines = static_cast<std::size_t>(
      std::count(sql.begin(), sql.begin() + static_cast<std::ptrdiff_t>(cut + 1), '\n'));
  auto run = drill(plan(damaged, k_all_checks));
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  auto b = backup_report();
  EXPECT_EQ(b["status"], "error");
  EXPECT_EQ(b["phases"][1]["name"], "restore");
  EXPECT_EQ(b["phases"][1]["status"], "error");
  std::string msg = b["phases"][1]["message"];
  EXPECT_NE(msg.find("is truncated: the dump tool's closing line \"-- Dump completed\" is missing"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find(fmt::format("the file ends at line {}: ", lines)), std::string::npos) << msg;
  for (const auto& c : b["checks"]) EXPECT_EQ(c["status"], "skipped");
  std::string junit = read_text(out() / "junit.xml");
  EXPECT_NE(junit.find("<testcase name=\"restore\" classname=\"drillproof.chinook\""),
            std::string::npos);
  EXPECT_NE(junit.find(fmt::format("<error message=\"{} is truncated", damaged.string())),
            std::string::npos)
      << junit;
  EXPECT_EQ(junit_schema_check(out() / "junit.xml"), 0);
  EXPECT_TRUE(leftovers(tmp()).empty());
}

// Negative control: a statement the server rejects: the client's own
// "ERROR 1064 (42000) at line N" reaches the report.
TEST_F(MyRestore, SyntaxErrorReportsTheClientsLineNumber) {
  std::string sql = read_text(work("chinook.sql"));
  auto at = sql.find("\nINSERT INTO `Genre`");
  ASSERT_NE(at, std::string::npos);
  sql.replace(at + 1, 6, "INSRT ");
  std::size_t line = static_cast<std::size_t>(std::count(
                         sql.begin(), sql.begin() + static_cast<std::ptrdiff_t>(at + 1), '\n')) +
                     1;
  fs::path damaged = dir() / "syntax.sql";
  write_text(damaged, sql);
  auto run = drill(plan(damaged, k_all_checks));
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  auto b = backup_report();
  std::string msg = b["phases"][1]["message"];
  EXPECT_NE(
      msg.find(fmt::format("mariadb failed (exit code 1): ERROR 1064 (42000) at line {}: ", line)),
      std::string::npos)
      << msg;
  EXPECT_NE(b["phases"][1]["stderr_tail"].get<std::string>().find("INSRT"), std::string::npos);
  EXPECT_NE(read_text(out() / "junit.xml").find("<error message=\"mariadb failed"),
            std::string::npos);
}

// Negative controls for the snapshot and data checks: rows deleted after
// the snapshot, a column added, an orphan inserted. Each check names it.
TEST_F(MyRestore, DataLostAfterTheSnapshotIsFound) {
  auto run = drill(plan(work("changed.sql"), k_all_checks));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto b = backup_report();
  EXPECT_EQ(b["status"], "failed");
  EXPECT_EQ(check(b, "row_count Track")["status"], "passed");
  EXPECT_EQ(check(b, "first genres")["status"], "passed");

  auto schema = check(b, "schema");
  EXPECT_EQ(schema["status"], "failed");
  EXPECT_EQ(findings(schema),
            std::vector<std::string>{"column Name: type changed from varchar(120) to varchar(60)"})
      << schema.dump(2);

  auto counts = check(b, "row_counts");
  EXPECT_EQ(counts["status"], "failed");
  EXPECT_EQ(findings(counts),
            (std::vector<std::string>{"348 rows, snapshot has 347 (tolerance 0)",
                                      "2230 rows, snapshot has 2240 (tolerance 0)"}))
      << counts.dump(2);

  auto fp = check(b, "fingerprint");
  EXPECT_EQ(fp["status"], "failed");
  auto fp_findings = findings(fp);
  EXPECT_EQ(fp_findings,
            (std::vector<std::string>{
                "1 rows outside the snapshot's key ranges",
                "segment 1 (InvoiceLineId 1..500): 490 rows, snapshot has 500; hash differs"}))
      << fp.dump(2);

  auto fk = check(b, "foreign_keys");
  EXPECT_EQ(fk["status"], "failed");
  EXPECT_EQ(findings(fk), std::vector<std::string>{"1 orphaned row; first keys: AlbumId=9999"})
      << fk.dump(2);
}

// Negative control for freshness: Chinook's newest invoice is far older
// than the dump, so a one-day RPO is missed.
TEST_F(MyRestore, StaleDataMissesTheRpo) {
  auto run = drill(plan(work("chinook.sql"), R"(
[[backup.check]]
type = "freshness"
query = "SELECT max(InvoiceDate) FROM Invoice"
)",
                        "rpo = \"1d\""));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto c = backup_report()["checks"][0];
  EXPECT_EQ(c["status"], "failed");
  EXPECT_NE(c["message"].get<std::string>().find("newest data 2025-12-22T00:00:00Z is "),
            std::string::npos)
      << c.dump(2);
  EXPECT_NE(c["message"].get<std::string>().find("; rpo 1d"), std::string::npos);
}

// Negative controls for row_count and query: wrong expectations fail.
TEST_F(MyRestore, WrongExpectationsAreFailures) {
  auto run = drill(plan(work("chinook.sql"), R"(
[[backup.check]]
type = "row_count"
table = "Track"
expect = 3504

[[backup.check]]
type = "query"
name = "genres"
sql = "SELECT GenreId, Name FROM Genre ORDER BY GenreId LIMIT 2"
expect_rows = [[1, "Rock"], [2, "Blues"]]
)"));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto b = backup_report();
  EXPECT_EQ(b["checks"][0]["status"], "failed");
  EXPECT_EQ(b["checks"][0]["observed"], "3503");
  EXPECT_EQ(b["checks"][0]["expected"], "= 3504");
  EXPECT_EQ(b["checks"][1]["status"], "failed");
  EXPECT_NE(read_text(out() / "junit.xml").find("failures=\"2\""), std::string::npos);
}

// Negative control for integrity: pages of Track's tablespace damaged in a
// copy of the physical backup. The drill reports it (a failed check or a
// restore error naming the table), within its deadlines, never a crash.
TEST_F(MyRestore, DamagedIbdPageIsReported) {
  fs::path damaged = dir() / "damaged-backup";
  fs::copy(work("backup"), damaged, fs::copy_options::recursive);
  // Chinook was loaded after the source's last checkpoint, so the backup's
  // redo log rebuilds every Track page and --prepare would heal the damage:
  // damage a backup that is already prepared (--prepare again is a no-op).
  auto prepared = s_source->run(s_source->scratch().binaries().backup,
                                {"--prepare", "--target-dir=" + damaged.string()});
  ASSERT_TRUE(prepared && prepared->status.ok()) << (prepared ? prepared->err : "");
  fs::path ibd = damaged / "Chinook" / "Track.ibd";
  ASSERT_TRUE(fs::exists(ibd));
  std::string bytes = read_text(ibd);
  ASSERT_GT(bytes.size(), 5u * 16384);
  for (std::size_t page : {3u, 4u})
    for (std::size_t i = 0; i < 64; ++i) bytes[page * 16384 + 2000 + i] ^= '\xff';
  write_text(ibd, bytes);
  auto run = drill(plan(damaged, R"(
[[backup.check]]
type = "integrity"

[[backup.check]]
type = "row_count"
table = "Album"
expect = 347
)"));
  auto b = backup_report();
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err << b.dump(2);
  auto integrity = check(b, "integrity");
  EXPECT_EQ(integrity["status"], "failed");
  EXPECT_NE(integrity["message"].get<std::string>().find("table Track: "), std::string::npos)
      << integrity.dump(2);
  auto f = findings(integrity);
  ASSERT_FALSE(f.empty());
  EXPECT_NE(f[0].find("orrupt"), std::string::npos) << f[0];
  EXPECT_EQ(check(b, "row_count Album")["status"], "passed");
  EXPECT_TRUE(leftovers(tmp()).empty());
}

// A server binary that is not there: a clear error, exit 3.
TEST_F(MyRestore, MissingServerBinaryIsAnError) {
  auto run = drill(plan(work("chinook.sql"), "", "", "mysql_bindir = \"/nonexistent/bin\""));
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  auto b = backup_report();
  EXPECT_EQ(b["phases"][0]["name"], "provision");
  EXPECT_EQ(b["phases"][0]["status"], "error");
  EXPECT_NE(b["phases"][0]["message"].get<std::string>().find(
                "no mariadbd found in /nonexistent/bin (mysql_bindir in the plan)"),
            std::string::npos)
      << b["phases"][0]["message"];
}

}  // namespace
}  // namespace dp::test
