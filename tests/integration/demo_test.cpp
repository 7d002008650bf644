// Integration: `drillproof demo` end to end with the real tools. It
// generates the shop, backs it up with pg_dump and sqlite3, writes a plan and
// drills it; every backup must pass, and nothing may be left running.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "drills/pg_scratch.hpp"
#include "tests/integration/support.hpp"

namespace dp::test {
namespace {

class Demo : public ::testing::Test {
 protected:
  void SetUp() override {
    DP_REQUIRE_OR_SKIP(drills::find_pg_binaries(""), "PostgreSQL server binaries not installed");
    DP_REQUIRE_OR_SKIP(find_program("sqlite3"), "sqlite3 command-line tool not installed");
    // Used as TMPDIR: the source and scratch servers' folders go in here, so
    // the server user must be able to traverse it.
    m_tmp.emplace(world_dir("dp-demo-"));
  }
  void TearDown() override {
    if (m_tmp && HasFailure()) {
      m_tmp->keep();
      std::cerr << "kept " << m_tmp->path() << "\n";
    }
  }
  fs::path out() const { return m_tmp->path() / "demo"; }
  fs::path tmp() const { return m_tmp->path(); }
  CliRun demo(std::vector<std::string> extra) const {
    std::vector<std::string> args = {"demo", "--out", out().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args, {{"TMPDIR", tmp().string()}});
  }
  // The one run folder under reports/.
  fs::path report_dir() const {
    std::vector<fs::path> dirs;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(out() / "reports", ec))
      if (e.is_directory()) dirs.push_back(e.path());
    EXPECT_EQ(dirs.size(), 1u);
    return dirs.empty() ? fs::path() : dirs.front();
  }

  std::optional<TempDir> m_tmp;
};

TEST_F(Demo, BacksUpRestoresAndPasses) {
  auto run = demo({"--rows", "2000"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("3 passed"), std::string::npos) << run.out;

  EXPECT_TRUE(fs::exists(out() / "plan.toml"));
  EXPECT_EQ(read_text(out() / "backups/shop.pgdump").substr(0, 5), "PGDMP");
  EXPECT_EQ(read_text(out() / "backups/shop.sqlite").substr(0, 16),
            std::string("SQLite format 3\0", 16));
  EXPECT_NE(read_text(out() / "backups/shop-sqlite.sql").find("CREATE TABLE order_items"),
            std::string::npos);

  fs::path reports = report_dir();
  ASSERT_TRUE(fs::exists(reports / "report.json"));
  auto report = read_json(reports / "report.json");
  EXPECT_EQ(report["status"], "passed");
  EXPECT_EQ(report["plan"]["name"], "shop demo");
  ASSERT_EQ(report["backups"].size(), 3u);
  const char* names[] = {"shop-postgres", "shop-sqlite", "shop-sqlite-dump"};
  const char* formats[] = {"pg_dump custom", "sqlite database", "sqlite SQL dump"};
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& b = report["backups"][i];
    EXPECT_EQ(b["name"], names[i]);
    EXPECT_EQ(b["format"], formats[i]);
    EXPECT_EQ(b["status"], "passed") << b.dump(2);
    // four row counts, three queries, and the six snapshot and engine kinds
    EXPECT_EQ(b["checks"].size(), 13u);
    for (const auto& c : b["checks"]) EXPECT_EQ(c["status"], "passed") << c.dump(2);
  }
  // The row counts checked are the generator's: 2000 orders exactly.
  bool saw_orders = false;
  for (const auto& c : report["backups"][0]["checks"])
    if (c["name"] == "row_count public.orders") {
      saw_orders = true;
      EXPECT_EQ(c["observed"], "2000");
    }
  EXPECT_TRUE(saw_orders);
  EXPECT_EQ(junit_schema_check(reports / "junit.xml"), 0);

  // The source server and every scratch instance are gone.
  std::vector<std::string> left;
  for (const auto& name : leftovers(tmp()))
    if (name != "demo") left.push_back(name);
  EXPECT_TRUE(left.empty()) << fmt::format("{}", fmt::join(left, ", "));
  EXPECT_TRUE(processes_mentioning(tmp().string() + "/drillproof-pg-").empty());
}

TEST_F(Demo, SameSeedSameData) {
  auto first = demo({"--rows", "300", "--seed", "42"});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  std::string plan = read_text(out() / "plan.toml");
  std::string sql = read_text(out() / "source/shop-sqlite.sql");
  // Running again into the same folder replaces the backups and still passes.
  auto second = demo({"--rows", "300", "--seed", "42"});
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_EQ(read_text(out() / "plan.toml"), plan);
  EXPECT_EQ(read_text(out() / "source/shop-sqlite.sql"), sql);
  EXPECT_NE(plan.find("expect = 300\n"), std::string::npos);
}

TEST_F(Demo, BadRowsIsAUsageError) {
  auto run = demo({"--rows", "0"});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_FALSE(fs::exists(out()));
}

}  // namespace
}  // namespace dp::test
