// Integration: `drillproof wal check` on the WAL archive of a real
// PostgreSQL cluster (archive_mode=on, archive_command='cp %p ARCHIVE/%f'):
// a pg_basebackup, several switched segments with commits, then the
// archive as it is (contiguous, PITR window up to the last commit), with a
// segment removed (exactly one gap naming it), and after a restore of the
// base backup from the archive that ends recovery on timeline 2 and archives
// into the same directory (the history file followed).
#include <fmt/format.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/integration/source_pg.hpp"
#include "verifier/core/timestamp.hpp"

namespace dp::test {
namespace {

using namespace std::chrono_literals;

// To the server user when we are root (nullopt: we are that user already).
void chown_tree(const fs::path& root, const std::optional<Credentials>& user) {
  if (!user) return;
  (void)::chown(root.c_str(), user->uid, user->gid);
  for (const auto& e : fs::recursive_directory_iterator(root))
    (void)::lchown(e.path().c_str(), user->uid, user->gid);
}

class WalArchiveCheck : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_work = new TempDir(world_dir("dp-walarch-"));
    auto user = server_user("");
    if (!user) {
      s_why = user.error().message;
      return;
    }
    fs::create_directory(archive());
    chown_tree(archive(), *user);
    std::string why;
    auto source = SourcePg::start(
        why, {"-c", "wal_level=replica", "-c", "max_wal_senders=4", "-c", "archive_mode=on", "-c",
              "archive_command=cp %p " + archive().string() + "/%f"});
    if (source) s_source = new SourcePg(std::move(*source));
    if (!s_source) {
      s_why = "PostgreSQL unavailable: " + why;
      return;
    }
    auto run = s_source->client(
        "pg_basebackup", {"-D", backup().string(), "-Fp", "-X", "stream", "--checkpoint=fast"});
    if (!run || !run->status.ok()) {
      s_why = fmt::format("pg_basebackup failed: {}", run ? run->err : run.error().message);
      return;
    }
    // Four segments with a commit each; the last commit's time is the PITR
    // window's end.
    std::string out = s_source->psql("CREATE TABLE t (i int)");
    for (int i = 0; i < 4 && out.rfind("error", 0) != 0; ++i)
      out = s_source->psql(
          fmt::format("INSERT INTO t VALUES ({}) RETURNING to_char(now() AT TIME ZONE 'UTC', "
                      "'YYYY-MM-DD HH24:MI:SS.US'), pg_walfile_name(pg_switch_wal())",
                      i));
    if (out.rfind("error", 0) == 0) {
      s_why = "generating WAL failed: " + out;
      return;
    }
    auto bar = out.find('|');
    s_last_commit = out.substr(0, bar);
    s_last_segment = out.substr(bar + 1);
    if (!wait_archived(archive() / s_last_segment))
      s_why = s_last_segment + " was not archived in 60 s";
  }
  // archive_command's cp is not atomic: the file is there before it is whole.
  static bool wait_archived(const fs::path& file) {
    for (int i = 0; i < 600; ++i) {
      std::error_code ec;
      if (fs::file_size(file, ec) == (16u << 20)) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
  static void TearDownTestSuite() {
    delete s_source;
    delete s_work;
    s_source = nullptr;
    s_work = nullptr;
  }
  void SetUp() override {
    DP_REQUIRE_OR_SKIP(s_why.empty(), s_why);
    m_dir.emplace(world_dir("dp-walarchcase-"));
  }
  void TearDown() override {
    if (HasFailure() && m_dir) m_dir->keep();
  }

  static fs::path archive() { return s_work->path() / "archive"; }
  static fs::path backup() { return s_work->path() / "base"; }
  fs::path archive_copy() {
    fs::path to = m_dir->path() / "archive";
    fs::copy(archive(), to, fs::copy_options::recursive);
    return to;
  }
  static std::string start_segment() {
    std::smatch m;
    std::string label = read_text(backup() / "backup_label");
    return std::regex_search(label, m, std::regex("\\(file ([0-9A-F]{24})\\)")) ? m[1].str() : "";
  }
  static nlohmann::json check(const fs::path& arch, int& exit_code) {
    auto run = run_cli({"wal", "check", arch.string(), "--backup", backup().string(), "--json"});
    exit_code = run.exit_code;
    auto out = nlohmann::json::parse(run.out, nullptr, false);
    EXPECT_FALSE(out.is_discarded()) << run.out << run.err;
    return out;
  }

  static SourcePg* s_source;
  static TempDir* s_work;
  static std::string s_why, s_last_commit, s_last_segment;
  std::optional<TempDir> m_dir;
};
SourcePg* WalArchiveCheck::s_source = nullptr;
TempDir* WalArchiveCheck::s_work = nullptr;
std::string WalArchiveCheck::s_why;
std::string WalArchiveCheck::s_last_commit;
std::string WalArchiveCheck::s_last_segment;

TEST_F(WalArchiveCheck, ContiguousArchiveAndItsPitrWindow) {
  int exit_code = -1;
  auto out = check(archive_copy(), exit_code);
  EXPECT_EQ(exit_code, 0) << out.dump(1);
  EXPECT_EQ(out["contiguous"], true);
  EXPECT_EQ(out["timelines"], nlohmann::json::array({1}));
  EXPECT_EQ(out["start_segment"], start_segment());
  EXPECT_EQ(out["first_segment"], start_segment());
  EXPECT_EQ(out["last_segment"], s_last_segment);
  EXPECT_EQ(out["gaps"], nlohmann::json::array());
  EXPECT_EQ(out["problems"], nlohmann::json::array());
  // The window: from the backup's end (its .backup file's STOP TIME) to the
  // last commit, which happened right after now() in its transaction.
  std::string label = read_text(archive() / (start_segment() + ".00000028.backup"));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(label, m, std::regex("STOP TIME: ([0-9-]+ [0-9:]+) UTC"))) << label;
  EXPECT_EQ(out["earliest"], format_timestamp(*parse_timestamp(m[1].str())));
  ASSERT_TRUE(out["latest"].is_string()) << out.dump(1);
  auto latest = parse_timestamp(out["latest"].get<std::string>());
  auto commit = parse_timestamp(s_last_commit);
  ASSERT_TRUE(latest && commit) << s_last_commit;
  EXPECT_GE(*latest + 1s, *commit);  // `latest` is printed in whole seconds
  EXPECT_LE(*latest, *commit + 5s);
}

TEST_F(WalArchiveCheck, RemovedSegmentIsExactlyOneGap) {
  fs::path arch = archive_copy();
  // The second segment after the backup's start.
  std::string start = start_segment();
  std::string victim =
      start.substr(0, 16) + fmt::format("{:08X}", std::stoul(start.substr(16), nullptr, 16) + 2);
  ASSERT_TRUE(fs::remove(arch / victim)) << victim;
  int exit_code = -1;
  auto out = check(arch, exit_code);
  EXPECT_EQ(exit_code, 1);
  EXPECT_EQ(out["contiguous"], false);
  EXPECT_EQ(out["first_missing"], victim);
  EXPECT_EQ(out["gaps"],
            nlohmann::json::parse(fmt::format(
                R"([{{"timeline": 1, "first_missing": "{}", "last_missing": "{}", "count": 1}}])",
                victim, victim)));
  EXPECT_EQ(out["problems"], nlohmann::json::array());

  auto text = run_cli({"wal", "check", arch.string(), "--from", start});
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_NE(text.out.find(fmt::format("\ngap: {} missing (timeline 1)\n", victim)),
            std::string::npos)
      << text.out;
  EXPECT_NE(
      text.out.find(fmt::format("NOT CONTIGUOUS: 1 gap, 0 problems; first missing: {}\n", victim)),
      std::string::npos)
      << text.out;
}

TEST_F(WalArchiveCheck, BadInputIsUsageError) {
  auto run = run_cli({"wal", "check", (m_dir->path() / "nope").string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err,
            "drillproof wal check: " + (m_dir->path() / "nope").string() + ": no such directory\n");
  run = run_cli({"wal", "check", archive().string(), "--from", "0001"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.err,
            "drillproof wal check: \"0001\": not a WAL segment name (24 upper-case hex digits, "
            "e.g. 000000010000000000000002)\n");
}

// The base backup restored from a copy of the archive: recovery replays to
// the archive's end and, with no target, starts timeline 2, writing
// 00000002.history and archiving into the same copy; a commit and a switch
// on timeline 2 follow. The check follows the history file.
TEST_F(WalArchiveCheck, TimelineSwitchIsFollowed) {
  auto user = server_user("");
  ASSERT_TRUE(user) << user.error().message;
  fs::path arch = archive_copy();
  chown_tree(m_dir->path(), *user);
  auto scratch = drills::PgScratch::create(s_source->scratch().binaries(),
                                           {*user, std::chrono::seconds(60), false});
  ASSERT_TRUE(scratch) << scratch.error().message;
  fs::copy(backup(), scratch->data_dir(), fs::copy_options::recursive);
  std::ofstream(scratch->data_dir() / "recovery.signal");
  ::chmod(scratch->data_dir().c_str(), 0700);
  chown_tree(scratch->data_dir(), *user);
  auto up = scratch->launch(
      {"-c", "wal_level=replica", "-c", "max_wal_senders=4", "-c", "hot_standby=off", "-c",
       "restore_command=cp " + arch.string() + "/%f %p", "-c", "archive_mode=on", "-c",
       "archive_command=cp %p " + arch.string() + "/%f"},
      deadline_in(2min));
  ASSERT_TRUE(up) << up.error().message;
  // Two segments on timeline 2, each with a commit.
  std::string last;
  for (int i = 0; i < 2; ++i) {
    SpawnOptions o;
    o.argv = {(scratch->binaries().bindir / "psql").string(),
              "-h",
              scratch->dir().string(),
              "-U",
              "postgres",
              "-X",
              "-qAt",
              "-c",
              "INSERT INTO t VALUES (99) RETURNING pg_walfile_name(pg_switch_wal())"};
    auto run = run_captured(std::move(o), 1min);
    ASSERT_TRUE(run && run->status.ok()) << (run ? run->err : run.error().message);
    last = std::string(trim(run->out));
  }
  ASSERT_EQ(last.substr(0, 8), "00000002");
  ASSERT_TRUE(wait_archived(arch / last)) << last;
  ASSERT_TRUE(fs::exists(arch / "00000002.history"));

  int exit_code = -1;
  auto out = check(arch, exit_code);
  EXPECT_EQ(exit_code, 0) << out.dump(1);
  EXPECT_EQ(out["timelines"], nlohmann::json::array({1, 2}));
  EXPECT_EQ(out["first_segment"], start_segment());
  EXPECT_EQ(out["last_segment"], last);
  EXPECT_EQ(out["gaps"], nlohmann::json::array());

  // Without timeline 2's first segment the gap is named on timeline 2; the
  // contiguous run ends at timeline 1's last needed segment.
  std::string history = read_text(arch / "00000002.history");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(history, m, std::regex("^1\t([0-9A-F]+)/([0-9A-F]+)"))) << history;
  std::uint64_t sw = (std::stoull(m[1], nullptr, 16) << 32) | std::stoull(m[2], nullptr, 16);
  std::string first2 = fmt::format("00000002{:08X}{:08X}", sw >> 32, (sw & 0xFFFFFFFFu) >> 24);
  ASSERT_TRUE(fs::remove(arch / first2)) << first2;
  out = check(arch, exit_code);
  EXPECT_EQ(exit_code, 1);
  EXPECT_EQ(out["first_missing"], first2) << out.dump(1);
  EXPECT_EQ(out["gaps"],
            nlohmann::json::parse(fmt::format(
                R"([{{"timeline": 2, "first_missing": "{}", "last_missing": "{}", "count": 1}}])",
                first2, first2)));
  EXPECT_EQ(out["last_segment"].get<std::string>().substr(0, 8), "00000001");
}

// The drill's manifest phase decodes the base backup's WAL too (plan key
// parse_wal, default true): a byte flipped inside the checkpoint record fails
// it before anything starts; with parse_wal = false the phase passes (the
// segments are whole) and the restore itself then cannot replay the WAL.
TEST_F(WalArchiveCheck, DrillManifestPhaseDecodesWal) {
  fs::path copy = m_dir->path() / "base";
  fs::copy(backup(), copy, fs::copy_options::recursive);
  std::string label = read_text(copy / "backup_label");
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(label, m, std::regex("CHECKPOINT LOCATION: ([0-9A-F]+)/([0-9A-F]+)")));
  std::uint64_t ckpt = (std::stoull(m[1], nullptr, 16) << 32) | std::stoull(m[2], nullptr, 16);
  fs::path segment = copy / "pg_wal" / start_segment();
  std::string data = read_text(segment);
  std::size_t at = static_cast<std::size_t>(ckpt % (16u << 20));
  std::uint64_t prev = 0;
  std::memcpy(&prev, data.data() + at + 8, 8);  // XLogRecord.xl_prev
  data[at + 40] = static_cast<char>(data[at + 40] ^ 0x10);
  write_text(segment, data);
  auto lsn = [](std::uint64_t v) { return fmt::format("{:X}/{:X}", v >> 32, v & 0xFFFFFFFFu); };

  fs::path tmp = m_dir->path() / "tmp";
  fs::create_directory(tmp);
  ::chmod(tmp.c_str(), 0755);
  auto drill = [&](const std::string& extra) {
    fs::path plan = m_dir->path() / "plan.toml";
    write_text(plan, fmt::format(R"([plan]
name = "wal parse"

[[backup]]
name = "base"
engine = "postgres"
path = "{}"
database = "postgres"
{}

[[backup.check]]
type = "query"
name = "one"
sql = "SELECT 1"
expect_rows = [[1]]
)",
                                 copy.string(), extra));
    fs::remove_all(m_dir->path() / "out");
    return run_cli({"run", plan.string(), "--out", (m_dir->path() / "out").string()},
                   {{"TMPDIR", tmp.string()}});
  };
  auto run = drill("");
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto report = nlohmann::json::parse(read_text(m_dir->path() / "out/report.json"));
  const auto& phases = report["backups"][0]["phases"];
  EXPECT_EQ(phases[0]["name"], "manifest");
  EXPECT_EQ(phases[0]["status"], "failed");
  EXPECT_EQ(phases[0]["message"],
            fmt::format("1 finding against {}\nwal: WAL parsing failed for timeline 1: "
                        "pg_waldump: error: error in WAL record at {}: incorrect resource "
                        "manager data checksum in record at {}",
                        (copy / "backup_manifest").string(), lsn(prev), lsn(ckpt)));

  run = drill("parse_wal = false");
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  report = nlohmann::json::parse(read_text(m_dir->path() / "out/report.json"));
  EXPECT_EQ(report["backups"][0]["phases"][0]["name"], "manifest");
  EXPECT_EQ(report["backups"][0]["phases"][0]["status"], "passed");
}

}  // namespace
}  // namespace dp::test
