// Integration: the catalog reader and the schema, row_counts and
// foreign_keys checks against real databases. Chinook is loaded into a real
// PostgreSQL and read from the SQLite file; the "snapshot" side is built
// here from read_schema and count(*), so these tests do not depend on
// snapshot files. Negative controls damage a copy of the database and assert
// the exact finding.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "checks/foreign_keys_check.hpp"
#include "checks/row_counts_check.hpp"
#include "checks/schema_check.hpp"
#include "checks/snapshot.hpp"
#include "tests/integration/source_pg.hpp"
#include "verifier/engine/catalog.hpp"
#include "verifier/engine/sqlite/sqlite_engine.hpp"

namespace dp::test {
namespace {

using checks::CheckContext;
using checks::CheckOutcome;
using checks::Outcome;

const std::vector<std::string> k_pg_tables = {
    "public.album",    "public.artist",         "public.customer",     "public.employee",
    "public.genre",    "public.invoice",        "public.invoice_line", "public.media_type",
    "public.playlist", "public.playlist_track", "public.track"};

CheckSpec spec_of(const std::string& type) {
  CheckSpec s;
  s.type = type;
  s.name = type;
  return s;
}

// What take_snapshot would record, built from the catalog and count(*).
checks::Snapshot snapshot_of(engine::Engine& db) {
  checks::Snapshot snap;
  auto schema = engine::read_schema(db);
  EXPECT_TRUE(schema.has_value()) << (schema ? "" : schema.error().message);
  if (!schema) return snap;
  for (const auto& t : schema->tables) {
    auto r = db.query(fmt::format("SELECT count(*) FROM {}.{}", db.quote_identifier(t.name.schema),
                                  db.quote_identifier(t.name.name)));
    EXPECT_TRUE(r.has_value());
    std::uint64_t rows = r ? std::stoull(r->rows.at(0).at(0).value_or("0")) : 0;
    snap.tables.push_back({t, rows, {}});
  }
  snap.views = schema->views;
  snap.sequences = schema->sequences;
  return snap;
}

CheckOutcome run_check(const checks::Check& check, engine::Engine& db,
                       const checks::Snapshot* snap) {
  CheckContext ctx{db, "chinook"};
  ctx.snapshot = snap;
  return check.run(ctx);
}

std::string describe(const CheckOutcome& out) {
  std::string s = out.message;
  for (const auto& f : out.findings) s += "\n  " + f.target + ": " + f.message;
  return s;
}

// Runs all three checks against `db` with `snap` and expects them to pass.
void expect_all_pass(engine::Engine& db, const checks::Snapshot& snap, std::size_t fks) {
  CheckOutcome schema = run_check(checks::SchemaCheck(spec_of("schema")), db, &snap);
  EXPECT_EQ(schema.outcome, Outcome::passed) << describe(schema);
  EXPECT_EQ(schema.objects.size(), 11u);
  EXPECT_TRUE(schema.findings.empty()) << describe(schema);
  CheckOutcome counts = run_check(checks::RowCountsCheck(spec_of("row_counts")), db, &snap);
  EXPECT_EQ(counts.outcome, Outcome::passed) << describe(counts);
  EXPECT_EQ(counts.objects.size(), 11u);
  CheckOutcome keys = run_check(checks::ForeignKeysCheck(spec_of("foreign_keys")), db, nullptr);
  EXPECT_EQ(keys.outcome, Outcome::passed) << describe(keys);
  EXPECT_EQ(keys.objects.size(), fks);
}

class SchemaChecksPg : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    auto source = SourcePg::start(why);
    if (!source) {
      s_why = "PostgreSQL unavailable: " + why;
      return;
    }
    s_source = new SourcePg(std::move(*source));
    if (auto err = s_source->psql_file(chinook("Chinook_PostgreSql.sql")); !err.empty())
      s_why = "loading Chinook failed: " + err;
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

  // A fresh copy of Chinook (plus `prepare`) to damage; the snapshot is
  // taken before `damage`.
  std::unique_ptr<engine::Engine> damaged_copy(const std::string& name, const std::string& damage,
                                               checks::Snapshot& snap,
                                               const std::string& prepare = "") {
    EXPECT_EQ(s_source->psql(fmt::format("CREATE DATABASE {} TEMPLATE chinook", name)), "");
    if (!prepare.empty()) {
      std::string said = s_source->psql(prepare, name);
      EXPECT_NE(said.rfind("error:", 0), 0u) << said;
    }
    {
      auto before = connect(name);
      if (before) snap = snapshot_of(*before);
    }
    std::string said = s_source->psql(damage, name);
    EXPECT_NE(said.rfind("error:", 0), 0u) << said;
    return connect(name);
  }

  static inline SourcePg* s_source = nullptr;
  static inline std::string s_why;
};

TEST_F(SchemaChecksPg, ReadSchemaFindsChinook) {
  auto db = connect("chinook");
  ASSERT_TRUE(db);
  auto schema = engine::read_schema(*db);
  ASSERT_TRUE(schema.has_value()) << schema.error().message;
  std::vector<std::string> names;
  for (const auto& t : schema->tables) names.push_back(t.name.qualified());
  EXPECT_EQ(names, k_pg_tables);
  EXPECT_TRUE(schema->views.empty());

  const engine::Table* album = schema->find("public.album");
  ASSERT_NE(album, nullptr);
  ASSERT_EQ(album->columns.size(), 3u);
  EXPECT_EQ(album->columns[0].name, "album_id");
  EXPECT_EQ(album->columns[0].type, "integer");
  EXPECT_FALSE(album->columns[0].nullable);
  EXPECT_EQ(album->columns[1].type, "character varying(160)");
  EXPECT_EQ(album->primary_key, std::vector<std::string>{"album_id"});
  ASSERT_EQ(album->constraints.size(), 2u);
  EXPECT_EQ(album->constraints[0].name, "album_artist_id_fkey");
  EXPECT_EQ(album->constraints[0].kind, "foreign_key");
  EXPECT_EQ(album->constraints[0].columns, std::vector<std::string>{"artist_id"});
  EXPECT_EQ(album->constraints[0].ref_table.qualified(), "public.artist");
  EXPECT_EQ(album->constraints[0].ref_columns, std::vector<std::string>{"artist_id"});
  EXPECT_EQ(album->constraints[1].kind, "primary_key");
  ASSERT_EQ(album->indexes.size(), 2u);
  EXPECT_EQ(album->indexes[0].name, "album_artist_id_idx");
  EXPECT_EQ(album->indexes[0].definition,
            "CREATE INDEX album_artist_id_idx ON public.album USING btree (artist_id)");
  EXPECT_FALSE(album->indexes[0].unique);
  EXPECT_EQ(album->indexes[1].name, "album_pkey");
  EXPECT_TRUE(album->indexes[1].unique);

  const engine::Table* pt = schema->find("public.playlist_track");
  ASSERT_NE(pt, nullptr);
  EXPECT_EQ(pt->primary_key, (std::vector<std::string>{"playlist_id", "track_id"}));
  std::size_t fks = 0;
  for (const auto& t : schema->tables)
    for (const auto& c : t.constraints) fks += c.kind == "foreign_key";
  EXPECT_EQ(fks, 11u);
}

TEST_F(SchemaChecksPg, CleanChinookPassesAllThree) {
  auto db = connect("chinook");
  ASSERT_TRUE(db);
  checks::Snapshot snap = snapshot_of(*db);
  ASSERT_EQ(snap.tables.size(), 11u);
  expect_all_pass(*db, snap, 11);
}

// Negative control: a lost index is a schema finding on its table.
TEST_F(SchemaChecksPg, DroppedIndexIsFound) {
  checks::Snapshot snap;
  auto db = damaged_copy("dropped_index", "DROP INDEX track_genre_id_idx", snap);
  ASSERT_TRUE(db);
  CheckOutcome out = run_check(checks::SchemaCheck(spec_of("schema")), *db, &snap);
  EXPECT_EQ(out.outcome, Outcome::failed);
  ASSERT_EQ(out.findings.size(), 1u) << describe(out);
  EXPECT_EQ(out.findings[0].target, "public.track");
  EXPECT_EQ(out.findings[0].message, "index track_genre_id_idx missing");
  EXPECT_EQ(out.message, "1 of 11 tables differ");
}

// Negative control: a column whose type changed.
TEST_F(SchemaChecksPg, ChangedColumnTypeIsFound) {
  checks::Snapshot snap;
  auto db =
      damaged_copy("changed_type", "ALTER TABLE invoice ALTER COLUMN total TYPE integer", snap);
  ASSERT_TRUE(db);
  CheckOutcome out = run_check(checks::SchemaCheck(spec_of("schema")), *db, &snap);
  EXPECT_EQ(out.outcome, Outcome::failed);
  ASSERT_EQ(out.findings.size(), 1u) << describe(out);
  EXPECT_EQ(out.findings[0].target, "public.invoice");
  EXPECT_EQ(out.findings[0].message, "column total: type changed from numeric(10,2) to integer");
}

// Negative control: deleted rows.
TEST_F(SchemaChecksPg, DeletedRowsAreFound) {
  checks::Snapshot snap;
  auto db =
      damaged_copy("deleted_rows", "DELETE FROM invoice_line WHERE invoice_line_id <= 10", snap);
  ASSERT_TRUE(db);
  CheckOutcome out = run_check(checks::RowCountsCheck(spec_of("row_counts")), *db, &snap);
  EXPECT_EQ(out.outcome, Outcome::failed);
  ASSERT_EQ(out.findings.size(), 1u) << describe(out);
  EXPECT_EQ(out.findings[0].target, "public.invoice_line");
  EXPECT_EQ(out.findings[0].message, "2230 rows, snapshot has 2240 (tolerance 0)");
  EXPECT_EQ(out.message, "public.invoice_line: 2230 rows, snapshot has 2240 (tolerance 0)");
}

// Negative control: a child row whose parent does not exist, inserted with
// triggers (and so FK enforcement) off, as a careless restore would load it.
TEST_F(SchemaChecksPg, OrphanedChildRowIsFound) {
  checks::Snapshot snap;
  auto db = damaged_copy("orphaned_row",
                         "SET session_replication_role = replica; INSERT INTO invoice_line "
                         "VALUES (99999, 9999, 1, 0.99, 1)",
                         snap);
  ASSERT_TRUE(db);
  CheckOutcome out = run_check(checks::ForeignKeysCheck(spec_of("foreign_keys")), *db, nullptr);
  EXPECT_EQ(out.outcome, Outcome::failed);
  ASSERT_EQ(out.findings.size(), 1u) << describe(out);
  EXPECT_EQ(out.findings[0].target, "public.invoice_line.invoice_id -> public.invoice");
  EXPECT_EQ(out.findings[0].message, "1 orphaned row; first keys: invoice_line_id=99999");
  EXPECT_EQ(out.objects.size(), 11u);
}

// Negative control: a sequence restored behind its snapshot value and a
// view whose definition changed.
TEST_F(SchemaChecksPg, SequenceAndViewChangesAreFound) {
  checks::Snapshot snap;
  auto db = damaged_copy(
      "seq_view",
      "SELECT setval('invoice_no', 990); CREATE OR REPLACE VIEW big_invoice AS SELECT invoice_id "
      "FROM invoice WHERE total > 20",
      snap,
      "CREATE SEQUENCE invoice_no; SELECT setval('invoice_no', 1000); CREATE VIEW big_invoice AS "
      "SELECT invoice_id FROM invoice WHERE total > 10");
  ASSERT_TRUE(db);
  ASSERT_EQ(snap.sequences.size(), 1u);
  EXPECT_EQ(snap.sequences[0].last_value, "1000");
  ASSERT_EQ(snap.views.size(), 1u);
  CheckOutcome out = run_check(checks::SchemaCheck(spec_of("schema")), *db, &snap);
  EXPECT_EQ(out.outcome, Outcome::failed);
  std::vector<std::string> messages;
  for (const auto& f : out.findings) messages.push_back(f.target + ": " + f.message);
  EXPECT_EQ(messages, (std::vector<std::string>{
                          "public.big_invoice: view big_invoice: definition changed",
                          "public.invoice_no: sequence invoice_no: last value 1000 in snapshot, "
                          "990 restored"}));
  EXPECT_EQ(out.message, "0 of 11 tables differ, 2 views or sequences differ");
}

TEST(SchemaChecksSqlite, CleanChinookPassesAllThree) {
  TempDir dir = world_dir("dp-schema-sqlite-");
  fs::path file = dir.path() / "chinook.sqlite";
  std::error_code ec;
  fs::copy_file(chinook("Chinook_Sqlite.sqlite"), file, ec);
  ASSERT_FALSE(ec) << ec.message();
  engine::ConnectOptions options;
  options.kind = EngineKind::sqlite;
  options.database = file.string();
  auto db = engine::sqlite::open_read_only(options);
  ASSERT_TRUE(db.has_value()) << db.error().message;

  auto schema = engine::read_schema(**db);
  ASSERT_TRUE(schema.has_value()) << schema.error().message;
  ASSERT_EQ(schema->tables.size(), 11u);
  const engine::Table* pt = schema->find("main.PlaylistTrack");
  ASSERT_NE(pt, nullptr);
  EXPECT_EQ(pt->primary_key, (std::vector<std::string>{"PlaylistId", "TrackId"}));
  const engine::Table* track = schema->find("main.Track");
  ASSERT_NE(track, nullptr);
  std::set<std::string> refs;
  for (const auto& c : track->constraints)
    if (c.kind == "foreign_key") refs.insert(c.ref_table.qualified() + ":" + c.ref_columns.at(0));
  EXPECT_EQ(refs, (std::set<std::string>{"main.Album:AlbumId", "main.Genre:GenreId",
                                         "main.MediaType:MediaTypeId"}));

  checks::Snapshot snap = snapshot_of(**db);
  expect_all_pass(**db, snap, 11);
}

// Negative control on SQLite: foreign_keys is off by default there, so an
// orphan loads silently. The foreign key names no parent columns, so the
// catalog takes the parent's primary key.
TEST(SchemaChecksSqlite, OrphanedChildRowIsFound) {
  TempDir dir = world_dir("dp-schema-sqlite-");
  fs::path dump = dir.path() / "shop.sql";
  write_text(dump, R"(CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT UNIQUE);
CREATE TABLE child (child_id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent,
                    note TEXT CHECK (note <> ''));
INSERT INTO parent VALUES (1, 'a');
INSERT INTO child VALUES (10, 1, 'ok'), (11, 2, 'orphan'), (12, NULL, 'no parent');
)");
  fs::path file = dir.path() / "shop.sqlite";
  auto loaded = engine::sqlite::load_sql_dump(dump, file);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  engine::ConnectOptions options;
  options.kind = EngineKind::sqlite;
  options.database = file.string();
  auto db = engine::sqlite::open_read_only(options);
  ASSERT_TRUE(db.has_value()) << db.error().message;

  auto schema = engine::read_schema(**db);
  ASSERT_TRUE(schema.has_value()) << schema.error().message;
  const engine::Table* parent = schema->find("main.parent");
  ASSERT_NE(parent, nullptr);
  ASSERT_EQ(parent->constraints.size(), 2u);
  EXPECT_EQ(parent->constraints[0].kind, "definition");
  EXPECT_EQ(parent->constraints[1].kind, "unique");
  EXPECT_EQ(parent->constraints[1].name, "sqlite_autoindex_parent_1");
  ASSERT_EQ(parent->indexes.size(), 1u);
  EXPECT_EQ(parent->indexes[0].definition, "auto: UNIQUE(\"code\")");
  const engine::Table* child = schema->find("main.child");
  ASSERT_NE(child, nullptr);
  ASSERT_EQ(child->constraints.size(), 2u);
  EXPECT_EQ(child->constraints[1].name, "child_parent_id_fkey");
  EXPECT_EQ(child->constraints[1].ref_columns, std::vector<std::string>{"id"});
  EXPECT_EQ(child->constraints[1].definition,
            "FOREIGN KEY (\"parent_id\") REFERENCES \"parent\"(\"id\") ON UPDATE NO ACTION ON "
            "DELETE NO ACTION");

  CheckOutcome out = run_check(checks::ForeignKeysCheck(spec_of("foreign_keys")), **db, nullptr);
  EXPECT_EQ(out.outcome, Outcome::failed);
  ASSERT_EQ(out.findings.size(), 1u) << describe(out);
  EXPECT_EQ(out.findings[0].target, "main.child.parent_id -> main.parent");
  EXPECT_EQ(out.findings[0].message, "1 orphaned row; first keys: child_id=11");
}

}  // namespace
}  // namespace dp::test
