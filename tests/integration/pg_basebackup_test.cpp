// Integration: pg_basebackup backups of a real source cluster (Chinook
// loaded, wal_level=replica) in plain and tar format are drilled by the
// built drillproof: the backup's own backup_manifest is verified first, the
// backup restored into a scratch server that replays its WAL, and the checks
// run on the restored database. Negative controls: a flipped byte in a data
// file, a backup without WAL, a wrong major version, a wrong database.
#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <thread>

#include "tests/integration/source_pg.hpp"

namespace dp::test {
namespace {

using namespace std::chrono_literals;

// CRC-32C (Castagnoli), bit by bit: an independent reference for the
// checksum pg_basebackup writes (its four bytes little-endian, in hex).
std::string crc32c_hex(const std::string& bytes) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (char c : bytes) {
    crc ^= static_cast<unsigned char>(c);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  crc ^= 0xFFFFFFFFu;
  return fmt::format("{:02x}{:02x}{:02x}{:02x}", crc & 0xFF, (crc >> 8) & 0xFF, (crc >> 16) & 0xFF,
                     crc >> 24);
}

class PgBasebackup : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_work = new TempDir(world_dir("dp-pgbb-"));
    std::string why;
    auto source = SourcePg::start(why, {"-c", "wal_level=replica", "-c", "max_wal_senders=4"});
    if (source) s_source = new SourcePg(std::move(*source));
    if (!s_source) {
      s_why = "PostgreSQL unavailable: " + why;
      return;
    }
    if (auto err = s_source->psql_file(chinook("Chinook_PostgreSql.sql")); !err.empty()) {
      s_why = "loading Chinook failed: " + err;
      return;
    }
    const std::vector<std::pair<std::string, std::vector<std::string>>> backups = {
        {"plain", {"-Fp", "-X", "stream"}},
        {"tar", {"-Ft", "-X", "stream"}},
        {"targz", {"-Ft", "-X", "fetch", "-z"}},
        {"nowal", {"-Fp", "-X", "none"}}};
    for (const auto& [name, args] : backups) {
      std::vector<std::string> argv = {"-D", backup(name).string(), "--checkpoint=fast"};
      argv.insert(argv.end(), args.begin(), args.end());
      auto run = s_source->client("pg_basebackup", argv);
      if (!run || !run->status.ok()) {
        s_why =
            fmt::format("pg_basebackup {} failed: {}", name, run ? run->err : run.error().message);
        return;
      }
    }
  }
  static void TearDownTestSuite() {
    delete s_source;
    delete s_work;
    s_source = nullptr;
    s_work = nullptr;
  }
  void SetUp() override {
    DP_REQUIRE_OR_SKIP(s_why.empty(), s_why);
    m_dir.emplace(world_dir("dp-pgbbcase-"));
    fs::create_directory(tmp());
    ::chmod(tmp().c_str(), 0755);
  }

  static fs::path backup(const std::string& name) { return s_work->path() / name; }
  fs::path dir() const { return m_dir->path(); }
  fs::path tmp() const { return dir() / "tmp"; }
  fs::path out() const { return dir() / "report"; }

  fs::path plan(const fs::path& path, const std::string& extra = "") const {
    fs::path p = dir() / "plan.toml";
    write_text(p, fmt::format(R"([plan]
name = "chinook basebackup"
rto = "10m"

[[backup]]
name = "chinook"
engine = "postgres"
path = "{}"
database = "chinook"
{}

[[backup.check]]
type = "row_count"
table = "public.track"
expect = 3503

[[backup.check]]
type = "query"
name = "first genres"
sql = "SELECT genre_id, name FROM genre ORDER BY genre_id LIMIT 3"
expect_rows = [[1, "Rock"], [2, "Jazz"], [3, "Metal"]]
)",
                              path.string(), extra));
    return p;
  }

  CliRun drill(const fs::path& plan_file) const {
    return run_cli({"run", plan_file.string(), "--out", out().string()},
                   {{"TMPDIR", tmp().string()}});
  }

  // A private copy of a backup, to damage.
  fs::path copy_of(const std::string& name) const {
    fs::path to = dir() / name;
    fs::copy(backup(name), to, fs::copy_options::recursive);
    return to;
  }

  // pg_verifybackup, the reference tool, on a plain backup: "" when it passes.
  static std::string pg_verifybackup(const fs::path& path) {
    SpawnOptions o;
    o.argv = {(s_source->scratch().binaries().bindir / "pg_verifybackup").string(), path.string()};
    auto run = run_captured(std::move(o), 5min);
    if (!run) return run.error().message;
    return run->status.ok() ? "" : run->err + run->out;
  }

  void expect_clean_pass(const fs::path& path, const std::string& format) {
    auto run = drill(plan(path));
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    auto report = read_json(out() / "report.json");
    const auto& b = report["backups"][0];
    EXPECT_EQ(b["status"], "passed") << b.dump(2);
    EXPECT_EQ(b["format"], format);
    ASSERT_GE(b["phases"].size(), 3u);
    EXPECT_EQ(b["phases"][0]["name"], "manifest");
    EXPECT_EQ(b["phases"][0]["status"], "passed");
    EXPECT_NE(b["phases"][0]["message"].get<std::string>().find(
                  "match " + (path / "backup_manifest").string()),
              std::string::npos)
        << b["phases"][0]["message"];
    EXPECT_EQ(b["phases"][2]["name"], "restore");
    EXPECT_EQ(b["phases"][2]["status"], "passed");
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

TEST_F(PgBasebackup, PlainRestoresAndPassesAndTheBackupIsUntouched) {
  expect_clean_pass(backup("plain"), "pg_basebackup plain");
  EXPECT_EQ(pg_verifybackup(backup("plain")), "");
  EXPECT_FALSE(fs::exists(backup("plain") / "postmaster.pid"));
}

TEST_F(PgBasebackup, TarRestoresAndPasses) {
  expect_clean_pass(backup("tar"), "pg_basebackup tar");
  auto report = read_json(out() / "report.json");
  EXPECT_NE(report["backups"][0]["phases"][0]["message"].get<std::string>().find(
                "(checked on the extracted copy)"),
            std::string::npos);
  auto files = leftovers(backup("tar"));  // only what pg_basebackup wrote
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"backup_manifest", "base.tar", "pg_wal.tar"}));
}

TEST_F(PgBasebackup, GzipTarWithFetchedWalRestoresAndPasses) {
  expect_clean_pass(backup("targz"), "pg_basebackup tar");
}

// The kept scratch shows what the restore did: crash recovery from
// backup_label (renamed backup_label.old when it ends), a server out of
// recovery, and drillproof's own configuration, not the backup's.
TEST_F(PgBasebackup, KeptScratchShowsTheWalWasReplayed) {
  auto run =
      run_cli({"run", plan(backup("tar")).string(), "--out", out().string(), "--keep-scratch"},
              {{"TMPDIR", tmp().string()}});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  auto left = leftovers(tmp());
  ASSERT_EQ(left.size(), 1u);
  fs::path kept = tmp() / left[0];
  auto pids = processes_mentioning(kept.string());
  ASSERT_FALSE(pids.empty());
  EXPECT_TRUE(fs::exists(kept / "data" / "backup_label.old"));
  EXPECT_FALSE(fs::exists(kept / "data" / "backup_label"));
  auto psql = [&](const std::string& sql) {
    SpawnOptions q;
    q.argv = {(s_source->scratch().binaries().bindir / "psql").string(),
              "-h",
              kept.string(),
              "-U",
              "postgres",
              "-d",
              "chinook",
              "-Atc",
              sql};
    auto answer = run_captured(std::move(q), 30s);
    return answer ? std::string(trim(answer->out)) : answer.error().message;
  };
  EXPECT_EQ(psql("SELECT pg_is_in_recovery()"), "f");
  EXPECT_EQ(psql("SHOW config_file"), (kept / "postgresql.conf").string());
  EXPECT_EQ(psql("SHOW archive_mode"), "off");
  for (int pid : pids) ::kill(pid, SIGQUIT);
  for (int i = 0; i < 200 && !processes_mentioning(kept.string()).empty(); ++i)
    std::this_thread::sleep_for(50ms);
  std::error_code ec;
  fs::remove_all(kept, ec);
}

// Negative control: one flipped byte in a table's data file. The manifest
// phase names the file with both checksums, the restore is skipped without
// a scratch server, exit 1.
TEST_F(PgBasebackup, FlippedByteFailsTheManifestPhase) {
  std::string rel = s_source->psql("SELECT pg_relation_filepath('track')", "chinook");
  ASSERT_EQ(rel.rfind("base/", 0), 0u) << rel;
  fs::path copy = copy_of("plain");
  std::string bytes = read_text(copy / rel);
  ASSERT_GT(bytes.size(), 8192u);
  auto manifest = read_json(copy / "backup_manifest");
  std::string recorded;
  for (const auto& f : manifest["Files"])
    if (f["Path"] == rel) recorded = f["Checksum"];
  ASSERT_EQ(recorded, crc32c_hex(bytes)) << "the reference CRC-32C disagrees with pg_basebackup";
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
  write_text(copy / rel, bytes);

  auto run = drill(plan(copy));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto& b = report["backups"][0];
  EXPECT_EQ(b["status"], "failed");
  const auto& phases = b["phases"];
  EXPECT_EQ(phases[0]["name"], "manifest");
  EXPECT_EQ(phases[0]["status"], "failed");
  EXPECT_EQ(phases[0]["message"],
            fmt::format("1 finding against {}\nchanged: {}: CRC32C {}, manifest says {}",
                        (copy / "backup_manifest").string(), rel, crc32c_hex(bytes), recorded));
  ASSERT_GE(phases.size(), 2u);
  EXPECT_EQ(phases[1]["name"], "restore");  // no provision phase: nothing was started
  EXPECT_EQ(phases[1]["status"], "skipped");
  for (const auto& c : b["checks"]) EXPECT_EQ(c["status"], "skipped");
  EXPECT_NE(read_text(out() / "junit.xml").find("<failure"), std::string::npos);
  EXPECT_TRUE(leftovers(tmp()).empty());
}

// The same damage in a tar backup is found on the extracted copy.
TEST_F(PgBasebackup, TarWithADamagedManifestEntryFails) {
  fs::path copy = copy_of("tar");
  std::string manifest = read_text(copy / "backup_manifest");
  auto at = manifest.find("\"Path\": \"PG_VERSION\"");
  ASSERT_NE(at, std::string::npos);
  auto size = manifest.find("\"Size\": 3", at);
  ASSERT_NE(size, std::string::npos);
  manifest.replace(size, 9, "\"Size\": 4");
  write_text(copy / "backup_manifest", manifest);
  auto run = drill(plan(copy));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  std::string message = report["backups"][0]["phases"][0]["message"];
  EXPECT_NE(message.find("manifest_digest: "), std::string::npos) << message;
  EXPECT_NE(message.find("resized: PG_VERSION: 3 bytes, manifest says 4"), std::string::npos)
      << message;
  EXPECT_EQ(report["backups"][0]["phases"][1]["status"], "skipped");
  EXPECT_TRUE(leftovers(tmp()).empty());
}

// Negative control: pg_basebackup -X none ships no WAL. Its backup_manifest
// names the segments it needs, so the manifest phase fails on them; with
// verify_manifest = false the restore refuses it, naming what is missing.
TEST_F(PgBasebackup, BackupWithoutWalIsRefused) {
  auto run = drill(plan(backup("nowal")));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  std::string message = report["backups"][0]["phases"][0]["message"];
  EXPECT_NE(message.find("\nwal: pg_wal/"), std::string::npos) << message;
  EXPECT_NE(message.find(": missing"), std::string::npos) << message;

  std::string label = read_text(backup("nowal") / "backup_label");
  auto file = label.find("(file ");
  ASSERT_NE(file, std::string::npos);
  std::string segment = label.substr(file + 6, 24);
  fs::remove_all(out());
  run = drill(plan(backup("nowal"), "verify_manifest = false"));
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  report = read_json(out() / "report.json");
  const auto& phases = report["backups"][0]["phases"];
  EXPECT_EQ(phases[0]["name"], "provision");
  EXPECT_EQ(phases[1]["name"], "restore");
  EXPECT_EQ(phases[1]["status"], "error");
  EXPECT_EQ(phases[1]["message"],
            fmt::format("{}: the backup holds no WAL: pg_wal/{} is missing, the segment its "
                        "backup_label starts from; a base backup made with pg_basebackup -X none "
                        "needs a WAL archive to be restored, and drillproof does not restore from "
                        "one yet\nhint: take base backups with -X stream (the default) or -X "
                        "fetch",
                        backup("nowal").string(), segment));
  EXPECT_TRUE(leftovers(tmp()).empty());
  EXPECT_TRUE(processes_mentioning(tmp().string()).empty());
}

// Copying and WAL replay are bounded by restore_timeout: an error, exit 3,
// and nothing left behind.
TEST_F(PgBasebackup, RestoreTimeoutIsAnError) {
  auto run = drill(plan(backup("plain"), "restore_timeout = \"1ms\""));
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto& restore = report["backups"][0]["phases"][2];
  EXPECT_EQ(restore["name"], "restore");
  EXPECT_EQ(restore["status"], "error");
  EXPECT_EQ(restore["message"], "restore did not finish within restore_timeout 1ms");
  EXPECT_TRUE(leftovers(tmp()).empty());
  EXPECT_TRUE(processes_mentioning(tmp().string()).empty());
}

// A base backup starts only on binaries of its own major version.
TEST_F(PgBasebackup, OtherMajorVersionIsRefused) {
  fs::path copy = copy_of("plain");
  write_text(copy / "PG_VERSION", "9\n");
  auto run = drill(plan(copy, "verify_manifest = false"));
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  std::string message = report["backups"][0]["phases"][1]["message"];
  EXPECT_EQ(message.find(copy.string() + " is a base backup of PostgreSQL 9, but the scratch "
                                         "server is PostgreSQL "),
            0u)
      << message;
  EXPECT_NE(message.find("hint: install postgresql-9 "), std::string::npos) << message;
}

// The plan's format must match the content: a plan error (exit 2) before
// anything starts. The database must exist in the restored cluster.
TEST_F(PgBasebackup, FormatMismatchAndMissingDatabaseAreErrors) {
  fs::path mismatched = plan(backup("plain"), "format = \"dump\"");
  auto run = drill(mismatched);
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find(fmt::format("{}:5:1: backup 'chinook': {} is a pg_basebackup plain, but "
                                     "the plan says format = \"dump\"",
                                     mismatched.string(), backup("plain").string())),
            std::string::npos)
      << run.err;
  EXPECT_FALSE(fs::exists(out() / "report.json"));
  EXPECT_TRUE(leftovers(tmp()).empty());

  auto report = nlohmann::json();
  fs::remove_all(out());
  fs::path p = plan(backup("plain"), "format = \"basebackup\"");
  std::string text = read_text(p);
  text.replace(text.find("database = \"chinook\""), 20, "database = \"shop\"");
  write_text(p, text);
  run = drill(p);
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  report = read_json(out() / "report.json");
  const auto& restore = report["backups"][0]["phases"][2];
  EXPECT_EQ(restore["name"], "restore");
  EXPECT_EQ(restore["message"],
            "the restored cluster has no database \"shop\"; it has: chinook, postgres\nhint: set "
            "database in the [[backup]] to the one the checks should use");
  EXPECT_TRUE(leftovers(tmp()).empty());
}

}  // namespace
}  // namespace dp::test
