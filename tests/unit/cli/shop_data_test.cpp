// The demo's data generator: deterministic, identical data in both dialects,
// batches within the limit, and a script SQLite actually loads.
#include "verifier/cli/shop_data.hpp"

#include <gtest/gtest.h>

#include <string>

#include "verifier/core/temp_dir.hpp"
#include "verifier/core/text.hpp"
#include "verifier/engine/sqlite/sqlite_engine.hpp"

namespace dp::cli {
namespace {

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

std::int64_t batches(std::int64_t rows) {
  return (rows + k_rows_per_insert - 1) / k_rows_per_insert;
}

ShopOptions small() {
  ShopOptions o;
  o.customers = 120;
  o.products = 30;
  o.orders = 1'234;
  o.seed = 7;
  return o;
}

TEST(SplitMix64, MatchesTheReferenceSequence) {
  // Reference outputs of splitmix64.c (Vigna) for seed 0.
  SplitMix64 rng(0);
  EXPECT_EQ(rng.next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(rng.next(), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(rng.next(), 0x06c45d188009454fULL);
}

TEST(SplitMix64, BetweenStaysInRange) {
  SplitMix64 rng(3);
  bool saw_lo = false, saw_hi = false;
  for (int i = 0; i < 10'000; ++i) {
    auto v = rng.between(1, 5);
    ASSERT_GE(v, 1);
    ASSERT_LE(v, 5);
    saw_lo |= v == 1;
    saw_hi |= v == 5;
  }
  EXPECT_TRUE(saw_lo && saw_hi);
}

TEST(ShopData, SameSeedSameScriptOtherSeedOtherData) {
  auto a = generate_shop_sql(small(), SqlDialect::postgres);
  auto b = generate_shop_sql(small(), SqlDialect::postgres);
  EXPECT_EQ(a.sql, b.sql);
  ShopOptions other = small();
  other.seed = 8;
  EXPECT_NE(generate_shop_sql(other, SqlDialect::postgres).sql, a.sql);
}

TEST(ShopData, DialectsHoldTheSameRows) {
  auto pg = generate_shop_sql(small(), SqlDialect::postgres);
  auto lite = generate_shop_sql(small(), SqlDialect::sqlite);
  EXPECT_EQ(pg.counts.order_items, lite.counts.order_items);
  // Only the column type and PostgreSQL's encoding line differ.
  std::string converted = pg.sql;
  const std::string set = "SET client_encoding = 'UTF8';\n";
  converted.erase(converted.find(set), set.size());
  for (auto p = converted.find(" TIMESTAMP "); p != std::string::npos;
       p = converted.find(" TIMESTAMP ", p))
    converted.replace(p, 11, " TEXT ");
  EXPECT_EQ(converted, lite.sql);
}

TEST(ShopData, CountsAndBatches) {
  auto shop = generate_shop_sql(small(), SqlDialect::sqlite);
  EXPECT_EQ(shop.counts.customers, 120);
  EXPECT_EQ(shop.counts.products, 30);
  EXPECT_EQ(shop.counts.orders, 1'234);
  EXPECT_GE(shop.counts.order_items, shop.counts.orders);
  EXPECT_LE(shop.counts.order_items, 5 * shop.counts.orders);
  auto statements = static_cast<std::size_t>(batches(120) + batches(30) + batches(1'234) +
                                             batches(shop.counts.order_items));
  EXPECT_EQ(occurrences(shop.sql, "INSERT INTO "), statements);
  EXPECT_LT(shop.sql.find("BEGIN;\n"), shop.sql.find("CREATE TABLE"));
  EXPECT_EQ(shop.sql.substr(shop.sql.size() - 8), "COMMIT;\n");
}

TEST(ShopData, SqliteLoadsItAndTheInvariantsHold) {
  auto dir = TempDir::create("dp-shop-");
  ASSERT_TRUE(dir) << dir.error().message;
  auto shop = generate_shop_sql(small(), SqlDialect::sqlite);
  auto sql = dir->path() / "shop.sql";
  ASSERT_TRUE(write_file(sql, shop.sql));
  auto db = dir->path() / "shop.sqlite";
  auto loaded = engine::sqlite::load_sql_dump(sql, db);
  ASSERT_TRUE(loaded) << loaded.error().message;

  engine::ConnectOptions options;
  options.kind = EngineKind::sqlite;
  options.database = db.string();
  auto engine = engine::sqlite::open_read_only(options);
  ASSERT_TRUE(engine) << engine.error().message;
  auto scalar = [&](const char* query) -> std::string {
    auto r = (*engine)->query(query);
    if (!r || r->rows.size() != 1 || !r->rows[0][0]) return "?";
    return *r->rows[0][0];
  };
  EXPECT_EQ(scalar("SELECT count(*) FROM order_items"), std::to_string(shop.counts.order_items));
  EXPECT_EQ(scalar("SELECT count(*) FROM orders o LEFT JOIN (SELECT order_id, "
                   "sum(quantity * price_cents) AS s FROM order_items GROUP BY order_id) i "
                   "ON i.order_id = o.id WHERE o.total_cents <> coalesce(i.s, 0)"),
            "0");
  EXPECT_EQ(scalar("SELECT count(*) FROM products WHERE price_cents < 0"), "0");
  EXPECT_EQ(scalar("SELECT count(DISTINCT email) FROM customers"), "120");
  EXPECT_EQ(scalar("SELECT count(*) FROM orders WHERE placed_at NOT LIKE '2024-%'"), "0");
  auto dangling = (*engine)->query("PRAGMA foreign_key_check");
  ASSERT_TRUE(dangling) << dangling.error().message;
  EXPECT_TRUE(dangling->rows.empty());
}

}  // namespace
}  // namespace dp::cli
