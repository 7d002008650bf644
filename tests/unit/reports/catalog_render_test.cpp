// A catalog (engine "catalog": one scan phase, no objectives, checks with
// one finding per gap or difference) in every renderer: no RTO chart or
// server version in HTML, the scan in the summary line, one JUnit testcase
// per check, and the compliance tally counts only restored backups.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "reports/report_writers.hpp"
#include "tests/unit/reports/html_test_support.hpp"
#include "tests/unit/reports/sample_report.hpp"

namespace dp::reports::testing {
namespace {

BackupResult catalog_result() {
  BackupResult b;
  b.name = "shop-dumps";
  b.engine = "catalog";
  b.path = "/backups/shop";
  b.format = "backup catalog";
  b.status = Status::failed;
  b.started = at(2h);
  b.duration = 30ms;
  b.phases.push_back(phase("scan", Status::passed, 0ms, 10ms,
                           "33 backups, newest 2h old; newest shop-2026-11-21.dump "
                           "(2026-11-21T00:00:00Z); oldest shop-2026-10-12.dump "
                           "(2026-10-12T00:00:00Z)"));
  b.checks.push_back(check("entries", "catalog", Status::passed, "every entry has a time", "33"));
  CheckResult daily = check("daily 35d", "catalog", Status::failed, "a backup in each of 35 days",
                            "33 of 35 covered");
  daily.message = "2 days without a backup in 1 gap";
  daily.findings.push_back(Finding{"daily 35d", "", Severity::error,
                                   "no daily backup for 2026-11-15 .. 2026-11-16 (2 days)", ""});
  b.checks.push_back(daily);
  CheckResult offsite = check("offsite", "catalog", Status::failed, "identical copy", "3 files");
  offsite.message = "offsite copy differs: 1 difference";
  offsite.findings.push_back(
      Finding{"offsite", "shop-2026-11-18.dump", Severity::error, "missing offsite", ""});
  b.checks.push_back(offsite);
  return b;
}

RunReport catalog_report() {
  RunReport r = make_report();
  r.backups.pop_back();  // orders, passed
  r.backups.push_back(catalog_result());
  return r;
}

TEST(CatalogRender, HtmlHasNoObjectivesForACatalog) {
  const std::string page = html(catalog_report());
  const std::string section = slice(page, "id=\"backup-2\"", "</section>");
  EXPECT_EQ(section.find("Recovery objectives"), std::string::npos) << section;
  EXPECT_EQ(section.find("Server version"), std::string::npos);
  EXPECT_NE(section.find("no daily backup for 2026-11-15 .. 2026-11-16 (2 days)"),
            std::string::npos);
  EXPECT_NE(section.find("33 backups, newest 2h old; newest shop-2026-11-21.dump"),
            std::string::npos);
  const std::string compliance = slice(page, "<section id=\"compliance\">", "</section>");
  EXPECT_NE(compliance.find("1/1 backup restored into scratch instances and checked; 4/6 checks"),
            std::string::npos)
      << compliance;
}

TEST(CatalogRender, SummaryShowsTheScanInsteadOfARestore) {
  const std::string text = render_summary(catalog_report(), false);
  EXPECT_NE(text.find("shop-dumps  catalog   backup catalog  33 backups, newest 2h old      "
                      "1/3 checks passed"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("not restored"), std::string::npos) << text;
  EXPECT_NE(text.find("daily 35d: no daily backup for 2026-11-15 .. 2026-11-16 (2 days)"),
            std::string::npos)
      << text;
}

TEST(CatalogRender, JunitHasOneCasePerCheckAndTheScan) {
  const std::string xml = render_junit(catalog_report());
  const std::string suite = slice(xml, "<testsuite name=\"shop-dumps\"", "</testsuite>");
  EXPECT_NE(suite.find("tests=\"4\" failures=\"2\" errors=\"0\""), std::string::npos) << suite;
  for (const char* name : {"scan", "entries", "daily 35d", "offsite"})
    EXPECT_EQ(count(suite, fmt::format("<testcase name=\"{}\"", name)), 1U) << name;
  EXPECT_NE(suite.find("shop-2026-11-18.dump: missing offsite"), std::string::npos);
  EXPECT_EQ(suite.find("objective"), std::string::npos);
}

}  // namespace
}  // namespace dp::reports::testing
