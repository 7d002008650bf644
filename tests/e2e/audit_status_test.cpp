// End-to-end: `drillproof audit` and `drillproof status` on history files
// written here line by line (nlohmann + sha256, the documented format), and
// on the history of two real runs of a SQLite plan. Times are fixed with the
// hidden --now option.
#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <thread>

#include "tests/integration/support.hpp"
#include "verifier/core/sha256.hpp"

namespace dp::test {
namespace {

using Json = nlohmann::ordered_json;

struct Run {
  int day = 1;  // 2026-11-<day>T02:00:00Z
  std::string verdict = "passed";
  double orders_rto = 4.2;
};

std::string started(int day) { return fmt::format("2026-11-{:02}T02:00:00Z", day); }

// One history line as docs/history.md describes it.
std::string history_line(std::uint64_t seq, const Run& r, const std::string& prev) {
  Json j;
  j["format"] = "drillproof-history";
  j["format_version"] = 1;
  j["seq"] = seq;
  j["run_id"] = fmt::format("202611{:02}T020000Z-0000{:04}", r.day, seq);
  j["started"] = started(r.day);
  j["finished"] = fmt::format("2026-11-{:02}T02:01:30Z", r.day);
  j["plan"] = "shop";
  j["plan_digest"] = "sha256:" + std::string(64, 'a');
  j["verdict"] = r.verdict;
  j["interrupted"] = false;
  j["manifest_digest"] = "sha256:" + std::string(64, 'b');
  j["key_fingerprint"] = nullptr;
  j["report_dir"] = "/var/lib/drillproof/reports/" + std::to_string(seq);
  j["backups"] = Json::array({Json{{"name", "orders"},
                                   {"status", r.verdict},
                                   {"rto_objective_s", 900.0},
                                   {"rto_achieved_s", r.orders_rto},
                                   {"rpo_objective_s", 86400.0},
                                   {"rpo_achieved_s", 3600.0}},
                              Json{{"name", "users db"},
                                   {"status", "passed"},
                                   {"rto_objective_s", nullptr},
                                   {"rto_achieved_s", 0.25},
                                   {"rpo_objective_s", nullptr},
                                   {"rpo_achieved_s", nullptr}}});
  j["prev"] = prev;
  return j.dump();
}

std::vector<std::string> history_lines(const std::vector<Run>& runs) {
  std::vector<std::string> lines;
  std::string prev = "sha256:" + std::string(64, '0');
  for (const auto& r : runs) {
    lines.push_back(history_line(lines.size() + 1, r, prev));
    prev = "sha256:" + sha256_hex(lines.back());
  }
  return lines;
}

std::vector<Run> nightly(int first, int last) {
  std::vector<Run> runs;
  for (int d = first; d <= last; ++d) runs.push_back(Run{d, "passed", 4.0 + 0.1 * (d - first)});
  return runs;
}

class AuditStatus : public ::testing::Test {
 protected:
  void SetUp() override { m_dir.emplace(world_dir("dp-audit-")); }
  void TearDown() override {
    if (HasFailure()) m_dir->keep();
  }
  fs::path dir() const { return m_dir->path() / "history"; }
  void write(const std::vector<std::string>& lines) {
    fs::create_directories(dir());
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    write_text(dir() / "history.jsonl", text);
  }
  CliRun audit(const std::string& now, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"audit", dir().string(), "--now", now};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
  }
  CliRun status(const std::string& now, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"status", dir().string(), "--max-age", "26h", "--now", now};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
  }
  std::optional<TempDir> m_dir;
};

#define EXPECT_HAS(text, part) \
  EXPECT_NE((text).find(part), std::string::npos) << "missing: " << (part) << "\nin:\n" << (text)

TEST_F(AuditStatus, AuditCleanChainExitsZeroWithTheTable) {
  write(history_lines(nightly(1, 10)));
  auto r = audit("2026-11-10T09:00:00Z", {"--expect-every", "24h", "--since", "35d"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_HAS(r.out, "\nchain: ok (10 lines)\n");
  EXPECT_HAS(r.out, "\nmissed intervals: none\n");
  EXPECT_HAS(r.out, "\nfailed runs: none\n");
  EXPECT_HAS(r.out,
             "  BACKUP    RUNS  FAILED  LAST SUCCESS          LAST RUN              LAST STATUS\n"
             "  orders    10    0       2026-11-10T02:00:00Z  2026-11-10T02:00:00Z  passed\n"
             "  users db  10    0       2026-11-10T02:00:00Z  2026-11-10T02:00:00Z  passed\n");
  EXPECT_HAS(r.out,
             "  orders    rto   15m        0     4.9s  4.0s  4.5s    4.9s  4.5s 4.6s 4.7s 4.8s "
             "4.9s ↑\n");
  EXPECT_HAS(r.out, "\nverdict: ok\n");
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST_F(AuditStatus, AuditNamesTheEditedLine) {
  auto lines = history_lines(nightly(1, 6));
  lines[2].replace(lines[2].find("4.2"), 3, "3.2");  // one byte of line 3
  write(lines);
  auto r = audit("2026-11-06T09:00:00Z");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_HAS(r.out,
             "\nchain: BROKEN, 1 problem\n  line 3: edited: its sha256 does not match the "
             "prev recorded in line 4 (seq 4)\n");
  EXPECT_HAS(r.out, "\nverdict: chain broken (1 problem)\n");
}

TEST_F(AuditStatus, AuditNamesTheDeletedLine) {
  auto lines = history_lines(nightly(1, 6));
  lines.erase(lines.begin() + 2);
  write(lines);
  auto r = audit("2026-11-06T09:00:00Z");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_HAS(r.out, "  line 3: seq 4 follows seq 2: 1 line deleted before it\n");
}

TEST_F(AuditStatus, AuditNamesReorderedLines) {
  auto lines = history_lines(nightly(1, 6));
  std::swap(lines[3], lines[4]);
  write(lines);
  auto r = audit("2026-11-06T09:00:00Z");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_HAS(r.out,
             "\nchain: BROKEN, 2 problems\n"
             "  line 4: seq 5 comes before seq 4 (line 5): lines were reordered\n"
             "  line 5: seq 4 comes after seq 5 (line 4): lines were reordered\n");
  EXPECT_HAS(r.out, "\nmissed intervals: none\n");  // sorted by start, not by line
}

TEST_F(AuditStatus, AuditListsAMissedNight) {
  auto runs = nightly(1, 8);
  runs.erase(runs.begin() + 4);  // no run on the 5th
  write(history_lines(runs));
  auto r = audit("2026-11-08T09:00:00Z", {"--expect-every", "24h"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_HAS(r.out,
             "\nmissed intervals: 1\n"
             "  2026-11-04T02:00:00Z to 2026-11-06T02:00:00Z  2d gap, 1 run missed, after "
             "seq 4\n");
  EXPECT_HAS(r.out, "\nchain: ok (7 lines)\n");
  // Weekly drills: the same history has no gap.
  EXPECT_EQ(audit("2026-11-08T09:00:00Z", {"--expect-every", "7d"}).exit_code, 0);
}

TEST_F(AuditStatus, AuditListsAFailedRunAndTheGapUntilNow) {
  auto runs = nightly(1, 5);
  runs[2].verdict = "failed";
  write(history_lines(runs));
  auto r = audit("2026-11-08T12:00:00Z");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_HAS(r.out,
             "\nfailed runs: 1\n  seq 3  20261103T020000Z-00000003  2026-11-03T02:00:00Z  "
             "failed  (orders: failed)\n");
  EXPECT_HAS(r.out,
             "  2026-11-05T02:00:00Z to now (2026-11-08T12:00:00Z)  3d10h gap, 2 runs missed, "
             "after seq 5\n");
  // Outside a 2-day window the failure is history, but the gap is not.
  auto narrow = audit("2026-11-08T12:00:00Z", {"--since", "2d"});
  EXPECT_HAS(narrow.out, "\nfailed runs: none\n");
  EXPECT_EQ(narrow.exit_code, 1);
}

TEST_F(AuditStatus, AuditJson) {
  write(history_lines(nightly(1, 3)));
  auto r = audit("2026-11-03T09:00:00Z", {"--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["format"], "drillproof-audit");
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["entries"], 3);
  EXPECT_EQ(j["backups"][1]["name"], "users db");
  EXPECT_EQ(j["backups"][0]["rto"]["objective_s"], 900.0);
}

TEST_F(AuditStatus, AuditUsageErrors) {
  auto missing = audit("2026-11-03T09:00:00Z");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_HAS(missing.err, (dir() / "history.jsonl").string() + ": no such file");
  write(history_lines(nightly(1, 3)));
  EXPECT_EQ(audit("2026-11-03T09:00:00Z", {"--expect-every", "5x"}).exit_code, 2);
  EXPECT_EQ(audit("2026-11-03T09:00:00Z", {"--expect-every", "0s"}).exit_code, 2);
  EXPECT_EQ(audit("yesterday").exit_code, 2);
  EXPECT_EQ(run_cli({"audit"}).exit_code, 2);
}

TEST_F(AuditStatus, DurationsOverAHundredYearsAreUsageErrors) {
  // Before: --since 400000d overflowed the nanosecond arithmetic and printed
  // a window starting in 2100.
  write(history_lines(nightly(1, 3)));
  auto since = audit("2026-11-03T09:00:00Z", {"--since", "400000d"});
  EXPECT_EQ(since.exit_code, 2) << since.out << since.err;
  EXPECT_EQ(since.out, "");
  EXPECT_EQ(since.err, "drillproof audit: --since 400000d is longer than 100 years\n");
  auto every = audit("2026-11-03T09:00:00Z", {"--expect-every", "36526d"});
  EXPECT_EQ(every.exit_code, 2) << every.out << every.err;
  EXPECT_EQ(every.err, "drillproof audit: --expect-every 36526d is longer than 100 years\n");
  // 100 years exactly is accepted.
  auto longest = audit("2026-11-03T09:00:00Z", {"--since", "36525d"});
  EXPECT_EQ(longest.exit_code, 0) << longest.out << longest.err;
  EXPECT_HAS(longest.out, "window 1926-11-03T09:00:00Z to 2026-11-03T09:00:00Z");

  auto age =
      run_cli({"status", dir().string(), "--max-age", "400000d", "--now", "2026-11-03T09:00:00Z"});
  EXPECT_EQ(age.exit_code, 3) << age.out << age.err;
  EXPECT_EQ(age.out, "DRILLPROOF UNKNOWN - --max-age 400000d is longer than 100 years\n");
  auto ok =
      run_cli({"status", dir().string(), "--max-age", "36525d", "--now", "2026-11-03T09:00:00Z"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
}

TEST_F(AuditStatus, HistoryThatCannotBeStatedIsExitThreeNotNoSuchFile) {
  // fs::exists fails with an error (here ELOOP, which root gets too; EACCES
  // below): before, audit said "no such file" and exited 2.
  fs::create_directories(dir());
  fs::create_symlink("history.jsonl", dir() / "history.jsonl");
  const std::string file = (dir() / "history.jsonl").string();
  auto a = audit("2026-11-03T09:00:00Z");
  EXPECT_EQ(a.exit_code, 3) << a.out << a.err;
  EXPECT_EQ(a.out, "");
  EXPECT_EQ(a.err,
            "drillproof audit: " + file + ": cannot read: Too many levels of symbolic links\n");
  auto s = status("2026-11-03T09:00:00Z");
  EXPECT_EQ(s.exit_code, 3) << s.out << s.err;
  EXPECT_EQ(s.out,
            "DRILLPROOF UNKNOWN - " + file + ": cannot read: Too many levels of symbolic links\n");
}

TEST_F(AuditStatus, UnreadableHistoryIsExitThreeNotNoSuchFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads through mode 000";
  write(history_lines(nightly(1, 3)));
  fs::permissions(dir(), fs::perms::none);
  auto a = audit("2026-11-03T09:00:00Z");
  auto s = status("2026-11-03T09:00:00Z");
  fs::permissions(dir(), fs::perms::owner_all);
  const std::string file = (dir() / "history.jsonl").string();
  // Before: fs::exists failed with EACCES and audit said "no such file", exit 2.
  EXPECT_EQ(a.exit_code, 3) << a.out << a.err;
  EXPECT_EQ(a.out, "");
  EXPECT_EQ(a.err, "drillproof audit: " + file + ": cannot read: Permission denied\n");
  EXPECT_EQ(s.exit_code, 3) << s.out << s.err;
  EXPECT_EQ(s.out, "DRILLPROOF UNKNOWN - " + file + ": cannot read: Permission denied\n");
}

TEST_F(AuditStatus, StatusOk) {
  write(history_lines(nightly(1, 3)));
  auto r = status("2026-11-03T05:12:00Z");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out,
            "DRILLPROOF OK - plan 'shop' last run passed 3h12m ago (run "
            "20261103T020000Z-00000003, seq 3) | age=11520s;93600;187200;0 backups=2;;;0 "
            "failed=0;;0;0 rto_orders=4.200s;;900;0 rpo_orders=3600.000s;;86400;0 "
            "'rto_users db'=0.250s;;;0\n");
}

TEST_F(AuditStatus, StatusWarningWhenOlderThanMaxAge) {
  write(history_lines(nightly(1, 3)));
  auto r = status("2026-11-04T05:00:00Z");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("DRILLPROOF WARNING - plan 'shop' last run passed 1d3h ago, more than "
                        "--max-age 1d2h (run 20261103T020000Z-00000003, seq 3) | age=97200s;",
                        0),
            0u)
      << r.out;
}

TEST_F(AuditStatus, StatusCritical) {
  write(history_lines(nightly(1, 3)));
  auto stale = status("2026-11-06T05:00:00Z");
  EXPECT_EQ(stale.exit_code, 2) << stale.out;
  EXPECT_HAS(stale.out,
             "DRILLPROOF CRITICAL - plan 'shop' last run passed 3d3h ago, more than "
             "twice --max-age 1d2h");

  auto runs = nightly(1, 3);
  runs[2].verdict = "error";
  write(history_lines(runs));
  auto failed = status("2026-11-03T03:00:00Z");
  EXPECT_EQ(failed.exit_code, 2) << failed.out;
  EXPECT_HAS(failed.out,
             "DRILLPROOF CRITICAL - plan 'shop' last run error 1h ago: orders error "
             "(run 20261103T020000Z-00000003, seq 3) | ");
  EXPECT_HAS(failed.out, " failed=1;;0;0 ");

  auto lines = history_lines(nightly(1, 3));
  lines.erase(lines.begin() + 1);
  write(lines);
  auto broken = status("2026-11-03T03:00:00Z");
  EXPECT_EQ(broken.exit_code, 2) << broken.out;
  EXPECT_EQ(broken.out.rfind("DRILLPROOF CRITICAL - history chain broken: line 2: seq 3 follows "
                             "seq 1: 1 line deleted before it; plan 'shop' last run passed",
                             0),
            0u)
      << broken.out;
}

TEST_F(AuditStatus, StatusUnknown) {
  auto none = status("2026-11-03T03:00:00Z");
  EXPECT_EQ(none.exit_code, 3);
  EXPECT_EQ(none.out, "DRILLPROOF UNKNOWN - no history: " + (dir() / "history.jsonl").string() +
                          " does not exist\n");
  write({});
  EXPECT_EQ(status("2026-11-03T03:00:00Z").out,
            "DRILLPROOF UNKNOWN - no runs recorded in the history\n");
  write(history_lines(nightly(1, 3)));
  for (std::vector<std::string> args :
       {std::vector<std::string>{"status"},
        {"status", dir().string()},
        {"status", dir().string(), "--max-age", "26x"},
        {"status", dir().string(), "--max-age", "26h", "--frobnicate"},
        {"status", dir().string(), "--max-age", "26h", "--prometheus"}}) {
    auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 3) << ::testing::PrintToString(args) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("DRILLPROOF UNKNOWN - ", 0), 0u) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  }
}

TEST_F(AuditStatus, RunStartingInTheFutureIsWarningAndAnAuditFinding) {
  write(history_lines(nightly(1, 3)));  // the last run starts 2026-11-03T02:00:00Z
  auto s = status("2026-11-02T12:00:00Z");
  EXPECT_EQ(s.exit_code, 1) << s.out << s.err;
  EXPECT_EQ(s.out.rfind("DRILLPROOF WARNING - plan 'shop' last run passed; last run starts in the "
                        "future (clock skew?): started 2026-11-03T02:00:00Z, now "
                        "2026-11-02T12:00:00Z (run 20261103T020000Z-00000003, seq 3) | ",
                        0),
            0u)
      << s.out;
  auto a = audit("2026-11-02T12:00:00Z");
  EXPECT_EQ(a.exit_code, 1) << a.out << a.err;
  EXPECT_HAS(a.out,
             "\nruns starting in the future (clock skew?): 1\n"
             "  seq 3  20261103T020000Z-00000003  2026-11-03T02:00:00Z, 14h after now\n");
}

TEST_F(AuditStatus, StatusRepeatedOptionsTakeTheLastAndNeverExitTwo) {
  // Before: CLI11 refused a repeated option ("At Most 1 required") with exit
  // 2, which a monitoring system reads as CRITICAL.
  write(history_lines(nightly(1, 3)));  // the last run starts 2026-11-03T02:00:00Z
  auto r = run_cli({"status", dir().string(), "--max-age", "1h", "--max-age", "2h", "--now",
                    "2026-11-03T01:00:00Z", "--now", "2026-11-03T03:30:00Z"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("DRILLPROOF OK - plan 'shop' last run passed 1h30m ago (run ", 0), 0u)
      << r.out;
  fs::path a = m_dir->path() / "a.prom", b = m_dir->path() / "b.prom";
  auto prom = run_cli({"status", dir().string(), "--max-age=2h", "--max-age=1h", "--prometheus",
                       a.string(), "--prometheus", b.string(), "--now", "2026-11-03T03:30:00Z"});
  EXPECT_EQ(prom.exit_code, 1) << prom.out << prom.err;
  EXPECT_EQ(prom.out.rfind("DRILLPROOF WARNING - plan 'shop' last run passed 1h30m ago, more than "
                           "--max-age 1h (run ",
                           0),
            0u)
      << prom.out;
  EXPECT_FALSE(fs::exists(a));
  EXPECT_TRUE(fs::exists(b));
  for (std::vector<std::string> args :
       {std::vector<std::string>{"status", dir().string(), "--max-age", "1h", "--max-age"},
        {"status", dir().string(), "--max-age", "26h", "--prometheus", "--prometheus"},
        {"status", dir().string(), dir().string(), "--max-age", "26h"},
        {"status", dir().string(), "--max-age", "26h", "--now", "2026-11-03T03:30:00Z", "--now"},
        {"status", dir().string(), "--max-age", "26h", "--", "-x"},
        {"status", dir().string(), "--max-age=26h=1h"},
        {"status", dir().string(), "--version"}}) {
    auto u = run_cli(args);
    EXPECT_EQ(u.exit_code, 3) << ::testing::PrintToString(args) << u.out << u.err;
    EXPECT_EQ(u.out.rfind("DRILLPROOF UNKNOWN - ", 0), 0u) << u.out;
    EXPECT_EQ(std::count(u.out.begin(), u.out.end(), '\n'), 1) << u.out;
  }
}

TEST_F(AuditStatus, PrometheusTextfile) {
  auto runs = nightly(1, 3);
  runs[2].verdict = "failed";
  write(history_lines(runs));
  fs::path prom = m_dir->path() / "textfile" / "drillproof.prom";
  fs::create_directories(prom.parent_path());
  write_text(prom, "stale\n");
  auto r = status("2026-11-03T05:00:00Z", {"--prometheus", prom.string()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  std::string text = read_text(prom);
  for (const char* part :
       {"# HELP drillproof_last_run_timestamp_seconds ",
        "# TYPE drillproof_last_run_timestamp_seconds gauge\n"
        "drillproof_last_run_timestamp_seconds{plan=\"shop\"} 1793671200\n",
        "drillproof_last_success_timestamp_seconds{plan=\"shop\"} 1793584800\n",
        "drillproof_last_run_verdict{plan=\"shop\",verdict=\"failed\"} 1\n",
        "drillproof_history_chain_ok{plan=\"shop\"} 1\n",
        "drillproof_backup_rto_achieved_seconds{plan=\"shop\",backup=\"orders\"} 4.200\n",
        "drillproof_backup_rto_achieved_seconds{plan=\"shop\",backup=\"users db\"} 0.250\n",
        "drillproof_backup_rto_objective_seconds{plan=\"shop\",backup=\"orders\"} 900.000\n",
        "drillproof_backup_rpo_achieved_seconds{plan=\"shop\",backup=\"orders\"} 3600.000\n"})
    EXPECT_HAS(text, part);
  EXPECT_EQ(text.find("stale"), std::string::npos);
  EXPECT_EQ(leftovers(prom.parent_path()), std::vector<std::string>{"drillproof.prom"});

  // A textfile that cannot be written turns OK into WARNING and says so.
  write(history_lines(nightly(1, 3)));
  auto unwritable = status("2026-11-03T05:00:00Z",
                           {"--prometheus", (m_dir->path() / "no/such/dir/x.prom").string()});
  EXPECT_EQ(unwritable.exit_code, 1) << unwritable.out;
  EXPECT_HAS(unwritable.out, "; cannot write the --prometheus file | age=");
}

TEST_F(AuditStatus, ConcurrentPrometheusWritersLeaveOneWholeFileAndNoTmp) {
  // Each writer goes through its own unique temporary file: a fixed
  // FILE.tmp would let one writer rename the other's half-written file.
  write(history_lines(nightly(1, 3)));
  fs::path prom = m_dir->path() / "textfile" / "drillproof.prom";
  fs::create_directories(prom.parent_path());
  auto writer = [&] {
    for (int i = 0; i < 5; ++i) {
      auto r = status("2026-11-03T05:00:00Z", {"--prometheus", prom.string()});
      EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    }
  };
  std::thread a(writer), b(writer);
  a.join();
  b.join();
  EXPECT_EQ(leftovers(prom.parent_path()), std::vector<std::string>{"drillproof.prom"});
  std::string text = read_text(prom);
  EXPECT_EQ(text.rfind("# HELP drillproof_history_chain_ok ", 0), 0u) << text;
  EXPECT_HAS(text,
             "drillproof_backup_rpo_objective_seconds{plan=\"shop\",backup=\"orders\"} "
             "86400.000\n");

  // A rename that fails (FILE is a directory) leaves no temporary file either.
  fs::path blocked = m_dir->path() / "blocked";
  fs::create_directories(blocked / "x.prom");
  auto r = status("2026-11-03T05:00:00Z", {"--prometheus", (blocked / "x.prom").string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_HAS(r.out, "; cannot write the --prometheus file | ");
  EXPECT_EQ(leftovers(blocked), std::vector<std::string>{"x.prom"});
}

// The whole path: two real runs of a SQLite plan append to the history.
TEST_F(AuditStatus, RealRunsAppendAChainThatAuditsClean) {
  const fs::path d = m_dir->path();
  fs::copy_file(chinook("Chinook_Sqlite.sqlite"), d / "chinook.sqlite");
  write_text(d / "plan.toml", R"([plan]
name = "history e2e"

[[backup]]
name = "chinook"
engine = "sqlite"
path = "chinook.sqlite"
rto = "5m"

[[backup.check]]
type = "row_count"
table = "Album"
expect = 347
)");
  for (const char* out : {"run1", "run2"}) {
    auto run = run_cli({"run", (d / "plan.toml").string(), "--out", (d / out).string(), "--history",
                        dir().string()});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  }
  auto lines = [&] {
    std::vector<std::string> out;
    std::istringstream in(read_text(dir() / "history.jsonl"));
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }();
  ASSERT_EQ(lines.size(), 2u);
  auto second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(second["seq"], 2);
  EXPECT_EQ(second["prev"], "sha256:" + sha256_hex(lines[0]));
  EXPECT_EQ(second["manifest_digest"],
            "sha256:" + sha256_hex(read_text(d / "run2/MANIFEST.sha256")));
  EXPECT_EQ(second["backups"][0]["name"], "chinook");

  auto a = run_cli({"audit", dir().string()});
  EXPECT_EQ(a.exit_code, 0) << a.out << a.err;
  EXPECT_HAS(a.out, "\nchain: ok (2 lines)\n");
  auto s = run_cli({"status", dir().string(), "--max-age", "26h"});
  EXPECT_EQ(s.exit_code, 0) << s.out << s.err;
  EXPECT_EQ(s.out.rfind("DRILLPROOF OK - plan 'history e2e' last run passed ", 0), 0u) << s.out;
  EXPECT_HAS(s.out, ", seq 2) | age=");
  EXPECT_HAS(s.out, " rto_chinook=");

  // A damaged last line: the next run writes its reports but refuses to chain.
  write_text(dir() / "history.jsonl", read_text(dir() / "history.jsonl") + "{\"oops\n");
  auto refused = run_cli({"run", (d / "plan.toml").string(), "--out", (d / "run3").string(),
                          "--history", dir().string()});
  EXPECT_EQ(refused.exit_code, 3) << refused.out << refused.err;
  EXPECT_HAS(refused.err, "refusing to chain onto it");
  EXPECT_TRUE(fs::exists(d / "run3/MANIFEST.sha256"));
  EXPECT_EQ(run_cli({"audit", dir().string()}).exit_code, 1);
}

}  // namespace
}  // namespace dp::test
