// integrity and freshness against real engines: a PostgreSQL 15 scratch
// server (drills::PgScratch) whose data files we damage while it is stopped,
// and copies of the Chinook SQLite database.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <string>

#include "checks/freshness_check.hpp"
#include "checks/integrity_check.hpp"
#include "drills/pg_scratch.hpp"
#include "tests/integration/support.hpp"
#include "verifier/core/text.hpp"
#include "verifier/core/timestamp.hpp"
#include "verifier/core/user.hpp"
#include "verifier/engine/postgres/pg_engine.hpp"

namespace dp::test {
namespace {

using namespace std::chrono_literals;
using checks::CheckContext;
using checks::CheckOutcome;
using checks::IntegrityCheck;
using checks::ObjectOutcome;
using checks::Outcome;

constexpr const char* k_db = "drill";
constexpr std::size_t k_page = 8192;

// Overwrites `bytes` bytes at `offset` of `file` with `fill`.
void scribble(const fs::path& file, std::size_t offset, std::size_t bytes, char fill) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f) << "cannot open " << file;
  f.seekp(static_cast<std::streamoff>(offset));
  std::string junk(bytes, fill);
  f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  ASSERT_TRUE(f) << "cannot write " << file;
}

const ObjectOutcome* object_named(const CheckOutcome& out, const std::string& name) {
  for (const auto& o : out.objects)
    if (o.object == name) return &o;
  return nullptr;
}

std::string describe(const CheckOutcome& out) {
  std::string s =
      fmt::format("outcome {} message '{}'\n", static_cast<int>(out.outcome), out.message);
  for (const auto& o : out.objects)
    s += fmt::format("  {} {} '{}'\n", o.object, static_cast<int>(o.outcome), o.message);
  return s;
}

class PgIntegrity : public ::testing::Test {
 protected:
  void SetUp() override {
    auto bin = drills::find_pg_binaries("");
    DP_REQUIRE_OR_SKIP(bin, "PostgreSQL unavailable: " + (bin ? "" : bin.error().message));
    auto user = server_user("");
    ASSERT_TRUE(user) << user.error().message;
    auto scratch = drills::PgScratch::start(*bin, {*user, 60s, false});
    ASSERT_TRUE(scratch) << scratch.error().message;
    m_scratch.emplace(std::move(*scratch));
    ASSERT_EQ(psql("CREATE DATABASE drill", "postgres"), "");
    ASSERT_EQ(psql("CREATE TABLE track (id int PRIMARY KEY, name text NOT NULL, "
                   "added_at timestamptz NOT NULL);"
                   "INSERT INTO track SELECT g, 'track number ' || g, "
                   "'2026-11-19 20:00:00+00'::timestamptz - g * interval '1 second' "
                   "FROM generate_series(1, 10000) g;"
                   "CREATE INDEX track_name_idx ON track (name)"),
              "");
    // Hint bits set now and flushed: the immediate shutdown in restart()
    // leaves no WAL that would rewrite the pages we damage.
    ASSERT_EQ(psql("VACUUM (FREEZE, ANALYZE) track"), "");
    ASSERT_EQ(psql("CHECKPOINT"), "");
  }

  std::string psql(const std::string& sql, const std::string& database = k_db) {
    SpawnOptions o;
    o.argv = {(m_scratch->binaries().bindir / "psql").string(),
              "-X",
              "-q",
              "-At",
              "-v",
              "ON_ERROR_STOP=1",
              "-h",
              m_scratch->dir().string(),
              "-U",
              "postgres",
              "-d",
              database,
              "-c",
              sql};
    auto run = run_captured(std::move(o), 5min);
    if (!run) return "error: " + run.error().message;
    return run->status.ok() ? std::string(trim(run->out)) : "error: " + run->err;
  }

  fs::path relation_file(const std::string& relation) {
    return m_scratch->dir() / "data" /
           psql(fmt::format("SELECT pg_relation_filepath('{}')", relation));
  }

  CheckOutcome run_integrity(bool heapallindexed = true) {
    IntegrityCheck check(CheckSpec{"integrity", "integrity", {}, {}}, heapallindexed);
    auto options = m_scratch->connect_options(k_db);
    for (const auto& sql : check.prerequisites(EngineKind::postgres)) {
      auto done = engine::postgres::execute_admin(options, sql);
      EXPECT_TRUE(done) << done.error().message;
    }
    auto session = engine::connect(options);
    if (!session) {
      ADD_FAILURE() << session.error().message;
      return {};
    }
    return check.run(CheckContext{**session, "drill"});
  }

  // Stops the server, damages `bytes` bytes in the middle of block 1 of the
  // relation's file, starts it again.
  void damage_block_1(const std::string& relation, std::size_t offset_in_page, std::size_t bytes,
                      char fill) {
    ASSERT_EQ(psql("CHECKPOINT"), "");
    fs::path file = relation_file(relation);
    ASSERT_TRUE(fs::exists(file)) << file;
    auto restarted =
        m_scratch->restart([&] { scribble(file, k_page + offset_in_page, bytes, fill); });
    ASSERT_TRUE(restarted) << restarted.error().message;
  }

  std::optional<drills::PgScratch> m_scratch;
};

TEST_F(PgIntegrity, CleanDatabasePasses) {
  auto out = run_integrity();
  EXPECT_EQ(out.outcome, Outcome::passed) << describe(out);
  ASSERT_EQ(out.objects.size(), 3u) << describe(out);
  EXPECT_EQ(out.objects[0].object, "index public.track_name_idx");
  EXPECT_EQ(out.objects[1].object, "index public.track_pkey");
  EXPECT_EQ(out.objects[2].object, "table public.track");
  EXPECT_TRUE(out.findings.empty());
}

// Negative control: garbage in the middle of an index leaf page.
TEST_F(PgIntegrity, DamagedIndexPageIsAFindingNamingTheIndex) {
  ASSERT_EQ(run_integrity().outcome, Outcome::passed);
  damage_block_1("track_pkey", 4000, 64, '\x7f');
  auto out = run_integrity();
  std::cerr << describe(out);
  EXPECT_EQ(out.outcome, Outcome::failed) << describe(out);
  const ObjectOutcome* index = object_named(out, "index public.track_pkey");
  ASSERT_TRUE(index) << describe(out);
  EXPECT_EQ(index->outcome, Outcome::failed);
  ASSERT_EQ(index->findings.size(), 1u);
  EXPECT_EQ(index->message, "index public.track_pkey: " + index->findings[0].message);
  EXPECT_NE(index->findings[0].message.find("\"track_pkey\""), std::string::npos)
      << index->findings[0].message;
  const ObjectOutcome* other = object_named(out, "index public.track_name_idx");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->outcome, Outcome::passed);
}

// Negative control: garbage in the middle of a heap page. verify_heapam
// reports it row by row; nothing crashes. (With heapallindexed, the primary
// key's check also fails: the damaged tuple has no matching index entry.)
TEST_F(PgIntegrity, DamagedHeapPageIsReportedByVerifyHeapam) {
  damage_block_1("track", 4000, 64, '\x7f');
  auto out = run_integrity(true);
  std::cerr << describe(out);
  EXPECT_EQ(out.outcome, Outcome::failed) << describe(out);
  const ObjectOutcome* table = object_named(out, "table public.track");
  ASSERT_TRUE(table) << describe(out);
  EXPECT_EQ(table->outcome, Outcome::failed);
  ASSERT_FALSE(table->findings.empty());
  EXPECT_EQ(table->findings[0].message.rfind("block 1, offset ", 0), 0u)
      << table->findings[0].message;
  const ObjectOutcome* pkey = object_named(out, "index public.track_pkey");
  ASSERT_TRUE(pkey);
  EXPECT_EQ(pkey->outcome, Outcome::failed);
}

TEST_F(PgIntegrity, FreshnessFromHeartbeatColumn) {
  auto session = engine::connect(m_scratch->connect_options(k_db));
  ASSERT_TRUE(session) << session.error().message;
  checks::FreshnessCheck check("fresh", "", "public.track", "added_at");
  CheckContext ctx{**session, "drill"};
  ctx.reference_time = *parse_timestamp("2026-11-20T03:00:00Z");
  ctx.rpo = 8h;
  auto ok = check.run(ctx);
  EXPECT_EQ(ok.outcome, Outcome::passed) << ok.message;
  ASSERT_TRUE(ok.achieved_rpo);
  EXPECT_EQ(*ok.achieved_rpo, Millis(7h + 1s));
  ctx.rpo = 6h;
  auto late = check.run(ctx);
  EXPECT_EQ(late.outcome, Outcome::failed);
  EXPECT_EQ(late.message,
            "newest data 2026-11-19T19:59:59Z is 7h1s old at the backup's reference time "
            "2026-11-20T03:00:00Z; rpo 6h");
  checks::FreshnessCheck empty("fresh", "SELECT max(added_at) FROM track WHERE id < 0", "", "");
  auto none = empty.run(ctx);
  EXPECT_EQ(none.outcome, Outcome::failed);
  EXPECT_EQ(none.message, "no data: SELECT max(added_at) FROM track WHERE id < 0 returned NULL");
}

// --- SQLite -----------------------------------------------------------

class SqliteIntegrity : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir.emplace(world_dir("dp-integrity-"));
    m_db = m_dir->path() / "chinook.sqlite";
    std::error_code ec;
    fs::copy_file(chinook("Chinook_Sqlite.sqlite"), m_db, ec);
    ASSERT_FALSE(ec) << ec.message();
  }

  CheckOutcome run_integrity() {
    engine::ConnectOptions o;
    o.kind = EngineKind::sqlite;
    o.database = m_db.string();
    auto session = engine::connect(o);
    if (!session) {
      ADD_FAILURE() << session.error().message;
      return {};
    }
    IntegrityCheck check(CheckSpec{"integrity", "integrity", {}, {}}, true);
    return check.run(CheckContext{**session, "chinook"});
  }

  std::optional<CapturedRun> sqlite3(const std::string& sql) {
    SpawnOptions o;
    o.argv = {"sqlite3", m_db.string(), sql};
    auto run = run_captured(std::move(o), 60s);
    if (!run) return std::nullopt;
    return std::move(*run);
  }

  std::optional<TempDir> m_dir;
  fs::path m_db;
};

TEST_F(SqliteIntegrity, CleanCopyPasses) {
  auto out = run_integrity();
  EXPECT_EQ(out.outcome, Outcome::passed) << describe(out);
  ASSERT_FALSE(out.objects.empty());
  EXPECT_EQ(out.objects[0].object, "database main");
  EXPECT_TRUE(object_named(out, "foreign keys main.InvoiceLine"));
}

// Negative control: garbage in the middle of a b-tree page of the Track table.
TEST_F(SqliteIntegrity, DamagedPageIsReportedAsFindings) {
  auto page = sqlite3("SELECT rootpage FROM sqlite_master WHERE name = 'Track'");
  DP_REQUIRE_OR_SKIP(page && page->status.ok(), "sqlite3 CLI not installed");
  auto size = sqlite3("PRAGMA page_size");
  ASSERT_TRUE(size && size->status.ok());
  std::size_t root = std::stoul(std::string(trim(page->out)));
  std::size_t page_size = std::stoul(std::string(trim(size->out)));
  // The root page's children are the next pages; damage one a few pages on.
  std::size_t target = root + 3;
  scribble(m_db, (target - 1) * page_size + page_size / 2, 200, '\x7f');
  auto out = run_integrity();
  std::cerr << describe(out);
  EXPECT_EQ(out.outcome, Outcome::failed) << describe(out);
  const ObjectOutcome* db = object_named(out, "database main");
  ASSERT_TRUE(db);
  EXPECT_EQ(db->outcome, Outcome::failed);
  EXPECT_FALSE(db->findings.empty());
}

TEST_F(SqliteIntegrity, OrphanRowIsAForeignKeyFinding) {
  auto insert = sqlite3(
      "PRAGMA foreign_keys=OFF; INSERT INTO InvoiceLine (InvoiceLineId, InvoiceId, TrackId, "
      "UnitPrice, Quantity) VALUES (99999, 77777, 1, 0.99, 1);");
  DP_REQUIRE_OR_SKIP(insert, "sqlite3 CLI not installed");
  ASSERT_TRUE(insert->status.ok()) << insert->err;
  auto out = run_integrity();
  EXPECT_EQ(out.outcome, Outcome::failed) << describe(out);
  EXPECT_EQ(out.message, "main.InvoiceLine rowid 99999: no parent row in Invoice");
  const ObjectOutcome* fk = object_named(out, "foreign keys main.InvoiceLine");
  ASSERT_TRUE(fk);
  EXPECT_EQ(fk->outcome, Outcome::failed);
  ASSERT_EQ(fk->findings.size(), 1u);
  EXPECT_EQ(object_named(out, "database main")->outcome, Outcome::passed);
}

TEST_F(SqliteIntegrity, FreshnessOlderThanRpoFails) {
  auto made = sqlite3(
      "CREATE TABLE heartbeat (beat_at TEXT); INSERT INTO heartbeat VALUES "
      "('2026-11-19 18:00:00'), ('2026-11-19T20:00:00Z'), ('2026-11-19 19:00:00+00:00');");
  DP_REQUIRE_OR_SKIP(made && made->status.ok(), "sqlite3 CLI not installed");
  engine::ConnectOptions o;
  o.kind = EngineKind::sqlite;
  o.database = m_db.string();
  auto session = engine::connect(o);
  ASSERT_TRUE(session) << session.error().message;
  checks::FreshnessCheck check("fresh", "SELECT '2026-11-19T20:00:00Z'", "", "");
  CheckContext ctx{**session, "chinook"};
  ctx.reference_time = *parse_timestamp("2026-11-20T03:00:00Z");
  ctx.rpo = 6h;
  auto out = check.run(ctx);
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message,
            "newest data 2026-11-19T20:00:00Z is 7h old at the backup's reference time "
            "2026-11-20T03:00:00Z; rpo 6h");
  ctx.rpo = 12h;
  checks::FreshnessCheck heartbeat("fresh", "", "heartbeat", "beat_at");
  auto ok = heartbeat.run(ctx);
  EXPECT_EQ(ok.outcome, Outcome::passed) << ok.message;
  EXPECT_EQ(*ok.achieved_rpo, Millis(7h));
}

}  // namespace
}  // namespace dp::test
