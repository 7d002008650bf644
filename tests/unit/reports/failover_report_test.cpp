// The failover drill in report.json, junit.xml, report.html and the stdout
// summary: testcase names and failure/error/skipped rules, the Gantt chart,
// and escaping of hostile service names and messages.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "reports/report_writers.hpp"

namespace dp::reports {
namespace {

using namespace std::chrono_literals;

StepResult step(std::string phase, Status status, std::string message = {}) {
  StepResult s;
  s.phase = std::move(phase);
  s.status = status;
  s.message = std::move(message);
  return s;
}

RunReport make_report(const std::string& db_name = "db") {
  RunReport r;
  r.plan_name = "dr";
  r.host = "h";
  FailoverResult f;
  f.status = Status::failed;
  f.t0 = 100ms;
  f.t0_source = "disaster";
  f.duration = 5s;
  f.levels = {{db_name}, {"api"}, {"lb"}};
  f.order_status = Status::passed;
  f.order_message = "order held for the 1 service that started (of 3 services in 3 levels)";
  ServiceResult db;
  db.name = db_name;
  db.level = 1;
  db.status = Status::failed;
  StepResult disaster = step("disaster", Status::passed);
  disaster.action_start = 100ms;
  disaster.action_end = 150ms;
  db.steps.push_back(disaster);
  StepResult failover = step("failover", Status::failed,
                             "health probe did not pass 3 times in a row within the step timeout "
                             "of 2s (4 probes, 0 passed; last: exit code 1)");
  failover.action_start = 200ms;
  failover.action_end = 300ms;
  failover.probes = {{400ms, false, "exit code 1"}, {600ms, false, "exit code 1 <b>"}};
  failover.probe_count = 4;
  failover.output_tail = "promoting <standby>";
  db.steps.push_back(failover);
  ObjectiveResult rto;
  rto.name = "rto";
  rto.status = Status::skipped;
  rto.objective = 1min;
  rto.message = "not measured";
  db.objectives.push_back(rto);
  f.services.push_back(db);
  ServiceResult api;
  api.name = "api";
  api.depends_on = {db_name};
  api.level = 2;
  api.status = Status::skipped;
  StepResult blocked = step("failover", Status::skipped, "blocked by " + db_name);
  blocked.blocked_by = db_name;
  api.steps.push_back(blocked);
  f.services.push_back(api);
  ServiceResult lb;
  lb.name = "lb";
  lb.depends_on = {"api"};
  lb.level = 3;
  lb.status = Status::error;
  lb.steps.push_back(step("failover", Status::error, "failover action could not start: x"));
  f.services.push_back(lb);
  r.failover = f;
  return r;
}

TEST(FailoverReport, JunitHasOneCasePerServiceAndPhasePlusOrder) {
  const std::string xml = render_junit(make_report());
  EXPECT_NE(xml.find("<testsuite name=\"failover\" tests=\"6\" failures=\"1\" errors=\"1\" "
                     "skipped=\"2\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<testcase name=\"failover.order\" classname=\"drillproof.failover\" "
                     "time=\"0.000\"/>"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<testcase name=\"db.disaster\""), std::string::npos);
  EXPECT_NE(xml.find("<testcase name=\"db.failover\" classname=\"drillproof.failover\" "
                     "time=\"0.100\">\n      <failure message=\"health probe did not pass"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<system-err>promoting &lt;standby&gt;</system-err>"), std::string::npos);
  EXPECT_NE(xml.find("<testcase name=\"api.failover\" classname=\"drillproof.failover\" "
                     "time=\"0.000\">\n      <skipped message=\"blocked by db\"/>"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<error message=\"failover action could not start: x\" type=\"step\">"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<testcase name=\"db.rto objective\""), std::string::npos);
}

TEST(FailoverReport, JsonCarriesTheTimeline) {
  auto j = nlohmann::json::parse(render_json(make_report()));
  const auto& f = j["failover"];
  EXPECT_EQ(f["status"], "failed");
  EXPECT_EQ(f["t0_s"], 0.1);
  EXPECT_EQ(f["t0_source"], "disaster");
  EXPECT_TRUE(f["system_rto_s"].is_null());
  EXPECT_EQ(f["order"]["status"], "passed");
  const auto& db = f["services"][0];
  EXPECT_EQ(db["steps"][1]["phase"], "failover");
  EXPECT_EQ(db["steps"][1]["action_start_s"], 0.2);
  EXPECT_TRUE(db["steps"][1]["healthy_from_s"].is_null());
  EXPECT_EQ(db["steps"][1]["probe_count"], 4);
  EXPECT_EQ(db["steps"][1]["probes_omitted"], 2);
  EXPECT_EQ(db["steps"][1]["probes"][1]["message"], "exit code 1 <b>");
  EXPECT_EQ(f["services"][1]["steps"][0]["blocked_by"], "db");
  EXPECT_TRUE(db["marker"].is_null());
  EXPECT_EQ(j["status"], "failed");
  EXPECT_EQ(j["exit_code"], 1);
}

TEST(FailoverReport, HtmlHasAnEscapedGantt) {
  const std::string hostile = "<script>alert(1)</script>";
  const std::string html = render_html(make_report(hostile), {});
  EXPECT_NE(html.find("<svg class=\"chart failover-gantt\""), std::string::npos);
  EXPECT_NE(html.find("<section id=\"failover\""), std::string::npos);
  EXPECT_NE(html.find("<a href=\"#failover\">"), std::string::npos);
  EXPECT_EQ(html.find(hostile), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt; failover"), std::string::npos);
  EXPECT_EQ(html.find("exit code 1 <b>"), std::string::npos);
  EXPECT_NE(html.find("class=\"t0-line\""), std::string::npos);
  EXPECT_NE(html.find("class=\"probe probe-fail\""), std::string::npos);
  // A services-only run does not claim backups were restored.
  EXPECT_NE(html.find("At least one service failed a step"), std::string::npos);
  EXPECT_EQ(html.find("could not be restored"), std::string::npos);
}

TEST(FailoverReport, SummaryNamesTheBlockedAndFailedSteps) {
  const std::string text = render_summary(make_report(), false);
  EXPECT_NE(text.find("failover drill: order held for the 1 service that started"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("failover: health probe did not pass 3 times"), std::string::npos) << text;
  EXPECT_NE(text.find("failover: blocked by db"), std::string::npos) << text;
}

TEST(FailoverReport, RunWithoutServicesHasNullFailover) {
  RunReport r;
  auto j = nlohmann::json::parse(render_json(r));
  EXPECT_TRUE(j["failover"].is_null());
  EXPECT_EQ(render_junit(r).find("failover"), std::string::npos);
}

}  // namespace
}  // namespace dp::reports
