#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "reports/report_writers.hpp"
#include "tests/unit/reports/sample_report.hpp"
#include "verifier/core/temp_dir.hpp"
#include "verifier/core/text.hpp"

namespace dp::reports {
namespace {

using namespace dp::reports::testing;

const std::string k_schema = std::string(DP_SHARED_DIR) + "/schemas/junit-10.xsd";

std::string run_capture(const std::string& cmd) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(cmd.c_str(), "r"), ::pclose);
  if (!pipe) return out;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe.get())) > 0) out.append(buf.data(), n);
  return out;
}

class JunitReport : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("dp_junit_test_");
    ASSERT_TRUE(dir.has_value()) << dir.error().message;
    m_dir = std::make_unique<TempDir>(std::move(dir).value());
  }
  void TearDown() override {
    if (HasFailure() && m_dir) {
      m_dir->keep();
      std::fprintf(stderr, "kept %s\n", m_dir->path().c_str());
    }
  }

  std::string save(const std::string& xml, const std::string& name = "junit.xml") {
    const auto file = m_dir->path() / name;
    EXPECT_TRUE(write_file(file, xml).has_value());
    return file.string();
  }
  // XPath 1.0 value of `expr` as xmllint prints it, without its final newline.
  std::string xpath(const std::string& file, const std::string& expr) {
    std::string out = run_capture("xmllint --xpath \"" + expr + "\" '" + file + "' 2>/dev/null");
    if (!out.empty() && out.back() == '\n') out.pop_back();  // xmllint ends results with one
    return out;
  }
  int validate(const std::string& file) {
    const std::string cmd = "xmllint --noout --schema '" + k_schema + "' '" + file + "'";
    return std::system(cmd.c_str());
  }

  std::unique_ptr<TempDir> m_dir;
};

TEST_F(JunitReport, ValidatesAgainstTheSchema) {
  const std::string file = save(render_junit(make_mixed_report()));
  EXPECT_EQ(validate(file), 0);
}

TEST_F(JunitReport, EmptyRunValidates) {
  RunReport r = make_report();
  r.backups.clear();
  const std::string xml = render_junit(r);
  EXPECT_NE(xml.find(R"(tests="0" failures="0" errors="0")"), std::string::npos) << xml;
  EXPECT_EQ(validate(save(xml)), 0);
}

TEST_F(JunitReport, HeaderAndRootElement) {
  const std::string xml = render_junit(make_report());
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 0), 0U);
  EXPECT_NE(xml.find(R"(<testsuites name="drillproof: shop nightly" tests="13" failures="1")"
                     R"( errors="0" time="12.345">)"),
            std::string::npos)
      << xml;
}

TEST_F(JunitReport, TestsuitesCarriesNoSkippedAttribute) {
  const std::string file = save(render_junit(make_mixed_report()));
  EXPECT_EQ(xpath(file, "count(/testsuites/@skipped)"), "0");
  EXPECT_EQ(xpath(file, "count(/testsuites/testsuite/@skipped)"), "4");
}

TEST_F(JunitReport, CountsMatchTheTestcases) {
  const std::string file = save(render_junit(make_mixed_report()));
  EXPECT_EQ(xpath(file, "count(/testsuites/testsuite)"), "4");
  EXPECT_EQ(xpath(file, "string(/testsuites/@tests)"), xpath(file, "count(//testcase)"));
  EXPECT_EQ(xpath(file, "string(/testsuites/@failures)"), xpath(file, "count(//testcase/failure)"));
  EXPECT_EQ(xpath(file, "string(/testsuites/@errors)"), xpath(file, "count(//testcase/error)"));
  for (int i = 1; i <= 4; ++i) {
    const std::string suite = "/testsuites/testsuite[" + std::to_string(i) + "]";
    SCOPED_TRACE(suite);
    EXPECT_EQ(xpath(file, "string(" + suite + "/@tests)"),
              xpath(file, "count(" + suite + "/testcase)"));
    EXPECT_EQ(xpath(file, "string(" + suite + "/@failures)"),
              xpath(file, "count(" + suite + "/testcase/failure)"));
    EXPECT_EQ(xpath(file, "string(" + suite + "/@errors)"),
              xpath(file, "count(" + suite + "/testcase/error)"));
    EXPECT_EQ(xpath(file, "string(" + suite + "/@skipped)"),
              xpath(file, "count(" + suite + "/testcase/skipped)"));
  }
  // orders: provision, restore, rto objective, 3 checks, teardown.
  EXPECT_EQ(xpath(file, "string(/testsuites/testsuite[1]/@tests)"), "7");
  // users: one failed check.
  EXPECT_EQ(xpath(file, "string(/testsuites/testsuite[2]/@failures)"), "1");
  // billing: restore error; rto objective and the check skipped.
  EXPECT_EQ(xpath(file, "string(/testsuites/testsuite[3]/@errors)"), "1");
  EXPECT_EQ(xpath(file, "string(/testsuites/testsuite[3]/@skipped)"), "2");
  // archive: one skipped phase.
  EXPECT_EQ(xpath(file, "string(/testsuites/testsuite[4]/@skipped)"), "1");
  EXPECT_EQ(xpath(file, "string(/testsuites/@tests)"), "19");
  EXPECT_EQ(xpath(file, "string(/testsuites/@failures)"), "1");
  EXPECT_EQ(xpath(file, "string(/testsuites/@errors)"), "1");
}

TEST_F(JunitReport, TestcaseOrderMovesTeardownAfterChecks) {
  const std::string file = save(render_junit(make_report()));
  std::vector<std::string> names;
  for (int i = 1; i <= 7; ++i)
    names.push_back(
        xpath(file, "string(/testsuites/testsuite[1]/testcase[" + std::to_string(i) + "]/@name)"));
  const std::vector<std::string> want = {"provision",  "restore", "rto objective", "orders_rows",
                                         "no_orphans", "schema",  "teardown"};
  EXPECT_EQ(names, want);
  EXPECT_EQ(xpath(file, "count(//testcase[@name='checks'])"), "0");
  EXPECT_EQ(xpath(file, "string(/testsuites/testsuite[1]/testcase[1]/@classname)"),
            "drillproof.orders");
  EXPECT_EQ(xpath(file, "string(/testsuites/testsuite[1]/testcase[2]/@time)"), "4.210");
}

TEST_F(JunitReport, SuiteAttributesAndProperties) {
  const std::string file = save(render_junit(make_report()));
  const std::string s = "/testsuites/testsuite[1]";
  EXPECT_EQ(xpath(file, "string(" + s + "/@name)"), "orders");
  EXPECT_EQ(xpath(file, "string(" + s + "/@time)"), "6.543");
  EXPECT_EQ(xpath(file, "string(" + s + "/@timestamp)"), "2026-11-21T03:00:01Z");
  EXPECT_EQ(xpath(file, "string(" + s + "/@hostname)"), "drill-01");
  auto prop = [&](const std::string& name) {
    return xpath(file, "string(" + s + "/properties/property[@name='" + name + "']/@value)");
  };
  EXPECT_EQ(prop("engine"), "postgres");
  EXPECT_EQ(prop("path"), "/backups/orders.dump");
  EXPECT_EQ(prop("format"), "pg_dump custom");
  EXPECT_EQ(prop("server_version"), "15.5");
  EXPECT_EQ(prop("plan"), "shop nightly");
  EXPECT_EQ(prop("plan_owner"), "dba-team");
  EXPECT_EQ(prop("tool_version"), "0.1.0");
  EXPECT_EQ(prop("format_version"), "1");
}

TEST_F(JunitReport, FailureErrorAndSkippedElements) {
  const std::string file = save(render_junit(make_mixed_report()));
  const std::string failed = "/testsuites/testsuite[2]/testcase[@name='row_count']/failure";
  EXPECT_EQ(xpath(file, "string(" + failed + "/@type)"), "row_count");
  EXPECT_EQ(xpath(file, "string(" + failed + "/@message)"), "main.users: 99 rows, expected = 100");
  const std::string details = xpath(file, "string(" + failed + ")");
  EXPECT_NE(details.find("expected: = 100"), std::string::npos) << details;
  EXPECT_NE(details.find("observed: 99"), std::string::npos) << details;
  EXPECT_NE(details.find("main.users: expected = 100, observed 99"), std::string::npos) << details;

  const std::string error = "/testsuites/testsuite[3]/testcase[@name='restore']/error";
  EXPECT_EQ(xpath(file, "string(" + error + "/@type)"), "phase");
  EXPECT_EQ(xpath(file, "string(" + error + "/@message)"),
            "pg_restore exited with status 1 <script>&\"'\\x01");
  EXPECT_NE(xpath(file, "string(" + error + ")").find("second line"), std::string::npos);
  EXPECT_NE(xpath(file, "string(/testsuites/testsuite[3]/testcase[@name='restore']/system-err)")
                .find("pg_restore: error: could not read"),
            std::string::npos);

  EXPECT_EQ(xpath(file,
                  "string(/testsuites/testsuite[3]/testcase[@name='rto objective']"
                  "/skipped/@message)"),
            "not measured: restore failed");
  EXPECT_EQ(
      xpath(file, "count(/testsuites/testsuite[1]//failure | /testsuites/testsuite[1]//error)"),
      "0");
}

TEST_F(JunitReport, HostileTextIsEscaped) {
  const std::string xml = render_junit(make_mixed_report());
  EXPECT_EQ(xml.find("<script>"), std::string::npos);
  EXPECT_EQ(xml.find('\x01'), std::string::npos);
  EXPECT_EQ(xml.find('\x1b'), std::string::npos);
  EXPECT_NE(xml.find("&lt;script&gt;&amp;&quot;&apos;\\x01"), std::string::npos);
  EXPECT_NE(xml.find("\xEF\xBF\xBD"), std::string::npos);  // the invalid byte in stderr
  const std::string file = save(xml);
  EXPECT_EQ(xpath(file, "string(/testsuites/testsuite[3]/@name)"), "billing <script>&\"'\\x01");
  EXPECT_EQ(xpath(file, "string(/testsuites/testsuite[3]/testcase[1]/@classname)"),
            "drillproof.billing <script>&\"'\\x01");
  EXPECT_EQ(validate(file), 0);
}

TEST_F(JunitReport, NamesCarryNoTimestampsOrDurations) {
  const std::string xml = render_junit(make_mixed_report());
  const std::regex name_attr(R"re(<test(?:case|suite) name="([^"]*)"(?: classname="([^"]*)")?)re");
  const std::regex unstable(R"(\d{4}-\d{2}-\d{2}|\d{2}:\d{2}|\d+\.\d+|\d{8}T\d{6})");
  int seen = 0;
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), name_attr);
       it != std::sregex_iterator(); ++it) {
    ++seen;
    for (std::size_t group = 1; group <= 2; ++group) {
      const std::string value = (*it)[group].str();
      EXPECT_FALSE(std::regex_search(value, unstable)) << value;
    }
  }
  EXPECT_EQ(seen, 23);  // 4 suites + 19 testcases

  // Two runs at different times give the same names.
  RunReport later = make_mixed_report();
  later.started += std::chrono::hours(24);
  later.finished += std::chrono::hours(25);
  for (auto& b : later.backups) {
    b.started += std::chrono::hours(24);
    b.duration += Millis(777);
  }
  const std::string file_a = save(xml, "a.xml");
  const std::string file_b = save(render_junit(later), "b.xml");
  for (int i = 1; i <= 19; ++i) {
    const std::string expr = "string((//testcase)[" + std::to_string(i) + "]/@name)";
    EXPECT_EQ(xpath(file_a, expr), xpath(file_b, expr));
  }
}

TEST_F(JunitReport, ChecksPhaseShowsOnlyWhenNoCheckCarriesItsFailure) {
  RunReport r = make_report();
  BackupResult& b = r.backups[0];
  b.status = Status::error;
  b.checks.clear();
  b.phases[2].status = Status::error;
  b.phases[2].message = "connection lost before the first check";
  const std::string file = save(render_junit(r));
  EXPECT_EQ(xpath(file, "string(/testsuites/testsuite[1]/testcase[@name='checks']/error/@message)"),
            "connection lost before the first check");
  EXPECT_EQ(xpath(file, "string(/testsuites/testsuite[1]/testcase[last()]/@name)"), "teardown");
  EXPECT_EQ(validate(file), 0);
}

TEST_F(JunitReport, NegativeDurationsStaySchemaValid) {
  RunReport r = make_report();
  r.finished = r.started - std::chrono::seconds(3);  // clock stepped back
  r.backups[0].phases[0].duration = Millis(-5);
  const std::string xml = render_junit(r);
  EXPECT_NE(xml.find(R"(time="0.000")"), std::string::npos);
  EXPECT_EQ(validate(save(xml)), 0);
}

// Checks reported per object become one testcase each, named
// <backup>.<check>.<object>; a failure body lists at most
// k_findings_per_case findings and counts the rest.
TEST_F(JunitReport, PerObjectTestcasesWithCappedFindings) {
  RunReport report = make_report();
  BackupResult& b = report.backups[0];
  CheckResult rows = check("rows", "row_counts", Status::failed, "", "");
  rows.objects.push_back({"public.customers", Status::passed, "", {}});
  ObjectResult orders{"public.orders", Status::failed, "2 of 3 segments differ", {}};
  for (int i = 0; i < 25; ++i)
    orders.findings.push_back(
        {"rows", "public.orders", Severity::error, fmt::format("segment {} differs", i), ""});
  rows.objects.push_back(orders);
  b.checks.push_back(rows);
  b.status = Status::failed;
  const std::string file = save(render_junit(report));
  EXPECT_EQ(validate(file), 0);
  EXPECT_EQ(xpath(file, "count(//testcase[@name='orders.rows.public.customers']/failure)"), "0");
  EXPECT_EQ(xpath(file, "count(//testcase[@name='orders.rows.public.orders']/failure)"), "1");
  EXPECT_EQ(xpath(file, "count(//testcase[@name='rows'])"), "0");
  std::string body = xpath(file, "string(//testcase[@name='orders.rows.public.orders']/failure)");
  EXPECT_NE(body.find("public.orders: segment 19 differs"), std::string::npos) << body;
  EXPECT_EQ(body.find("segment 20 differs"), std::string::npos) << body;
  EXPECT_NE(body.find("... and 5 more findings (all in report.json)"), std::string::npos) << body;
  EXPECT_EQ(xpath(file, "string(//testcase[@name='orders.rows.public.orders']/failure/@message)"),
            "2 of 3 segments differ");
}

}  // namespace
}  // namespace dp::reports
