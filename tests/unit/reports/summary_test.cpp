#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <iterator>
#include <string>

#include "reports/report_writers.hpp"
#include "tests/unit/reports/sample_report.hpp"

namespace dp::reports {
namespace {

using namespace dp::reports::testing;

TEST(Summary, MatchesTheDocumentedExample) {
  const std::string text = render_summary(make_report(), false);
  const std::string want =
      "drillproof 0.1.0: plan \"shop nightly\": FAILED (2 backups: 1 passed, 1 failed) in 12.345s\n"
      "  \u2713 orders  postgres  pg_dump custom   "
      "restored in 4.210s (rto 15m)   3/3 checks passed\n"
      "  \u2717 users   sqlite    sqlite database  "
      "restored in 0.101s (rto 30m)   1/2 checks passed\n"
      "      \u2717 row_count main.users: expected = 100, observed 99\n";
  EXPECT_EQ(text, want);
}

TEST(Summary, NoEscapeBytesWithoutColour) {
  RunReport r = make_mixed_report();
  r.backups[0].name = "evil\x1b]0;pwned\x07\x1b[2J";
  r.interrupted = true;
  const std::string text = render_summary(r, false);
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_EQ(text.find('\x07'), std::string::npos) << text;
  EXPECT_EQ(text.find('\x01'), std::string::npos) << text;
  EXPECT_NE(text.find("evil\\x1B]0;pwned\\x07\\x1B[2J"), std::string::npos) << text;
}

TEST(Summary, ColourOnlyWhenAsked) {
  const std::string text = render_summary(make_report(), true);
  EXPECT_NE(text.find("\x1b[32m\u2713\x1b[0m"), std::string::npos) << text;  // green pass
  EXPECT_NE(text.find("\x1b[31mFAILED\x1b[0m"), std::string::npos) << text;  // red status
}

TEST(Summary, ErrorShowsFirstLineOfThePhaseMessage) {
  const std::string text = render_summary(make_mixed_report(), false);
  EXPECT_NE(text.find("FAILED (4 backups: 1 passed, 1 failed, 1 error, 1 skipped)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  ! billing <script>&\"'\\x01"), std::string::npos) << text;
  EXPECT_NE(text.find("restore error (rto 15m)"), std::string::npos) << text;
  EXPECT_NE(text.find("      ! restore: pg_restore exited with status 1 <script>&\"'\\x01\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("second line"), std::string::npos) << text;
  // Kept scratch instances are the CLI's to print, after the summary.
  EXPECT_EQ(text.find("dp-scratch-1"), std::string::npos) << text;
  EXPECT_NE(text.find("  - archive"), std::string::npos) << text;
}

TEST(Summary, InterruptedRunSaysSo) {
  RunReport r = make_report();
  r.backups.pop_back();
  r.interrupted = true;
  const std::string text = render_summary(r, false);
  EXPECT_NE(text.find(": ERROR (1 backup: 1 passed)"), std::string::npos) << text;
  EXPECT_NE(text.find("interrupted"), std::string::npos) << text;
  EXPECT_EQ(render_summary(make_report(), false).find("interrupted"), std::string::npos);
}

TEST(Summary, ManyFindingsAreCut) {
  RunReport r = make_report();
  auto& check = r.backups[1].checks[0];
  for (int i = 0; i < 9; ++i) check.findings.push_back(check.findings[0]);
  const std::string text = render_summary(r, false);
  EXPECT_NE(text.find("... and 5 more findings"), std::string::npos) << text;
}

TEST(Summary, EmptyRun) {
  RunReport r = make_report();
  r.backups.clear();
  EXPECT_EQ(render_summary(r, false),
            "drillproof 0.1.0: plan \"shop nightly\": PASSED (0 backups) in 12.345s\n");
}

// Status rules (run_report.cpp) are exercised here with the summary they drive.
TEST(Status, Names) {
  EXPECT_STREQ(status_name(Status::passed), "passed");
  EXPECT_STREQ(status_name(Status::failed), "failed");
  EXPECT_STREQ(status_name(Status::error), "error");
  EXPECT_STREQ(status_name(Status::skipped), "skipped");
}

TEST(Status, WorstOrdersFailedErrorSkippedPassed) {
  const Status all[] = {Status::passed, Status::skipped, Status::error, Status::failed};
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t k = 0; k < 4; ++k) {
      EXPECT_EQ(worst(all[i], all[k]), all[std::max(i, k)]);
    }
}

RunReport with_statuses(std::initializer_list<Status> statuses, bool interrupted = false) {
  RunReport r;
  r.interrupted = interrupted;
  for (Status s : statuses) {
    BackupResult b;
    b.status = s;
    r.backups.push_back(b);
  }
  return r;
}

TEST(Status, OverallAndExitCode) {
  struct Case {
    RunReport report;
    Status overall;
    int exit;
  };
  const Case cases[] = {
      {with_statuses({}), Status::passed, 0},
      {with_statuses({Status::passed, Status::passed}), Status::passed, 0},
      {with_statuses({Status::skipped}), Status::skipped, 0},
      {with_statuses({Status::passed, Status::skipped}), Status::skipped, 0},
      {with_statuses({Status::passed, Status::error}), Status::error, 3},
      {with_statuses({Status::error, Status::failed}), Status::failed, 1},  // 1 beats 3
      {with_statuses({Status::failed, Status::skipped}), Status::failed, 1},
      {with_statuses({Status::passed}, true), Status::error, 3},  // interrupted
      {with_statuses({}, true), Status::error, 3},
      {with_statuses({Status::failed, Status::passed}, true), Status::failed, 1},
  };
  for (std::size_t i = 0; i < std::size(cases); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(overall_status(cases[i].report), cases[i].overall);
    EXPECT_EQ(exit_code(cases[i].report), cases[i].exit);
  }
}

}  // namespace
}  // namespace dp::reports
