// audit_history, the Nagios line and the Prometheus textfile over
// hand-built histories: no files, no clock.
#include "reports/history_audit.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace dp::reports {
namespace {

using namespace std::chrono_literals;
using std::chrono::hours;

TimePoint day(int d, Millis offset = 0ms) {
  using namespace std::chrono;
  return sys_days{2026y / 11 / 1} + hours(24 * d) + 2h + offset;
}

HistoryEntry run(std::uint64_t seq, TimePoint started, Millis orders_rto,
                 Status verdict = Status::passed) {
  HistoryEntry e;
  e.seq = seq;
  e.run_id = "run-" + std::to_string(seq);
  e.started = started;
  e.finished = started + 90s;
  e.plan_name = "shop";
  e.verdict = verdict;
  e.backups = {
      HistoryBackup{"orders", verdict, 15min, orders_rto, 24h, 2h},
      HistoryBackup{"users", Status::passed, std::nullopt, 100ms, std::nullopt, std::nullopt}};
  return e;
}

// Nightly runs on days 1..n, seq = day, orders' RTO rising slowly.
History nightly(int n) {
  History h;
  for (int d = 1; d <= n; ++d)
    h.entries.push_back(
        run(static_cast<std::uint64_t>(d), day(d, Millis(d * 1000)), Millis(4000 + d * 100)));
  return h;
}

AuditOptions options(TimePoint now) {
  AuditOptions o;
  o.now = now;
  return o;
}

TEST(HistoryAudit, CleanNightlyHistory) {
  History h = nightly(10);
  AuditReport a = audit_history(h, options(day(10, 3h)));
  EXPECT_TRUE(a.clean());
  EXPECT_EQ(a.entries, 10u);
  EXPECT_EQ(a.runs_in_window, 10u);
  EXPECT_TRUE(a.missed.empty());
  EXPECT_TRUE(a.failed.empty());
  ASSERT_EQ(a.backups.size(), 2u);
  const BackupAudit& orders = a.backups[0];
  EXPECT_EQ(orders.name, "orders");
  EXPECT_EQ(orders.runs, 10u);
  EXPECT_EQ(orders.failed, 0u);
  EXPECT_EQ(orders.last_success, day(10, 10s));
  EXPECT_EQ(orders.rto.objective, Millis(15min));
  EXPECT_EQ(orders.rto.min(), 4100ms);
  EXPECT_EQ(orders.rto.max(), 5000ms);
  EXPECT_EQ(orders.rto.median(), 4550ms);
  EXPECT_EQ(orders.rto.direction, 1);  // 5.0s against an earlier median of 4.5s: +11%
  EXPECT_EQ(orders.rpo.values.size(), 10u);
  EXPECT_EQ(a.backups[1].rpo.values.size(), 0u);
}

TEST(HistoryAudit, EmptyHistoryIsNotClean) {
  AuditReport a = audit_history(History{}, options(day(1)));
  EXPECT_FALSE(a.clean());
  EXPECT_NE(render_audit_text(a, "h").find("verdict: no runs recorded"), std::string::npos);
}

TEST(HistoryAudit, MissedNightsAndTheGapUntilNow) {
  History h = nightly(10);
  h.entries.erase(h.entries.begin() + 4, h.entries.begin() + 6);  // days 5 and 6
  // Late by 10 hours (gap 34h) is not a missed night; 36h+ is.
  h.entries[5].started = day(8, 10h);
  AuditReport a = audit_history(h, options(day(12, 9h)));
  ASSERT_EQ(a.missed.size(), 2u);
  EXPECT_EQ(a.missed[0].from, day(4, 4s));
  EXPECT_EQ(a.missed[0].to, day(7, 7s));
  EXPECT_EQ(a.missed[0].after_seq, 4u);
  EXPECT_EQ(a.missed[0].next_seq, 7u);
  EXPECT_EQ(a.missed[0].missed_runs, 2);
  EXPECT_EQ(a.missed[1].after_seq, 10u);
  EXPECT_EQ(a.missed[1].next_seq, std::nullopt);
  EXPECT_EQ(a.missed[1].to, day(12, 9h));
  EXPECT_EQ(a.missed[1].missed_runs, 1);  // 2d9h since day 10's run: round(2.37) - 1
  EXPECT_FALSE(a.clean());
  // 35h after the last run is not missed yet.
  EXPECT_EQ(audit_history(h, options(day(11, 11h))).missed.size(), 1u);
}

TEST(HistoryAudit, WindowLimitsGapsAndFailures) {
  History h = nightly(40);
  h.entries[2].verdict = Status::failed;   // day 3: outside
  h.entries.erase(h.entries.begin() + 5);  // day 6: outside
  h.entries[30].verdict = Status::error;   // day 32: inside
  h.entries[30].backups[0].status = Status::error;
  h.entries[30].interrupted = true;
  AuditOptions o = options(day(40, 1h));
  o.since = hours(24 * 10);
  AuditReport a = audit_history(h, o);
  EXPECT_TRUE(a.missed.empty());
  ASSERT_EQ(a.failed.size(), 1u);
  EXPECT_EQ(a.failed[0].seq, 32u);
  EXPECT_EQ(a.failed[0].verdict, Status::error);
  EXPECT_TRUE(a.failed[0].interrupted);
  ASSERT_EQ(a.failed[0].backups.size(), 1u);
  EXPECT_EQ(a.failed[0].backups[0].name, "orders");
  EXPECT_EQ(a.runs_in_window, 10u);
  EXPECT_EQ(a.backups[0].runs, 10u);
  EXPECT_EQ(a.backups[0].failed, 1u);
  EXPECT_EQ(a.backups[0].last_status, Status::passed);
}

TEST(HistoryAudit, TrendDirectionAndObjectiveMisses) {
  History h = nightly(4);
  h.entries[3].backups[0].rto_achieved = 20min;  // over the 15m objective, and up
  AuditReport a = audit_history(h, options(day(4, 1h)));
  EXPECT_EQ(a.backups[0].rto.direction, 1);
  EXPECT_EQ(a.backups[0].rto.over_objective, 1u);
  h.entries[3].backups[0].rto_achieved = 1s;
  EXPECT_EQ(audit_history(h, options(day(4, 1h))).backups[0].rto.direction, -1);
  h.entries.resize(1);
  EXPECT_EQ(audit_history(h, options(day(1, 1h))).backups[0].rto.direction, std::nullopt);
}

TEST(HistoryAudit, ReorderedLinesDoNotInventGaps) {
  History h = nightly(5);
  std::swap(h.entries[1], h.entries[2]);
  h.problems.push_back({2, "line 2: seq 3 comes before seq 2 (line 3): lines were reordered"});
  AuditReport a = audit_history(h, options(day(5, 1h)));
  EXPECT_TRUE(a.missed.empty());
  EXPECT_FALSE(a.clean());
  EXPECT_EQ(a.backups[0].rto.values.back(), 4500ms);
}

TEST(HistoryAudit, TextRendering) {
  History h = nightly(3);
  h.entries[1].verdict = Status::failed;
  h.entries[1].backups[0].status = Status::failed;
  h.entries.push_back(run(4, day(6), 4400ms));
  h.problems.push_back({2,
                        "line 2: edited: its sha256 does not match the prev recorded in "
                        "line 3 (seq 3)"});
  AuditReport a = audit_history(h, options(day(6, 1h)));
  std::string text = render_audit_text(a, "/h/history.jsonl");
  for (const char* expected :
       {"history: /h/history.jsonl\n",
        "  4 runs recorded; window 2026-10-03T03:00:00Z to 2026-11-07T03:00:00Z (--since 35d), "
        "a run expected every 1d\n",
        "\nchain: BROKEN, 1 problem\n"
        "  line 2: edited: its sha256 does not match the prev recorded in line 3 (seq 3)\n",
        "\nmissed intervals: 1\n"
        "  2026-11-04T02:00:03Z to 2026-11-07T02:00:00Z  3d gap, 2 runs missed, after seq 3\n",
        "\nfailed runs: 1\n"
        "  seq 2  run-2  2026-11-03T02:00:02Z  failed  (orders: failed)\n",
        "  BACKUP  RUNS  FAILED  LAST SUCCESS          LAST RUN              LAST STATUS\n"
        "  orders  4     1       2026-11-07T02:00:00Z  2026-11-07T02:00:00Z  passed\n",
        "  BACKUP  KIND  OBJECTIVE  OVER  LAST  MIN   MEDIAN  MAX   RECENT (oldest first)\n"
        "  orders  rto   15m        0     4.4s  4.1s  4.2s    4.4s  4.1s 4.2s 4.3s 4.4s →\n"
        "  orders  rpo   1d         0     2h    2h    2h      2h    2h 2h 2h 2h →\n"
        "  users   rto   -          0     0.1s  0.1s  0.1s    0.1s  0.1s 0.1s 0.1s 0.1s →\n",
        "\nverdict: chain broken (1 problem), 1 missed interval, 1 failed run\n"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << "missing:\n"
                                                      << expected << "\nin\n"
                                                      << text;
  }
  EXPECT_NE(render_audit_text(audit_history(nightly(3), options(day(3, 1h))), "h")
                .find("\nchain: ok (3 lines)\n\nmissed intervals: none\n\nfailed runs: none\n"),
            std::string::npos);
}

TEST(HistoryAudit, HostileNamesAreTerminalSafe) {
  History h = nightly(1);
  h.entries[0].backups[0].name = "evil\x1b[31m\nname";
  std::string text = render_audit_text(audit_history(h, options(day(1, 1h))), "h");
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_NE(text.find("evil\\x1B[31m name"), std::string::npos) << text;
}

TEST(HistoryAudit, JsonRendering) {
  History h = nightly(3);
  h.entries.erase(h.entries.begin() + 1);
  auto j = nlohmann::json::parse(render_audit_json(audit_history(h, options(day(3, 1h))), "f"));
  EXPECT_EQ(j["format"], "drillproof-audit");
  EXPECT_EQ(j["format_version"], 1);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["chain"]["ok"], true);
  EXPECT_EQ(j["expect_every_s"], 86400.0);
  ASSERT_EQ(j["missed_intervals"].size(), 1u);
  EXPECT_EQ(j["missed_intervals"][0]["from"], "2026-11-02T02:00:01Z");
  EXPECT_EQ(j["missed_intervals"][0]["missed_runs"], 1);
  EXPECT_EQ(j["missed_intervals"][0]["until_now"], false);
  EXPECT_EQ(j["backups"][0]["name"], "orders");
  EXPECT_EQ(j["backups"][0]["rto"]["recent_s"], nlohmann::json::parse("[4.1, 4.3]"));
  EXPECT_EQ(j["backups"][0]["rto"]["trend"], "flat");
  EXPECT_EQ(j["backups"][1]["rpo"]["last_s"], nullptr);
}

StatusOptions status_options(TimePoint now) {
  StatusOptions o;
  o.max_age = 26h;
  o.now = now;
  return o;
}

TEST(NagiosStatus, OkLineWithPerfdata) {
  History h = nightly(3);
  NagiosStatus s = nagios_status(h, status_options(day(3, 3h + 12min + 3s)));
  EXPECT_EQ(s.state, NagiosState::ok);
  EXPECT_EQ(s.line,
            "DRILLPROOF OK - plan 'shop' last run passed 3h12m ago (run run-3, seq 3) | "
            "age=11520s;93600;187200;0 backups=2;;;0 failed=0;;0;0 rto_orders=4.300s;;900;0 "
            "rpo_orders=7200.000s;;86400;0 rto_users=0.100s;;;0");
}

TEST(NagiosStatus, StaleFailedAndBroken) {
  History h = nightly(3);
  auto warn = nagios_status(h, status_options(day(4, 3h)));
  EXPECT_EQ(warn.state, NagiosState::warning);
  EXPECT_EQ(warn.line.substr(0, warn.line.find(" |")),
            "DRILLPROOF WARNING - plan 'shop' last run passed 1d2h59m ago, more than --max-age "
            "1d2h (run run-3, seq 3)");
  auto crit = nagios_status(h, status_options(day(6)));
  EXPECT_EQ(crit.state, NagiosState::critical);
  EXPECT_NE(crit.line.find("ago, more than twice --max-age 1d2h (run"), std::string::npos);

  h.entries[2].verdict = Status::failed;
  h.entries[2].backups[0].status = Status::failed;
  auto failed = nagios_status(h, status_options(day(3, 1h)));
  EXPECT_EQ(failed.state, NagiosState::critical);
  EXPECT_EQ(failed.line.substr(0, failed.line.find(" |")),
            "DRILLPROOF CRITICAL - plan 'shop' last run failed 59m57s ago: orders failed (run "
            "run-3, seq 3)");
  EXPECT_NE(failed.line.find(" failed=1;;0;0 "), std::string::npos);

  h = nightly(3);
  h.problems = {{2, "line 2: edited | really"}, {3, "line 3: x"}};
  auto broken = nagios_status(h, status_options(day(3, 1h)));
  EXPECT_EQ(broken.state, NagiosState::critical);
  EXPECT_EQ(broken.line.substr(0, broken.line.find(" |")),
            "DRILLPROOF CRITICAL - history chain broken: line 2: edited / really (and 1 more "
            "problem); plan 'shop' last run passed 59m57s ago (run run-3, seq 3)");
}

TEST(NagiosStatus, LastRunInTheFutureIsAWarningNotOk) {
  History h = nightly(3);  // the last run starts 2026-11-04T02:00:03Z
  NagiosStatus s = nagios_status(h, status_options(day(3, -1h)));
  EXPECT_EQ(s.state, NagiosState::warning) << s.line;
  EXPECT_EQ(s.line.rfind("DRILLPROOF WARNING - plan 'shop' last run passed; last run starts in "
                         "the future (clock skew?): started 2026-11-04T02:00:03Z, now "
                         "2026-11-04T01:00:00Z (run run-3, seq 3) | age=0s;",
                         0),
            0u)
      << s.line;
  // Within the 5 minutes of slack: OK.
  EXPECT_EQ(nagios_status(h, status_options(day(3, -4min))).state, NagiosState::ok);
  // A failed run in the future stays CRITICAL.
  h.entries.back().verdict = Status::failed;
  EXPECT_EQ(nagios_status(h, status_options(day(3, -1h))).state, NagiosState::critical);
}

TEST(HistoryAudit, RunsInTheFutureAreListedAndNotClean) {
  History h = nightly(3);
  AuditReport a = audit_history(h, options(day(2, 1h)));  // run 3 starts 1d after now
  EXPECT_FALSE(a.clean());
  ASSERT_EQ(a.future.size(), 1u);
  EXPECT_EQ(a.future[0].seq, 3u);
  std::string text = render_audit_text(a, "h");
  EXPECT_NE(text.find("\nruns starting in the future (clock skew?): 1\n"
                      "  seq 3  run-3  2026-11-04T02:00:03Z, 23h after now\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nverdict: 1 run starting in the future\n"), std::string::npos) << text;
  auto j = nlohmann::json::parse(render_audit_json(a, "h"));
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(
      j["future_runs"],
      nlohmann::json::parse(R"([{"seq":3,"run_id":"run-3","started":"2026-11-04T02:00:03Z"}])"));
  // Within the slack it is clean.
  EXPECT_TRUE(audit_history(h, options(day(3, 3s - 5min))).clean());
}

TEST(NagiosStatus, UnknownWithoutRuns) {
  auto s = nagios_status(History{}, status_options(day(1)));
  EXPECT_EQ(s.state, NagiosState::unknown);
  EXPECT_EQ(s.line, "DRILLPROOF UNKNOWN - no runs recorded in the history");
  History garbage;
  garbage.problems = {{1, "line 1: not a history line: empty line"}};
  EXPECT_EQ(nagios_status(garbage, status_options(day(1))).line,
            "DRILLPROOF CRITICAL - history chain broken: line 1: not a history line: empty line");
}

TEST(NagiosStatus, Labels) {
  EXPECT_EQ(nagios_label("rto_orders"), "rto_orders");
  EXPECT_EQ(nagios_label("rto_my db"), "'rto_my db'");
  EXPECT_EQ(nagios_label("rto_a=b'c"), "'rto_a_b''c'");
  EXPECT_EQ(nagios_label("rto_x|y\n"), "'rto_x/y '");
}

TEST(Prometheus, Escape) {
  EXPECT_EQ(prometheus_escape("plain"), "plain");
  EXPECT_EQ(prometheus_escape("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(prometheus_escape("bad \xC3\x28"), "bad \xEF\xBF\xBD(");
}

TEST(Prometheus, Metrics) {
  History h = nightly(2);
  h.entries[1].verdict = Status::failed;
  h.entries[1].backups[0].status = Status::failed;
  h.entries[1].backups[1].name = "us\"ers";
  std::string text = prometheus_metrics(h);
  for (const char* expected :
       {"# HELP drillproof_history_chain_ok ",
        "# TYPE drillproof_history_chain_ok gauge\n"
        "drillproof_history_chain_ok{plan=\"shop\"} 1\n",
        "drillproof_history_entries{plan=\"shop\"} 2\n",
        "# TYPE drillproof_last_run_timestamp_seconds gauge\n"
        "drillproof_last_run_timestamp_seconds{plan=\"shop\"} 1793671202\n",
        "drillproof_last_run_verdict{plan=\"shop\",verdict=\"passed\"} 0\n"
        "drillproof_last_run_verdict{plan=\"shop\",verdict=\"failed\"} 1\n"
        "drillproof_last_run_verdict{plan=\"shop\",verdict=\"error\"} 0\n"
        "drillproof_last_run_verdict{plan=\"shop\",verdict=\"skipped\"} 0\n",
        "drillproof_last_success_timestamp_seconds{plan=\"shop\"} 1793584801\n",
        "drillproof_backup_last_success_timestamp_seconds{plan=\"shop\",backup=\"orders\"} "
        "1793584801\n",
        "drillproof_backup_passed{plan=\"shop\",backup=\"orders\"} 0\n",
        "drillproof_backup_rto_achieved_seconds{plan=\"shop\",backup=\"orders\"} 4.200\n",
        "drillproof_backup_rto_achieved_seconds{plan=\"shop\",backup=\"us\\\"ers\"} 0.100\n",
        "drillproof_backup_rto_objective_seconds{plan=\"shop\",backup=\"orders\"} 900.000\n",
        "drillproof_backup_rpo_achieved_seconds{plan=\"shop\",backup=\"orders\"} 7200.000\n",
        "drillproof_backup_last_success_timestamp_seconds{plan=\"shop\",backup=\"users\"} "
        "1793584801\n"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << "missing:\n"
                                                      << expected << "\nin\n"
                                                      << text;
  }
  // users has no RTO objective: no sample for it.
  EXPECT_EQ(text.find("rto_objective_seconds{plan=\"shop\",backup=\"users\"}"), std::string::npos);
  EXPECT_TRUE(text.back() == '\n');

  History empty;
  EXPECT_EQ(prometheus_metrics(empty).find("drillproof_last_run"), std::string::npos);
  EXPECT_NE(prometheus_metrics(empty).find("\ndrillproof_history_entries 0\n"), std::string::npos);
}

}  // namespace
}  // namespace dp::reports
