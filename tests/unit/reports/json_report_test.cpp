#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "reports/report_writers.hpp"
#include "tests/unit/reports/sample_report.hpp"
#include "verifier/core/temp_dir.hpp"
#include "verifier/core/text.hpp"

namespace dp::reports {
namespace {

using namespace dp::reports::testing;
using Json = nlohmann::ordered_json;

Json parse(const std::string& text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << text;
  return j;
}

TEST(JsonReport, SignedRunNamesTheKeyAndScope) {
  RunReport r = make_report();
  r.run_id = "20261121T030000Z-00c0ffee";
  r.plan_digest = "sha256:" + std::string(64, 'b');
  r.scope = {"orders"};
  r.signer = {true, std::string(64, 'c')};
  const Json j = parse(render_json(r));
  EXPECT_EQ(j["run_id"], r.run_id);
  EXPECT_EQ(j["plan"]["digest"], r.plan_digest);
  EXPECT_EQ(j["scope"], Json::array({"orders"}));
  EXPECT_EQ(j["signature"]["signed"], true);
  EXPECT_EQ(j["signature"]["algorithm"], "ed25519");
  EXPECT_EQ(j["signature"]["key_fingerprint"], std::string(64, 'c'));
}

TEST(JsonReport, TopLevelFieldsInDocumentedOrder) {
  const Json j = parse(render_json(make_report()));
  std::vector<std::string> keys;
  for (const auto& item : j.items()) keys.push_back(item.key());
  const std::vector<std::string> want = {
      "format",    "format_version", "tool",    "run_id",   "host",       "plan",
      "scope",     "signature",      "started", "finished", "duration_s", "status",
      "exit_code", "interrupted",    "summary", "backups",  "failover"};
  EXPECT_EQ(keys, want);
  EXPECT_EQ(j["signature"]["signed"], false);
  EXPECT_TRUE(j["signature"]["key_fingerprint"].is_null());
  EXPECT_TRUE(j["scope"].empty());
  EXPECT_EQ(j["format"], "drillproof-report");
  EXPECT_EQ(j["format_version"], 1);
  EXPECT_EQ(j["tool"]["name"], "drillproof");
  EXPECT_EQ(j["tool"]["version"], "0.1.0");
  EXPECT_EQ(j["host"], "drill-01");
  EXPECT_EQ(j["plan"]["name"], "shop nightly");
  EXPECT_EQ(j["plan"]["owner"], "dba-team");
  EXPECT_EQ(j["plan"]["file"], "/etc/drillproof/shop.toml");
  EXPECT_EQ(j["plan"]["digest"], "");
  EXPECT_EQ(j["started"], "2026-11-21T03:00:00Z");
  EXPECT_EQ(j["finished"], "2026-11-21T03:00:12Z");
  EXPECT_TRUE(j["duration_s"].is_number_float());
  EXPECT_DOUBLE_EQ(j["duration_s"].get<double>(), 12.345);
  EXPECT_EQ(j["status"], "failed");
  EXPECT_EQ(j["exit_code"], 1);
  EXPECT_EQ(j["interrupted"], false);
}

TEST(JsonReport, PrettyPrintedWithTwoSpaces) {
  const std::string text = render_json(make_report());
  EXPECT_EQ(text.rfind("{\n  \"format\": \"drillproof-report\",\n", 0), 0U) << text.substr(0, 80);
  EXPECT_EQ(text.back(), '\n');
}

TEST(JsonReport, Summary) {
  const Json j = parse(render_json(make_mixed_report()));
  const Json& s = j["summary"];
  EXPECT_EQ(s["backups"], 4);
  EXPECT_EQ(s["passed"], 1);
  EXPECT_EQ(s["failed"], 1);
  EXPECT_EQ(s["error"], 1);
  EXPECT_EQ(s["skipped"], 1);
  EXPECT_EQ(s["checks_total"], 6);
  EXPECT_EQ(s["checks_failed"], 1);
  EXPECT_EQ(j["status"], "failed");
  EXPECT_EQ(j["exit_code"], 1);
}

TEST(JsonReport, BackupPhasesObjectivesChecks) {
  const Json j = parse(render_json(make_report()));
  ASSERT_EQ(j["backups"].size(), 2U);
  const Json& b = j["backups"][1];
  EXPECT_EQ(b["name"], "users");
  EXPECT_EQ(b["engine"], "sqlite");
  EXPECT_EQ(b["path"], "/backups/users.db");
  EXPECT_EQ(b["format"], "sqlite database");
  EXPECT_EQ(b["server_version"], "3.40.1");
  EXPECT_EQ(b["status"], "failed");
  EXPECT_EQ(b["started"], "2026-11-21T03:00:08Z");
  EXPECT_DOUBLE_EQ(b["duration_s"].get<double>(), 0.5);
  EXPECT_FALSE(b.contains("scratch"));

  ASSERT_EQ(b["phases"].size(), 4U);
  const Json& restore = b["phases"][1];
  EXPECT_EQ(restore["name"], "restore");
  EXPECT_EQ(restore["status"], "passed");
  EXPECT_DOUBLE_EQ(restore["started_s"].get<double>(), 0.02);
  EXPECT_DOUBLE_EQ(restore["duration_s"].get<double>(), 0.101);
  EXPECT_EQ(restore["message"], "");
  EXPECT_EQ(restore["stderr_tail"], "");

  ASSERT_EQ(b["objectives"].size(), 1U);
  const Json& rto = b["objectives"][0];
  EXPECT_EQ(rto["name"], "rto");
  EXPECT_EQ(rto["status"], "passed");
  EXPECT_EQ(rto["objective"], "30m");
  EXPECT_DOUBLE_EQ(rto["objective_s"].get<double>(), 1800.0);
  EXPECT_EQ(rto["achieved"], "101ms");
  EXPECT_DOUBLE_EQ(rto["achieved_s"].get<double>(), 0.101);
  EXPECT_EQ(rto["message"], "restored in 0.101s, objective 30m");

  ASSERT_EQ(b["checks"].size(), 2U);
  const Json& rows = b["checks"][0];
  EXPECT_EQ(rows["name"], "row_count");
  EXPECT_EQ(rows["type"], "row_count");
  EXPECT_EQ(rows["status"], "failed");
  EXPECT_EQ(rows["expected"], "= 100");
  EXPECT_EQ(rows["observed"], "99");
  EXPECT_EQ(rows["message"], "main.users: 99 rows, expected = 100");
  EXPECT_DOUBLE_EQ(rows["duration_s"].get<double>(), 0.005);
  ASSERT_EQ(rows["findings"].size(), 1U);
  const Json& f = rows["findings"][0];
  EXPECT_EQ(f["check"], "row_count");
  EXPECT_EQ(f["target"], "main.users");
  EXPECT_EQ(f["severity"], "error");
  EXPECT_EQ(f["message"], "expected = 100, observed 99");
  EXPECT_EQ(f["evidence"], "SELECT count(*) FROM main.users -> 99");
  EXPECT_TRUE(b["checks"][1]["findings"].is_array());
  EXPECT_TRUE(b["checks"][1]["findings"].empty());
}

TEST(JsonReport, UnmeasuredObjectiveIsNullAndScratchIsShown) {
  const Json j = parse(render_json(make_mixed_report()));
  const Json& b = j["backups"][2];
  EXPECT_EQ(b["status"], "error");
  EXPECT_EQ(b["scratch"], "psql -h /tmp/dp-scratch-1 -p 5432 billing");
  const Json& rto = b["objectives"][0];
  EXPECT_EQ(rto["status"], "skipped");
  EXPECT_EQ(rto["objective"], "15m");
  EXPECT_TRUE(rto["achieved"].is_null());
  EXPECT_TRUE(rto["achieved_s"].is_null());

  ObjectiveResult none;
  none.name = "rpo";
  none.status = Status::skipped;
  RunReport r = make_report();
  r.backups[0].objectives.push_back(none);
  const Json k = parse(render_json(r));
  EXPECT_TRUE(k["backups"][0]["objectives"][1]["objective"].is_null());
  EXPECT_TRUE(k["backups"][0]["objectives"][1]["objective_s"].is_null());
}

TEST(JsonReport, HostileTextRoundTrips) {
  const Json j = parse(render_json(make_mixed_report()));
  const Json& b = j["backups"][2];
  EXPECT_EQ(b["name"], std::string("billing ") + k_hostile);
  EXPECT_EQ(b["checks"][0]["name"], k_hostile);
}

TEST(JsonReport, InvalidUtf8DoesNotThrowAndIsReplaced) {
  RunReport r = make_report();
  r.plan_name = "bad \xC3\x28 \xFF name";
  r.backups[0].phases[1].stderr_tail = "pg_restore: \xED\xA0\x80 \xC0\xAF truncated \xE2\x82";
  std::string text;
  ASSERT_NO_THROW(text = render_json(r));
  const Json j = parse(text);
  EXPECT_NE(j["plan"]["name"].get<std::string>().find("\xEF\xBF\xBD"), std::string::npos);
  const auto tail = j["backups"][0]["phases"][1]["stderr_tail"].get<std::string>();
  EXPECT_EQ(tail.rfind("pg_restore: ", 0), 0U) << tail;
}

TEST(JsonReport, InterruptedRun) {
  RunReport r = make_report();
  r.backups.pop_back();  // the failed one never ran
  r.interrupted = true;
  const Json j = parse(render_json(r));
  EXPECT_EQ(j["interrupted"], true);
  EXPECT_EQ(j["status"], "error");
  EXPECT_EQ(j["exit_code"], 3);
}

class WriteReports : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("dp_write_reports_test_");
    ASSERT_TRUE(dir.has_value()) << dir.error().message;
    m_dir = std::make_unique<TempDir>(std::move(dir).value());
  }
  void TearDown() override {
    if (HasFailure() && m_dir) m_dir->keep();
  }
  std::unique_ptr<TempDir> m_dir;
};

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_F(WriteReports, CreatesDirectoryAndWritesEveryReport) {
  const auto dir = m_dir->path() / "drillproof-report" / "20261121T030000Z";
  const RunReport r = make_mixed_report();
  auto written = write_reports(r, dir, HtmlOptions{});
  ASSERT_TRUE(written.has_value()) << written.error().message;
  EXPECT_EQ(*written, (std::vector<std::string>{"report.json", "junit.xml", "report.html"}));
  EXPECT_EQ(slurp(dir / "report.json"), render_json(r));
  EXPECT_EQ(slurp(dir / "junit.xml"), render_junit(r));
  EXPECT_EQ(slurp(dir / "report.html"), render_html(r, HtmlOptions{}));
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++entries;
  EXPECT_EQ(entries, 3U);  // no .tmp left behind

  // A second write replaces the files.
  RunReport again = r;
  again.plan_name = "second";
  ASSERT_TRUE(write_reports(again, dir, HtmlOptions{}).has_value());
  EXPECT_EQ(slurp(dir / "report.json"), render_json(again));
}

TEST_F(WriteReports, FailsAsIoErrorNamingThePath) {
  const auto file = m_dir->path() / "not-a-dir";
  ASSERT_TRUE(write_file(file, "x").has_value());
  auto written = write_reports(make_report(), file / "sub", HtmlOptions{});
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().code, Errc::io);
  EXPECT_NE(written.error().message.find((file / "sub").string()), std::string::npos)
      << written.error().message;

  // The target name is taken by a directory: rename fails, no .tmp is left.
  const auto dir = m_dir->path() / "out";
  std::filesystem::create_directories(dir / "junit.xml" / "occupied");
  auto blocked = write_reports(make_report(), dir, HtmlOptions{});
  ASSERT_FALSE(blocked.has_value());
  EXPECT_EQ(blocked.error().code, Errc::io);
  EXPECT_NE(blocked.error().message.find((dir / "junit.xml").string()), std::string::npos)
      << blocked.error().message;
  EXPECT_FALSE(std::filesystem::exists(dir / "junit.xml.tmp"));
}

}  // namespace
}  // namespace dp::reports
