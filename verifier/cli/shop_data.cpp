#include "verifier/cli/shop_data.hpp"
#include <algorithm>

#include <fmt/format.h>

#include <array>
#include <cassert>
#include <chrono>
#include <iterator>
#include <string_view>
#include <vector>

namespace dp::cli {
namespace {

// A few names with apostrophes and non-ASCII letters, so quoting and UTF-8
// survive the round trip through every backup tool.
constexpr std::array<std::string_view, 16> k_first_names = {
    "Ada",  "Bruno", "Chiara", "Dmitri", "Elif", "Femi",  "Grace", "Hiro",
    "Inès", "José",  "Kofi",   "Lena",   "Mei",  "Niamh", "Oskar", "Zoë"};
constexpr std::array<std::string_view, 16> k_last_names = {
    "Okafor", "O'Brien",   "Lindqvist", "Nakamura", "García", "Novak", "D'Angelo", "Schmidt",
    "Haddad", "Kowalczyk", "Moreau",    "Singh",    "Tanaka", "Walsh", "Yılmaz",   "Zhang"};
constexpr std::array<std::string_view, 12> k_adjectives = {
    "Sturdy", "Compact", "Classic",  "Bamboo",  "Enamel",  "Linen",
    "Copper", "Walnut",  "Recycled", "Ceramic", "Folding", "Travel"};
constexpr std::array<std::string_view, 12> k_nouns = {
    "Teapot", "Lamp",    "Notebook",  "Backpack",     "Mug",     "Stool",
    "Kettle", "Blanket", "Bike Bell", "Chef's Knife", "Planter", "Desk Tidy"};

template <std::size_t N>
std::string_view pick(SplitMix64& rng, const std::array<std::string_view, N>& list) {
  return list[static_cast<std::size_t>(rng.between(0, static_cast<std::int64_t>(N) - 1))];
}

// 'it''s': the one quoting rule both dialects share.
void append_literal(std::string& out, std::string_view text) {
  out += '\'';
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
}

// "2024-03-01 12:34:56" (UTC): read as TIMESTAMP by PostgreSQL and as a
// date-time string by SQLite.
void append_time(std::string& out, std::int64_t epoch_seconds) {
  using namespace std::chrono;
  sys_seconds t{seconds{epoch_seconds}};
  sys_days day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss<seconds> hms{t - day};
  fmt::format_to(std::back_inserter(out), "'{:04}-{:02}-{:02} {:02}:{:02}:{:02}'",
                 static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                 static_cast<unsigned>(ymd.day()), hms.hours().count(), hms.minutes().count(),
                 hms.seconds().count());
}

std::int64_t epoch_of(std::chrono::year_month_day ymd) {
  return std::chrono::sys_seconds{std::chrono::sys_days{ymd}}.time_since_epoch().count();
}

// Appends rows as multi-row INSERT statements of at most k_rows_per_insert
// rows. Call begin_row(), append the row's values, then end_row().
class InsertWriter {
 public:
  InsertWriter(std::string& out, std::string_view head) : m_out(out), m_head(head) {}

  std::string& begin_row() {
    if (m_in_batch == 0) {
      m_out += m_head;
      m_out += " VALUES\n  (";
    } else {
      m_out += ",\n  (";
    }
    return m_out;
  }
  void end_row() {
    m_out += ')';
    if (++m_in_batch == k_rows_per_insert) finish();
  }
  void finish() {
    if (m_in_batch > 0) m_out += ";\n";
    m_in_batch = 0;
  }

 private:
  std::string& m_out;
  std::string m_head;
  std::int64_t m_in_batch = 0;
};

void append_schema(std::string& out, SqlDialect dialect) {
  const char* timestamp = dialect == SqlDialect::postgres ? "TIMESTAMP" : "TEXT";
  fmt::format_to(std::back_inserter(out),
                 "CREATE TABLE customers (\n"
                 "  id INTEGER PRIMARY KEY,\n"
                 "  email TEXT NOT NULL UNIQUE,\n"
                 "  name TEXT NOT NULL,\n"
                 "  created_at {0} NOT NULL\n"
                 ");\n"
                 "CREATE TABLE products (\n"
                 "  id INTEGER PRIMARY KEY,\n"
                 "  sku TEXT NOT NULL UNIQUE,\n"
                 "  name TEXT NOT NULL,\n"
                 "  price_cents INTEGER NOT NULL CHECK (price_cents >= 0)\n"
                 ");\n"
                 "CREATE TABLE orders (\n"
                 "  id INTEGER PRIMARY KEY,\n"
                 "  customer_id INTEGER NOT NULL REFERENCES customers (id),\n"
                 "  placed_at {0} NOT NULL,\n"
                 "  total_cents BIGINT NOT NULL\n"
                 ");\n"
                 "CREATE TABLE order_items (\n"
                 "  order_id INTEGER NOT NULL REFERENCES orders (id),\n"
                 "  line_no INTEGER NOT NULL,\n"
                 "  product_id INTEGER NOT NULL REFERENCES products (id),\n"
                 "  quantity INTEGER NOT NULL CHECK (quantity > 0),\n"
                 "  price_cents INTEGER NOT NULL,\n"
                 "  PRIMARY KEY (order_id, line_no)\n"
                 ");\n"
                 "CREATE INDEX orders_customer_id ON orders (customer_id);\n"
                 "CREATE INDEX order_items_product_id ON order_items (product_id);\n",
                 timestamp);
}

void append_customers(std::string& out, SplitMix64& rng, std::int64_t count) {
  using namespace std::chrono;
  const std::int64_t year_start = epoch_of(year{2023} / January / 1);
  InsertWriter w(out, "INSERT INTO customers (id, email, name, created_at)");
  for (std::int64_t id = 1; id <= count; ++id) {
    std::string& row = w.begin_row();
    fmt::format_to(std::back_inserter(row), "{}, 'customer{}@example.com', ", id, id);
    std::string name = fmt::format("{} {}", pick(rng, k_first_names), pick(rng, k_last_names));
    append_literal(row, name);
    row += ", ";
    append_time(row, year_start + rng.between(0, 365 * 86'400 - 1));
    w.end_row();
  }
  w.finish();
}

// Returns each product's price, indexed by id - 1.
std::vector<std::int64_t> append_products(std::string& out, SplitMix64& rng, std::int64_t count) {
  std::vector<std::int64_t> prices;
  prices.reserve(static_cast<std::size_t>(count));
  InsertWriter w(out, "INSERT INTO products (id, sku, name, price_cents)");
  for (std::int64_t id = 1; id <= count; ++id) {
    std::int64_t price = rng.between(1, 500) * 100 - 1;  // 99 .. 49999
    prices.push_back(price);
    std::string& row = w.begin_row();
    fmt::format_to(std::back_inserter(row), "{}, 'SKU-{:05}', ", id, id);
    std::string name = fmt::format("{} {}", pick(rng, k_adjectives), pick(rng, k_nouns));
    append_literal(row, name);
    fmt::format_to(std::back_inserter(row), ", {}", price);
    w.end_row();
  }
  w.finish();
  return prices;
}

// Orders go into `orders_sql` and their items into `items_sql`, which the
// caller appends after all orders exist (the items' foreign key).
std::int64_t append_orders(std::string& orders_sql, std::string& items_sql, SplitMix64& rng,
                           std::int64_t& newest, const ShopOptions& options,
                           const std::vector<std::int64_t>& prices) {
  using namespace std::chrono;
  // Orders are spread over 2024 in id order, a few minutes of jitter each.
  const std::int64_t year_start = epoch_of(year{2024} / January / 1);
  const std::int64_t span = 366 * 86'400;
  InsertWriter orders(orders_sql, "INSERT INTO orders (id, customer_id, placed_at, total_cents)");
  InsertWriter items(items_sql,
                     "INSERT INTO order_items (order_id, line_no, product_id, quantity, "
                     "price_cents)");
  std::int64_t item_count = 0;
  for (std::int64_t id = 1; id <= options.orders; ++id) {
    std::int64_t customer = rng.between(1, options.customers);
    std::int64_t placed = year_start + (id - 1) * (span / options.orders) + rng.between(0, 600);
    newest = std::max(newest, placed);
    std::int64_t lines = rng.between(1, 5);
    std::int64_t total = 0;
    for (std::int64_t line = 1; line <= lines; ++line) {
      std::int64_t product = rng.between(1, options.products);
      std::int64_t quantity = rng.between(1, 3);
      std::int64_t price = prices[static_cast<std::size_t>(product - 1)];
      total += quantity * price;
      fmt::format_to(std::back_inserter(items.begin_row()), "{}, {}, {}, {}, {}", id, line, product,
                     quantity, price);
      items.end_row();
    }
    item_count += lines;
    std::string& row = orders.begin_row();
    fmt::format_to(std::back_inserter(row), "{}, {}, ", id, customer);
    append_time(row, placed);
    fmt::format_to(std::back_inserter(row), ", {}", total);
    orders.end_row();
  }
  orders.finish();
  items.finish();
  return item_count;
}

}  // namespace

std::uint64_t SplitMix64::next() {
  std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::int64_t SplitMix64::between(std::int64_t lo, std::int64_t hi) {
  assert(lo <= hi);
  auto range = static_cast<std::uint64_t>(hi - lo) + 1;
  return lo + static_cast<std::int64_t>(next() % range);
}

ShopSql generate_shop_sql(const ShopOptions& options, SqlDialect dialect) {
  assert(options.customers >= 1 && options.products >= 1 && options.orders >= 1);
  ShopSql shop;
  shop.counts.customers = options.customers;
  shop.counts.products = options.products;
  shop.counts.orders = options.orders;
  // About 110 bytes per order and its items.
  std::string& out = shop.sql;
  out.reserve(static_cast<std::size_t>(options.orders) * 110 + 256 * 1024);
  out += "-- sample shop database generated by drillproof demo\n";
  if (dialect == SqlDialect::postgres) out += "SET client_encoding = 'UTF8';\n";
  out += "BEGIN;\n";
  append_schema(out, dialect);
  // One stream for everything, in a fixed order: the dialect only changes
  // how values are written, never which values are drawn.
  SplitMix64 rng(options.seed);
  append_customers(out, rng, options.customers);
  auto prices = append_products(out, rng, options.products);
  std::string items;
  items.reserve(static_cast<std::size_t>(options.orders) * 70);
  shop.counts.order_items =
      append_orders(out, items, rng, shop.counts.newest_order, options, prices);
  out += items;
  out += "COMMIT;\n";
  return shop;
}

}  // namespace dp::cli
