// Integration: content fingerprints against a real PostgreSQL (a 1,000,000
// row table copied with CREATE DATABASE ... TEMPLATE, then damaged) and the
// Chinook SQLite file (changed with the sqlite3 CLI). Each damaged case
// asserts the exact finding; each clean copy must verify without one.
#include <fmt/format.h>

#include "checks/fingerprint.hpp"
#include "checks/fingerprint_check.hpp"
#include "checks/snapshot.hpp"
#include "tests/integration/source_pg.hpp"
#include "verifier/engine/catalog.hpp"
#include "verifier/engine/sqlite/sqlite_engine.hpp"

namespace dp::test {
namespace {

using checks::CheckContext;
using checks::CheckOutcome;
using checks::Outcome;

constexpr std::uint64_t k_segment_rows = 100'000;

engine::Table big_table() {
  engine::Table t;
  t.name = {"public", "big"};
  t.columns = {{"id", "integer", false, std::nullopt}, {"v", "text", true, std::nullopt}};
  t.primary_key = {"id"};
  return t;
}

std::vector<std::string> messages(const CheckOutcome& out) {
  std::vector<std::string> m;
  for (const auto& f : out.findings) m.push_back(f.message);
  return m;
}

class FingerprintPg : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    auto source = SourcePg::start(why);
    if (!source) {
      s_why = "PostgreSQL unavailable: " + why;
      return;
    }
    s_source = new SourcePg(std::move(*source));
    for (const auto& sql : {
             std::string("CREATE DATABASE src"),
         }) {
      if (auto out = s_source->psql(sql); !out.empty()) s_why = out;
    }
    if (auto out = s_source->psql(
            "CREATE TABLE big AS SELECT g AS id, md5(g::text) AS v "
            "FROM generate_series(1,1000000) g; ALTER TABLE big ADD PRIMARY KEY (id)",
            "src");
        !out.empty())
      s_why = "creating big: " + out;
    // Copies, damaged before anything connects to src (TEMPLATE needs it idle).
    for (const char* copy : {"clean", "changed", "deleted", "inserted"})
      if (auto out = s_source->psql(fmt::format("CREATE DATABASE {} TEMPLATE src", copy));
          !out.empty())
        s_why = out;
    s_source->psql("UPDATE big SET v = 'changed' WHERE id = 345678", "changed");
    s_source->psql("DELETE FROM big WHERE id BETWEEN 500 AND 509", "deleted");
    s_source->psql("INSERT INTO big VALUES (0, 'before'), (2000000, 'after')", "inserted");
    if (!s_why.empty()) return;
    auto src = connect("src");
    if (!src) return;
    auto fp = checks::fingerprint_table(*src, big_table(), k_segment_rows);
    if (!fp) {
      s_why = "fingerprint: " + fp.error().message;
      return;
    }
    s_snapshot.engine = "postgres";
    s_snapshot.tables.push_back({big_table(), 1'000'000, *fp});
  }
  static void TearDownTestSuite() {
    delete s_source;
    s_source = nullptr;
  }
  void SetUp() override { DP_REQUIRE_OR_SKIP(s_why.empty(), s_why); }

  static std::unique_ptr<engine::Engine> connect(const std::string& database) {
    auto db = engine::connect(s_source->scratch().connect_options(database));
    EXPECT_TRUE(db.has_value()) << (db ? "" : db.error().message);
    return db ? std::move(*db) : nullptr;
  }
  static checks::Connector connector(const std::string& database) {
    return [database]() { return engine::connect(s_source->scratch().connect_options(database)); };
  }
  static const checks::TableFingerprint& fingerprint() { return s_snapshot.tables[0].fingerprint; }

  CheckOutcome run_check(const std::string& database, bool with_source) {
    auto db = connect(database);
    CheckContext ctx(*db, "big");
    ctx.snapshot = &s_snapshot;
    ctx.connect = connector(database);
    if (with_source) ctx.connect_source = connector("src");
    ctx.jobs = 2;
    CheckSpec spec;
    spec.type = "fingerprint";
    spec.name = "fingerprint";
    return checks::FingerprintCheck(spec).run(ctx);
  }

  static inline SourcePg* s_source = nullptr;
  static inline std::string s_why;
  static inline checks::Snapshot s_snapshot;
};

TEST_F(FingerprintPg, SegmentsTheTable) {
  const auto& fp = fingerprint();
  EXPECT_EQ(fp.mode, "ordered");
  ASSERT_EQ(fp.segments.size(), 10u);
  EXPECT_EQ(fp.segments[3].first_key, std::vector<std::string>{"300001"});
  EXPECT_EQ(fp.segments[3].last_key, std::vector<std::string>{"400000"});
  for (const auto& s : fp.segments) EXPECT_EQ(s.rows, k_segment_rows);
}

TEST_F(FingerprintPg, CleanCopyVerifies) {
  auto db = connect("clean");
  auto v = checks::verify_table(*db, connector("clean"), 2, big_table(), fingerprint(),
                                connector("src"), 10);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_TRUE(v->differing.empty());
  EXPECT_EQ(v->rows_outside, 0u);
  CheckOutcome out = run_check("clean", false);
  EXPECT_EQ(out.outcome, Outcome::passed) << out.message;
  EXPECT_TRUE(out.findings.empty());
}

TEST_F(FingerprintPg, ChangedValueNamesItsSegment) {
  CheckOutcome out = run_check("changed", false);
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(messages(out),
            std::vector<std::string>{"segment 4 (id 300001..400000): 100000 rows, snapshot has "
                                     "100000; hash differs"});
}

TEST_F(FingerprintPg, ChangedValueWithSourceNamesTheKey) {
  CheckOutcome out = run_check("changed", true);
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(messages(out),
            (std::vector<std::string>{
                "segment 4 (id 300001..400000): 100000 rows, snapshot has 100000; hash differs",
                "changed key id=345678"}));
}

TEST_F(FingerprintPg, DeletedRowsAreDetected) {
  CheckOutcome out = run_check("deleted", false);
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(messages(out),
            std::vector<std::string>{"segment 1 (id 1..100000): 99990 rows, snapshot has 100000; "
                                     "hash differs"});
  CheckOutcome named = run_check("deleted", true);
  auto m = messages(named);
  ASSERT_EQ(m.size(), 11u);
  EXPECT_EQ(m[1], "missing key id=500");
  EXPECT_EQ(m[10], "missing key id=509");
}

TEST_F(FingerprintPg, InsertedRowsOutsideTheRangesAreCounted) {
  CheckOutcome out = run_check("inserted", false);
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(messages(out), std::vector<std::string>{"2 rows outside the snapshot's key ranges"});
  CheckOutcome named = run_check("inserted", true);
  EXPECT_EQ(messages(named),
            (std::vector<std::string>{"extra key id=0", "extra key id=2000000",
                                      "2 rows outside the snapshot's key ranges"}));
}

// --- SQLite ------------------------------------------------------------

std::unique_ptr<engine::Engine> open_sqlite(const fs::path& file) {
  engine::ConnectOptions options;
  options.kind = EngineKind::sqlite;
  options.database = file.string();
  auto db = engine::sqlite::open_read_only(options);
  EXPECT_TRUE(db.has_value()) << (db ? "" : db.error().message);
  return db ? std::move(*db) : nullptr;
}

TEST(FingerprintSqlite, ChinookRoundTripAndChangedValue) {
  TempDir dir = world_dir("dp-fingerprint-sqlite-");
  const fs::path original = dir.path() / "original.sqlite";
  const fs::path restored = dir.path() / "restored.sqlite";
  std::error_code ec;
  fs::copy_file(chinook("Chinook_Sqlite.sqlite"), original, ec);
  ASSERT_FALSE(ec) << ec.message();
  fs::copy_file(original, restored, ec);
  ASSERT_FALSE(ec) << ec.message();

  checks::SnapshotOptions options;
  options.segment_rows = 1000;
  options.source_label = "original.sqlite";
  auto source = open_sqlite(original);
  ASSERT_TRUE(source);
  auto taken = checks::take_snapshot(*source, options);
  ASSERT_TRUE(taken) << taken.error().message;
  EXPECT_EQ(taken->engine, "sqlite");
  ASSERT_EQ(taken->tables.size(), 11u);
  const checks::TableSnapshot* track = taken->find("main.Track");
  ASSERT_NE(track, nullptr);
  EXPECT_EQ(track->row_count, 3503u);
  EXPECT_EQ(track->fingerprint.segments.size(), 4u);

  const fs::path file = dir.path() / "snapshot.json";
  write_text(file, checks::snapshot_to_json(*taken));
  auto snap = checks::read_snapshot(file);
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(checks::snapshot_to_json(*snap), read_text(file));

  auto run = [&](const fs::path& db_file, bool with_source) {
    auto db = open_sqlite(db_file);
    CheckContext ctx(*db, "chinook");
    ctx.snapshot = &*snap;
    ctx.connect = [db_file]() {
      engine::ConnectOptions o;
      o.kind = EngineKind::sqlite;
      o.database = db_file.string();
      return engine::sqlite::open_read_only(o);
    };
    if (with_source)
      ctx.connect_source = [original]() {
        engine::ConnectOptions o;
        o.kind = EngineKind::sqlite;
        o.database = original.string();
        return engine::sqlite::open_read_only(o);
      };
    ctx.jobs = 2;
    CheckSpec spec;
    spec.type = "fingerprint";
    spec.name = "fingerprint";
    return checks::FingerprintCheck(spec).run(ctx);
  };
  CheckOutcome clean = run(restored, false);
  EXPECT_EQ(clean.outcome, Outcome::passed) << clean.message;
  EXPECT_EQ(clean.objects.size(), 11u);

  SpawnOptions sqlite;
  sqlite.argv = {"sqlite3", restored.string(),
                 "UPDATE Track SET Name = 'Changed' WHERE TrackId = 1234"};
  auto edit = run_captured(std::move(sqlite), std::chrono::seconds(60));
  DP_REQUIRE_OR_SKIP(edit && edit->status.ok(), "sqlite3 CLI unavailable");

  CheckOutcome changed = run(restored, true);
  EXPECT_EQ(changed.outcome, Outcome::failed);
  EXPECT_EQ(messages(changed),
            (std::vector<std::string>{
                "segment 2 (TrackId 1001..2000): 1000 rows, snapshot has 1000; hash differs",
                "changed key TrackId=1234"}));
}

}  // namespace
}  // namespace dp::test
