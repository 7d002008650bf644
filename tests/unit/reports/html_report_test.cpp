#include "reports/html_report.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "reports/html_charts.hpp"
#include "tests/unit/reports/html_test_support.hpp"

namespace dp::reports {
namespace {

using namespace dp::reports::testing;
using namespace std::chrono;
using detail::DayState;

TEST(HtmlEscape, EscapesMarkupCharacters) {
  EXPECT_EQ(html_escape("a<b>&\"'c"), "a&lt;b&gt;&amp;&quot;&#39;c");
  EXPECT_EQ(html_escape(k_xss), k_xss_escaped);
  EXPECT_EQ(html_escape("caf\xC3\xA9 \xE2\x9C\x93"), "caf\xC3\xA9 \xE2\x9C\x93");
  EXPECT_EQ(html_escape("line\nnext\ttab"), "line\nnext\ttab");
}

TEST(HtmlEscape, SanitisesInvalidUtf8AndControls) {
  EXPECT_EQ(html_escape("a\xff"
                        "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(html_escape("\xC3\x28"), "\xEF\xBF\xBD(");
  EXPECT_EQ(html_escape(std::string("x\x01y\x1b[31m", 8)), "x\\x01y\\x1B[31m");
  EXPECT_EQ(html_escape(std::string("\0", 1)), "\\x00");
  EXPECT_EQ(html_escape("\xC2\x9B"), "\\u{9B}");  // C1 CSI
  EXPECT_TRUE(valid_utf8(html_escape("\xED\xA0\x80\xF4\x90\x80\x80\xC0\xAF")));
}

TEST(HtmlReport, HostileTextRendersAsTextEverywhere) {
  const std::string page = html(hostile_report());
  EXPECT_EQ(lower(page).find("<script"), std::string::npos);
  EXPECT_EQ(page.find("alert(1)</"), std::string::npos);
  // plan name (title, header, summary), owner, scope, run id, host, backup
  // name (toc, table, section, environment), check, object, findings,
  // phase message and stderr, signer fingerprint, objective name.
  EXPECT_GE(count(page, k_xss_escaped), 25U);
  EXPECT_NE(
      page.find(std::string("<pre>") + k_xss_escaped + "\n\xEF\xBF\xBD\xEF\xBF\xBD bad bytes"),
      std::string::npos);
  EXPECT_NE(page.find(std::string("<td class=\"obj\">main.") + k_xss_escaped), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;&amp;&quot;&#39;\\x01"), std::string::npos);  // k_hostile
  EXPECT_TRUE(valid_utf8(page));
  EXPECT_EQ(tag_balance(page), "");
}

TEST(HtmlReport, IdsAndAnchorsComeFromPositionsNotNames) {
  const std::string page = html(hostile_report());
  const std::regex id_attr(R"re(\bid="([^"]*)")re");
  std::size_t ids = 0;
  for (std::sregex_iterator it(page.begin(), page.end(), id_attr), end; it != end; ++it, ++ids)
    EXPECT_TRUE(std::regex_match((*it)[1].str(), std::regex("[a-z0-9-]+"))) << (*it)[1];
  EXPECT_GT(ids, 10U);
  const std::regex href(R"re(href="#([^"]*)")re");
  for (std::sregex_iterator it(page.begin(), page.end(), href), end; it != end; ++it)
    EXPECT_NE(page.find("id=\"" + (*it)[1].str() + "\""), std::string::npos) << (*it)[1];
  EXPECT_NE(page.find("id=\"backup-3\""), std::string::npos);
  EXPECT_NE(page.find("id=\"b1-c4-evidence\""), std::string::npos);
}

TEST(HtmlReport, VerdictPassedFailedErrorInterrupted) {
  RunReport passed = make_report();
  passed.backups.pop_back();  // only "orders", which passed
  std::string page = html(passed);
  EXPECT_NE(page.find("<header class=\"verdict v-passed\">"), std::string::npos);
  EXPECT_NE(page.find("<div class=\"verdict-word\">PASSED</div>"), std::string::npos);
  EXPECT_EQ(page.find("INTERRUPTED"), std::string::npos);

  page = html(make_report());
  EXPECT_NE(page.find("<header class=\"verdict v-failed\">"), std::string::npos);
  EXPECT_NE(page.find("<div class=\"verdict-word\">FAILED</div>"), std::string::npos);

  RunReport error = make_mixed_report();
  error.backups.erase(error.backups.begin() + 1);  // drop the failed one
  page = html(error);
  EXPECT_NE(page.find("<div class=\"verdict-word\">ERROR</div>"), std::string::npos);

  RunReport interrupted = passed;
  interrupted.interrupted = true;
  page = html(interrupted);
  EXPECT_NE(page.find("<div class=\"verdict-word\">ERROR</div>"), std::string::npos);
  EXPECT_NE(page.find("<div class=\"flag\">INTERRUPTED</div>"), std::string::npos);
  EXPECT_NE(page.find("this report is partial"), std::string::npos);
}

TEST(HtmlReport, SelfContainedNoScriptsNoExternalResources) {
  RunReport r = make_mixed_report();
  r.backups[0].checks[0].message = "see https://example.com/docs";  // text, not a resource
  const std::string page = html(r);
  const std::string l = lower(page);
  EXPECT_EQ(l.find("<script"), std::string::npos);
  EXPECT_FALSE(std::regex_search(
      l, std::regex(R"re((src|href|action|xlink:href)\s*=\s*["']?\s*(https?:)?//)re")));
  EXPECT_FALSE(std::regex_search(l, std::regex(R"re(\son[a-z]+\s*=)re")));  // no event handlers
  EXPECT_EQ(l.find("@import"), std::string::npos);
  EXPECT_EQ(l.find("url("), std::string::npos);
  EXPECT_EQ(l.find("<iframe"), std::string::npos);
  EXPECT_EQ(l.find("<object"), std::string::npos);
  EXPECT_EQ(count(l, "<link "), 1U);
  EXPECT_NE(page.find("<link rel=\"icon\" href=\"data:,\">"), std::string::npos);
  EXPECT_NE(page.find("see https://example.com/docs"), std::string::npos);
}

TEST(HtmlReport, ContentSecurityPolicyComesFirst) {
  const std::string page = html(make_report());
  const std::string csp =
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
      "'unsafe-inline'; img-src data:\">";
  ASSERT_NE(page.find(csp), std::string::npos);
  EXPECT_LT(page.find(csp), page.find("<style>"));
  EXPECT_LT(page.find("<meta charset=\"utf-8\">"), page.find(csp));
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0U);
}

TEST(HtmlReport, PrintStylesheet) {
  const std::string page = html(make_report());
  const std::string print = page.substr(page.find("@media print"));
  EXPECT_NE(print.find("section.backup{break-inside:avoid"), std::string::npos);
  EXPECT_NE(print.find(".verdict{background:#fff!important"), std::string::npos);
  EXPECT_NE(print.find("svg.chart{max-width:none"), std::string::npos);
}

TEST(HtmlReport, RunFactsAndScope) {
  RunReport r = make_report();
  r.run_id = "20261121T030000Z-1a2b3c4d";
  r.plan_digest = "sha256:abc123";
  std::string page = html(r);
  for (const char* want :
       {"shop nightly", "dba-team", "/etc/drillproof/shop.toml", "sha256:abc123",
        "20261121T030000Z-1a2b3c4d", "2026-11-21T03:00:00Z", "2026-11-21T03:00:12Z", "12.345s",
        "every backup in the plan", "drill-01", "0.1.0", "15.5", "3.40.1", "pg_dump custom"})
    EXPECT_NE(page.find(want), std::string::npos) << want;
  r.scope = {"orders", "users"};
  page = html(r);
  EXPECT_NE(page.find("only <code>orders</code>, <code>users</code>"), std::string::npos);
}

TEST(HtmlReport, ObjectivesChartShowsObjectiveAndAchieved) {
  RunReport r = make_report();
  r.backups[1].objectives = {rto(Status::failed, 1min, 90s, "restored in 1m30s, objective 1m")};
  const std::string page = html(r);
  const std::string met = slice(page, "<svg class=\"chart objectives-chart\"", "</svg>", 0);
  EXPECT_NE(met.find("objective 15m"), std::string::npos) << met;
  EXPECT_NE(met.find("achieved 4.210s \u2014 met"), std::string::npos);
  EXPECT_NE(met.find("<rect class=\"ach-bar st-passed\""), std::string::npos);
  EXPECT_NE(met.find(">RTO</text>"), std::string::npos);
  const std::string missed = slice(page, "<svg class=\"chart objectives-chart\"", "</svg>", 1);
  EXPECT_NE(missed.find("objective 1m"), std::string::npos) << missed;
  EXPECT_NE(missed.find("achieved 1m 30s \u2014 missed"), std::string::npos);
  EXPECT_NE(missed.find("<rect class=\"ach-bar st-failed\""), std::string::npos);
  // The objective bar is scaled against the achieved one: 60s of 90s.
  EXPECT_NE(missed.find("<rect class=\"obj-bar\" x=\"64\" y=\"10\" width=\"257\""),
            std::string::npos);
  EXPECT_NE(missed.find("<rect class=\"ach-bar st-failed\" x=\"64\" y=\"26\" width=\"386\""),
            std::string::npos);
}

TEST(HtmlReport, ObjectiveNotMeasured) {
  const std::string page = html(make_mixed_report());
  const std::string chart = slice(page, "<svg class=\"chart objectives-chart\"", "</svg>", 2);
  EXPECT_NE(chart.find(">not measured</text>"), std::string::npos) << chart;
  EXPECT_EQ(chart.find("ach-bar"), std::string::npos);
  EXPECT_NE(chart.find("objective 15m"), std::string::npos);
  RunReport none = make_report();
  none.backups[0].objectives.clear();
  EXPECT_NE(html(none).find("No RTO or RPO objective is set for this backup"), std::string::npos);
}

TEST(HtmlReport, GanttHasOneBarPerPhaseWithAxis) {
  const RunReport r = make_mixed_report();
  const std::string page = html(r);
  EXPECT_EQ(count(page, "<svg class=\"chart gantt\""), r.backups.size());
  for (std::size_t i = 0; i < r.backups.size(); ++i) {
    const std::string gantt = slice(page, "<svg class=\"chart gantt\"", "</svg>", i);
    EXPECT_EQ(count(gantt, "class=\"phase-bar "), r.backups[i].phases.size()) << i;
    for (const auto& p : r.backups[i].phases)
      EXPECT_NE(gantt.find(">" + p.name + "</text>"), std::string::npos) << p.name;
  }
  // orders: 6.543s in all, ticks every second; the restore starts at 1.2s.
  const std::string orders = slice(page, "<svg class=\"chart gantt\"", "</svg>", 0);
  EXPECT_NE(orders.find(">0s</text>"), std::string::npos) << orders;
  EXPECT_NE(orders.find(">7s</text>"), std::string::npos);
  EXPECT_NE(orders.find("<rect class=\"phase-bar st-passed\" x=\"167\""), std::string::npos);
  EXPECT_NE(orders.find("restore: passed, started at +1.200s, took 4.210s"), std::string::npos);
  const std::string billing = slice(page, "<svg class=\"chart gantt\"", "</svg>", 2);
  EXPECT_NE(billing.find("<rect class=\"phase-bar st-error\""), std::string::npos);
  EXPECT_NE(billing.find("<rect class=\"phase-bar st-skipped\""), std::string::npos);
}

TEST(HtmlReport, GanttAxisInMinutesForLongDrills) {
  RunReport r = make_report();
  BackupResult& b = r.backups[0];
  b.duration = 25min;
  b.phases = {
      phase("provision", Status::passed, 0ms, 2min), phase("restore", Status::passed, 2min, 20min),
      phase("checks", Status::passed, 22min, 2min), phase("teardown", Status::passed, 24min, 1min)};
  const std::string gantt = slice(html(r), "<svg class=\"chart gantt\"", "</svg>");
  EXPECT_NE(gantt.find(">5m</text>"), std::string::npos) << gantt;
  EXPECT_NE(gantt.find(">25m</text>"), std::string::npos);
  EXPECT_NE(gantt.find(">20m 00s</text>"), std::string::npos);
}

TEST(HtmlReport, ChecksWithEvidence) {
  const std::string page = html(make_report());
  EXPECT_NE(page.find("main.users: 99 rows, expected = 100"), std::string::npos);
  EXPECT_NE(page.find("<details class=\"evidence\" id=\"b2-c1-evidence\" open>"),
            std::string::npos);
  EXPECT_NE(page.find("<pre class=\"evidence\">SELECT count(*) FROM main.users -&gt; 99</pre>"),
            std::string::npos);
  EXPECT_NE(page.find("<code>= 100</code>"), std::string::npos);
  EXPECT_NE(page.find("<code>99</code>"), std::string::npos);
  EXPECT_NE(page.find("<pre>pg_restore: done\n</pre>"), std::string::npos);
  EXPECT_NE(page.find("3 checks: 3 passed, 0 failed, 0 error, 0 skipped."), std::string::npos);
}

TEST(HtmlReport, FindingsRepeatedAtCheckLevelShowOnce) {
  RunReport r = make_report();
  const Finding f{"row_counts", "main.t", Severity::error, "4 rows, snapshot has 3",
                  "SELECT count(*) FROM main.t -> 4"};
  CheckResult c = check("row_counts", "row_counts", Status::failed, "", "");
  ObjectResult o;
  o.name = "main.t";
  o.status = Status::failed;
  o.findings = {f};
  c.objects = {o};
  Finding own = f;
  own.target = "main";
  own.message = "catalog read twice";
  c.findings = {f, own};
  r.backups[0].checks.push_back(c);
  const std::string ev = slice(html(r), "id=\"b1-c4-evidence\"", "</details>");
  EXPECT_EQ(count(ev, ">4 rows, snapshot has 3<"), 1U) << ev;
  EXPECT_NE(ev.find(">catalog read twice<"), std::string::npos);
  EXPECT_NE(ev.find("2 findings, 1 object (1 not passed)"), std::string::npos);
}

TEST(HtmlReport, LongListsAreCappedAndFailuresComeFirst) {
  RunReport r = make_report();
  CheckResult c = check("orphans", "foreign_keys", Status::failed, "", "");
  for (int i = 0; i < 1500; ++i) {
    ObjectResult o;
    o.name = "main.t" + std::to_string(i);
    if (i == 1400) {
      o.status = Status::failed;
      for (int k = 0; k < 500; ++k)
        o.findings.push_back(
            Finding{"orphans", o.name, Severity::error, "orphan " + std::to_string(k), ""});
    }
    c.objects.push_back(o);
  }
  r.backups[0].checks.push_back(c);
  const std::string page = html(r);
  const std::string ev = slice(page, "id=\"b1-c4-evidence\"", "</details>");
  EXPECT_NE(ev.find("500 findings, 1500 objects (1 not passed)"), std::string::npos);
  EXPECT_EQ(count(ev, "<td class=\"obj\">"), 1000U);
  EXPECT_LT(ev.find("main.t1400<"), ev.find("main.t0<"));  // the failure is listed first
  EXPECT_EQ(count(ev, ">orphan "), 200U);
  EXPECT_NE(ev.find("300 more findings not shown here (see report.json)"), std::string::npos);
  EXPECT_NE(ev.find("500 more objects, all passed, not shown here"), std::string::npos);
  EXPECT_EQ(tag_balance(page), "");
}

TEST(HtmlReport, SignedRunShowsFingerprintAndHowToVerify) {
  RunReport r = make_report();
  r.signer = {true, std::string(64, 'a')};
  const std::string page = html(r);
  EXPECT_NE(page.find("<code class=\"fp\">" + std::string(64, 'a') + "</code>"), std::string::npos);
  EXPECT_NE(page.find("openssl pkeyutl -verify -pubin -inkey drillproof-signing.pub -rawin -in "
                      "MANIFEST.sha256 -sigfile MANIFEST.sha256.sig"),
            std::string::npos);
  EXPECT_NE(page.find("sha256sum -c MANIFEST.sha256"), std::string::npos);
  EXPECT_NE(page.find("drillproof verify DIR --pubkey drillproof-signing.pub"), std::string::npos);
  EXPECT_EQ(page.find("UNSIGNED"), std::string::npos);
}

TEST(HtmlReport, UnsignedRunWarnsLoudly) {
  const std::string page = html(make_report());
  EXPECT_NE(page.find("<div class=\"alert\" role=\"alert\"><strong>UNSIGNED RUN.</strong>"),
            std::string::npos);
  EXPECT_LT(page.find("UNSIGNED RUN."), page.find("id=\"summary\""));  // before any detail
  EXPECT_NE(page.find("UNSIGNED RUN: this report bundle has no signature."), std::string::npos);
  EXPECT_EQ(page.find("openssl pkeyutl"), std::string::npos);
}

TEST(HtmlReport, ComplianceListsAllClauses) {
  RunReport passed = make_report();
  passed.backups.pop_back();
  const std::string page = html(passed);
  const std::string table = slice(page, "<section id=\"compliance\">", "</section>");
  for (const char* clause :
       {">A1.3<", ">A.8.13<", ">A.5.30<", ">12.10.2<", ">CP-4<", ">CP-9<", ">Art. 12<"})
    EXPECT_NE(table.find(clause), std::string::npos) << clause;
  for (const char* fw : {"SOC 2", "ISO/IEC 27001:2022", "PCI DSS v4.0", "NIST SP 800-53 Rev. 5",
                         "DORA (EU) 2022/2554"})
    EXPECT_NE(table.find(fw), std::string::npos) << fw;
  EXPECT_EQ(count(table, "<span class=\"cs cs-met\">"), 7U) << table;
  EXPECT_NE(table.find("1/1 backup restored into scratch instances and checked; 3/3 checks "
                       "passed; RTO met for 1/1"),
            std::string::npos);

  const std::string failed =
      slice(html(make_report()), "<section id=\"compliance\">", "</section>");
  EXPECT_EQ(count(failed, "<span class=\"cs cs-not-met\">"), 7U) << failed;
  EXPECT_NE(failed.find("2/2 backups restored"), std::string::npos);
}

TEST(HtmlReport, ComplianceIncompleteWithoutObjectivesOrWithMissedDays) {
  RunReport r = make_report();
  r.backups.pop_back();
  r.backups[0].objectives.clear();
  std::string table = slice(html(r), "<section id=\"compliance\">", "</section>");
  EXPECT_NE(table.find("RTO not measured, RPO not measured"), std::string::npos);
  EXPECT_EQ(count(table, "cs-incomplete"), 2U);  // A.5.30 and DORA
  HistoryEntry old;
  old.started = r.started - days(3);
  HtmlOptions o;
  o.history = std::span<const HistoryEntry>(&old, 1);
  table = slice(html(r, o), "<section id=\"compliance\">", "</section>");
  EXPECT_NE(table.find("runs on 2 of the last 35 days, 2 missed"), std::string::npos) << table;
}

// Runs on Nov 15, 16 and 18 (history) and Nov 21 (this run), daily schedule.
TEST(HtmlCalendar, DailyScheduleMarksMissedDaysAndNoDataBeforeFirstRun) {
  const RunReport r = make_report();  // started 2026-11-21 03:00, failed
  std::vector<HistoryEntry> history(3);
  history[0].started = r.started - days(6);
  history[1].started = r.started - days(5) + 20h;  // Nov 16 23:00
  history[1].verdict = Status::error;
  history[2].started = r.started - days(3);
  history[2].interrupted = true;
  HtmlOptions o;
  o.history = history;
  o.calendar_days = 10;
  const auto cal = detail::build_calendar(r, o);
  ASSERT_EQ(cal.size(), 10U);
  EXPECT_EQ(cal.front().day, sys_days{2026y / 11 / 12});
  EXPECT_EQ(cal.back().day, sys_days{2026y / 11 / 21});
  const std::vector<DayState> want = {DayState::no_data, DayState::no_data,
                                      DayState::no_data,                    // 12-14
                                      DayState::passed,  DayState::error,   // 15, 16
                                      DayState::missed,                     // 17
                                      DayState::error,                      // 18: interrupted
                                      DayState::missed,  DayState::missed,  // 19, 20
                                      DayState::failed};                    // 21: this run
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(cal[i].state, want[i]) << i;
  EXPECT_EQ(cal[9].failed, 1);

  const std::string page = html(r, o);
  const std::string svg = slice(page, "<svg class=\"chart calendar\"", "</svg>");
  EXPECT_EQ(count(svg, "<rect class=\"day day-missed"), 3U + 1U) << svg;  // + legend
  EXPECT_EQ(count(svg, "<rect class=\"day day-no-data"), 3U + 1U);        // + legend
  EXPECT_NE(svg.find("<title>2026-11-17: missed: no run although one was due</title>"),
            std::string::npos);
  EXPECT_NE(svg.find("<title>2026-11-14: no data (before the first recorded run)</title>"),
            std::string::npos);
  EXPECT_NE(svg.find("<rect class=\"day day-failed current\""), std::string::npos);
  for (const char* legend : {">passed</text>", ">failed</text>", ">error</text>", ">missed</text>",
                             ">no run</text>", ">no data</text>"})
    EXPECT_NE(svg.find(legend), std::string::npos) << legend;
  EXPECT_NE(page.find("Days with runs: 4; missed: 3; no data: 3."), std::string::npos);
  EXPECT_EQ(page, html(r, o));  // deterministic
}

// Weekly schedule: runs on Nov 1 and 8, then this run on Nov 21. The days
// after Nov 15 (8 + 7 days) lie in an overdue gap; those before it do not.
// A run whose backups were all skipped verified nothing: the calendar counts
// it as an error, as audit and status do, never as a green day.
TEST(HtmlCalendar, AllSkippedRunIsAnErrorDay) {
  const RunReport r = make_report();
  std::vector<HistoryEntry> history(1);
  history[0].started = r.started - days(1);
  history[0].verdict = Status::skipped;
  HtmlOptions o;
  o.history = history;
  o.calendar_days = 2;
  const auto cal = detail::build_calendar(r, o);
  ASSERT_EQ(cal.size(), 2U);
  EXPECT_EQ(cal[0].state, DayState::error);
  EXPECT_EQ(cal[0].error, 1);
}

TEST(HtmlCalendar, WeeklyScheduleMarksOnlyDaysInsideAnOverdueGap) {
  RunReport r = make_report();
  std::vector<HistoryEntry> history(2);
  history[0].started = r.started - days(20);
  history[1].started = r.started - days(13);
  HtmlOptions o;
  o.history = history;
  o.expect_every = days(7);
  o.calendar_days = 35;
  const auto cal = detail::build_calendar(r, o);
  auto state = [&](int day_of_month) {
    for (const auto& d : cal)
      if (d.day == sys_days{2026y / November / day{static_cast<unsigned>(day_of_month)}})
        return d.state;
    return DayState::no_data;
  };
  EXPECT_EQ(state(1), DayState::passed);
  EXPECT_EQ(cal.front().state, DayState::no_data);  // Oct 18
  EXPECT_EQ(state(5), DayState::idle);
  EXPECT_EQ(state(8), DayState::passed);
  EXPECT_EQ(state(14), DayState::idle);
  EXPECT_EQ(state(15), DayState::missed);  // the gap starts Nov 15 03:00
  EXPECT_EQ(state(20), DayState::missed);
  EXPECT_EQ(state(21), DayState::failed);
  EXPECT_NE(html(r, o).find("a run every 7d"), std::string::npos);
}

TEST(HtmlCalendar, SubDailyScheduleFlagsOverdueDaysWithRuns) {
  RunReport r = make_report();  // Nov 21 03:00
  std::vector<HistoryEntry> history(1);
  history[0].started = r.started - 20h;  // Nov 20 07:00; the next was due at 13:00
  HtmlOptions o;
  o.history = history;
  o.expect_every = 6h;
  const auto cal = detail::build_calendar(r, o);
  EXPECT_EQ(cal[cal.size() - 2].state, DayState::passed);
  EXPECT_TRUE(cal[cal.size() - 2].overdue);
  EXPECT_TRUE(cal.back().overdue);
  EXPECT_NE(html(r, o).find("<rect class=\"day day-passed overdue\""), std::string::npos);
}

TEST(HtmlCalendar, IgnoresHistoryLineOfThisRunAndClampsDays) {
  RunReport r = make_report();
  r.run_id = "run-1";
  std::vector<HistoryEntry> history(1);
  history[0].run_id = "run-1";
  history[0].started = r.started - days(2);  // same id: not counted as an earlier run
  HtmlOptions o;
  o.history = history;
  o.calendar_days = 1000;
  const auto cal = detail::build_calendar(r, o);
  EXPECT_EQ(cal.size(), 366U);
  EXPECT_EQ(std::count_if(cal.begin(), cal.end(),
                          [](const auto& d) { return d.state == DayState::no_data; }),
            365);
  o.calendar_days = 0;
  EXPECT_EQ(detail::build_calendar(r, o).size(), 1U);
}

TEST(HtmlReport, BalancedMarkup) {
  EXPECT_NE(tag_balance("<div><p></div>"), "");  // the checker itself catches a stray tag
  EXPECT_NE(tag_balance("<section><svg></svg>"), "");
  EXPECT_EQ(tag_balance("<p><br><rect x=\"1\"/></p>"), "");
  for (const RunReport& r : {make_report(), make_mixed_report(), hostile_report(), RunReport{}}) {
    const std::string page = html(r);
    EXPECT_EQ(tag_balance(page), "");
    EXPECT_EQ(count(page, "<svg "), count(page, "</svg>"));
    EXPECT_EQ(count(page, "<section "), count(page, "</section>"));
    EXPECT_EQ(count(page, "<details "), count(page, "</details>"));
    EXPECT_EQ(count(page, "<html "), 1U);
    EXPECT_EQ(page.substr(page.size() - 8), "</html>\n");
  }
}

}  // namespace
}  // namespace dp::reports
