#pragma once
// The PitrPg fixture: one real source cluster archiving WAL to a directory
// (archive_mode = on, archive_command = 'cp %p ARCHIVE/%f'), a base backup
// taken with pg_basebackup -X stream, then a workload committing one marker
// row per second for a minute (pg_switch_wal every 10 rows, and at the end,
// so every row is archived). Made once per test binary; each test drills it
// with the built drillproof on a written plan, or a damaged copy of the
// archive.
#include <fmt/format.h>
#include <sys/stat.h>

#include <thread>

#include "tests/integration/source_pg.hpp"
#include "verifier/core/timestamp.hpp"
#include "verifier/core/user.hpp"

namespace dp::test {

using namespace std::chrono_literals;

class PitrPg : public ::testing::Test {
 protected:
  static constexpr int k_markers = 60;

  static void SetUpTestSuite() {
    s_work = new TempDir(world_dir("dp-pitr-"));
    s_why = set_up();
  }
  static std::string set_up() {
    auto user = server_user("");
    if (!user || !*user) return "no server user";
    s_user = **user;
    fs::create_directory(archive());
    if (::chown(archive().c_str(), s_user.uid, s_user.gid) != 0) return "chown archive failed";
    std::string why;
    auto source = SourcePg::start(
        why, {"-c", "wal_level=replica", "-c", "max_wal_senders=4", "-c", "archive_mode=on", "-c",
              fmt::format("archive_command=cp %p {}/%f", archive().string())});
    if (!source) return "PostgreSQL unavailable: " + why;
    s_source = new SourcePg(std::move(*source));
    for (const char* sql : {"CREATE DATABASE app"}) {
      if (auto out = s_source->psql(sql); out.starts_with("error")) return out;
    }
    if (auto out = s_source->psql(
            "CREATE TABLE markers (seq int PRIMARY KEY, written_at timestamptz NOT NULL)", "app");
        out.starts_with("error"))
      return out;
    s_before_backup = s_source->psql("SELECT clock_timestamp()");
    std::this_thread::sleep_for(1100ms);
    auto run = s_source->client(
        "pg_basebackup", {"-D", base().string(), "--checkpoint=fast", "-Fp", "-X", "stream"});
    if (!run || !run->status.ok())
      return fmt::format("pg_basebackup failed: {}", run ? run->err : run.error().message);
    for (int i = 1; i <= k_markers; ++i) {
      auto out = s_source->psql(
          fmt::format("INSERT INTO markers VALUES ({}, clock_timestamp())", i), "app");
      if (out.starts_with("error")) return out;
      if (i == 25) s_gap_segment = s_source->psql("SELECT pg_walfile_name(pg_current_wal_lsn())");
      if (i == 30) s_source->psql("SELECT pg_create_restore_point('mid')");
      if (i == 40) s_lsn_40 = s_source->psql("SELECT pg_current_wal_insert_lsn()");
      if (i % 10 == 0) s_source->psql("SELECT pg_switch_wal()");
      std::this_thread::sleep_for(1s);
    }
    std::string last = s_source->psql(
        "SELECT pg_walfile_name(pg_current_wal_lsn()) FROM (SELECT pg_switch_wal()) s");
    // pg_walfile_name of the LSN right after a switch names the segment
    // before it: that is the one that must be archived.
    for (int i = 0; i < 300; ++i) {
      std::string done =
          s_source->psql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
      if (!done.empty() && done >= last) break;
      std::this_thread::sleep_for(100ms);
    }
    return "";
  }
  static void TearDownTestSuite() {
    delete s_source;
    delete s_work;
    s_source = nullptr;
    s_work = nullptr;
  }
  void SetUp() override {
    DP_REQUIRE_OR_SKIP(s_why.empty(), s_why);
    m_dir.emplace(world_dir("dp-pitrcase-"));
    fs::create_directory(tmp());
    ::chmod(tmp().c_str(), 0755);
  }

  static fs::path archive() { return s_work->path() / "archive"; }
  static fs::path base() { return s_work->path() / "base"; }
  fs::path dir() const { return m_dir->path(); }
  fs::path tmp() const { return dir() / "tmp"; }
  fs::path out() const { return dir() / "report"; }

  // The marker's commit time as the source stored it.
  static TimePoint marker_time(int seq) {
    auto text =
        s_source->psql(fmt::format("SELECT written_at FROM markers WHERE seq = {}", seq), "app");
    auto t = parse_timestamp(text);
    return t ? *t : TimePoint{};
  }
  static std::string iso_us(TimePoint t) {
    auto secs = std::chrono::floor<std::chrono::seconds>(t);
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(t - secs).count();
    std::string text = format_timestamp(secs);
    text.pop_back();
    return fmt::format("{}.{:06}Z", text, us);
  }

  // A copy of the archive the server user can read, to damage.
  fs::path archive_copy() const {
    fs::path to = dir() / "archive";
    fs::copy(archive(), to, fs::copy_options::recursive);
    for (const auto& e : fs::recursive_directory_iterator(to))
      (void)::chown(e.path().c_str(), s_user.uid, s_user.gid);
    (void)::chown(to.c_str(), s_user.uid, s_user.gid);
    return to;
  }

  fs::path plan(const fs::path& wal, const std::string& target, int expect_max,
                const std::string& rpo = "5s") const {
    fs::path p = dir() / "plan.toml";
    write_text(p, fmt::format(R"([plan]
name = "pitr"

[[backup]]
name = "markers"
engine = "postgres"
path = "{}"
format = "basebackup"
database = "app"
rpo = "{}"
wal_archive = "{}"
recovery_point_query = "SELECT max(written_at) FROM markers"
{}

[[backup.check]]
type = "query"
name = "markers present"
sql = "SELECT max(seq), count(*) FROM markers"
expect_rows = [[{}, {}]]
)",
                              base().string(), rpo, wal.string(), target, expect_max, expect_max));
    return p;
  }

  CliRun drill(const fs::path& plan_file) const {
    return run_cli({"run", plan_file.string(), "--out", out().string()},
                   {{"TMPDIR", tmp().string()}});
  }

  std::optional<TempDir> m_dir;
  static inline TempDir* s_work = nullptr;
  static inline SourcePg* s_source = nullptr;
  static inline Credentials s_user;
  static inline std::string s_why;
  static inline std::string s_before_backup;
  static inline std::string s_gap_segment;
  // The insert position right after marker 40 committed (not the write
  // position, which lags behind an asynchronous commit).
  static inline std::string s_lsn_40;
};

}  // namespace dp::test
