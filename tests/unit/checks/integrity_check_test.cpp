#include "checks/integrity_check.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/fixtures/fake_engine.hpp"
#include "tests/unit/checks/spec_helpers.hpp"

namespace dp::checks {
namespace {

using namespace spec_helpers;
using fake::FakeEngine;

const std::string k_indexes(IntegrityCheck::k_pg_indexes_sql);
const std::string k_tables(IntegrityCheck::k_pg_tables_sql);
const std::string k_fk_tables(IntegrityCheck::k_sqlite_fk_tables_sql);

std::string bt_check(const std::string& oid, bool heapallindexed = true) {
  return "SELECT bt_index_check(index => " + oid + "::regclass, heapallindexed => " +
         (heapallindexed ? "true" : "false") + ")";
}
std::string heap_check(const std::string& oid) {
  return "SELECT blkno, offnum, attnum, msg FROM verify_heapam(" + oid + "::regclass)";
}

const std::vector<std::string> k_heap_cols = {"blkno", "offnum", "attnum", "msg"};
const std::string k_amcheck_error =
    "ERROR:  item order invariant violated for index \"track_pkey\"\n"
    "DETAIL:  Lower index tid=(1,2) (points to index tid=(2,1)) higher index tid=(1,3) (points "
    "to index tid=(3,1)) page lsn=0/1A2B3C.";

IntegrityCheck make_check(bool heapallindexed = true) {
  return IntegrityCheck(spec("integrity", "integrity", {}), heapallindexed);
}

class PgIntegrityTest : public ::testing::Test {
 protected:
  PgIntegrityTest() {
    db.set_server_version("15.18 (Debian 15.18-1.pgdg120+1)");
    db.on(k_indexes, {"oid", "nspname", "relname"},
          {{"16390", "public", "track_pkey"}, {"16392", "public", "track_name_idx"}});
    db.on(k_tables, {"oid", "nspname", "relname"}, {{"16384", "public", "track"}});
    db.on(bt_check("16390"), {"bt_index_check"}, {{""}});
    db.on(bt_check("16392"), {"bt_index_check"}, {{""}});
    db.on(heap_check("16384"), k_heap_cols, {});
  }
  CheckOutcome run(const Check& check) { return check.run(CheckContext{db, "shop"}); }

  FakeEngine db;
};

TEST_F(PgIntegrityTest, PrerequisiteCreatesAmcheck) {
  EXPECT_EQ(make_check().prerequisites(EngineKind::postgres),
            std::vector<std::string>{"CREATE EXTENSION IF NOT EXISTS amcheck"});
  EXPECT_TRUE(make_check().prerequisites(EngineKind::sqlite).empty());
}

TEST_F(PgIntegrityTest, CleanDatabasePassesWithOneObjectPerIndexAndTable) {
  auto out = run(make_check());
  EXPECT_EQ(out.outcome, Outcome::passed) << out.message;
  EXPECT_EQ(out.message, "");
  EXPECT_TRUE(out.findings.empty());
  ASSERT_EQ(out.objects.size(), 3u);
  EXPECT_EQ(out.objects[0].object, "index public.track_pkey");
  EXPECT_EQ(out.objects[1].object, "index public.track_name_idx");
  EXPECT_EQ(out.objects[2].object, "table public.track");
  for (const auto& o : out.objects) EXPECT_EQ(o.outcome, Outcome::passed);
  EXPECT_EQ(db.queries(), (std::vector<std::string>{k_indexes, bt_check("16390"), bt_check("16392"),
                                                    k_tables, heap_check("16384")}));
}

TEST_F(PgIntegrityTest, HeapallindexedFalseIsPassedOn) {
  db.on(bt_check("16390", false), {"bt_index_check"}, {{""}});
  db.on(bt_check("16392", false), {"bt_index_check"}, {{""}});
  auto spec_off = spec("integrity", "integrity", {{"heapallindexed", boolean(false)}});
  auto check = IntegrityCheck::make(spec_off);
  EXPECT_EQ(run(*check).outcome, Outcome::passed);
  EXPECT_EQ(db.queries()[1], bt_check("16390", false));
}

TEST_F(PgIntegrityTest, AmcheckCorruptionErrorIsAFindingNamingItsIndex) {
  db.on_engine_error(bt_check("16390"), k_amcheck_error);
  auto out = run(make_check());
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message,
            "index public.track_pkey: item order invariant violated for index \"track_pkey\"");
  ASSERT_EQ(out.objects.size(), 3u);
  EXPECT_EQ(out.objects[0].outcome, Outcome::failed);
  EXPECT_EQ(out.objects[0].message, out.message);
  ASSERT_EQ(out.objects[0].findings.size(), 1u);
  const Finding& f = out.objects[0].findings[0];
  EXPECT_EQ(f.check_id, "integrity");
  EXPECT_EQ(f.target, "index public.track_pkey");
  EXPECT_EQ(f.severity, Severity::error);
  EXPECT_EQ(f.message, "item order invariant violated for index \"track_pkey\"");
  EXPECT_EQ(f.evidence, bt_check("16390") + "\n" + k_amcheck_error);
  EXPECT_EQ(out.objects[1].outcome, Outcome::passed);  // the other index is still checked
  EXPECT_EQ(out.objects[2].outcome, Outcome::passed);
  ASSERT_EQ(out.findings.size(), 1u);
}

TEST_F(PgIntegrityTest, CorruptedWordingAndInvalidPageAreFindings) {
  db.on_engine_error(bt_check("16390"),
                     "ERROR:  index \"track_pkey\" contains corrupted page at block 1");
  db.on_engine_error(heap_check("16384"),
                     "ERROR:  invalid page in block 1 of relation base/16384/16384");
  auto out = run(make_check());
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.objects[0].outcome, Outcome::failed);
  EXPECT_EQ(out.objects[2].outcome, Outcome::failed);
  EXPECT_EQ(out.objects[2].message,
            "table public.track: invalid page in block 1 of relation base/16384/16384");
  EXPECT_EQ(out.message,
            "index public.track_pkey: index \"track_pkey\" contains corrupted page at block 1 "
            "(and 1 more failed)");
}

TEST_F(PgIntegrityTest, PermissionErrorIsAnErrorNotAFinding) {
  db.on_engine_error(bt_check("16390"), "ERROR:  permission denied for function bt_index_check");
  auto out = run(make_check());
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message, "index public.track_pkey: permission denied for function bt_index_check");
  EXPECT_EQ(out.objects[0].outcome, Outcome::error);
  EXPECT_TRUE(out.objects[0].findings.empty());
  EXPECT_TRUE(out.findings.empty());
}

TEST_F(PgIntegrityTest, MissingFunctionAndTimeoutAreErrors) {
  db.on_engine_error(bt_check("16390"),
                     "ERROR:  function bt_index_check(index => regclass, heapallindexed => "
                     "boolean) does not exist");
  db.on_timeout(bt_check("16392"));
  auto out = run(make_check());
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.objects[0].outcome, Outcome::error);
  EXPECT_EQ(out.objects[1].outcome, Outcome::error);
  EXPECT_EQ(out.objects[1].message,
            "index public.track_name_idx: canceling statement due to statement timeout");
  EXPECT_EQ(out.message,
            "index public.track_pkey: function bt_index_check(index => regclass, heapallindexed "
            "=> boolean) does not exist (and 1 more in error)");
}

TEST_F(PgIntegrityTest, FailedWinsOverError) {
  db.on_engine_error(bt_check("16390"), "ERROR:  permission denied for function bt_index_check");
  db.on_engine_error(bt_check("16392"), k_amcheck_error);
  auto out = run(make_check());
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message,
            "index public.track_name_idx: item order invariant violated for index "
            "\"track_pkey\"");
}

TEST_F(PgIntegrityTest, VerifyHeapamRowsAreFindings) {
  db.on(heap_check("16384"), k_heap_cols,
        {{"1", "7", std::nullopt, "line pointer to page offset 9000 is not maximally aligned"},
         {"3", "2", "4", "toast value 123 not found in toast table"}});
  auto out = run(make_check());
  EXPECT_EQ(out.outcome, Outcome::failed);
  const auto& table = out.objects[2];
  EXPECT_EQ(table.object, "table public.track");
  EXPECT_EQ(table.outcome, Outcome::failed);
  ASSERT_EQ(table.findings.size(), 2u);
  EXPECT_EQ(table.findings[0].message,
            "block 1, offset 7: line pointer to page offset 9000 is not maximally aligned");
  EXPECT_EQ(table.findings[1].message,
            "block 3, offset 2, attribute 4: toast value 123 not found in toast table");
  EXPECT_EQ(table.findings[0].target, "table public.track");
  EXPECT_EQ(table.message,
            "table public.track: 2 problems, first: block 1, offset 7: line pointer to page "
            "offset 9000 is not maximally aligned");
  EXPECT_EQ(out.message, table.message);
  EXPECT_EQ(out.findings.size(), 2u);
}

TEST_F(PgIntegrityTest, OldServerSkipsHeapWithInfoFinding) {
  db.set_server_version("13.16");
  auto out = run(make_check());
  EXPECT_EQ(out.outcome, Outcome::passed);
  EXPECT_EQ(out.objects.size(), 2u);
  ASSERT_EQ(out.findings.size(), 1u);
  EXPECT_EQ(out.findings[0].severity, Severity::info);
  EXPECT_EQ(out.findings[0].message,
            "heap pages not checked: verify_heapam needs PostgreSQL 14 or later, server is 13.16");
  for (const auto& q : db.queries()) EXPECT_EQ(q.find("verify_heapam"), std::string::npos);
}

TEST_F(PgIntegrityTest, IndexListFailureIsAnError) {
  db.on_engine_error(k_indexes, "ERROR:  permission denied for table pg_index");
  auto out = run(make_check());
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.message, "list indexes: permission denied for table pg_index");
}

TEST_F(PgIntegrityTest, DroppedConnectionIsAnError) {
  db.drop_connection_after(1);
  auto out = run(make_check());
  EXPECT_EQ(out.outcome, Outcome::error);
  EXPECT_EQ(out.objects[0].message,
            "index public.track_pkey: server closed the connection unexpectedly");
}

TEST(IntegrityCorruption, Classifier) {
  EXPECT_TRUE(IntegrityCheck::is_corruption("ERROR:  XX002: index \"a\" is corrupt"));
  EXPECT_TRUE(IntegrityCheck::is_corruption(
      "ERROR:  heap tuple (0,1) from table \"t\" lacks matching index tuple within index \"i\""));
  EXPECT_TRUE(IntegrityCheck::is_corruption("database disk image is malformed"));
  EXPECT_FALSE(IntegrityCheck::is_corruption("ERROR:  permission denied for function x"));
  EXPECT_FALSE(IntegrityCheck::is_corruption("server closed the connection unexpectedly"));
}

class SqliteIntegrityTest : public ::testing::Test {
 protected:
  SqliteIntegrityTest() : db(EngineKind::sqlite) {
    db.on("PRAGMA integrity_check", {"integrity_check"}, {{"ok"}});
    db.on(k_fk_tables, {"name"}, {{"Invoice"}, {"InvoiceLine"}});
    db.on("PRAGMA main.foreign_key_check(\"Invoice\")", {"table", "rowid", "parent", "fkid"}, {});
    db.on("PRAGMA main.foreign_key_check(\"InvoiceLine\")", {"table", "rowid", "parent", "fkid"},
          {});
  }
  CheckOutcome run() { return make_check().run(CheckContext{db, "chinook"}); }
  FakeEngine db;
};

TEST_F(SqliteIntegrityTest, CleanPasses) {
  auto out = run();
  EXPECT_EQ(out.outcome, Outcome::passed) << out.message;
  ASSERT_EQ(out.objects.size(), 3u);
  EXPECT_EQ(out.objects[0].object, "database main");
  EXPECT_EQ(out.objects[1].object, "foreign keys main.Invoice");
  EXPECT_EQ(out.objects[2].object, "foreign keys main.InvoiceLine");
}

TEST_F(SqliteIntegrityTest, IntegrityRowsAreFindings) {
  db.on("PRAGMA integrity_check", {"integrity_check"},
        {{"*** in database main ***\nPage 12: btreeInitPage() returns error code 11"},
         {"row 3 missing from index IFK_TrackAlbumId"}});
  auto out = run();
  EXPECT_EQ(out.outcome, Outcome::failed);
  const auto& o = out.objects[0];
  EXPECT_EQ(o.outcome, Outcome::failed);
  ASSERT_EQ(o.findings.size(), 2u);
  EXPECT_EQ(o.findings[1].message, "row 3 missing from index IFK_TrackAlbumId");
  EXPECT_EQ(o.findings[1].target, "database main");
  EXPECT_EQ(o.message,
            "database main: 2 problems, first: Page 12: btreeInitPage() returns error code 11");
}

TEST_F(SqliteIntegrityTest, MalformedErrorIsAFinding) {
  db.on_engine_error("PRAGMA integrity_check", "database disk image is malformed");
  auto out = run();
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.objects[0].message, "database main: database disk image is malformed");
}

TEST_F(SqliteIntegrityTest, OrphanRowIsAForeignKeyFinding) {
  db.on("PRAGMA main.foreign_key_check(\"InvoiceLine\")", {"table", "rowid", "parent", "fkid"},
        {{"InvoiceLine", "7", "Invoice", "0"}});
  auto out = run();
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.message, "main.InvoiceLine rowid 7: no parent row in Invoice");
  const auto& o = out.objects[2];
  EXPECT_EQ(o.object, "foreign keys main.InvoiceLine");
  EXPECT_EQ(o.outcome, Outcome::failed);
  ASSERT_EQ(o.findings.size(), 1u);
  EXPECT_EQ(o.findings[0].message, "main.InvoiceLine rowid 7: no parent row in Invoice");
  EXPECT_EQ(o.findings[0].target, "main.InvoiceLine");
  EXPECT_EQ(out.objects[1].outcome, Outcome::passed);
}

// MySQL: CHECK TABLE ... EXTENDED per table, judged by its rows.
class MyIntegrityTest : public ::testing::Test {
 protected:
  MyIntegrityTest() : db(EngineKind::mysql) {
    db.set_tables({{"", "Album"}, {"", "Track"}});
    db.on(check_sql("Album"), k_cols, {{"chinook.Album", "check", "status", "OK"}});
    db.on(check_sql("Track"), k_cols, {{"chinook.Track", "check", "status", "OK"}});
  }
  static std::string check_sql(const std::string& table) {
    return "CHECK TABLE \"" + table + "\" EXTENDED";
  }
  CheckOutcome run() { return make_check().run(CheckContext{db, "chinook"}); }
  const std::vector<std::string> k_cols = {"Table", "Op", "Msg_type", "Msg_text"};
  FakeEngine db;
};

TEST_F(MyIntegrityTest, CleanPasses) {
  auto out = run();
  EXPECT_EQ(out.outcome, Outcome::passed) << out.message;
  ASSERT_EQ(out.objects.size(), 2u);
  EXPECT_EQ(out.objects[0].object, "table Album");
  EXPECT_EQ(out.objects[1].object, "table Track");
  EXPECT_EQ(out.observed, "2 objects checked, 0 failed, 0 in error");
}

// The statement succeeds; only its rows say the table is damaged.
TEST_F(MyIntegrityTest, ErrorRowsAreFindings) {
  db.on(check_sql("Track"), k_cols,
        {{"chinook.Track", "check", "Warning", "InnoDB: The B-tree of index PRIMARY is corrupted."},
         {"chinook.Track", "check", "error", "Corrupt"}});
  auto out = run();
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.objects[0].outcome, Outcome::passed);
  const auto& o = out.objects[1];
  EXPECT_EQ(o.outcome, Outcome::failed);
  ASSERT_EQ(o.findings.size(), 2u);
  EXPECT_EQ(o.findings[0].message, "warning: InnoDB: The B-tree of index PRIMARY is corrupted.");
  EXPECT_EQ(o.findings[0].severity, Severity::warning);
  EXPECT_EQ(o.findings[1].message, "error: Corrupt");
  EXPECT_EQ(o.findings[1].severity, Severity::error);
  EXPECT_EQ(o.message,
            "table Track: 2 problems, first: warning: InnoDB: The B-tree of index PRIMARY is "
            "corrupted.");
}

// A status other than OK fails even without error rows; no rows at all too.
TEST_F(MyIntegrityTest, StatusOtherThanOkOrNoRowsFails) {
  db.on(check_sql("Album"), k_cols, {{"chinook.Album", "check", "status", "Operation failed"}});
  db.on(check_sql("Track"), k_cols, {});
  auto out = run();
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.objects[0].message, "table Album: status: Operation failed");
  EXPECT_EQ(out.objects[1].message, "table Track: CHECK TABLE returned no rows");
}

// A MEMORY table answers CHECK TABLE with a note alone, no status row:
// not checkable, never a failure or an error.
TEST_F(MyIntegrityTest, EngineWithoutCheckIsNotAFailure) {
  db.on(check_sql("Track"), k_cols,
        {{"chinook.Track", "check", "note",
          "The storage engine for the table doesn't support check"}});
  auto out = run();
  EXPECT_EQ(out.outcome, Outcome::passed) << out.message;
  EXPECT_EQ(out.observed, "2 objects checked, 0 failed, 0 in error");
  const auto& o = out.objects[1];
  EXPECT_EQ(o.outcome, Outcome::passed);
  EXPECT_EQ(o.message, "table Track: engine does not support CHECK TABLE, not checked");
  ASSERT_EQ(out.findings.size(), 1u);
  EXPECT_EQ(out.findings[0].severity, Severity::info);
  EXPECT_EQ(out.findings[0].target, "table Track");
}

// The note does not hide an error row or a bad status next to it.
TEST_F(MyIntegrityTest, UnsupportedNoteWithAnErrorStillFails) {
  db.on(
      check_sql("Track"), k_cols,
      {{"chinook.Track", "check", "note", "The storage engine for the table doesn't support check"},
       {"chinook.Track", "check", "error", "Corrupt"}});
  auto out = run();
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.objects[1].outcome, Outcome::failed);
}

TEST_F(MyIntegrityTest, CorruptedTableErrorIsAFindingOtherErrorsAreNot) {
  db.on_engine_error(check_sql("Album"), "ERROR 1146 (42S02): Table 'chinook.Album' doesn't exist");
  db.on_engine_error(check_sql("Track"),
                     "ERROR 1877 (HY000): Table `chinook`.`Track` is corrupted. Please drop the "
                     "table and recreate.");
  auto out = run();
  EXPECT_EQ(out.outcome, Outcome::failed);
  EXPECT_EQ(out.objects[0].outcome, Outcome::error);
  EXPECT_EQ(out.objects[1].outcome, Outcome::failed);
  ASSERT_EQ(out.findings.size(), 1u);
  EXPECT_EQ(out.findings[0].target, "table Track");
}

TEST(IntegrityKind, Info) {
  auto info = IntegrityCheck::kind_info();
  EXPECT_EQ(info.type, "integrity");
  ASSERT_EQ(info.params.size(), 1u);
  EXPECT_EQ(info.params[0].key, "heapallindexed");
  EXPECT_EQ(info.params[0].type, ParamType::boolean);
  EXPECT_TRUE(info.validate(spec("integrity", "", {})).empty());
  EXPECT_EQ(info.default_name(spec("integrity", "", {})), "integrity");
}

}  // namespace
}  // namespace dp::checks
