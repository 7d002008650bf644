// End to end through the binary: `drillproof snapshot` of a live source,
// a backup made with the real tools, and a plan running every data check
// against the snapshot. Negative controls damage the backup, never the
// source, so a live `source` can name the differing keys.
#include <fmt/format.h>

#include "tests/integration/source_pg.hpp"

namespace dp::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* k_all_checks = R"(
[[backup.check]]
type = "schema"

[[backup.check]]
type = "row_counts"

[[backup.check]]
type = "fingerprint"

[[backup.check]]
type = "integrity"

[[backup.check]]
type = "foreign_keys"

[[backup.check]]
type = "freshness"
table = "{0}"
column = "{1}"
)";

std::string conninfo(const SourcePg& source, const std::string& db) {
  return fmt::format("host={} port=5432 user=postgres dbname={}", source.scratch().dir().string(),
                     db);
}

class SnapshotFlow : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_work = new TempDir(world_dir("dp-snapflow-"));
    std::string why;
    auto source = SourcePg::start(why);
    if (!source) {
      s_why = "PostgreSQL unavailable: " + why;
      return;
    }
    s_source = new SourcePg(std::move(*source));
    if (auto err = s_source->psql_file(chinook("Chinook_PostgreSql.sql")); !err.empty())
      s_why = "loading Chinook failed: " + err;
    else if (auto e2 = s_source->dump('c', s_work->path() / "chinook.dump", "chinook"); !e2.empty())
      s_why = "pg_dump failed: " + e2;
  }
  static void TearDownTestSuite() {
    delete s_source;
    delete s_work;
  }
  void SetUp() override {
    DP_REQUIRE_OR_SKIP(s_why.empty(), s_why);
    m_dir.emplace(world_dir("dp-snapcase-"));
    fs::create_directory(tmp());
    ::chmod(tmp().c_str(), 0755);
  }
  fs::path dir() const { return m_dir->path(); }
  fs::path tmp() const { return dir() / "tmp"; }
  fs::path out() const { return dir() / "report"; }

  CliRun snapshot(const std::string& engine, const std::string& source, const fs::path& file) {
    return run_cli({"snapshot", "--engine", engine, "--source", source, "--out", file.string(),
                    "--segment-rows", "500"});
  }

  fs::path plan(const std::string& backup_keys, const std::string& checks) const {
    fs::path p = dir() / "plan.toml";
    write_text(p, fmt::format("[plan]\nname = \"snapshot flow\"\nrto = \"10m\"\n\n[[backup]]\n"
                              "name = \"chinook\"\n{}\n{}",
                              backup_keys, checks));
    return p;
  }
  CliRun drill(const fs::path& plan_file) const {
    return run_cli({"run", plan_file.string(), "--out", out().string()},
                   {{"TMPDIR", tmp().string()}});
  }
  static const nlohmann::json* find_check(const nlohmann::json& report, const std::string& type) {
    for (const auto& c : report["backups"][0]["checks"])
      if (c["type"] == type) return &c;
    return nullptr;
  }

  std::optional<TempDir> m_dir;
  static inline TempDir* s_work = nullptr;
  static inline SourcePg* s_source = nullptr;
  static inline std::string s_why;
};

TEST_F(SnapshotFlow, PostgresCleanBackupPassesEveryCheck) {
  fs::path snap = dir() / "chinook.snapshot.json";
  auto taken = snapshot("postgres", conninfo(*s_source, "chinook"), snap);
  ASSERT_EQ(taken.exit_code, 0) << taken.err;
  auto json = read_json(snap);
  EXPECT_EQ(json["format"], "drillproof-snapshot");
  EXPECT_EQ(json["tables"].size(), 11u);
  auto run = drill(plan(fmt::format("engine = \"postgres\"\npath = \"{}\"\ndatabase = \"chinook\"\n"
                                    "snapshot = \"{}\"\nreference_time = \"2030-01-01T00:00:00Z\"\n"
                                    "rpo = \"3650d\"",
                                    (s_work->path() / "chinook.dump").string(), snap.string()),
                        fmt::format(k_all_checks, "invoice", "invoice_date")));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  for (const auto& c : report["backups"][0]["checks"])
    EXPECT_EQ(c["status"], "passed") << c.dump(2);
  std::string junit = read_text(out() / "junit.xml");
  EXPECT_NE(junit.find("name=\"chinook.fingerprint.public.track\""), std::string::npos);
  EXPECT_NE(junit.find("name=\"chinook.row_counts.public.invoice_line\""), std::string::npos);
  EXPECT_EQ(junit_schema_check(out() / "junit.xml"), 0);
  const auto& objectives = report["backups"][0]["objectives"];
  ASSERT_EQ(objectives.size(), 2u);
  EXPECT_EQ(objectives[1]["name"], "rpo");
  EXPECT_EQ(objectives[1]["status"], "passed");
}

// Negative control: one value changed in the backup. The fingerprint names
// the segment; with the live source it names the key.
TEST_F(SnapshotFlow, PostgresChangedValueIsNamedWithItsKey) {
  fs::path snap = dir() / "chinook.snapshot.json";
  ASSERT_EQ(snapshot("postgres", conninfo(*s_source, "chinook"), snap).exit_code, 0);
  std::string db = "damaged_" + std::to_string(::getpid());
  ASSERT_EQ(s_source->psql("CREATE DATABASE " + db + " TEMPLATE chinook"), "");
  ASSERT_EQ(s_source->psql("UPDATE track SET name = 'Changed' WHERE track_id = 1234", db), "");
  fs::path damaged = dir() / "damaged.dump";
  ASSERT_EQ(s_source->dump('c', damaged, db), "");
  (void)s_source->psql("DROP DATABASE " + db);
  auto run =
      drill(plan(fmt::format("engine = \"postgres\"\npath = \"{}\"\ndatabase = \"chinook\"\n"
                             "snapshot = \"{}\"\nsource = \"{}\"",
                             damaged.string(), snap.string(), conninfo(*s_source, "chinook")),
                 "[[backup.check]]\ntype = \"fingerprint\"\n"));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto* check = find_check(report, "fingerprint");
  ASSERT_NE(check, nullptr);
  std::string all = check->dump();
  EXPECT_NE(all.find("segment 3 (track_id 1001..1500)"), std::string::npos) << all;
  EXPECT_NE(all.find("track_id=1234"), std::string::npos) << all;
  for (const auto& o : (*check)["objects"])
    EXPECT_EQ(o["status"], o["name"] == "public.track" ? "failed" : "passed") << o.dump();
}

// Negative control: freshness older than the rpo fails with both figures.
TEST_F(SnapshotFlow, DataOlderThanRpoFails) {
  auto run = drill(plan(fmt::format("engine = \"postgres\"\npath = \"{}\"\ndatabase = \"chinook\"\n"
                                    "reference_time = \"2030-01-01T00:00:00Z\"\nrpo = \"24h\"",
                                    (s_work->path() / "chinook.dump").string()),
                        "[[backup.check]]\ntype = \"freshness\"\ntable = \"invoice\"\n"
                        "column = \"invoice_date\"\n"));
  EXPECT_EQ(run.exit_code, 1) << run.out;
  auto report = read_json(out() / "report.json");
  const auto* check = find_check(report, "freshness");
  ASSERT_NE(check, nullptr);
  EXPECT_EQ((*check)["status"], "failed");
  std::string msg = (*check)["message"];
  EXPECT_NE(msg.find("old at the backup's reference time 2030-01-01T00:00:00Z; rpo 1d"),
            std::string::npos)
      << msg;
  const auto& rpo = report["backups"][0]["objectives"][1];
  EXPECT_EQ(rpo["name"], "rpo");
  EXPECT_EQ(rpo["status"], "failed");
}

// SQLite: snapshot of the original file, a backup copy with one value
// changed; the original serves as the live source.
TEST_F(SnapshotFlow, SqliteChangedValueIsNamedWithItsKey) {
  fs::path original = dir() / "chinook.sqlite";
  fs::copy_file(chinook("Chinook_Sqlite.sqlite"), original);
  fs::path snap = dir() / "chinook.snapshot.json";
  auto taken = snapshot("sqlite", original.string(), snap);
  ASSERT_EQ(taken.exit_code, 0) << taken.err;
  fs::path backup = dir() / "backup.sqlite";
  fs::copy_file(original, backup);
  SpawnOptions edit;
  edit.argv = {"sqlite3", backup.string(), "UPDATE Track SET Name = 'Changed' WHERE TrackId = 77"};
  auto edited = run_captured(std::move(edit), 60s);
  DP_REQUIRE_OR_SKIP(edited && edited->status.ok(), "sqlite3 CLI not installed");
  auto clean = drill(plan(fmt::format("engine = \"sqlite\"\npath = \"{}\"\nsnapshot = \"{}\"\n"
                                      "reference_time = \"2030-01-01T00:00:00Z\"\nrpo = \"3650d\"",
                                      original.string(), snap.string()),
                          fmt::format(k_all_checks, "Invoice", "InvoiceDate")));
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  auto run = drill(plan(fmt::format("engine = \"sqlite\"\npath = \"{}\"\nsnapshot = \"{}\"\n"
                                    "source = \"{}\"",
                                    backup.string(), snap.string(), original.string()),
                        "[[backup.check]]\ntype = \"fingerprint\"\n"));
  EXPECT_EQ(run.exit_code, 1) << run.out;
  std::string all = find_check(read_json(out() / "report.json"), "fingerprint")->dump();
  EXPECT_NE(all.find("TrackId=77"), std::string::npos) << all;
}

}  // namespace
}  // namespace dp::test
