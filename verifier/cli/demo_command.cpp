// `drillproof demo`: a complete drill that needs nothing but the database
// tools. We generate a sample shop (shop_data.hpp), load it into a source
// PostgreSQL server and a source SQLite file that stand in for production,
// back both up with the real tools (pg_dump -Fc, sqlite3 .backup and .dump),
// write a plan whose checks know the exact row counts, and run it like
// `drillproof run` would. Setup failures exit 3: nothing could be tested.
#include <fmt/format.h>

#include <cassert>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "checks/snapshot.hpp"
#include "drills/pg_scratch.hpp"
#include "reports/signing.hpp"
#include "verifier/cli/cli.hpp"
#include "verifier/cli/commands.hpp"
#include "verifier/cli/shop_data.hpp"
#include "verifier/core/child_process.hpp"
#include "verifier/core/signals.hpp"
#include "verifier/core/text.hpp"
#include "verifier/core/timestamp.hpp"
#include "verifier/core/user.hpp"
#include "verifier/engine/postgres/pg_engine.hpp"
#include "verifier/engine/sqlite/sqlite_engine.hpp"

namespace dp::cli {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::int64_t k_max_rows = 1'000'000;
constexpr Millis k_tool_timeout = 10min;

struct DemoArgs {
  std::string out = "demo";
  std::int64_t rows = ShopOptions{}.orders;
  std::uint64_t seed = ShopOptions{}.seed;
  std::string run_as;
};

// Where everything goes; all paths absolute.
struct Layout {
  fs::path dir;
  fs::path backups;  // the three backups, and the SQLite source database
  fs::path reports;  // one timestamped folder per run
  fs::path source;   // the generated SQL that was loaded into the sources
  fs::path plan() const { return dir / "plan.toml"; }
};

template <class... Args>
void say(fmt::format_string<Args...> format, Args&&... args) {
  fmt::print(stderr, "demo: {}\n", fmt::format(format, std::forward<Args>(args)...));
}

Result<Layout> make_layout(const std::string& out) {
  std::error_code ec;
  fs::path dir = fs::absolute(out, ec);
  if (ec) return make_error(Errc::io, fmt::format("{}: {}", out, ec.message()));
  Layout layout{dir.lexically_normal(), {}, {}, {}};
  layout.backups = layout.dir / "backups";
  layout.reports = layout.dir / "reports";
  layout.source = layout.dir / "source";
  for (const fs::path& p : {layout.backups, layout.reports, layout.source}) {
    fs::create_directories(p, ec);
    if (ec) return make_error(Errc::io, fmt::format("create {}: {}", p.string(), ec.message()));
  }
  return layout;
}

// Runs a tool to completion; a non-zero exit is an error carrying its output.
Result<void> run_tool(SpawnOptions options, const std::string& what) {
  auto run = run_captured(std::move(options), k_tool_timeout);
  if (!run) return Unexpected<Error>(std::move(run).error().context(what));
  if (!run->status.ok())
    return make_error(Errc::process_failed,
                      fmt::format("{} failed ({}):\n{}", what, run->status.describe(),
                                  tail_lines(run->err + run->out, 20)));
  return {};
}

// The expected state, taken from the live source as `drillproof snapshot`
// would: what the snapshot-based checks compare the restored copy with.
Result<void> write_snapshot(const engine::ConnectOptions& source, const fs::path& file) {
  auto session = engine::connect(source);
  if (!session) return Unexpected<Error>(std::move(session).error().context("snapshot"));
  checks::SnapshotOptions options;
  options.segment_rows = 10'000;
  options.source_label = "drillproof demo source";
  auto snapshot = checks::take_snapshot(**session, options);
  if (!snapshot) return Unexpected<Error>(std::move(snapshot).error().context("snapshot"));
  say("snapshot -> {}", file.string());
  return write_file(file, checks::snapshot_to_json(*snapshot));
}

// Source server up, database loaded with psql, pg_dump -Fc, server down. The
// PgScratch destructor stops the server on every early return.
Result<void> make_postgres_backup(const Layout& layout, const fs::path& sql,
                                  const std::string& run_as) {
  auto bin = drills::find_pg_binaries("");
  if (!bin) return Unexpected<Error>(std::move(bin).error());
  auto user = server_user(run_as);
  if (!user) return Unexpected<Error>(std::move(user).error());
  say("starting a source PostgreSQL {} server (the stand-in for production{})", bin->version,
      *user ? fmt::format(", as user {}", (*user)->name) : std::string());
  drills::ScratchOptions scratch_options;
  scratch_options.run_as = *user;
  auto source = drills::PgScratch::start(*bin, scratch_options);
  if (!source) return Unexpected<Error>(std::move(source).error().context("source server"));

  auto created =
      engine::postgres::execute_admin(source->connect_options("postgres"),
                                      "CREATE DATABASE shop TEMPLATE template0 ENCODING 'UTF8'");
  if (!created) return Unexpected<Error>(std::move(created).error().context("create database"));

  const std::vector<std::string> connection = {"-h", source->dir().string(),
                                               "-p", std::to_string(drills::PgScratch::k_port),
                                               "-U", drills::PgScratch::k_superuser};
  say("psql -f {} (loading database shop)", sql.string());
  SpawnOptions psql;
  psql.argv = {(bin->bindir / "psql").string()};
  psql.argv.insert(psql.argv.end(), connection.begin(), connection.end());
  psql.argv.insert(psql.argv.end(),
                   {"-d", "shop", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", sql.string()});
  DP_TRY_VOID(run_tool(std::move(psql), "psql"));

  DP_TRY_VOID(write_snapshot(source->connect_options("shop"),
                             layout.backups / "shop-postgres.snapshot.json"));

  const fs::path dump = layout.backups / "shop.pgdump";
  say("pg_dump -Fc -> {}", dump.string());
  SpawnOptions pg_dump;
  pg_dump.argv = {(bin->bindir / "pg_dump").string()};
  pg_dump.argv.insert(pg_dump.argv.end(), connection.begin(), connection.end());
  pg_dump.argv.insert(pg_dump.argv.end(), {"-Fc", "-f", dump.string(), "shop"});
  DP_TRY_VOID(run_tool(std::move(pg_dump), "pg_dump"));

  say("stopping the source PostgreSQL server");
  source->stop();
  return {};
}

// Source file loaded by our SQLite adapter, then the sqlite3 CLI makes the
// two backups. sqlite3 runs inside the backups folder with plain file names,
// so no path ever needs quoting for its dot-command parser.
Result<void> make_sqlite_backups(const Layout& layout, const fs::path& sql) {
  auto sqlite3 = find_program("sqlite3");
  if (!sqlite3)
    return make_error(Errc::not_found,
                      "sqlite3 (the SQLite command-line tool) is not installed\n"
                      "hint: apt-get install -y sqlite3");
  const fs::path source = layout.backups / "source-shop.sqlite";
  std::error_code ec;
  for (const char* stale : {"source-shop.sqlite", "source-shop.sqlite-journal", "shop.sqlite"})
    fs::remove(layout.backups / stale, ec);
  say("loading {} into {}", sql.string(), source.string());
  auto loaded = engine::sqlite::load_sql_dump(sql, source);
  if (!loaded) return Unexpected<Error>(std::move(loaded).error().context("load sqlite source"));
  engine::ConnectOptions lite;
  lite.kind = EngineKind::sqlite;
  lite.database = source.string();
  DP_TRY_VOID(write_snapshot(lite, layout.backups / "shop-sqlite.snapshot.json"));

  say("sqlite3 .backup -> {}", (layout.backups / "shop.sqlite").string());
  SpawnOptions backup;
  backup.argv = {sqlite3->string(),    "-init", "/dev/null", "-bail", "source-shop.sqlite",
                 ".backup shop.sqlite"};
  backup.cwd = layout.backups;
  DP_TRY_VOID(run_tool(std::move(backup), "sqlite3 .backup"));

  const fs::path dump = layout.backups / "shop-sqlite.sql";
  say("sqlite3 .dump -> {}", dump.string());
  SpawnOptions dumper;
  dumper.argv = {sqlite3->string(), "-init", "/dev/null", "-bail", "source-shop.sqlite", ".dump"};
  dumper.cwd = layout.backups;
  dumper.out = Redirect::to_file(dump);
  dumper.err = Redirect::inherit();  // its message, if any, lands in our log
  auto child = ChildProcess::spawn(std::move(dumper));
  if (!child) return Unexpected<Error>(std::move(child).error().context("sqlite3 .dump"));
  auto status = child->wait(deadline_in(k_tool_timeout));
  if (!status) return Unexpected<Error>(std::move(status).error().context("sqlite3 .dump"));
  if (!status->ok())
    return make_error(Errc::process_failed,
                      fmt::format("sqlite3 .dump failed ({})", status->describe()));
  return {};
}

void append_checks(std::string& out, const ShopCounts& counts, const char* schema) {
  const std::pair<const char*, std::int64_t> tables[] = {{"customers", counts.customers},
                                                         {"products", counts.products},
                                                         {"orders", counts.orders},
                                                         {"order_items", counts.order_items}};
  for (const auto& [table, rows] : tables)
    fmt::format_to(std::back_inserter(out),
                   "\n  [[backup.check]]\n  type = \"row_count\"\n  table = \"{}{}\"\n"
                   "  expect = {}\n",
                   schema, table, rows);
  out += R"(
  [[backup.check]]
  type = "query"
  name = "no negative prices"
  sql = "SELECT count(*) FROM products WHERE price_cents < 0"
  expect = 0

  [[backup.check]]
  type = "query"
  name = "order totals match their items"
  sql = """
    SELECT count(*)
    FROM orders o
    LEFT JOIN (SELECT order_id, sum(quantity * price_cents) AS items_cents
               FROM order_items GROUP BY order_id) i ON i.order_id = o.id
    WHERE o.total_cents <> coalesce(i.items_cents, 0)
  """
  expect = 0

  [[backup.check]]
  type = "query"
  name = "every order has a customer"
  sql = """
    SELECT count(*)
    FROM orders o LEFT JOIN customers c ON c.id = o.customer_id
    WHERE c.id IS NULL
  """
  expect = 0

  # Against the snapshot taken from the source: structure, every table's
  # rows, and content fingerprints (XXH3-128 over primary-key segments).
  [[backup.check]]
  type = "schema"

  [[backup.check]]
  type = "row_counts"

  [[backup.check]]
  type = "fingerprint"

  # The engine's own checks (amcheck / PRAGMA integrity_check) and orphans.
  [[backup.check]]
  type = "integrity"

  [[backup.check]]
  type = "foreign_keys"

  # Achieved RPO: the newest order against the backup's reference_time.
  [[backup.check]]
  type = "freshness"
  table = "orders"
  column = "placed_at"
)";
}

// TOML basic string; the run_as name is the only text here we did not write.
std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20)
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
    else
      out += c;
  }
  return out + "\"";
}

std::string render_plan(const DemoArgs& args, const ShopCounts& counts) {
  std::string out = fmt::format(
      "# plan.toml, written by `drillproof demo` (seed {}, {} orders).\n"
      "#\n"
      "# A sample shop database, generated by drillproof and backed up three ways\n"
      "# with the real tools (paths are relative to this file):\n"
      "#   backups/shop.pgdump      pg_dump -Fc of the source PostgreSQL database \"shop\"\n"
      "#   backups/shop.sqlite      sqlite3 .backup of backups/source-shop.sqlite\n"
      "#   backups/shop-sqlite.sql  sqlite3 .dump of the same SQLite database\n"
      "# Each backup is restored into a throw-away scratch instance and checked. The\n"
      "# row counts are exactly what the generator wrote: a restore that loses or\n"
      "# duplicates one row fails its check.\n"
      "#\n"
      "#   drillproof validate plan.toml   # check this file, start nothing\n"
      "#   drillproof run plan.toml        # restore, check, report\n"
      "\n"
      "[plan]\n"
      "name = \"shop demo\"\n"
      "owner = \"demo@example.com\"\n"
      "rto = \"10m\"   # every restore must finish within ten minutes\n"
      "rpo = \"24h\"   # and restore data at most a day old\n",
      args.seed, counts.orders);
  if (!args.run_as.empty())
    out += fmt::format("run_as = {}   # the scratch servers' user when run as root\n",
                       toml_string(args.run_as));
  out += R"(
[[backup]]
name = "shop-postgres"
engine = "postgres"
path = "backups/shop.pgdump"
database = "shop"             # restored into a database of this name
snapshot = "backups/shop-postgres.snapshot.json"
reference_time = "{reference}"   # one hour after the newest order
)";
  append_checks(out, counts, "public.");
  out += R"(
# The same data in SQLite: the database file as `sqlite3 .backup` copied it...
[[backup]]
name = "shop-sqlite"
engine = "sqlite"
path = "backups/shop.sqlite"
snapshot = "backups/shop-sqlite.snapshot.json"
reference_time = "{reference}"   # one hour after the newest order
)";
  append_checks(out, counts, "");
  out += R"(
# ...and as SQL text from `sqlite3 .dump`, replayed into a fresh database.
[[backup]]
name = "shop-sqlite-dump"
engine = "sqlite"
path = "backups/shop-sqlite.sql"
snapshot = "backups/shop-sqlite.snapshot.json"
reference_time = "{reference}"   # one hour after the newest order
)";
  append_checks(out, counts, "");
  // The backups represent the moment one hour after the newest order.
  std::string reference = format_timestamp(
      std::chrono::system_clock::time_point(std::chrono::seconds(counts.newest_order + 3600)));
  for (std::size_t p = out.find("{reference}"); p != std::string::npos;
       p = out.find("{reference}", p))
    out.replace(p, 11, reference);
  return out;
}

// Everything before the drill: data, sources, backups, plan.
Result<ShopCounts> prepare(const DemoArgs& args, const Layout& layout) {
  ShopOptions options;
  options.orders = args.rows;
  options.seed = args.seed;
  say("generating shop data ({} orders, seed {})", options.orders, options.seed);
  ShopSql pg_sql = generate_shop_sql(options, SqlDialect::postgres);
  const fs::path pg_file = layout.source / "shop-postgres.sql";
  DP_TRY_VOID(write_file(pg_file, pg_sql.sql));
  ShopCounts counts = pg_sql.counts;
  pg_sql = {};
  ShopSql lite_sql = generate_shop_sql(options, SqlDialect::sqlite);
  assert(lite_sql.counts.order_items == counts.order_items);
  const fs::path lite_file = layout.source / "shop-sqlite.sql";
  DP_TRY_VOID(write_file(lite_file, lite_sql.sql));
  lite_sql = {};
  say("{} customers, {} products, {} orders, {} order items", counts.customers, counts.products,
      counts.orders, counts.order_items);

  if (auto pg = make_postgres_backup(layout, pg_file, args.run_as); !pg)
    return Unexpected<Error>(std::move(pg).error().context("postgres"));
  if (auto lite = make_sqlite_backups(layout, lite_file); !lite)
    return Unexpected<Error>(std::move(lite).error().context("sqlite"));

  say("writing {}", layout.plan().string());
  DP_TRY_VOID(write_file(layout.plan(), render_plan(args, counts)));
  return counts;
}

// The demo signs its reports like a real nightly drill: with a key made once
// in DIR/keys and kept for later runs, so the history chains across them.
Result<fs::path> demo_key(const Layout& layout) {
  const fs::path dir = layout.dir / "keys";
  const fs::path key = dir / "drillproof-signing.key";
  std::error_code ec;
  if (fs::exists(key, ec)) return key;
  auto made = reports::generate_key_pair(dir);
  if (!made) return Unexpected<Error>(std::move(made).error());
  say("signing key {} (public half {}, fingerprint {})", made->private_key.string(),
      made->public_key.string(), made->fingerprint);
  return made->private_key;
}

int run_demo(const DemoArgs& args) {
  install_interrupt_handlers();  // Ctrl-C during setup still tears the source server down
  auto started = std::chrono::steady_clock::now();
  auto layout = make_layout(args.out);
  if (!layout) {
    fmt::print(stderr, "drillproof demo: {}\n", layout.error().message);
    return k_exit_untestable;
  }
  auto counts = prepare(args, *layout);
  if (!counts) {
    fmt::print(stderr, "drillproof demo: {}\n", counts.error().message);
    return k_exit_untestable;
  }
  auto setup = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started);
  say("backups ready in {}", format_duration(setup));

  auto plan = load_plan(layout->plan().string(), plan::Options{{}, 1, false, args.run_as});
  if (!plan) {
    fmt::print(stderr, "drillproof demo: the generated plan {} does not load\n",
               layout->plan().string());
    return k_exit_untestable;
  }
  auto key = demo_key(*layout);
  if (!key) {
    fmt::print(stderr, "drillproof demo: {}\n", key.error().message);
    return k_exit_untestable;
  }
  RunSettings settings;
  settings.out = (layout->reports / format_utc_compact(std::chrono::system_clock::now())).string();
  settings.sign_key = key->string();
  settings.history = (layout->dir / "history").string();
  say("drillproof run {} --out {} --sign-key {} --history {}", layout->plan().string(),
      settings.out, settings.sign_key, settings.history);
  return run_plan(*plan, settings);
}

}  // namespace

Runner setup_demo(CLI::App& sub) {
  auto args = std::make_shared<DemoArgs>();
  sub.add_option("--out", args->out,
                 "folder for the sample backups, plan.toml and reports (default ./demo)")
      ->type_name("DIR");
  sub.add_option("--rows", args->rows, "number of orders to generate (default 20000)")
      ->type_name("N")
      ->check(CLI::Range(std::int64_t{1}, k_max_rows));
  sub.add_option("--seed", args->seed, "seed of the data generator (default 1)")->type_name("S");
  sub.add_option("--run-as", args->run_as,
                 "when root, run database servers as this user (default postgres)");
  return [args] { return run_demo(*args); };
}

}  // namespace dp::cli
