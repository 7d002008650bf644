// history.jsonl: round trip, the chain fields, locking, and each kind of
// tampering reported at the line where it happened.
#include "reports/history.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/unit/reports/sample_report.hpp"
#include "verifier/core/sha256.hpp"
#include "verifier/core/temp_dir.hpp"

namespace dp::reports {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using testing::at;

const std::string k_zero = "sha256:" + std::string(64, '0');

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

HistoryEntry entry(int day, Status verdict = Status::passed) {
  HistoryEntry e;
  e.run_id = "run-" + std::to_string(day);
  e.started = at(std::chrono::hours(24 * day) + 2h);
  e.finished = e.started + 95s;
  e.plan_name = "shop";
  e.plan_digest = "sha256:" + std::string(64, 'a');
  e.verdict = verdict;
  e.manifest_digest = "sha256:" + std::string(64, 'b');
  e.report_dir = "/var/lib/drillproof/reports/" + e.run_id;
  e.backups = {
      HistoryBackup{"orders", verdict, 15min, 4210ms, 24h, std::nullopt},
      HistoryBackup{"users", Status::passed, std::nullopt, 101ms, std::nullopt, std::nullopt}};
  return e;
}

std::vector<std::string> messages(const History& h) {
  std::vector<std::string> out;
  for (const auto& p : h.problems) out.push_back(p.message);
  return out;
}

class HistoryFile : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("dp-history-");
    ASSERT_TRUE(dir) << dir.error().message;
    m_dir.emplace(std::move(*dir));
  }
  void TearDown() override {
    if (HasFailure()) m_dir->keep();
  }
  fs::path dir() const { return m_dir->path() / "history"; }
  fs::path file() const { return dir() / k_history_file; }
  // Appends `n` runs, one a day, and returns the file's lines.
  std::vector<std::string> fill(int n) {
    for (int day = 1; day <= n; ++day) {
      auto appended = append_history(dir(), entry(day));
      EXPECT_TRUE(appended) << appended.error().message;
    }
    return lines_of(read_text(file()));
  }
  History read() {
    auto h = read_history(dir());
    EXPECT_TRUE(h) << h.error().message;
    return h ? *h : History{};
  }
  std::optional<TempDir> m_dir;
};

TEST_F(HistoryFile, RoundTripCreatesTheDirectoryAndFillsSeqAndPrev) {
  HistoryEntry first = entry(1);
  first.key_fingerprint = std::string(64, 'c');
  first.started += 750ms;  // stored in whole seconds
  auto a = append_history(dir(), first);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->seq, 1u);
  EXPECT_EQ(a->prev, k_zero);
  EXPECT_EQ(a->started, entry(1).started);
  auto b = append_history(dir(), entry(2, Status::failed));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->seq, 2u);
  auto lines = lines_of(read_text(file()));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(b->prev, "sha256:" + sha256_hex(lines[0]));

  History h = read();
  EXPECT_TRUE(h.problems.empty()) << ::testing::PrintToString(messages(h));
  ASSERT_EQ(h.entries.size(), 2u);
  const HistoryEntry& r = h.entries[0];
  EXPECT_EQ(r.seq, 1u);
  EXPECT_EQ(r.run_id, "run-1");
  EXPECT_EQ(r.started, a->started);
  EXPECT_EQ(r.finished, a->finished);
  EXPECT_EQ(r.plan_name, "shop");
  EXPECT_EQ(r.plan_digest, first.plan_digest);
  EXPECT_EQ(r.verdict, Status::passed);
  EXPECT_FALSE(r.interrupted);
  EXPECT_EQ(r.manifest_digest, first.manifest_digest);
  EXPECT_EQ(r.key_fingerprint, first.key_fingerprint);
  EXPECT_EQ(r.report_dir, first.report_dir);
  EXPECT_EQ(r.prev, k_zero);
  ASSERT_EQ(r.backups.size(), 2u);
  EXPECT_EQ(r.backups[0].name, "orders");
  EXPECT_EQ(r.backups[0].rto_objective, Millis(15min));
  EXPECT_EQ(r.backups[0].rto_achieved, Millis(4210ms));
  EXPECT_EQ(r.backups[0].rpo_objective, Millis(24h));
  EXPECT_EQ(r.backups[0].rpo_achieved, std::nullopt);
  EXPECT_EQ(r.backups[1].rto_objective, std::nullopt);
  EXPECT_EQ(h.entries[1].verdict, Status::failed);
  EXPECT_EQ(h.entries[1].key_fingerprint, "");
}

TEST_F(HistoryFile, LineIsOneCompactObjectInTheDocumentedOrder) {
  ASSERT_TRUE(append_history(dir(), entry(1)));
  std::string text = read_text(file());
  ASSERT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\n'), text.size() - 1);
  EXPECT_EQ(text.rfind(R"({"format":"drillproof-history","format_version":1,"seq":1,)", 0), 0u)
      << text;
  const char* keys[] = {"\"run_id\":\"run-1\"",
                        "\"started\":\"2026-11-22T02:00:00Z\"",
                        "\"finished\":\"2026-11-22T02:01:35Z\"",
                        "\"plan\":\"shop\"",
                        "\"plan_digest\"",
                        "\"verdict\":\"passed\"",
                        "\"interrupted\":false",
                        "\"manifest_digest\"",
                        "\"key_fingerprint\":null",
                        "\"report_dir\"",
                        "\"backups\":[{\"name\":\"orders\",\"status\":\"passed\","
                        "\"rto_objective_s\":900.0,\"rto_achieved_s\":4.21,"
                        "\"rpo_objective_s\":86400.0,\"rpo_achieved_s\":null}",
                        "\"prev\":\"sha256:000"};
  std::size_t last = 0;
  for (const char* key : keys) {
    auto pos = text.find(key);
    ASSERT_NE(pos, std::string::npos) << key << " in " << text;
    EXPECT_GT(pos, last) << key;
    last = pos;
  }
}

TEST_F(HistoryFile, HistoryEntryTakesTheRunReport) {
  RunReport report = testing::make_report();
  report.run_id = "20261121T030000Z-1a2b3c4d";
  report.plan_digest = "sha256:" + std::string(64, 'd');
  report.signer = Signer{true, std::string(64, 'e')};
  HistoryEntry e = history_entry(report, "sha256:" + std::string(64, 'f'), "relative/dir");
  EXPECT_EQ(e.run_id, report.run_id);
  EXPECT_EQ(e.plan_name, "shop nightly");
  EXPECT_EQ(e.verdict, Status::failed);
  EXPECT_EQ(e.key_fingerprint, std::string(64, 'e'));
  EXPECT_TRUE(fs::path(e.report_dir).is_absolute()) << e.report_dir;
  ASSERT_EQ(e.backups.size(), 2u);
  EXPECT_EQ(e.backups[0].name, "orders");
  EXPECT_EQ(e.backups[0].rto_objective, Millis(15min));
  EXPECT_EQ(e.backups[0].rto_achieved, Millis(4210ms));
  EXPECT_EQ(e.backups[1].status, Status::failed);
  EXPECT_EQ(e.backups[0].rpo_achieved, std::nullopt);
}

TEST_F(HistoryFile, HostileNamesRoundTrip) {
  HistoryEntry e = entry(1);
  e.backups[0].name = std::string("billing ") + testing::k_hostile + "\n|x";
  e.plan_name = "shop\x01\"";
  ASSERT_TRUE(append_history(dir(), e));
  ASSERT_TRUE(append_history(dir(), entry(2)));
  EXPECT_EQ(lines_of(read_text(file())).size(), 2u);
  History h = read();
  EXPECT_TRUE(h.problems.empty()) << ::testing::PrintToString(messages(h));
  ASSERT_EQ(h.entries.size(), 2u);
  EXPECT_EQ(h.entries[0].backups[0].name, e.backups[0].name);
  EXPECT_EQ(h.entries[0].plan_name, e.plan_name);
}

TEST_F(HistoryFile, MissingFileIsAnEmptyHistory) {
  History h = read();
  EXPECT_TRUE(h.entries.empty());
  EXPECT_TRUE(h.problems.empty());
}

TEST_F(HistoryFile, ConcurrentAppendsFromThreadsStayOneChain) {
  constexpr int k_each = 40;
  auto appender = [this](int offset) {
    for (int i = 0; i < k_each; ++i) {
      auto a = append_history(dir(), entry(offset + i));
      EXPECT_TRUE(a) << a.error().message;
    }
  };
  fs::create_directories(dir());
  std::thread t1(appender, 0), t2(appender, 1000);
  t1.join();
  t2.join();
  History h = read();
  EXPECT_TRUE(h.problems.empty()) << ::testing::PrintToString(messages(h));
  ASSERT_EQ(h.entries.size(), 2u * k_each);
  for (std::size_t i = 0; i < h.entries.size(); ++i) EXPECT_EQ(h.entries[i].seq, i + 1);
}

TEST_F(HistoryFile, ConcurrentAppendsFromProcessesStayOneChain) {
  constexpr int k_children = 4, k_each = 15;
  fs::create_directories(dir());
  std::vector<pid_t> children;
  for (int c = 0; c < k_children; ++c) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      bool ok = true;
      for (int i = 0; i < k_each; ++i) ok = append_history(dir(), entry(c * 100 + i)) && ok;
      ::_exit(ok ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  History h = read();
  EXPECT_TRUE(h.problems.empty()) << ::testing::PrintToString(messages(h));
  EXPECT_EQ(h.entries.size(), static_cast<std::size_t>(k_children * k_each));
}

TEST_F(HistoryFile, EditedLineIsReportedAtItsPosition) {
  auto lines = fill(5);
  auto digit = lines[2].find("4.21");
  ASSERT_NE(digit, std::string::npos);
  lines[2][digit] = '3';  // the achieved RTO, 4.21s -> 3.21s
  write_text(file(), join(lines));
  History h = read();
  EXPECT_EQ(messages(h), std::vector<std::string>{
                             "line 3: edited: its sha256 does not match the prev recorded in line "
                             "4 (seq 4)"});
  ASSERT_EQ(h.problems.size(), 1u);
  EXPECT_EQ(h.problems[0].line, 3u);
  EXPECT_EQ(h.entries.size(), 5u);  // still parsed: the audit shows what it says
}

TEST_F(HistoryFile, EditedFirstLinesPrevIsReported) {
  auto lines = fill(2);
  lines[0].replace(lines[0].find(k_zero), k_zero.size(), "sha256:" + std::string(64, '1'));
  write_text(file(), join(lines));
  EXPECT_EQ(messages(read()),
            (std::vector<std::string>{"line 1: seq 1 must carry the zero prev: line 1 was edited",
                                      "line 1: edited: its sha256 does not match the prev "
                                      "recorded in line 2 (seq 2)"}));
}

TEST_F(HistoryFile, DeletedLineIsReportedWhereTheGapIs) {
  auto lines = fill(6);
  lines.erase(lines.begin() + 3);  // seq 4
  write_text(file(), join(lines));
  History h = read();
  EXPECT_EQ(messages(h),
            std::vector<std::string>{"line 4: seq 5 follows seq 3: 1 line deleted before it"});
  lines.erase(lines.begin() + 3);  // and seq 5
  write_text(file(), join(lines));
  EXPECT_EQ(messages(read()),
            std::vector<std::string>{"line 4: seq 6 follows seq 3: 2 lines deleted before it"});
}

TEST_F(HistoryFile, DeletedFirstLinesAreReported) {
  auto lines = fill(4);
  lines.erase(lines.begin(), lines.begin() + 2);
  write_text(file(), join(lines));
  EXPECT_EQ(messages(read()),
            std::vector<std::string>{
                "line 1: chain does not start at seq 1 (this is seq 3): 2 earlier lines deleted"});
}

TEST_F(HistoryFile, SwappedLinesAreReportedAsReordered) {
  auto lines = fill(5);
  std::swap(lines[1], lines[2]);  // seq 1, 3, 2, 4, 5
  write_text(file(), join(lines));
  EXPECT_EQ(
      messages(read()),
      (std::vector<std::string>{"line 2: seq 3 comes before seq 2 (line 3): lines were reordered",
                                "line 3: seq 2 comes after seq 3 (line 2): lines were reordered"}));
}

TEST_F(HistoryFile, LineMovedToTheEndIsReportedAsReordered) {
  auto lines = fill(5);
  std::string moved = lines[1];
  lines.erase(lines.begin() + 1);
  lines.push_back(moved);  // seq 1, 3, 4, 5, 2
  write_text(file(), join(lines));
  EXPECT_EQ(
      messages(read()),
      (std::vector<std::string>{"line 2: seq 3 comes before seq 2 (line 5): lines were reordered",
                                "line 5: seq 2 comes after seq 5 (line 4): lines were reordered"}));
}

TEST_F(HistoryFile, DuplicatedLineIsReported) {
  auto lines = fill(3);
  lines.insert(lines.begin() + 2, lines[1]);
  write_text(file(), join(lines));
  EXPECT_EQ(messages(read()),
            std::vector<std::string>{"line 3: seq 2 again (first at line 2): duplicated line"});
}

TEST_F(HistoryFile, GarbageLineIsReportedAndTheRestStillChecked) {
  auto lines = fill(4);
  lines[1] = "this is not json";
  write_text(file(), join(lines));
  History h = read();
  ASSERT_EQ(h.problems.size(), 1u) << ::testing::PrintToString(messages(h));
  EXPECT_EQ(h.problems[0].line, 2u);
  EXPECT_EQ(h.problems[0].message.rfind("line 2: not a history line: parse error", 0), 0u)
      << h.problems[0].message;
  EXPECT_EQ(h.entries.size(), 3u);
}

TEST_F(HistoryFile, WrongFormatOrTypesAreNotHistoryLines) {
  auto lines = fill(3);
  lines[0] = R"({"format":"something-else","format_version":1})";
  lines[1].replace(lines[1].find("\"seq\":2"), 7, "\"seq\":\"2\"");
  lines[2].replace(lines[2].find("\"format_version\":1"), 18, "\"format_version\":2");
  write_text(file(), join(lines));
  EXPECT_EQ(messages(read()),
            (std::vector<std::string>{
                "line 1: not a history line: \"format\" is not \"drillproof-history\"",
                "line 2: not a history line: \"seq\" missing or not a positive integer",
                "line 3: not a history line: format_version 2 is not 1, the version this "
                "drillproof reads"}));
}

// Replaces the value of "started" or "finished" (a 20-character string) in a line.
std::string with_time(std::string line, const std::string& key, const std::string& value) {
  std::string k = "\"" + key + "\":\"";
  auto at_value = line.find(k) + k.size();
  return line.replace(at_value, 20, value);
}

TEST_F(HistoryFile, OutOfRangeTimesAreRejectedBeforeConversion) {
  // Before the range check these reached parse_timestamp, whose conversion
  // to nanoseconds overflows (UBSan: signed integer overflow).
  auto lines = fill(4);
  lines[0] = with_time(lines[0], "started", "9999-12-31T23:59:59Z");
  lines[1] = with_time(lines[1], "finished", "2201-01-01T00:00:00Z");
  lines[2] = with_time(lines[2], "started", "1969-12-31T23:59:59Z");
  write_text(file(), join(lines));
  History h = read();
  EXPECT_EQ(messages(h),
            (std::vector<std::string>{
                "line 1: not a history line: started 9999-12-31T23:59:59Z is out of range "
                "(years 1970 to 2200)",
                "line 2: not a history line: finished 2201-01-01T00:00:00Z is out of range "
                "(years 1970 to 2200)",
                "line 3: not a history line: started 1969-12-31T23:59:59Z is out of range "
                "(years 1970 to 2200)"}));
  EXPECT_EQ(h.entries.size(), 1u);
  // The edges of the range are accepted.
  lines = lines_of(read_text(file()));
  lines[0] = with_time(lines[0], "started", "2200-12-31T23:59:59Z");
  lines[1] = with_time(lines[1], "finished", "1970-01-01T00:00:00Z");
  write_text(file(), join(lines));
  h = read();
  ASSERT_GE(h.entries.size(), 2u) << ::testing::PrintToString(messages(h));
  EXPECT_EQ(std::chrono::floor<std::chrono::days>(h.entries[1].finished).time_since_epoch().count(),
            0);
}

TEST_F(HistoryFile, TimesAreStrictlyTheFormTheWriterWrites) {
  // parse_timestamp also takes epoch seconds, date-only and offset forms; a
  // history line holds only "YYYY-MM-DDTHH:MM:SSZ".
  auto lines = fill(1);
  for (std::string value :
       {"999999999999", "2026-11-21", "2026-11-21 02:00:00", "2026-11-21T02:00:00+01:00",
        "2026-11-21T02:00:00.5Z", "2026-11-21t02:00:00z", "+026-11-21T02:00:00Z"}) {
    auto start = lines[0].find("\"started\":\"") + 11;
    auto end = lines[0].find('"', start);
    std::string line = lines[0];
    line.replace(start, end - start, value);
    write_text(file(), line + "\n");
    EXPECT_EQ(messages(read()),
              std::vector<std::string>{"line 1: not a history line: \"started\" is not a UTC "
                                       "time YYYY-MM-DDTHH:MM:SSZ"})
        << value;
  }
}

// Replaces "seq":<from> with "seq":<to> in a line.
std::string with_seq(std::string line, std::uint64_t from, const std::string& to) {
  std::string k = "\"seq\":" + std::to_string(from) + ",";
  return line.replace(line.find(k), k.size(), "\"seq\":" + to + ",");
}

TEST_F(HistoryFile, HugeSeqJumpCountsMovedLinesBeyondAnyScanLimit) {
  // The old per-seq scan stopped 100,000 seqs into a gap, so a seq further
  // on was counted as deleted rather than moved.
  auto lines = fill(3);
  lines[1] = with_seq(lines[1], 2, "200002");
  lines[2] = with_seq(lines[2], 3, "200001");
  write_text(file(), join(lines));
  EXPECT_EQ(messages(read()),
            (std::vector<std::string>{
                "line 2: seq 200002 follows seq 1: 199999 lines deleted before it",
                "line 2: seq 200002 comes before seq 200001 (line 3): lines were reordered",
                "line 3: seq 200001 comes after seq 200002 (line 2): lines were reordered",
                "line 3: edited: its sha256 does not match the prev recorded in line 2 (seq "
                "200002)"}));
  lines[2] = with_seq(lines[2], 200001, "18446744073709551614");
  write_text(file(), join(lines));
  EXPECT_EQ(messages(read()),
            (std::vector<std::string>{
                "line 2: seq 200002 follows seq 1: 200000 lines deleted before it",
                "line 3: seq 18446744073709551614 follows seq 200002: 18446744073709351611 lines "
                "deleted before it"}));
}

TEST_F(HistoryFile, SeqAtUint64MaxDoesNotWrap) {
  // Before: high + 1 wrapped to 0, so seq 5 after seq 2^64-1 read as a gap
  // of "5 lines deleted".
  auto lines = fill(2);
  lines[0] = with_seq(lines[0], 1, "18446744073709551615");
  lines[1] = with_seq(lines[1], 2, "5");
  write_text(file(), join(lines));
  EXPECT_EQ(messages(read()),
            (std::vector<std::string>{
                "line 1: chain does not start at seq 1 (this is seq 18446744073709551615): "
                "18446744073709551613 earlier lines deleted",
                "line 1: seq 18446744073709551615 comes before seq 5 (line 2): lines were "
                "reordered",
                "line 2: seq 5 comes after seq 18446744073709551615 (line 1): lines were "
                "reordered"}));
  // No line can follow seq 2^64-1: append refuses rather than write seq 0.
  write_text(file(), lines[0] + "\n");
  auto a = append_history(dir(), entry(3));
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, Errc::invalid_input);
  EXPECT_EQ(a.error().message,
            file().string() +
                ": the last line's seq is 18446744073709551615, the largest there is; refusing "
                "to chain onto it");
  EXPECT_EQ(read_text(file()), lines[0] + "\n");
}

TEST_F(HistoryFile, TruncatedLastLineIsReported) {
  auto lines = fill(3);
  std::string text = join(lines);
  text.resize(text.size() - 40);
  write_text(file(), text);
  History h = read();
  ASSERT_EQ(h.problems.size(), 1u);
  EXPECT_EQ(h.problems[0].line, 3u);
  EXPECT_NE(h.problems[0].message.find("the file ends inside this line (a cut-short write?)"),
            std::string::npos)
      << h.problems[0].message;
  // Cut just before the final newline: parses, but is still incomplete.
  write_text(file(), join(lines).substr(0, join(lines).size() - 1));
  EXPECT_EQ(messages(read()), std::vector<std::string>{
                                  "line 3: not a history line: no newline at the end of the file "
                                  "(a cut-short write?)"});
}

TEST_F(HistoryFile, EmptyLineIsReported) {
  auto lines = fill(2);
  lines.insert(lines.begin() + 1, "");
  write_text(file(), join(lines));
  EXPECT_EQ(messages(read()), std::vector<std::string>{"line 2: not a history line: empty line"});
}

TEST_F(HistoryFile, AppendRefusesAnUnparsableOrIncompleteLastLine) {
  auto lines = fill(2);
  write_text(file(), join(lines) + "garbage\n");
  auto a = append_history(dir(), entry(3));
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, Errc::invalid_input);
  EXPECT_NE(a.error().message.find("the last line is not a history line"), std::string::npos)
      << a.error().message;
  EXPECT_NE(a.error().message.find("refusing to chain onto it"), std::string::npos);
  write_text(file(), join(lines) + lines[1].substr(0, 30));
  a = append_history(dir(), entry(3));
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, Errc::invalid_input);
  EXPECT_NE(a.error().message.find("no newline at the end"), std::string::npos)
      << a.error().message;
  EXPECT_EQ(read_text(file()), join(lines) + lines[1].substr(0, 30)) << "the file was changed";
}

TEST_F(HistoryFile, AppendRefusesAnEmptyLastLineRatherThanRestartingTheChain) {
  auto lines = fill(2);
  for (const std::string& tail : {std::string("\n"), std::string("\n\n")}) {
    write_text(file(), join(lines) + tail);
    auto a = append_history(dir(), entry(3));
    ASSERT_FALSE(a) << "chained as seq " << a->seq;
    EXPECT_EQ(a.error().code, Errc::invalid_input);
    EXPECT_EQ(a.error().message,
              file().string() + ": the last line is empty; refusing to chain onto it");
    EXPECT_EQ(read_text(file()), join(lines) + tail) << "the file was changed";
  }
  // A file holding only "\n" is not empty either.
  write_text(file(), "\n");
  auto only = append_history(dir(), entry(1));
  ASSERT_FALSE(only);
  EXPECT_EQ(only.error().code, Errc::invalid_input);
  EXPECT_EQ(read_text(file()), "\n");
}

TEST_F(HistoryFile, AppendChainsOntoALongLastLine) {
  HistoryEntry big = entry(1);
  for (int i = 0; i < 400; ++i)
    big.backups.push_back(HistoryBackup{"backup-" + std::to_string(i), Status::passed, 1min, 1500ms,
                                        std::nullopt, std::nullopt});
  ASSERT_TRUE(append_history(dir(), big));
  auto second = append_history(dir(), entry(2));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->seq, 2u);
  History h = read();
  EXPECT_TRUE(h.problems.empty()) << ::testing::PrintToString(messages(h));
}

// Holds a flock on the history file through its own open file description,
// as another drillproof process would.
class HeldLock {
 public:
  HeldLock(const fs::path& file, int operation) : m_fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC)) {
    EXPECT_GE(m_fd, 0);
    EXPECT_EQ(::flock(m_fd, operation | LOCK_NB), 0);
  }
  ~HeldLock() { release(); }
  HeldLock(const HeldLock&) = delete;
  HeldLock& operator=(const HeldLock&) = delete;
  void release() {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
  }

 private:
  int m_fd;
};

TEST_F(HistoryFile, AppendGivesUpOnAStuckLockWithATimeout) {
  auto lines = fill(1);
  HeldLock held(file(), LOCK_EX);
  auto start = std::chrono::steady_clock::now();
  auto a = append_history(dir(), entry(2), 200ms);
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(a) << "appended seq " << a->seq << " without the lock";
  EXPECT_EQ(a.error().code, Errc::timeout);
  EXPECT_EQ(a.error().message,
            file().string() + ": still locked by another drillproof after 200ms; gave up");
  EXPECT_GE(waited, 200ms);
  EXPECT_EQ(read_text(file()), join(lines)) << "the file was changed";
  // A shared lock (a reader) also keeps an append out.
  held.release();
  HeldLock reader(file(), LOCK_SH);
  EXPECT_EQ(append_history(dir(), entry(2), 100ms).error().code, Errc::timeout);
}

TEST_F(HistoryFile, AppendWaitsForTheLockToBeReleased) {
  fill(1);
  auto held = std::make_unique<HeldLock>(file(), LOCK_EX);
  std::thread releaser([&] {
    std::this_thread::sleep_for(150ms);
    held->release();
  });
  auto a = append_history(dir(), entry(2), 10s);
  releaser.join();
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->seq, 2u);
}

TEST_F(HistoryFile, ReadTakesASharedLockAndTimesOutBehindAnAppend) {
  fill(2);
  {
    HeldLock other_reader(file(), LOCK_SH);  // readers share
    History h = read();
    EXPECT_EQ(h.entries.size(), 2u);
  }
  HeldLock appender(file(), LOCK_EX);
  auto h = read_history(dir(), 100ms);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, Errc::timeout);
  EXPECT_EQ(h.error().message,
            file().string() + ": still locked by another drillproof after 100ms; gave up");
}

TEST_F(HistoryFile, UnwritableDirectoryIsAnIoError) {
  fs::create_directories(dir());
  write_text(m_dir->path() / "file", "x");
  auto a = append_history(m_dir->path() / "file" / "sub", entry(1));
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, Errc::io);
}

}  // namespace
}  // namespace dp::reports
