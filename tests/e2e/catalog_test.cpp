// End-to-end: `drillproof run` on [[catalog]] plans over real directories of
// dated files, laid out relative to today (the binary reads the real clock).
// Negative controls: a three-day gap in a daily catalog, a missing monthly
// point, a name without a date, and an offsite copy with one file missing,
// one extra and one altered; each asserted as the exact finding in
// report.json and junit.xml, exit 1. A clean catalog exits 0; a bad
// requirement is a plan error at its line and column, exit 2.
#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "tests/integration/support.hpp"

namespace dp::test {
namespace {

using namespace std::chrono;

std::string day_text(sys_days d) {
  year_month_day ymd{d};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

// The first day of the month `back` months before `day`'s.
sys_days month_start_of(sys_days day, int back) {
  year_month_day today{day};
  year_month ym = today.year() / today.month();
  ym -= months{back};
  return sys_days{ym / 1};
}

std::string month_text(sys_days d) { return day_text(d).substr(0, 7); }

std::string xxh3(const fs::path& file) {
  SpawnOptions o;
  o.argv = {"xxhsum", "-H2", file.string()};
  auto run = run_captured(std::move(o), seconds(30));
  return run && run->status.ok() ? run->out.substr(0, 32) : "xxhsum failed";
}

class CatalogRun : public ::testing::Test {
 protected:
  void SetUp() override {
    // The fixtures are dated relative to today (UTC) and drillproof reads
    // the real clock, so "today" is pinned once, and a test that would
    // start in the last two minutes of a day waits for the next one: the
    // fixture, the run and the expectations then see the same day.
    auto now = system_clock::now();
    auto midnight = floor<days>(now) + days{1};
    if (midnight - now < minutes{2}) std::this_thread::sleep_until(midnight + seconds{1});
    m_today = floor<days>(system_clock::now());
    m_dir.emplace(world_dir("dp-catalog-e2e-"));
    fs::create_directories(root() / "dumps");
    fs::create_directories(root() / "offsite");
    fs::create_directories(root() / "base");
  }
  void TearDown() override {
    if (HasFailure()) m_dir->keep();
  }
  fs::path root() const { return m_dir->path(); }
  sys_days today() const { return m_today; }
  sys_days month_start(int back) const { return month_start_of(m_today, back); }

  // Daily dumps for the last 40 days and one on the 1st of each of the 13
  // months before, except the days and month given.
  void write_dumps(std::vector<int> skip_days, int skip_month) {
    for (int i = 0; i <= 40; ++i)
      if (std::find(skip_days.begin(), skip_days.end(), i) == skip_days.end())
        dump(day_text(today() - days{i}));
    for (int m = 1; m <= 13; ++m)
      if (m != skip_month) dump(day_text(month_start(m)));
  }
  void dump(const std::string& day) {
    write_text(root() / "dumps" / ("shop-" + day + ".dump"), "pg_dump of " + day + "\n");
  }
  void copy_offsite() {
    fs::copy(root() / "dumps", root() / "offsite",
             fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  }
  // Base backups as directories whose modification time says when they
  // were taken (set with touch -d, as a restore of an rsync'd tree would).
  void write_bases(int count) {
    for (int i = 0; i < count; ++i) {
      fs::path dir = root() / "base" / fmt::format("base-{:03}", i);
      fs::create_directories(dir);
      write_text(dir / "base.tar", "base\n");
      SpawnOptions o;
      o.argv = {"touch", "-d", day_text(today() - days{i}) + " 00:00:00 UTC", dir.string()};
      auto run = run_captured(std::move(o), seconds(30));
      ASSERT_TRUE(run && run->status.ok());
    }
  }
  void write_plan() {
    write_text(root() / "plan.toml", R"([plan]
name = "retention"

[[catalog]]
name = "shop"
path = "dumps"
pattern = "shop-*.dump"
name_time = "%Y-%m-%d"
require = ["daily 35d", "monthly 12"]
max_age = "26h"
offsite = "offsite"

[[catalog]]
name = "base"
path = "base"
pattern = "base-*"
time_from = "mtime"
require = ["daily 7d"]
max_age = "25h"
)");
  }
  CliRun run(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", (root() / "plan.toml").string(), "--out",
                                     (root() / "report").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
  }
  const nlohmann::json& catalog(const nlohmann::json& report, std::string_view name) {
    for (const auto& b : report["backups"])
      if (b["name"] == name) return b;
    ADD_FAILURE() << "no catalog " << name;
    static nlohmann::json none;
    return none;
  }
  // "target: message" for every finding of one check.
  std::vector<std::string> findings(const nlohmann::json& backup, std::string_view check) {
    std::vector<std::string> out;
    for (const auto& c : backup["checks"]) {
      if (c["name"] != check) continue;
      for (const auto& f : c["findings"]) {
        std::string target = f["target"];
        out.push_back(target.empty() ? std::string(f["message"])
                                     : target + ": " + std::string(f["message"]));
      }
      return out;
    }
    ADD_FAILURE() << "no check " << check;
    return out;
  }
  std::string status(const nlohmann::json& backup, std::string_view check) {
    for (const auto& c : backup["checks"])
      if (c["name"] == check) return c["status"];
    return "absent";
  }
  std::optional<TempDir> m_dir;
  sys_days m_today;
};

TEST_F(CatalogRun, GapsMissingMonthAndOffsiteDifferencesAreEachFound) {
  write_dumps({5, 6, 7}, 6);
  dump("latest");  // matches the pattern, has no date
  copy_offsite();
  const std::string removed = "shop-" + day_text(today() - days{1}) + ".dump";
  const std::string altered = "shop-" + day_text(today() - days{2}) + ".dump";
  fs::remove(root() / "offsite" / removed);
  write_text(root() / "offsite" / "shop-2020-01-01.dump", "stale\n");
  std::string text = read_text(root() / "dumps" / altered);
  text[0] = 'P';  // same size, different bytes
  write_text(root() / "offsite" / altered, text);
  write_bases(10);
  write_plan();

  auto r = run();
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  auto report = read_json(root() / "report/report.json");
  const auto& shop = catalog(report, "shop");
  EXPECT_EQ(shop["engine"], "catalog");
  EXPECT_EQ(shop["status"], "failed");
  EXPECT_EQ(findings(shop, "daily 35d"),
            (std::vector<std::string>{fmt::format("no daily backup for {} .. {} (3 days)",
                                                  day_text(today() - days{7}),
                                                  day_text(today() - days{5}))}));
  EXPECT_EQ(findings(shop, "monthly 12"),
            (std::vector<std::string>{
                fmt::format("no monthly backup for {}", month_text(month_start(6)))}));
  EXPECT_EQ(findings(shop, "entries"),
            (std::vector<std::string>{
                "shop-latest.dump: no time matching name_time \"%Y-%m-%d\" in the name"}));
  EXPECT_EQ(status(shop, "max_age"), "passed");
  EXPECT_EQ(findings(shop, "offsite"),
            (std::vector<std::string>{
                "shop-2020-01-01.dump: extra offsite",
                fmt::format("{}: changed offsite: xxh3-128 {} here, {} offsite", altered,
                            xxh3(root() / "dumps" / altered), xxh3(root() / "offsite" / altered)),
                fmt::format("{}: missing offsite", removed),
            }));
  // The scan names the count, the newest with its age, and the oldest. (A
  // monthly dump may share its day with a daily one early in a month.)
  std::size_t dated = 0;
  for (const auto& e : fs::directory_iterator(root() / "dumps"))
    dated += e.path().filename() != "shop-latest.dump";
  const std::string scan = shop["phases"][0]["message"];
  const std::string count = fmt::format("{} backups, newest ", dated);
  EXPECT_EQ(scan.substr(0, count.size()), count) << scan;
  EXPECT_EQ(scan.substr(scan.find(" old; ")),
            fmt::format(" old; newest shop-{0}.dump ({0}T00:00:00Z); oldest shop-{1}.dump "
                        "({1}T00:00:00Z)",
                        day_text(today()), day_text(month_start(13))));
  // The summary on stdout shows the short form and every gap.
  EXPECT_NE(r.out.find(count), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("monthly 12: no monthly backup for "), std::string::npos) << r.out;

  const auto& base = catalog(report, "base");
  EXPECT_EQ(base["status"], "passed");
  EXPECT_EQ(status(base, "daily 7d"), "passed");

  auto junit = read_text(root() / "report/junit.xml");
  EXPECT_NE(junit.find(R"(<testcase name="daily 35d" classname="drillproof.shop")"),
            std::string::npos);
  EXPECT_NE(junit.find(fmt::format("<failure message=\"3 days without a backup in 1 gap\"")),
            std::string::npos)
      << junit;
  EXPECT_NE(junit.find(fmt::format("{}: missing offsite", removed)), std::string::npos);
  EXPECT_EQ(junit_schema_check(root() / "report/junit.xml"), 0);
  auto html = read_text(root() / "report/report.html");
  EXPECT_NE(html.find("no daily backup for"), std::string::npos);
  EXPECT_EQ(html.find("No RTO or RPO objective"), std::string::npos);
}

TEST_F(CatalogRun, CleanCatalogExitsZero) {
  write_dumps({}, 0);
  copy_offsite();
  write_bases(10);
  write_plan();
  auto valid = run_cli({"validate", (root() / "plan.toml").string()});
  EXPECT_EQ(valid.exit_code, 0) << valid.err;
  for (const std::string& line :
       std::vector<std::string>{"2 catalogs, checked first\n",
                                "  -  shop  [catalog]  " + (root() / "dumps").string() +
                                    "/shop-*.dump\n       time     from name \"%Y-%m-%d\", UTC\n"
                                    "       require  daily 35d\n       require  monthly 12\n"
                                    "       max_age  1d2h\n       offsite  " +
                                    (root() / "offsite").string() + "\n",
                                std::string("       time     modification time, UTC\n")})
    EXPECT_NE(valid.out.find(line), std::string::npos) << line << "\n" << valid.out;
  auto r = run();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  auto report = read_json(root() / "report/report.json");
  for (const char* check : {"entries", "daily 35d", "monthly 12", "max_age", "offsite"})
    EXPECT_EQ(status(catalog(report, "shop"), check), "passed") << check;
}

TEST_F(CatalogRun, StaleMtimeCatalogFailsAndOnlySelectsIt) {
  write_dumps({}, 0);
  copy_offsite();
  write_bases(10);
  fs::remove_all(root() / "base/base-000");
  fs::remove_all(root() / "base/base-001");
  write_plan();
  auto r = run({"--only", "base"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  auto report = read_json(root() / "report/report.json");
  ASSERT_EQ(report["backups"].size(), 1u);
  const auto& base = catalog(report, "base");
  // The newest backup is two days old: yesterday and today are gaps (today
  // is left out only while the newest backup is younger than 26 hours).
  EXPECT_EQ(
      findings(base, "daily 7d"),
      (std::vector<std::string>{fmt::format("no daily backup for {} .. {} (2 days)",
                                            day_text(today() - days{1}), day_text(today()))}));
  auto age = findings(base, "max_age");
  ASSERT_EQ(age.size(), 1u);
  EXPECT_EQ(
      age[0].substr(0, age[0].find(", is")),
      fmt::format("base-002: newest backup, taken {}T00:00:00Z", day_text(today() - days{2})));
  EXPECT_NE(age[0].find("old; max_age 1d1h"), std::string::npos) << age[0];
}

TEST_F(CatalogRun, BadRequirementIsAPlanError) {
  write_text(root() / "plan.toml", R"([plan]
name = "retention"

[[catalog]]
name = "shop"
path = "dumps"
name_time = "%Y-%m-%d"
require = ["daily 35d", "dayly 7"]
)");
  auto r = run();
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(fmt::format(
                "{}:8:25: require[1]: expected '<hourly|daily|weekly|monthly|yearly> <count or "
                "span>' (\"daily 35d\", \"monthly 12\"), got \"dayly 7\"",
                (root() / "plan.toml").string())),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace dp::test
