// scan_wal_archive on synthetic archives: 1 MiB segments of zeros with a
// long page header (records are not read here: no pg_waldump), history and
// backup history files as PostgreSQL writes them. Real archives of a real
// cluster are in tests/integration/wal_archive_test.cpp.
#include "verifier/artifacts/wal_archive.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "verifier/artifacts/pg_wal.hpp"
#include "verifier/artifacts/wal_archive_parse.hpp"
#include "verifier/core/temp_dir.hpp"
#include "verifier/core/timestamp.hpp"

namespace dp::artifacts {
namespace {

namespace fs = std::filesystem;
constexpr std::uint64_t k_seg = 1 << 20;

std::string seg_name(std::uint32_t tli, std::uint64_t segno) {
  return wal_file_name(tli, segno, k_seg);
}

class WalArchive : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("dp-walarch-");
    ASSERT_TRUE(dir) << dir.error().message;
    m_dir.emplace(std::move(*dir));
  }
  void TearDown() override {
    if (HasFailure()) m_dir->keep();
  }
  fs::path arch() const { return m_dir->path(); }
  void write(const std::string& name, const std::string& data) {
    std::ofstream(arch() / name, std::ios::binary) << data;
  }
  void segment(std::uint32_t tli, std::uint64_t segno, const std::string& suffix = "") {
    std::string seg(k_seg, '\0');
    std::uint16_t magic = 0xD110, info = 0x0002;
    std::uint32_t size = k_seg, blcksz = 8192;
    std::uint64_t pageaddr = segno * k_seg;
    std::memcpy(seg.data(), &magic, 2);
    std::memcpy(seg.data() + 2, &info, 2);
    std::memcpy(seg.data() + 4, &tli, 4);
    std::memcpy(seg.data() + 8, &pageaddr, 8);
    std::memcpy(seg.data() + 32, &size, 4);
    std::memcpy(seg.data() + 36, &blcksz, 4);
    write(seg_name(tli, segno) + suffix, seg);
  }
  WalArchiveReport scan(const std::string& start = "") {
    auto r = scan_wal_archive(arch(), {start, {}, deadline_in(std::chrono::seconds(10))});
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : WalArchiveReport{};
  }
  std::optional<TempDir> m_dir;
};

TEST_F(WalArchive, ContiguousTimelineWithItsBackupEnd) {
  for (std::uint64_t s = 2; s <= 5; ++s) segment(1, s);
  write(seg_name(1, 2) + ".00000028.backup",
        "START WAL LOCATION: 0/200028 (file " + seg_name(1, 2) +
            ")\nSTOP WAL LOCATION: 0/200100 (file " + seg_name(1, 2) +
            ")\nSTART TIME: 2026-11-21 19:33:40 UTC\nSTOP TIME: 2026-11-21 19:33:43 UTC\n");
  write("archive_status", "");  // anything else is ignored
  auto r = scan(seg_name(1, 2));
  EXPECT_TRUE(r.contiguous());
  EXPECT_EQ(r.segment_size, k_seg);
  EXPECT_EQ(r.timelines, (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(r.first_segment, "000000010000000000000002");
  EXPECT_EQ(r.last_segment, "000000010000000000000005");
  EXPECT_EQ(r.first_missing(), "");
  ASSERT_TRUE(r.earliest);
  EXPECT_EQ(format_timestamp(*r.earliest), "2026-11-21T19:33:43Z");
  EXPECT_FALSE(r.latest);
  EXPECT_TRUE(r.problems.empty());
  EXPECT_TRUE(r.notes.empty());
}

TEST_F(WalArchive, MissingSegmentsAreOneGapPerRun) {
  for (std::uint64_t s : {2u, 3u, 6u, 9u}) segment(1, s);
  auto r = scan();  // from the oldest
  EXPECT_FALSE(r.contiguous());
  ASSERT_EQ(r.gaps.size(), 2u);
  EXPECT_EQ(r.gaps[0].timeline, 1u);
  EXPECT_EQ(r.gaps[0].first_missing, "000000010000000000000004");
  EXPECT_EQ(r.gaps[0].last_missing, "000000010000000000000005");
  EXPECT_EQ(r.gaps[0].count, 2u);
  EXPECT_EQ(r.gaps[1].first_missing, "000000010000000000000007");
  EXPECT_EQ(r.gaps[1].last_missing, "000000010000000000000008");
  EXPECT_EQ(r.first_segment, "000000010000000000000002");
  EXPECT_EQ(r.last_segment, "000000010000000000000003");
  EXPECT_EQ(r.first_missing(), "000000010000000000000004");
}

TEST_F(WalArchive, MissingStartSegment) {
  segment(1, 3);
  auto r = scan("000000010000000000000002");
  ASSERT_EQ(r.gaps.size(), 1u);
  EXPECT_EQ(r.gaps[0].first_missing, "000000010000000000000002");
  EXPECT_EQ(r.gaps[0].count, 1u);
  EXPECT_EQ(r.first_segment, "");
  EXPECT_EQ(r.last_segment, "");
}

// The archive stopped before the backup started (a broken archive_command):
// nothing at or after the start segment is a gap naming it, not "contiguous".
TEST_F(WalArchive, ArchiveOlderThanTheBackupIsAGap) {
  segment(1, 1);
  auto r = scan("0000000100000000000000F0");
  EXPECT_FALSE(r.contiguous());
  ASSERT_EQ(r.gaps.size(), 1u);
  EXPECT_EQ(r.gaps[0].first_missing, "0000000100000000000000F0");
  EXPECT_EQ(r.gaps[0].count, 1u);
  EXPECT_EQ(r.first_segment, "");
}

// Timeline 2 branched from 1 at 0/480000, inside segment 4: timeline 1 is
// needed up to segment 3, timeline 2 from segment 4 (its copy of it); the
// old timeline's segment 4 is a .partial. Timeline 3 branched from 1 before
// the start, so it is not followed.
TEST_F(WalArchive, TimelineHistoryIsFollowed) {
  for (std::uint64_t s = 2; s <= 3; ++s) segment(1, s);
  segment(1, 4, ".partial");
  for (std::uint64_t s = 4; s <= 6; ++s) segment(2, s);
  write("00000002.history", "1\t0/480000\tno recovery target specified\n");
  write("00000003.history", "1\t0/180000\tbefore the start\n");
  segment(3, 1);
  auto r = scan("000000010000000000000002");
  EXPECT_TRUE(r.contiguous()) << (r.problems.empty() ? "" : r.problems[0]);
  EXPECT_EQ(r.timelines, (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(r.first_segment, "000000010000000000000002");
  EXPECT_EQ(r.last_segment, "000000020000000000000006");
  EXPECT_EQ(r.notes, (std::vector<std::string>{
                         "1 partial segment (.partial, a promoted timeline's end) not needed"}));

  fs::remove(arch() / seg_name(2, 4));  // the child's copy of the switch segment
  fs::remove(arch() / seg_name(1, 3));
  r = scan("000000010000000000000002");
  ASSERT_EQ(r.gaps.size(), 2u);
  EXPECT_EQ(r.gaps[0].timeline, 1u);
  EXPECT_EQ(r.gaps[0].first_missing, "000000010000000000000003");
  EXPECT_EQ(r.gaps[1].timeline, 2u);
  EXPECT_EQ(r.gaps[1].first_missing, "000000020000000000000004");
  EXPECT_EQ(r.last_segment, "000000010000000000000002");
}

TEST_F(WalArchive, TimelineWithoutHistoryIsAProblem) {
  segment(1, 2);
  segment(2, 3);
  auto r = scan();
  EXPECT_EQ(r.timelines, (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(r.problems,
            (std::vector<std::string>{"timeline 2 has 1 segment but no 00000002.history: where "
                                      "it branched is unknown; not followed"}));
}

TEST_F(WalArchive, MalformedHistoryIsAProblem) {
  segment(1, 2);
  write("00000002.history", "1\tnot-an-lsn\treason\n");
  segment(2, 3);
  auto r = scan();
  EXPECT_EQ(r.timelines, (std::vector<std::uint32_t>{1}));
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0],
            "00000002.history: line 1: expected a switch point (hex/hex) after the timeline: "
            "timeline 2 not followed");
}

TEST_F(WalArchive, WrongSizeAndMisplacedSegmentsEndTheRun) {
  for (std::uint64_t s = 2; s <= 4; ++s) segment(1, s);
  std::ofstream(arch() / seg_name(1, 3), std::ios::binary | std::ios::trunc) << "short";
  fs::copy_file(arch() / seg_name(1, 2), arch() / seg_name(1, 4),
                fs::copy_options::overwrite_existing);
  auto r = scan();
  EXPECT_TRUE(r.gaps.empty());
  EXPECT_EQ(r.problems, (std::vector<std::string>{
                            "000000010000000000000003: 5 bytes, a segment is 1048576",
                            "000000010000000000000004: its first page is for LSN 0/200000"}));
  EXPECT_FALSE(r.contiguous());
  EXPECT_EQ(r.last_segment, "000000010000000000000002");
}

// A crafted name far ahead costs one gap, computed, not walked.
TEST_F(WalArchive, CraftedFarSegmentIsOneGap) {
  segment(1, 2);
  std::ofstream(arch() / "00000001FFFFFFFF00000FFF") << "x";
  auto r = scan();
  ASSERT_EQ(r.gaps.size(), 1u);
  EXPECT_EQ(r.gaps[0].first_missing, "000000010000000000000003");
  EXPECT_EQ(r.gaps[0].last_missing, "00000001FFFFFFFF00000FFE");
  EXPECT_EQ(r.gaps[0].count, 0xFFFFFFFFull * 4096 + 0xFFF - 3);
  EXPECT_EQ(r.problems,
            (std::vector<std::string>{"00000001FFFFFFFF00000FFF: 1 bytes, a segment is 1048576"}));
}

TEST_F(WalArchive, CompressedSegmentsCountAsPresent) {
  segment(1, 2);
  write(seg_name(1, 3) + ".gz", "gzip data");
  segment(1, 4);
  auto r = scan();
  EXPECT_TRUE(r.contiguous());
  EXPECT_EQ(r.last_segment, "000000010000000000000004");
  EXPECT_EQ(r.notes,
            (std::vector<std::string>{"1 compressed segment (.gz) counted as present; not read"}));
}

TEST_F(WalArchive, BadInput) {
  auto r = scan_wal_archive(arch() / "nope", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::not_found);
  r = scan_wal_archive(arch(), {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_input);
  EXPECT_EQ(r.error().message, arch().string() +
                                   ": no WAL segments in it (is it the archive_command's "
                                   "directory?)");
  segment(1, 2);
  r = scan_wal_archive(arch(), {"00000001000000000000000g", {}, {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "\"00000001000000000000000g\": not a WAL segment name (24 upper-case hex digits, "
            "e.g. 000000010000000000000002)");
}

TEST(WalArchiveParse, HistoryAndTimes) {
  auto h = parse_timeline_history(
      "# comment\n1\t0/3000A28\tno recovery target specified\n\n"
      "2\t1/5000000\tat restore point \"x\"\n",
      3);
  ASSERT_TRUE(h) << h.error().message;
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].parent, 1u);
  EXPECT_EQ((*h)[0].switch_lsn, 0x3000A28u);
  EXPECT_EQ((*h)[1].switch_lsn, 0x105000000u);
  auto bad = parse_timeline_history("2\t0/1\tx\n1\t0/2\ty\n", 3);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "line 2: timeline 1 is not an ancestor of timeline 3 in order");
  EXPECT_FALSE(parse_timeline_history("3\t0/1\tx\n", 3));

  EXPECT_EQ(format_timestamp(*parse_pg_time("2026-11-21 19:33:43 UTC")), "2026-11-21T19:33:43Z");
  EXPECT_EQ(format_timestamp(*parse_pg_time("2026-11-21 20:33:43 +01")), "2026-11-21T19:33:43Z");
  EXPECT_FALSE(parse_pg_time("2026-11-21 20:33:43 CET"));

  auto t = newest_commit_time(
      "rmgr: Transaction len (rec/tot):     34/    34, tx:        736, lsn: 0/05000028, prev "
      "0/04000268, desc: COMMIT 2026-11-21 19:35:16.185312 UTC\n"
      "rmgr: Transaction len (rec/tot):     34/    34, tx:        737, lsn: 0/05000058, prev "
      "0/05000028, desc: ABORT 2026-11-21 19:35:17.5 UTC\n"
      "rmgr: Transaction len (rec/tot):    405/   405, tx:        735, lsn: 0/04000028, prev "
      "0/0304F328, desc: COMMIT 2026-11-21 19:35:16.021694 UTC; inval msgs: catcache 80\n");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_timestamp(*t), "2026-11-21T19:35:17Z");
  EXPECT_FALSE(newest_commit_time("desc: RESTORE_POINT rp1\n"));
}

TEST(WalArchiveParse, BackupLabelStartSegment) {
  auto dir = TempDir::create("dp-walarch-");
  ASSERT_TRUE(dir) << dir.error().message;
  EXPECT_EQ(backup_label_start_segment(dir->path()).error().code, Errc::not_found);
  std::ofstream(dir->path() / "backup_label")
      << "START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\nCHECKPOINT LOCATION: "
         "0/2000060\n";
  auto s = backup_label_start_segment(dir->path());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(*s, "000000010000000000000002");
}

}  // namespace
}  // namespace dp::artifacts
