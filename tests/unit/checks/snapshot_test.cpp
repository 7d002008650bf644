#include "checks/snapshot.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "verifier/core/temp_dir.hpp"

namespace dp::checks {
namespace {

Snapshot sample() {
  Snapshot s;
  s.engine = "postgres";
  s.server_version = "16.4";
  s.taken_at = "2026-11-21T12:00:00Z";
  s.source = "host=/run/postgresql dbname=shop";
  TableSnapshot orders;
  orders.schema.name = {"public", "orders"};
  orders.schema.columns = {{"id", "integer", false, "nextval('orders_id_seq'::regclass)"},
                           {"note", "text", true, std::nullopt}};
  orders.schema.primary_key = {"id"};
  engine::Constraint pk;
  pk.name = "orders_pkey";
  pk.kind = "primary_key";
  pk.columns = {"id"};
  pk.definition = "PRIMARY KEY (id)";
  engine::Constraint fk;
  fk.name = "orders_customer_fkey";
  fk.kind = "foreign_key";
  fk.columns = {"customer"};
  fk.definition = "FOREIGN KEY (customer) REFERENCES customers(id)";
  fk.ref_table = {"public", "customers"};
  fk.ref_columns = {"id"};
  orders.schema.constraints = {fk, pk};
  orders.schema.indexes = {{"orders_pkey", "CREATE UNIQUE INDEX orders_pkey ON ...", true}};
  orders.row_count = 3;
  orders.fingerprint.mode = "ordered";
  orders.fingerprint.key_columns = {"id"};
  orders.fingerprint.segment_rows = 2;
  orders.fingerprint.segments = {{{"1"}, {"2"}, 2, "fd7f9b7e10ee6a54279e9be4954868f0"},
                                 {{"3"}, {"3"}, 1, "63e45fdc8b2dd4193648b135cf6629f2"}};
  TableSnapshot log;
  log.schema.name = {"public", "log"};
  log.schema.columns = {{"line", "text", true, std::nullopt}};
  log.row_count = 2;
  log.fingerprint.mode = "multiset";
  log.fingerprint.segments = {{{}, {}, 2, "3740c2ac3ee1a81c4c1c122e0d3d58a5"}};
  s.tables = {log, orders};
  s.views = {{{"public", "big_orders"}, " SELECT id FROM orders;"}};
  s.sequences = {{{"public", "orders_id_seq"}, "3"}};
  return s;
}

class SnapshotFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::create("dp-snapshot-test");
    ASSERT_TRUE(d);
    dir.emplace(std::move(*d));
  }
  std::filesystem::path write(const std::string& text) {
    auto p = dir->path() / "snap.json";
    std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
    return p;
  }
  std::string error_of(const std::string& text) {
    auto r = read_snapshot(write(text));
    EXPECT_FALSE(r);
    if (r) return "";
    EXPECT_EQ(r.error().code, Errc::invalid_input);
    return r.error().message;
  }
  std::string file() const { return (dir->path() / "snap.json").string(); }
  std::optional<TempDir> dir;
};

TEST_F(SnapshotFileTest, RoundTrips) {
  Snapshot s = sample();
  std::string json = snapshot_to_json(s);
  auto back = read_snapshot(write(json));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(snapshot_to_json(*back), json);
  EXPECT_EQ(back->engine, "postgres");
  ASSERT_EQ(back->tables.size(), 2U);
  const TableSnapshot* orders = back->find("public.orders");
  ASSERT_NE(orders, nullptr);
  EXPECT_EQ(orders->row_count, 3U);
  EXPECT_EQ(orders->schema.columns[0].default_expr,
            std::optional<std::string>("nextval('orders_id_seq'::regclass)"));
  EXPECT_EQ(orders->schema.columns[1].default_expr, std::nullopt);
  EXPECT_EQ(orders->schema.constraints[0].ref_table.qualified(), "public.customers");
  EXPECT_EQ(orders->fingerprint.segments[1].first_key, std::vector<std::string>{"3"});
  EXPECT_EQ(orders->fingerprint.segments[1].hash, "63e45fdc8b2dd4193648b135cf6629f2");
  EXPECT_EQ(back->find("public.log")->fingerprint.mode, "multiset");
  EXPECT_EQ(back->views[0].name.qualified(), "public.big_orders");
  EXPECT_EQ(back->sequences[0].last_value, "3");
}

TEST_F(SnapshotFileTest, WritesTheDocumentedLayout) {
  std::string json = snapshot_to_json(sample());
  EXPECT_EQ(json.rfind("{\n  \"format\": \"drillproof-snapshot\",\n  \"format_version\": 1,\n", 0),
            0U);
  EXPECT_NE(json.find("\"segment_rows\": 2,"), std::string::npos);
  EXPECT_NE(json.find("\"first_key\": [\n"), std::string::npos);
}

TEST_F(SnapshotFileTest, NotJsonNamesFileAndLine) {
  std::string msg = error_of("{\n  \"format\": \"drillproof-snapshot\",\n  oops\n}");
  EXPECT_EQ(msg.rfind(file() + ": not JSON: ", 0), 0U) << msg;
  EXPECT_NE(msg.find("line 3"), std::string::npos) << msg;
}

TEST_F(SnapshotFileTest, WrongFormat) {
  EXPECT_EQ(error_of(R"({"format": "drillproof-report", "format_version": 1})"),
            file() + ": not a drillproof snapshot (format is \"drillproof-report\")");
}

TEST_F(SnapshotFileTest, UnsupportedVersion) {
  EXPECT_EQ(error_of(R"({"format": "drillproof-snapshot", "format_version": 2})"),
            file() + ": unsupported format_version 2 (this drillproof reads 1)");
}

TEST_F(SnapshotFileTest, MissingField) {
  std::string json = snapshot_to_json(sample());
  auto at = json.find("\"row_count\": 2,");
  ASSERT_NE(at, std::string::npos);
  json.erase(at, std::string("\"row_count\": 2,").size());
  EXPECT_EQ(error_of(json), file() + ": $.tables[0]: missing field 'row_count'");
}

TEST_F(SnapshotFileTest, BadHash) {
  std::string json = snapshot_to_json(sample());
  auto at = json.find("fd7f9b7e10ee6a54279e9be4954868f0");
  json.replace(at, 32, "FD7F");
  EXPECT_EQ(
      error_of(json),
      file() + ": $.tables[1].fingerprint.segments[0].hash: expected 32 lowercase hex digits");
}

TEST_F(SnapshotFileTest, WrongType) {
  EXPECT_EQ(error_of(R"({"format": 7})"), file() + ": $.format: expected a string");
  EXPECT_EQ(error_of("[1, 2]"), file() + ": expected a JSON object");
}

TEST_F(SnapshotFileTest, MissingFileIsAnIoError) {
  auto r = read_snapshot(dir->path() / "nope.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::io);
  EXPECT_EQ(r.error().message, (dir->path() / "nope.json").string() + ": cannot read the snapshot");
}

}  // namespace
}  // namespace dp::checks
