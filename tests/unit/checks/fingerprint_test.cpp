#include "checks/fingerprint.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "checks/fingerprint_check.hpp"
#include "checks/snapshot.hpp"
#include "tests/fixtures/fake_engine.hpp"
#include "tests/unit/checks/spec_helpers.hpp"

namespace dp::checks {
namespace {

using engine::Row;
using fake::FakeEngine;

const std::string k_all = R"(SELECT "id", "name" FROM "public"."people" ORDER BY "id")";
const std::string k_all_unordered = R"(SELECT "id", "name" FROM "public"."people")";

std::string range_sql(const std::string& lo, const std::string& hi) {
  return R"(SELECT "id", "name" FROM "public"."people" WHERE "id" >= ')" + lo +
         R"('::integer AND "id" <= ')" + hi + R"('::integer ORDER BY "id")";
}
std::string count_sql(const std::string& where) {
  return R"(SELECT count(*) FROM "public"."people" WHERE )" + where;
}
// A gap between segments: probed, then counted when the probe finds a row.
void gap(FakeEngine& db, const std::string& where, const std::string& count) {
  const std::string probe =
      R"(SELECT 1 FROM "public"."people" WHERE )" + where + R"( ORDER BY "id" LIMIT 1)";
  if (count == "0") {
    db.on(probe, {"?column?"}, {});
    return;
  }
  db.on_value(probe, "1", "?column?");
  db.on_value(count_sql(where), count, "count");
}

engine::Table people(bool with_key = true) {
  engine::Table t;
  t.name = {"public", "people"};
  t.columns = {{"id", "integer", false, std::nullopt}, {"name", "text", true, std::nullopt}};
  if (with_key) t.primary_key = {"id"};
  return t;
}

std::vector<Row> rows(std::initializer_list<std::pair<int, engine::Value>> items) {
  std::vector<Row> out;
  for (const auto& [id, name] : items) out.push_back(Row{std::to_string(id), name});
  return out;
}

TableFingerprint fingerprint_of(FakeEngine& db, const engine::Table& t, std::uint64_t segment) {
  auto fp = fingerprint_table(db, t, segment);
  EXPECT_TRUE(fp) << (fp ? "" : fp.error().message);
  return fp ? *fp : TableFingerprint{};
}

// --- building blocks ---------------------------------------------------

TEST(FingerprintBasics, HashHexIsHighWordFirst) {
  EXPECT_EQ(hash_hex(0x0123456789abcdefULL, 0xfedcba9876543210ULL),
            "0123456789abcdeffedcba9876543210");
  // XXH3-128 of the empty input (cross-checked with the C library's canonical form).
  EXPECT_EQ(xxh128_hex(""), "99aa06d3014798d86001c324468d497f");
}

TEST(FingerprintBasics, ParsesCopyLinesUndoingEscapes) {
  auto f = parse_copy_line("1\t\\N\ta\\tb\\\\c\\nd\t");
  ASSERT_EQ(f.size(), 4U);
  EXPECT_EQ(f[0], std::optional<std::string>("1"));
  EXPECT_EQ(f[1], std::nullopt);
  EXPECT_EQ(f[2], std::optional<std::string>("a\tb\\c\nd"));
  EXPECT_EQ(f[3], std::optional<std::string>(""));
}

TEST(FingerprintBasics, KeyLiterals) {
  EXPECT_EQ(key_literal(EngineKind::postgres, "integer", "42"), "'42'::integer");
  EXPECT_EQ(key_literal(EngineKind::postgres, "text", "O'Brien"), "'O''Brien'::text");
  EXPECT_EQ(key_literal(EngineKind::postgres, "character varying(20)", "x"),
            "'x'::character varying(20)");
  EXPECT_EQ(key_literal(EngineKind::sqlite, "INTEGER", "42"), "42");
  EXPECT_EQ(key_literal(EngineKind::sqlite, "INTEGER", "4.5"), "'4.5'");
  EXPECT_EQ(key_literal(EngineKind::sqlite, "NUMERIC(10,2)", "4.5"), "4.5");
  EXPECT_EQ(key_literal(EngineKind::sqlite, "NVARCHAR(40)", "42"), "'42'");
  EXPECT_EQ(key_literal(EngineKind::sqlite, "BLOB", "\\x0aff"), "X'0aff'");
}

TEST(FingerprintBasics, DescribesSegmentsAndKeys) {
  TableFingerprint fp;
  fp.mode = "ordered";
  fp.key_columns = {"id"};
  fp.segments = {{{"1"}, {"100000"}, 100000, ""}, {{"100001"}, {"200000"}, 100000, ""}};
  EXPECT_EQ(describe_segment(fp, 1), "segment 2 (id 100001..200000)");
  fp.key_columns = {"a", "b"};
  fp.segments = {{{"1", "x"}, {"5", "y"}, 3, ""}};
  EXPECT_EQ(describe_segment(fp, 0), "segment 1 ((a, b) (1, x)..(5, y))");
  EXPECT_EQ(describe_key({"a", "b"}, {"1", "x"}), "a=1, b=x");
}

// --- fingerprint_table --------------------------------------------------

TEST(FingerprintTable, SplitsRowsIntoSegmentsOfConsecutiveKeys) {
  FakeEngine db;
  db.on(k_all, {"id", "name"}, rows({{1, "a"}, {2, "b"}, {3, "c"}, {4, "d"}, {5, "e"}}));
  TableFingerprint fp = fingerprint_of(db, people(), 2);
  EXPECT_EQ(fp.mode, "ordered");
  EXPECT_EQ(fp.key_columns, std::vector<std::string>{"id"});
  EXPECT_EQ(fp.segment_rows, 2U);
  ASSERT_EQ(fp.segments.size(), 3U);
  EXPECT_EQ(fp.segments[0].first_key, std::vector<std::string>{"1"});
  EXPECT_EQ(fp.segments[0].last_key, std::vector<std::string>{"2"});
  EXPECT_EQ(fp.segments[1].first_key, std::vector<std::string>{"3"});
  EXPECT_EQ(fp.segments[1].last_key, std::vector<std::string>{"4"});
  EXPECT_EQ(fp.segments[2].first_key, std::vector<std::string>{"5"});
  EXPECT_EQ(fp.segments[2].last_key, std::vector<std::string>{"5"});
  EXPECT_EQ(fp.segments[2].rows, 1U);
  EXPECT_EQ(fp.segments[0].hash, xxh128_hex("1\ta\n2\tb\n"));
  EXPECT_EQ(db.queries(), std::vector<std::string>{k_all});
}

TEST(FingerprintTable, HashIsStableForAFixedInput) {
  FakeEngine db;
  db.on(k_all, {"id", "name"}, rows({{1, "alice"}, {2, "bob"}}));
  TableFingerprint fp = fingerprint_of(db, people(), 100000);
  ASSERT_EQ(fp.segments.size(), 1U);
  // XXH3-128 of "1\talice\n2\tbob\n", computed independently with libxxhash.
  EXPECT_EQ(fp.segments[0].hash, "fd7f9b7e10ee6a54279e9be4954868f0");
  EXPECT_EQ(fp.segments[0].rows, 2U);
}

TEST(FingerprintTable, NullAndEmptyStringHashDifferently) {
  FakeEngine with_null, with_empty;
  with_null.on(k_all, {"id", "name"}, rows({{3, std::nullopt}}));
  with_empty.on(k_all, {"id", "name"}, rows({{3, ""}}));
  auto a = fingerprint_of(with_null, people(), 10);
  auto b = fingerprint_of(with_empty, people(), 10);
  ASSERT_EQ(a.segments.size(), 1U);
  ASSERT_EQ(b.segments.size(), 1U);
  EXPECT_EQ(a.segments[0].hash, "63e45fdc8b2dd4193648b135cf6629f2");  // "3\t\\N\n"
  EXPECT_EQ(b.segments[0].hash, "8e43ef485fdd4e40ddbc57598ac52f88");  // "3\t\n"
}

TEST(FingerprintTable, EmptyTableHasNoSegments) {
  FakeEngine db;
  db.on(k_all, {"id", "name"}, {});
  TableFingerprint fp = fingerprint_of(db, people(), 10);
  EXPECT_EQ(fp.mode, "ordered");
  EXPECT_TRUE(fp.segments.empty());
}

TEST(FingerprintTable, KeysAreUnescapedFromCopyText) {
  engine::Table t = people();
  t.columns[0].type = "text";
  FakeEngine db;
  db.on(k_all, {"id", "name"}, {Row{"a\tb", "x"}, Row{"c\\d", "y"}});
  TableFingerprint fp = fingerprint_of(db, t, 10);
  ASSERT_EQ(fp.segments.size(), 1U);
  EXPECT_EQ(fp.segments[0].first_key, std::vector<std::string>{"a\tb"});
  EXPECT_EQ(fp.segments[0].last_key, std::vector<std::string>{"c\\d"});
  EXPECT_EQ(fp.segments[0].hash, xxh128_hex("a\\tb\tx\nc\\\\d\ty\n"));
}

TEST(FingerprintTable, MultisetIsOrderIndependentButCountsDuplicates) {
  FakeEngine one, other, dup;
  one.on(k_all_unordered, {"id", "name"}, rows({{1, "alice"}, {2, "bob"}}));
  other.on(k_all_unordered, {"id", "name"}, rows({{2, "bob"}, {1, "alice"}}));
  dup.on(k_all_unordered, {"id", "name"}, rows({{2, "bob"}, {1, "alice"}, {1, "alice"}}));
  auto a = fingerprint_of(one, people(false), 10);
  auto b = fingerprint_of(other, people(false), 10);
  auto c = fingerprint_of(dup, people(false), 10);
  EXPECT_EQ(a.mode, "multiset");
  ASSERT_EQ(a.segments.size(), 1U);
  ASSERT_EQ(c.segments.size(), 1U);
  // The sum mod 2^128 of XXH3-128("1\talice\n") and XXH3-128("2\tbob\n").
  EXPECT_EQ(a.segments[0].hash, "3740c2ac3ee1a81c4c1c122e0d3d58a5");
  EXPECT_EQ(b.segments[0].hash, a.segments[0].hash);
  EXPECT_NE(c.segments[0].hash, a.segments[0].hash);
  EXPECT_EQ(a.segments[0].rows, 2U);
  EXPECT_EQ(c.segments[0].rows, 3U);
  EXPECT_TRUE(a.segments[0].first_key.empty());
}

TEST(FingerprintTable, EngineErrorNamesTheTable) {
  FakeEngine db;
  db.on_engine_error(k_all, "permission denied for table people");
  auto fp = fingerprint_table(db, people(), 10);
  ASSERT_FALSE(fp);
  EXPECT_EQ(fp.error().message, "public.people: permission denied for table people");
}

// --- verify_table -------------------------------------------------------

class VerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FakeEngine source;
    source.on(k_all, {"id", "name"}, rows({{1, "a"}, {2, "b"}, {3, "c"}}));
    expected = fingerprint_of(source, people(), 2);  // segments 1..2 and 3..3
  }
  // The restored database answers the segment and gap queries.
  void script(FakeEngine& db, std::vector<Row> first, std::vector<Row> second,
              std::vector<std::string> gaps = {"0", "0", "0"}) {
    db.on(range_sql("1", "2"), {"id", "name"}, std::move(first));
    db.on(range_sql("3", "3"), {"id", "name"}, std::move(second));
    gap(db, R"("id" < '1'::integer)", gaps[0]);
    gap(db, R"("id" > '2'::integer AND "id" < '3'::integer)", gaps[1]);
    gap(db, R"("id" > '3'::integer)", gaps[2]);
    db.on_value(R"(SELECT count(*) FROM "public"."people" WHERE "id" IS NULL)", null_keys, "count");
  }
  std::string null_keys = "0";
  TableFingerprint expected;
};

TEST_F(VerifyTest, CleanCopyHasNoDifferences) {
  FakeEngine db;
  script(db, rows({{1, "a"}, {2, "b"}}), rows({{3, "c"}}));
  auto v = verify_table(db, {}, 4, people(), expected, {}, 10);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_TRUE(v->differing.empty());
  EXPECT_EQ(v->rows_outside, 0U);
  EXPECT_EQ(db.query_count(), 6U);  // 2 segments, 3 gap probes, 1 NULL-key count
}

TEST_F(VerifyTest, ChangedRowNamesItsSegment) {
  FakeEngine db;
  script(db, rows({{1, "a"}, {2, "B"}}), rows({{3, "c"}}));
  auto v = verify_table(db, {}, 1, people(), expected, {}, 10);
  ASSERT_TRUE(v) << v.error().message;
  ASSERT_EQ(v->differing.size(), 1U);
  EXPECT_EQ(v->differing[0].index, 0U);
  EXPECT_EQ(v->differing[0].observed.rows, 2U);
  EXPECT_EQ(v->differing[0].observed.hash, xxh128_hex("1\ta\n2\tB\n"));
  EXPECT_TRUE(v->differing[0].keys.empty());
}

TEST_F(VerifyTest, RowsBetweenSegmentsAreCounted) {
  FakeEngine db;
  script(db, rows({{1, "a"}, {2, "b"}}), rows({{3, "c"}}), {"1", "0", "4"});
  auto v = verify_table(db, {}, 2, people(), expected, {}, 10);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_TRUE(v->differing.empty());
  EXPECT_EQ(v->rows_outside, 5U);
}

TEST_F(VerifyTest, UsesExtraSessionsFromTheConnector) {
  FakeEngine db;
  script(db, rows({{1, "a"}, {2, "b"}}), rows({{3, "c"}}));
  int opened = 0;
  Connector connect = [&]() -> Result<std::unique_ptr<engine::Engine>> {
    ++opened;
    auto extra = std::make_unique<FakeEngine>();
    script(*extra, rows({{1, "a"}, {2, "b"}}), rows({{3, "c"}}));
    return std::unique_ptr<engine::Engine>(std::move(extra));
  };
  auto v = verify_table(db, connect, 3, people(), expected, {}, 10);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_TRUE(v->differing.empty());
  EXPECT_EQ(opened, 2);
}

TEST_F(VerifyTest, QueryFailureIsAnError) {
  FakeEngine db;
  script(db, rows({{1, "a"}, {2, "b"}}), rows({{3, "c"}}));
  db.on_timeout(range_sql("3", "3"));
  auto v = verify_table(db, {}, 1, people(), expected, {}, 10);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, Errc::timeout);
  EXPECT_EQ(v.error().message, "public.people: canceling statement due to statement timeout");
}

TEST_F(VerifyTest, SourceNamesChangedMissingAndExtraKeys) {
  FakeEngine db;
  script(db, rows({{1, "a"}, {2, "B"}}), rows({{3, "c"}}));
  // A small differing range is diffed row by row against the source.
  Connector source = []() -> Result<std::unique_ptr<engine::Engine>> {
    auto src = std::make_unique<FakeEngine>();
    src->on(range_sql("1", "2"), {"id", "name"}, rows({{1, "a"}, {2, "b"}}));
    return std::unique_ptr<engine::Engine>(std::move(src));
  };
  auto v = verify_table(db, {}, 1, people(), expected, source, 10);
  ASSERT_TRUE(v) << v.error().message;
  ASSERT_EQ(v->differing.size(), 1U);
  EXPECT_EQ(v->differing[0].keys, std::vector<std::string>{"id=2"});
  EXPECT_EQ(v->differing[0].key_kinds, std::vector<std::string>{"changed"});

  FakeEngine db2;
  script(db2, rows({{2, "b"}, {7, "x"}}), rows({{3, "c"}}));
  auto w = verify_table(db2, {}, 1, people(), expected, source, 10);
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_EQ(w->differing.size(), 1U);
  EXPECT_EQ(w->differing[0].keys, (std::vector<std::string>{"id=1", "id=7"}));
  EXPECT_EQ(w->differing[0].key_kinds, (std::vector<std::string>{"missing", "extra"}));

  auto capped = verify_table(db2, {}, 1, people(), expected, source, 1);
  ASSERT_TRUE(capped);
  EXPECT_EQ(capped->differing[0].keys, std::vector<std::string>{"id=1"});
}

TEST(VerifyComposite, UsesRowValueComparisons) {
  engine::Table t;
  t.name = {"public", "lines"};
  t.columns = {{"order_id", "bigint", false, {}}, {"line", "integer", false, {}}};
  t.primary_key = {"order_id", "line"};
  FakeEngine src;
  src.on(R"(SELECT "order_id", "line" FROM "public"."lines" ORDER BY "order_id", "line")",
         {"order_id", "line"}, {Row{"1", "1"}, Row{"1", "2"}});
  TableFingerprint fp = fingerprint_of(src, t, 10);
  FakeEngine db;
  db.on(
      R"(SELECT "order_id", "line" FROM "public"."lines" WHERE ("order_id", "line") >= ('1'::bigint, '1'::integer) AND ("order_id", "line") <= ('1'::bigint, '2'::integer) ORDER BY "order_id", "line")",
      {"order_id", "line"}, {Row{"1", "1"}, Row{"1", "2"}});
  db.on(
      R"(SELECT 1 FROM "public"."lines" WHERE ("order_id", "line") < ('1'::bigint, '1'::integer) ORDER BY "order_id", "line" LIMIT 1)",
      {"?column?"}, {});
  db.on(
      R"(SELECT 1 FROM "public"."lines" WHERE ("order_id", "line") > ('1'::bigint, '2'::integer) ORDER BY "order_id", "line" LIMIT 1)",
      {"?column?"}, {});
  db.on_value(R"(SELECT count(*) FROM "public"."lines" WHERE "order_id" IS NULL OR "line" IS NULL)",
              "0", "count");
  auto v = verify_table(db, {}, 1, t, fp, {}, 10);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_TRUE(v->differing.empty());
}

// --- the fingerprint check ---------------------------------------------

TEST(FingerprintCheckTest, ReportsTheDifferingSegmentAndMissingTables) {
  using namespace spec_helpers;
  FakeEngine source;
  source.on(k_all, {"id", "name"}, rows({{1, "a"}, {2, "b"}, {3, "c"}}));
  Snapshot snap;
  snap.engine = "postgres";
  TableSnapshot people_snap{people(), 3, fingerprint_of(source, people(), 2)};
  snap.tables.push_back(people_snap);
  TableSnapshot gone = people_snap;
  gone.schema.name = {"public", "gone"};
  snap.tables.push_back(gone);

  FakeEngine db;
  db.set_tables({{"public", "people"}});
  db.on(range_sql("1", "2"), {"id", "name"}, rows({{1, "a"}, {2, "b"}}));
  db.on(range_sql("3", "3"), {"id", "name"}, rows({{3, "C"}}));
  gap(db, R"("id" < '1'::integer)", "0");
  gap(db, R"("id" > '2'::integer AND "id" < '3'::integer)", "0");
  gap(db, R"("id" > '3'::integer)", "2");
  db.on_value(R"(SELECT count(*) FROM "public"."people" WHERE "id" IS NULL)", "0", "count");

  auto check = FingerprintCheck::make(spec("fingerprint", "content", {}));
  CheckContext ctx(db, "shop");
  ctx.snapshot = &snap;
  CheckOutcome out = check->run(ctx);
  EXPECT_EQ(out.outcome, Outcome::failed);
  ASSERT_EQ(out.objects.size(), 2U);
  EXPECT_EQ(out.objects[0].object, "public.people");
  EXPECT_EQ(out.objects[0].outcome, Outcome::failed);
  ASSERT_EQ(out.objects[0].findings.size(), 2U);
  EXPECT_EQ(out.objects[0].findings[0].message,
            "segment 2 (id 3..3): 1 rows, snapshot has 1; hash differs");
  EXPECT_EQ(out.objects[0].findings[1].message, "2 rows outside the snapshot's key ranges");
  EXPECT_EQ(out.objects[1].object, "public.gone");
  EXPECT_EQ(out.objects[1].outcome, Outcome::failed);
  EXPECT_EQ(out.objects[1].message, "table is missing");
  EXPECT_EQ(out.message, "2 of 2 tables differ from the snapshot");
}

TEST(FingerprintCheckTest, NeedsASnapshot) {
  FakeEngine db;
  auto info = FingerprintCheck::kind_info();
  EXPECT_TRUE(info.needs_snapshot);
  auto check = FingerprintCheck::make(spec_helpers::spec("fingerprint", "content", {}));
  CheckOutcome out = check->run(CheckContext(db, "shop"));
  EXPECT_EQ(out.outcome, Outcome::error);
}

// Rows whose key is NULL fall in no key range: they are counted outside.
TEST_F(VerifyTest, NullKeysAreCountedOutsideTheRanges) {
  FakeEngine db;
  null_keys = "2";
  script(db, rows({{1, "a"}, {2, "b"}}), rows({{3, "c"}}));
  auto v = verify_table(db, {}, 1, people(), expected, {}, 10);
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_TRUE(v->differing.empty());
  EXPECT_EQ(v->rows_outside, 2U);
}

}  // namespace
}  // namespace dp::checks
