#pragma once
// A deterministic sample "shop" database for `drillproof demo`, as SQL text.
//
// The same options always give the same rows, on every platform: the values
// come from a splitmix64 stream seeded by `seed`, never from
// std::random_device, and the rows do not depend on the dialect, so the
// PostgreSQL and SQLite scripts hold identical data with identical counts.
//
// Schema (valid in both dialects):
//   customers(id PK, email UNIQUE, name, created_at)
//   products(id PK, sku UNIQUE, name, price_cents CHECK >= 0)
//   orders(id PK, customer_id FK, placed_at, total_cents)
//   order_items(order_id FK, line_no, product_id FK, quantity CHECK > 0,
//               price_cents, PK(order_id, line_no))
// Every order has 1..5 items and total_cents = sum(quantity * price_cents)
// of its items. The script is one BEGIN ... COMMIT transaction with
// multi-row INSERTs of at most k_rows_per_insert rows.
//
// Pure functions: no I/O, thread-safe.
#include <cstdint>
#include <string>

namespace dp::cli {

enum class SqlDialect { postgres, sqlite };

struct ShopOptions {
  std::int64_t customers = 2'000;
  std::int64_t products = 500;
  std::int64_t orders = 20'000;
  std::uint64_t seed = 1;
};

// Exact row counts of the generated tables, for the plan's row_count checks.
struct ShopCounts {
  std::int64_t customers = 0;
  std::int64_t products = 0;
  std::int64_t orders = 0;
  std::int64_t order_items = 0;
  std::int64_t newest_order = 0;  // the latest placed_at, epoch seconds (UTC)
};

struct ShopSql {
  ShopCounts counts;
  std::string sql;
};

inline constexpr std::int64_t k_rows_per_insert = 500;

// Generates the script. Counts must be >= 1 (asserted: a caller bug).
// PostgreSQL gets TIMESTAMP columns and `SET client_encoding`; SQLite gets
// TEXT timestamps ("2024-03-01 12:34:56", which SQLite's date functions read).
ShopSql generate_shop_sql(const ShopOptions& options, SqlDialect dialect);

// A splitmix64 generator (Steele, Lea, Flood 2014): tiny, fast, and the same
// sequence everywhere. Exposed for tests.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : m_state(seed) {}
  std::uint64_t next();
  // Uniform enough for sample data in [lo, hi] (modulo bias is negligible
  // for the small ranges used here). Requires lo <= hi.
  std::int64_t between(std::int64_t lo, std::int64_t hi);

 private:
  std::uint64_t m_state;
};

}  // namespace dp::cli
