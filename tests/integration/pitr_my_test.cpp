// Integration: MySQL/MariaDB point-in-time recovery (issue 8). One real
// MariaDB source with binary logging, shared by the suite: a mariadb-dump
// --master-data=2, then a marker row a second for ~24 s with FLUSH BINARY
// LOGS every 6, the binlog files copied into an archive. Each test restores
// the dump into a real scratch server and replays the archive with
// mariadb-binlog; the negative controls damage copies of the archive.
#include <fmt/format.h>

#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "drills/my_pitr.hpp"
#include "drills/restore.hpp"
#include "tests/integration/pitr_my_fixture.hpp"
#include "verifier/core/text.hpp"
#include "verifier/core/timestamp.hpp"
#include "verifier/engine/engine.hpp"

namespace dp::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

constexpr int k_markers = 24;

struct Marker {
  int seq = 0;
  Clock::time_point written_at;
};

class PitrMy : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_work = new TempDir(world_dir("dp-pitrmy-"));
    std::string why;
    auto source = BinlogSourceMy::start(why);
    if (!source) {
      s_why = "MariaDB unavailable: " + why;
      return;
    }
    s_source = new BinlogSourceMy(std::move(*source));
    if (auto err = s_source->sql(
            "CREATE DATABASE shop;"
            "CREATE TABLE shop.marker (seq INT PRIMARY KEY, written_at DATETIME(6) NOT NULL);"
            "INSERT INTO shop.marker VALUES (0, UTC_TIMESTAMP(6));"
            "FLUSH BINARY LOGS");
        !err.empty())
      return fail(err);
    if (auto err =
            s_source->dump({"--single-transaction", "--master-data=2", "shop"}, work("shop.sql"));
        !err.empty())
      return fail("mariadb-dump --master-data=2: " + err);
    if (auto err = s_source->dump({"--single-transaction", "shop"}, work("plain.sql"));
        !err.empty())
      return fail("mariadb-dump: " + err);
    auto backup = s_source->run(s_source->scratch().binaries().backup,
                                {"--backup", "--target-dir=" + work("backup").string()});
    if (!backup || !backup->status.ok())
      return fail("mariadb-backup: " + (backup ? backup->err : backup.error().message));
    std::this_thread::sleep_for(1s);
    for (int i = 1; i <= k_markers; ++i) {
      std::string sql = fmt::format("INSERT INTO shop.marker VALUES ({}, UTC_TIMESTAMP(6))", i);
      if (i % 6 == 0) sql += "; FLUSH BINARY LOGS";
      if (auto err = s_source->sql(sql); !err.empty()) return fail(err);
      std::this_thread::sleep_for(1s);
    }
    std::string out;
    if (auto err = s_source->sql("SELECT seq, written_at FROM shop.marker ORDER BY seq", &out);
        !err.empty())
      return fail(err);
    for (std::string_view line : lines(out)) {
      auto tab = line.find('\t');
      auto t = parse_timestamp(line.substr(tab + 1));
      if (!t) return fail(t.error().message);
      s_markers.push_back({std::stoi(std::string(line.substr(0, tab))), *t});
    }
    fs::create_directory(work("archive"));
    for (const auto& e : fs::directory_iterator(s_source->scratch().dir()))
      if (e.path().filename().string().rfind("mysql-bin.", 0) == 0)
        fs::copy_file(e.path(), work("archive") / e.path().filename());
  }
  static void fail(const std::string& why) { s_why = why; }
  static void TearDownTestSuite() {
    delete s_source;
    delete s_work;
    s_source = nullptr;
    s_work = nullptr;
  }
  void SetUp() override {
    DP_REQUIRE_OR_SKIP(s_why.empty() || s_why.rfind("MariaDB unavailable", 0) != 0, s_why);
    ASSERT_TRUE(s_why.empty()) << s_why;
    ASSERT_EQ(s_markers.size(), static_cast<std::size_t>(k_markers + 1));
  }

  static std::vector<std::string_view> lines(std::string_view text) {
    std::vector<std::string_view> out;
    while (!text.empty()) {
      auto nl = text.find('\n');
      if (nl != 0) out.push_back(text.substr(0, nl));
      if (nl == std::string_view::npos) break;
      text.remove_prefix(nl + 1);
    }
    return out;
  }
  static fs::path work(const std::string& name) { return s_work->path() / name; }

  static std::map<std::string, std::string> archive_bytes(const fs::path& dir) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
      out[e.path().filename().string()] = read_text(e.path());
    return out;
  }

  // A copy of the archive for a negative control to damage.
  static fs::path archive_copy(const std::string& name) {
    fs::path dir = work(name);
    fs::remove_all(dir);
    fs::copy(work("archive"), dir);
    return dir;
  }

  static plan::BackupJob job(const fs::path& dump, const fs::path& archive,
                             std::optional<Clock::time_point> target,
                             const std::string& position = "") {
    plan::BackupJob job;
    job.backup.name = "shop";
    job.backup.engine = EngineKind::mysql;
    job.backup.path = dump;
    job.backup.database = "shop";
    config::PitrConfig pitr;
    pitr.binlog_archive = archive;
    pitr.target_time = target;
    pitr.target_position = position;
    pitr.recovery_point_query = "SELECT MAX(written_at) FROM marker";
    job.backup.pitr = pitr;
    return job;
  }

  struct Restored {
    drills::RestoreRun run;
    std::set<int> seqs;
  };

  // Restores into a fresh scratch server; `seqs` are the markers it holds.
  static Restored restore(const plan::BackupJob& job) {
    Restored out;
    auto scratch =
        drills::MyScratch::create(s_source->scratch().binaries(), s_source->scratch().options());
    EXPECT_TRUE(scratch) << scratch.error().message;
    if (!scratch) return out;
    const bool physical = fs::is_directory(job.backup.path);
    Result<void> ok;
    if (!physical) ok = scratch->initialize();
    if (ok && !physical) ok = scratch->launch();
    EXPECT_TRUE(ok) << ok.error().message;
    if (!ok) return out;
    out.run = physical ? drills::restore_mysql_physical(*scratch, job,
                                                        deadline_in(std::chrono::minutes(5)))
                       : drills::restore_mysql_dump(*scratch, job, drills::BackupFormat::mysql_dump,
                                                    deadline_in(std::chrono::minutes(5)));
    if (!out.run.result) return out;
    auto db = engine::connect(scratch->connect_options("shop"));
    EXPECT_TRUE(db) << db.error().message;
    if (!db) return out;
    auto rows = (*db)->query("SELECT seq FROM marker");
    if (rows)
      for (const auto& row : rows->rows) out.seqs.insert(std::stoi(*row[0]));
    return out;
  }

  // Markers whose event second is at or before the target's: what an
  // inclusive --stop-datetime replay keeps.
  static std::set<int> expected_upto(Clock::time_point target) {
    std::set<int> out;
    for (const auto& m : s_markers)
      if (std::chrono::floor<std::chrono::seconds>(m.written_at) <=
          std::chrono::floor<std::chrono::seconds>(target))
        out.insert(m.seq);
    return out;
  }
  static Clock::time_point middle_target() { return s_markers[13].written_at + 500ms; }

  // `drillproof run` with a plan naming the dump, `archive` and
  // target_time; the report goes to cli()/report.
  fs::path cli() {
    if (!m_cli) {
      m_cli.emplace(world_dir("dp-pitrmycli-"));
      fs::create_directory(m_cli->path() / "tmp");
      ::chmod((m_cli->path() / "tmp").c_str(), 0755);
    }
    return m_cli->path();
  }
  CliRun drill(const fs::path& archive, const std::string& target_time,
               const std::string& extra = "") {
    fs::path plan = cli() / "plan.toml";
    write_text(plan, fmt::format(R"([plan]
name = "shop pitr"
start_timeout = "60s"

[[backup]]
name = "shop"
engine = "mysql"
path = "{}"
database = "shop"
binlog_archive = "{}"
target_time = "{}"
recovery_point_query = "SELECT MAX(written_at) FROM marker"
{})",
                                 work("shop.sql").string(), archive.string(), target_time, extra));
    return run_cli({"run", plan.string(), "--out", (cli() / "report").string()},
                   {{"TMPDIR", (cli() / "tmp").string()}});
  }
  nlohmann::json pitr() { return read_json(cli() / "report/report.json")["backups"][0]["pitr"]; }
  std::optional<TempDir> m_cli;

  static inline TempDir* s_work = nullptr;
  static inline BinlogSourceMy* s_source = nullptr;
  static inline std::string s_why;
  static inline std::vector<Marker> s_markers;
};

// Pure parsing, no server: mariadb-binlog's event header lines (hours are
// printed %2d) and binlog file numbering.
TEST(PitrMyParse, EventHeaderLines) {
  auto h = drills::parse_binlog_event_header(
      "#261121  9:40:12 server id 1  end_log_pos 1520 CRC32 0x1a2b3c4d \tXid = 42");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->end_pos, 1520u);
  EXPECT_FALSE(h->bookkeeping);
  EXPECT_EQ(format_timestamp(h->time), "2026-11-21T09:40:12Z");
  auto rotate = drills::parse_binlog_event_header(
      "#261121 19:40:12 server id 1  end_log_pos 388 CRC32 0x0 \tRotate to mysql-bin.000004  pos: "
      "4");
  ASSERT_TRUE(rotate);
  EXPECT_TRUE(rotate->bookkeeping);
  EXPECT_FALSE(drills::parse_binlog_event_header("# at 4"));
  EXPECT_FALSE(drills::parse_binlog_event_header("#Q> INSERT INTO marker VALUES (1, NOW())"));
  EXPECT_FALSE(drills::parse_binlog_event_header("### INSERT INTO `shop`.`marker`"));
}

TEST(PitrMyParse, BinlogNumbering) {
  EXPECT_EQ(drills::binlog_name("mysql-bin.000003", 12), "mysql-bin.000012");
  EXPECT_EQ(drills::binlog_name("host-bin.999999", 1000000), "host-bin.1000000");
  EXPECT_EQ(drills::binlog_number("mysql-bin.000012"), 12u);
  EXPECT_FALSE(drills::binlog_number("mysql-bin.index"));
  EXPECT_FALSE(drills::binlog_number("mysql-bin"));
}

// MySQL 8's --source-data=2 comment, and a gzip'd dump.
TEST(PitrMyParse, SourceDataCommentOfAGzipDump) {
  TempDir dir = world_dir("dp-pitrmy-parse-");
  const fs::path sql = dir.path() / "d.sql";
  write_text(sql,
             "-- MySQL dump 10.13  Distrib 8.0.36\n--\n-- Position to start replication or "
             "point-in-time recovery from\n--\n\n-- CHANGE REPLICATION SOURCE TO "
             "SOURCE_LOG_FILE='binlog.000007', SOURCE_LOG_POS=157;\n\nCREATE TABLE t (a int);\n");
  SpawnOptions gz;
  gz.argv = {"gzip", "-k", sql.string()};
  auto zipped = run_captured(std::move(gz), std::chrono::seconds(30));
  ASSERT_TRUE(zipped && zipped->status.ok());
  for (auto [format, path] :
       {std::pair{drills::BackupFormat::mysql_dump, sql},
        std::pair{drills::BackupFormat::mysql_dump_gz, fs::path(sql.string() + ".gz")}}) {
    auto start = drills::read_binlog_start(format, path);
    ASSERT_TRUE(start) << start.error().message;
    EXPECT_EQ(start->file, "binlog.000007");
    EXPECT_EQ(start->position, 157u);
  }
}

TEST_F(PitrMy, DumpCoordinatesAreReadFromTheMasterDataComment) {
  auto start = drills::read_binlog_start(drills::BackupFormat::mysql_dump, work("shop.sql"));
  ASSERT_TRUE(start) << start.error().message;
  EXPECT_EQ(start->file, "mysql-bin.000002");
  EXPECT_GT(start->position, 4u);
}

TEST_F(PitrMy, ReplaysToATargetTimeInTheMiddle) {
  const auto target = middle_target();
  const auto before = archive_bytes(work("archive"));
  Restored r = restore(job(work("shop.sql"), work("archive"), target));
  ASSERT_TRUE(r.run.result) << r.run.result.error().message << "\n" << r.run.stderr_tail;
  ASSERT_TRUE(r.run.pitr);
  const auto& pitr = *r.run.pitr;
  EXPECT_EQ(pitr.status, reports::Status::passed) << pitr.message;
  EXPECT_EQ(pitr.message, "");
  EXPECT_EQ(r.seqs, expected_upto(target));
  // The newest replayed marker is within a second of the target; the next is absent.
  const auto newest = static_cast<std::size_t>(*r.seqs.rbegin());
  EXPECT_LT(std::chrono::abs(s_markers[newest].written_at - target), 1s);
  EXPECT_FALSE(r.seqs.count(static_cast<int>(newest) + 1));
  ASSERT_TRUE(pitr.reached_time);
  EXPECT_EQ(*pitr.reached_time,
            std::chrono::floor<std::chrono::seconds>(s_markers[newest].written_at));
  EXPECT_EQ(pitr.reached_lsn.rfind("mysql-bin.00000", 0), 0u) << pitr.reached_lsn;
  ASSERT_TRUE(pitr.recovery_point);
  EXPECT_EQ(*pitr.recovery_point, s_markers[newest].written_at);
  ASSERT_TRUE(pitr.data_loss);
  // Binlog events carry whole seconds: an inclusive target replays its own
  // second, which may hold a marker written after it (no data lost then).
  EXPECT_EQ(*pitr.data_loss, std::max(Millis{0}, std::chrono::duration_cast<Millis>(
                                                     target - s_markers[newest].written_at)));
  EXPECT_EQ(pitr.first_missing, "");
  EXPECT_EQ(pitr.target, "time " + format_timestamp(target));
  // The archive is only read.
  EXPECT_EQ(archive_bytes(work("archive")), before);
}

TEST_F(PitrMy, MariadbBackupReplaysFromItsBinlogInfo) {
  auto start = drills::read_binlog_start(drills::BackupFormat::mariadb_backup, work("backup"));
  ASSERT_TRUE(start) << start.error().message;
  EXPECT_EQ(start->file, "mysql-bin.000002");
  const auto target = middle_target();
  Restored r = restore(job(work("backup"), work("archive"), target));
  ASSERT_TRUE(r.run.result) << r.run.result.error().message << "\n" << r.run.stderr_tail;
  ASSERT_TRUE(r.run.pitr);
  EXPECT_EQ(r.run.pitr->status, reports::Status::passed) << r.run.pitr->message;
  EXPECT_EQ(r.seqs, expected_upto(target));
}

// file 000003 holds markers 7..12: its end (the next file's start) keeps them all.
TEST_F(PitrMy, ReplaysToATargetPosition) {
  Restored r = restore(job(work("shop.sql"), work("archive"), std::nullopt, "mysql-bin.000004:4"));
  ASSERT_TRUE(r.run.result) << r.run.result.error().message;
  ASSERT_TRUE(r.run.pitr);
  EXPECT_EQ(r.run.pitr->status, reports::Status::passed) << r.run.pitr->message;
  EXPECT_EQ(r.seqs, (std::set<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}));
  EXPECT_EQ(r.run.pitr->reached_lsn.rfind("mysql-bin.000003:", 0), 0u) << r.run.pitr->reached_lsn;
  EXPECT_EQ(r.run.pitr->target, "position mysql-bin.000004:4");
}

TEST_F(PitrMy, TargetPositionPastTheArchiveNamesTheFirstMissingFile) {
  Restored r = restore(job(work("shop.sql"), work("archive"), std::nullopt, "mysql-bin.000009:4"));
  ASSERT_TRUE(r.run.pitr);
  EXPECT_EQ(r.run.pitr->status, reports::Status::failed);
  EXPECT_EQ(r.run.pitr->first_missing, "mysql-bin.000007");
  EXPECT_EQ(r.seqs.size(), s_markers.size());
}

TEST_F(PitrMy, LatestReplaysTheWholeArchive) {
  Restored r = restore(job(work("shop.sql"), work("archive"), std::nullopt));
  ASSERT_TRUE(r.run.result) << r.run.result.error().message;
  ASSERT_TRUE(r.run.pitr);
  EXPECT_EQ(r.run.pitr->status, reports::Status::passed) << r.run.pitr->message;
  EXPECT_EQ(r.seqs.size(), s_markers.size());
  EXPECT_EQ(r.run.pitr->target, "latest");
}

TEST_F(PitrMy, TargetPastTheArchiveFailsWithWhereItStopped) {
  const auto target = s_markers.back().written_at + 1h;
  Restored r = restore(job(work("shop.sql"), work("archive"), target));
  ASSERT_TRUE(r.run.pitr);
  EXPECT_EQ(r.run.pitr->status, reports::Status::failed);
  EXPECT_EQ(r.seqs.size(), s_markers.size());
  EXPECT_EQ(r.run.pitr->message.rfind("binlog archive ends at " + r.run.pitr->reached_lsn, 0), 0u)
      << r.run.pitr->message;
  EXPECT_NE(r.run.pitr->message.find("short of target_time"), std::string::npos);
}

// Negative control: a file between the start and the target removed.
TEST_F(PitrMy, GapInTheArchiveFailsNamingTheMissingFile) {
  fs::path archive = archive_copy("gap");
  fs::remove(archive / "mysql-bin.000003");
  Restored r = restore(job(work("shop.sql"), archive, middle_target()));
  ASSERT_TRUE(r.run.pitr);
  const auto& pitr = *r.run.pitr;
  EXPECT_EQ(pitr.status, reports::Status::failed);
  EXPECT_EQ(pitr.first_missing, "mysql-bin.000003");
  ASSERT_TRUE(pitr.reached_time);
  EXPECT_EQ(pitr.message,
            fmt::format("binlog archive lacks mysql-bin.000003: replay stopped at {} ({} UTC), "
                        "short of target_time {} UTC",
                        pitr.reached_lsn,
                        format_timestamp(*pitr.reached_time).substr(0, 19).replace(10, 1, " "),
                        format_timestamp(middle_target()).substr(0, 19).replace(10, 1, " ")));
  EXPECT_EQ(pitr.reached_lsn.rfind("mysql-bin.000002:", 0), 0u) << pitr.reached_lsn;
  // Markers 1..5 are in mysql-bin.000002, all replayed; none after.
  EXPECT_EQ(r.seqs, (std::set<int>{0, 1, 2, 3, 4, 5, 6}));
}

// Negative control: a byte flipped inside a row event of a copy.
TEST_F(PitrMy, CorruptedBinlogFailsWithMariadbBinlogsMessage) {
  fs::path archive = archive_copy("corrupt");
  fs::path file = archive / "mysql-bin.000003";
  std::string bytes = read_text(file);
  ASSERT_GT(bytes.size(), 600u);
  // Inside an event's body (the last Table_map naming the table), not its
  // header: the CRC32 checksum is what must catch it.
  std::size_t at = bytes.rfind("marker");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 1] = static_cast<char>(bytes[at + 1] ^ 0x20);
  write_text(file, bytes);
  Restored r = restore(job(work("shop.sql"), archive, middle_target()));
  ASSERT_TRUE(r.run.pitr);
  const auto& pitr = *r.run.pitr;
  EXPECT_EQ(pitr.status, reports::Status::failed);
  EXPECT_EQ(pitr.message.rfind("mariadb-binlog failed on mysql-bin.000003 (exit code 1): ", 0), 0u)
      << pitr.message;
  // mariadb-binlog 10.11's words for an event whose CRC32 does not match.
  EXPECT_NE(pitr.message.find(": ERROR: Could not read entry at offset "), std::string::npos)
      << pitr.message;
  EXPECT_NE(pitr.message.find(": Error in log format or read error.; replay stopped at " +
                              pitr.reached_lsn + " ("),
            std::string::npos)
      << pitr.message;
  EXPECT_EQ(pitr.reached_lsn.rfind("mysql-bin.000002:", 0), 0u) << pitr.reached_lsn;
  EXPECT_EQ(r.seqs, (std::set<int>{0, 1, 2, 3, 4, 5, 6}));
}

// Negative control: a target before the dump was made.
TEST_F(PitrMy, TargetBeforeTheDumpIsRefused) {
  const auto target = s_markers[0].written_at - 1h;
  Restored r = restore(job(work("shop.sql"), work("archive"), target));
  ASSERT_FALSE(r.run.result);
  EXPECT_EQ(r.run.result.error().code, Errc::invalid_input);
  EXPECT_NE(r.run.result.error().message.find("is before the backup was made"), std::string::npos)
      << r.run.result.error().message;
  ASSERT_TRUE(r.run.pitr);
  EXPECT_EQ(r.run.pitr->status, reports::Status::failed);  // as PitrPg.TargetBeforeTheBackupEnd...
}

// Negative control: a dump without --master-data has no coordinates.
TEST_F(PitrMy, DumpWithoutCoordinatesIsRefusedNamingTheOption) {
  Restored r = restore(job(work("plain.sql"), work("archive"), middle_target()));
  ASSERT_FALSE(r.run.result);
  EXPECT_EQ(r.run.result.error().code, Errc::invalid_input);
  EXPECT_EQ(r.run.result.error().message,
            work("plain.sql").string() +
                " records no binary log coordinates (no \"-- CHANGE MASTER TO "
                "MASTER_LOG_FILE=..., MASTER_LOG_POS=...\" comment in its header), so there is "
                "no point to start replaying binlog_archive from\nhint: make the dump with "
                "mariadb-dump --master-data=2 (mysqldump --source-data=2), or --dump-slave=2 on "
                "a replica");
  ASSERT_TRUE(r.run.pitr);
  EXPECT_EQ(r.run.pitr->status, reports::Status::error);
  EXPECT_EQ(r.run.pitr->message, r.run.result.error().message);
}

// Through `drillproof run`: the plan's binlog_archive and target_time, the
// exit code and report.json's pitr entry.
TEST_F(PitrMy, CliRunReplaysToTheTargetTimeAndReportsIt) {
  const auto target = std::chrono::floor<std::chrono::seconds>(s_markers[13].written_at);
  CliRun run = drill(work("archive"), format_timestamp(target));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  auto p = pitr();
  ASSERT_EQ(p.size(), 1u) << p.dump(2);
  EXPECT_EQ(p[0]["status"], "passed") << p.dump(2);
  EXPECT_EQ(p[0]["target"], "time " + format_timestamp(target));
  EXPECT_EQ(p[0]["message"], "");
  EXPECT_EQ(p[0]["first_missing"], "");
  const int newest = *expected_upto(target).rbegin();
  EXPECT_EQ(p[0]["reached_time"],
            format_timestamp(std::chrono::floor<std::chrono::seconds>(
                                 s_markers[static_cast<std::size_t>(newest)].written_at))
                .insert(19, ".000"))
      << p.dump(2);
  EXPECT_EQ(p[0]["reached_lsn"].get<std::string>().rfind("mysql-bin.00000", 0), 0u);
  EXPECT_FALSE(p[0]["recovery_point"].is_null());
}

// Negative control through the CLI: the gap fails the run (exit 1) and
// report.json names the missing file.
TEST_F(PitrMy, CliRunWithAGapFailsAndNamesTheMissingFile) {
  fs::path archive = archive_copy("cli-gap");
  fs::remove(archive / "mysql-bin.000003");
  const auto target = std::chrono::floor<std::chrono::seconds>(s_markers[13].written_at);
  CliRun run = drill(archive, format_timestamp(target));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto p = pitr();
  ASSERT_EQ(p.size(), 1u) << p.dump(2);
  EXPECT_EQ(p[0]["status"], "failed");
  EXPECT_EQ(p[0]["first_missing"], "mysql-bin.000003");
  EXPECT_EQ(p[0]["message"].get<std::string>().rfind(
                "binlog archive lacks mysql-bin.000003: replay stopped at mysql-bin.000002:", 0),
            0u)
      << p.dump(2);
}

// pitr_targets through `drillproof run`: two random targets in the archive's
// window (the dump's "-- Dump completed on" second to the newest change's
// event second), each replayed into its own scratch server; pitr_seed = 7
// is recorded and gives the same targets on a second run.
TEST_F(PitrMy, CliRunSampledTargetsAreInsideTheWindowAndRepeatable) {
  const auto target = std::chrono::floor<std::chrono::seconds>(s_markers[13].written_at);
  auto origin = drills::read_dump_origin(drills::BackupFormat::mysql_dump, work("shop.sql"));
  ASSERT_TRUE(origin && origin->created);
  const auto from = *origin->created;
  const auto to = std::chrono::floor<std::chrono::seconds>(s_markers.back().written_at);
  auto time_of = [](const nlohmann::json& j) {
    auto t = parse_timestamp(j.get<std::string>());
    EXPECT_TRUE(t) << j;
    return t ? *t : Clock::time_point{};
  };
  std::vector<std::vector<std::string>> rounds;
  for (int round = 0; round < 2; ++round) {
    CliRun run =
        drill(work("archive"), format_timestamp(target), "pitr_targets = 2\npitr_seed = 7\n");
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    auto b = read_json(cli() / "report/report.json")["backups"][0];
    EXPECT_EQ(b["pitr_seed"], 7);
    auto p = b["pitr"];
    ASSERT_EQ(p.size(), 3u) << p.dump(2);
    EXPECT_EQ(p[0]["sampled"], false);
    EXPECT_EQ(p[0]["target"], "time " + format_timestamp(target));
    std::vector<std::string> times;
    for (std::size_t i = 1; i < 3; ++i) {
      const auto& s = p[i];
      EXPECT_EQ(s["sampled"], true) << s.dump(2);
      ASSERT_EQ(s["status"], "passed") << s.dump(2);
      times.push_back(s["target_time"].get<std::string>());
      const auto t = time_of(s["target_time"]);
      EXPECT_EQ(s["target"], "time " + format_timestamp(t));
      EXPECT_GE(t, from) << s.dump(2);
      EXPECT_LE(t, to) << s.dump(2);
      if (!s["reached_time"].is_null()) {
        EXPECT_LE(time_of(s["reached_time"]), t) << s.dump(2);
      }
      // The inclusive target replays every marker stamped at or before its
      // second: the recovery point is the newest of them, exactly.
      const auto newest = static_cast<std::size_t>(*expected_upto(t).rbegin());
      const auto point = time_of(s["recovery_point"]);
      EXPECT_EQ(std::chrono::floor<std::chrono::milliseconds>(point),
                std::chrono::floor<std::chrono::milliseconds>(s_markers[newest].written_at))
          << s.dump(2);
      // Within about a second of the target: before the next marker (one a
      // second plus the client's latency, so the gap can pass 1 s by a few
      // ms); a target during mariadb-backup, before marker 1, has marker 0.
      if (newest >= 1 && newest + 1 < s_markers.size()) {
        EXPECT_LT(std::chrono::abs(t - point), s_markers[newest + 1].written_at - point)
            << s.dump(2);
      }
      const double loss = std::max(0.0, std::chrono::duration<double>(t - point).count());
      EXPECT_NEAR(s["data_loss_s"].get<double>(), loss, 0.002) << s.dump(2);
    }
    EXPECT_LE(times[0], times[1]);
    rounds.push_back(times);
  }
  EXPECT_EQ(rounds[0], rounds[1]);
}

// Negative control for sampling: mysql-bin.000003 (markers 7..12) removed.
// The plan's own target (marker 3, in mysql-bin.000002) still passes; a
// sampled target after marker 7's second fails naming the missing file, and
// the run exits 1. pitr_seed = 7 draws both late in the window (as the run
// above shows), so at least one must fail.
TEST_F(PitrMy, CliRunSampledTargetsPastAGapFailNamingTheMissingFile) {
  fs::path archive = archive_copy("sample-gap");
  fs::remove(archive / "mysql-bin.000003");
  const auto target = std::chrono::floor<std::chrono::seconds>(s_markers[3].written_at);
  CliRun run = drill(archive, format_timestamp(target), "pitr_targets = 2\npitr_seed = 7\n");
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto p = pitr();
  ASSERT_EQ(p.size(), 3u) << p.dump(2);
  EXPECT_EQ(p[0]["status"], "passed") << p.dump(2);
  int failed = 0;
  for (std::size_t i = 1; i < 3; ++i) {
    const auto& s = p[i];
    EXPECT_EQ(s["sampled"], true);
    auto t = parse_timestamp(s["target_time"].get<std::string>());
    ASSERT_TRUE(t);
    if (std::chrono::floor<std::chrono::seconds>(*t) <
        std::chrono::floor<std::chrono::seconds>(s_markers[7].written_at)) {
      EXPECT_EQ(s["status"], "passed") << s.dump(2);
      continue;
    }
    ++failed;
    EXPECT_EQ(s["status"], "failed") << s.dump(2);
    EXPECT_EQ(s["first_missing"], "mysql-bin.000003") << s.dump(2);
    EXPECT_EQ(s["message"].get<std::string>().rfind(
                  "binlog archive lacks mysql-bin.000003: replay stopped at mysql-bin.000002:", 0),
              0u)
        << s.dump(2);
  }
  EXPECT_GE(failed, 1) << p.dump(2);
}

}  // namespace
}  // namespace dp::test
