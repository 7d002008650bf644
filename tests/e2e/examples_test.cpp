// The example schedules and CI snippets in examples/ must keep working as the
// CLI changes: every drillproof command line in them uses only options the
// binary accepts, the YAML parses, the timer's calendar is valid and the
// cron line has the cron.d shape.
#include <fmt/format.h>

#include <regex>
#include <set>

#include "tests/integration/support.hpp"
#include "verifier/core/text.hpp"

namespace dp::test {
namespace {

const fs::path k_examples = fs::path(DP_SOURCE_DIR) / "examples";

const std::vector<std::string> k_files = {"systemd/drillproof-nightly.service",
                                          "systemd/drillproof-nightly.timer", "cron/drillproof",
                                          "ci/gitlab-ci.yml", "ci/github-actions.yml"};

// Every "drillproof SUB ... --opt" in the file, as SUB -> options. YAML's
// folded scalars (">") continue a command on the next line.
std::map<std::string, std::set<std::string>> commands_in(const std::string& text) {
  std::map<std::string, std::set<std::string>> out;
  static const std::regex command(
      R"((?:^|[\s/;&])drillproof (run|verify|keygen|audit|status|validate)((?:[^;&\n]|\n +[^-\s])*))");
  static const std::regex option(R"(\s(--[a-z][a-z-]*))");
  for (std::sregex_iterator it(text.begin(), text.end(), command), end; it != end; ++it) {
    auto& opts = out[(*it)[1]];
    std::string rest = (*it)[2];
    for (std::sregex_iterator o(rest.begin(), rest.end(), option); o != end; ++o)
      opts.insert((*o)[1]);
  }
  return out;
}

TEST(Examples, EveryDrillproofCommandUsesRealOptions) {
  std::set<std::string> seen;
  for (const auto& file : k_files) {
    std::string text = read_text(k_examples / file);
    ASSERT_FALSE(text.empty()) << file;
    for (const auto& [sub, opts] : commands_in(text)) {
      seen.insert(sub);
      auto help = run_cli({sub, "--help"});
      ASSERT_EQ(help.exit_code, 0) << sub;
      for (const auto& opt : opts)
        EXPECT_NE(help.out.find(opt), std::string::npos)
            << file << ": drillproof " << sub << " has no option " << opt;
    }
  }
  // The schedules run, sign, record history and feed monitoring; CI verifies.
  for (const char* sub : {"run", "status", "verify"}) EXPECT_TRUE(seen.count(sub)) << sub;
}

TEST(Examples, SchedulesSignAndKeepHistory) {
  for (const char* file : {"systemd/drillproof-nightly.service", "cron/drillproof"}) {
    std::string text = read_text(k_examples / file);
    EXPECT_NE(text.find("DRILLPROOF_SIGN_KEY="), std::string::npos) << file;
    EXPECT_NE(text.find("--require-signature"), std::string::npos) << file;
    EXPECT_NE(text.find("--history"), std::string::npos) << file;
    EXPECT_NE(text.find("--prometheus"), std::string::npos) << file;
  }
  for (const char* file : {"ci/gitlab-ci.yml", "ci/github-actions.yml"})
    EXPECT_NE(read_text(k_examples / file).find("drill-report/junit.xml"), std::string::npos)
        << file;
}

TEST(Examples, TimerCalendarIsValid) {
  std::string timer = read_text(k_examples / "systemd/drillproof-nightly.timer");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(timer, m, std::regex(R"(OnCalendar=(.*))")));
  SpawnOptions o;
  o.argv = {"systemd-analyze", "calendar", m[1].str()};
  auto run = run_captured(std::move(o), std::chrono::seconds(30));
  DP_REQUIRE_OR_SKIP(run.has_value(), "systemd-analyze is not installed");
  EXPECT_EQ(run->status.code, 0) << run->out << run->err;
  EXPECT_NE(run->out.find("Next elapse"), std::string::npos) << run->out;
}

TEST(Examples, CronLineHasTheCronDShape) {
  std::string text = read_text(k_examples / "cron/drillproof");
  int jobs = 0;
  for (const auto& line : split(text, '\n')) {
    if (line.empty() || line[0] == '#' || line.find('=') < line.find(' ')) continue;
    // minute hour day month weekday user command
    static const std::regex shape(R"(^(\S+ ){5}[a-z_][a-z0-9_-]* \S.*$)");
    EXPECT_TRUE(std::regex_match(line, shape)) << line;
    ++jobs;
  }
  EXPECT_EQ(jobs, 1);
}

TEST(Examples, CiYamlParses) {
  for (const char* file : {"ci/gitlab-ci.yml", "ci/github-actions.yml"}) {
    SpawnOptions o;
    o.argv = {"/usr/bin/python3", "-c",
              "import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); "
              "assert isinstance(d, dict), 'not a mapping'",
              (k_examples / file).string()};
    auto run = run_captured(std::move(o), std::chrono::seconds(30));
    DP_REQUIRE_OR_SKIP(run.has_value() && run->err.find("No module named") == std::string::npos,
                       "python3-yaml is not installed");
    EXPECT_EQ(run->status.code, 0) << file << ": " << run->err;
  }
}

// The failover example validates as it is (its scripts are the user's to
// write) and runs data tier first, then compute, then traffic.
TEST(Examples, WebServiceFailoverPlanIsValidAndOrdered) {
  auto run = run_cli({"validate", (k_examples / "web-service-failover.toml").string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const char* line :
       {"failover drill: 7 services in 4 levels", "  level 1: db, queue, storage\n",
        "  level 2: api, workers\n", "  level 3: lb\n", "  level 4: dns\n",
        "phases: failover, failback; deadline 45m", "plan is valid; nothing was started"})
    EXPECT_NE(run.out.find(line), std::string::npos) << line << "\n" << run.out;
}

}  // namespace
}  // namespace dp::test
