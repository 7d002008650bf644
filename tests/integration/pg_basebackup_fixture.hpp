#pragma once
// The PgBasebackup fixture: a real source cluster (Chinook loaded,
// wal_level=replica) and pg_basebackup backups of it in plain, tar, gzip tar
// and -X none form, made once per test binary; each test drills copies of
// them with the built drillproof. Shared by pg_basebackup_test.cpp and
// pg_basebackup_hostile_test.cpp.
#include <fmt/format.h>

#include <cstdint>

#include "tests/integration/source_pg.hpp"

namespace dp::test {

using namespace std::chrono_literals;

// CRC-32C (Castagnoli), bit by bit: an independent reference for the
// checksum pg_basebackup writes (its four bytes little-endian, in hex).
inline std::string crc32c_hex(const std::string& bytes) {
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

}  // namespace dp::test
