#pragma once
// A PostgreSQL WAL archive (the directory archive_command copies into),
// checked for continuity without restoring anything: from the base backup's
// start segment to the newest segment, per timeline, following timeline
// history files. docs/wal.md.
//
// What the directory may hold, by name:
//   000000010000000000000003          a segment (24 upper-case hex digits)
//   000000010000000000000003.gz       a compressed segment: counted as present
//                                     (its size and header cannot be checked)
//   000000010000000000000003.partial  the old timeline's last segment after a
//                                     promotion: present, not required
//   00000002.history                  "<parent tli>\t<switch LSN>\t<reason>"
//                                     per ancestor, oldest first
//   000000010000000000000002.00000028.backup  pg_basebackup's backup history
//                                     file: START/STOP WAL LOCATION, STOP TIME
// Anything else is ignored. Only files are read; nothing is written.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "verifier/core/child_process.hpp"
#include "verifier/core/result.hpp"

namespace dp::artifacts {

struct WalArchiveQuery {
  // The base backup's START WAL segment (backup_label's "START WAL LOCATION
  // ... (file X)"), e.g. "000000010000000000000002". Empty: the oldest
  // segment of the oldest timeline in the archive.
  std::string start_segment;
  // pg_waldump (see pg_waldump.hpp find_pg_waldump), to read the commit
  // times of the last contiguous segments (the latest reachable time).
  // Empty: records are not read and `latest` stays unset.
  std::filesystem::path pg_waldump;
  // For pg_waldump; a run past it leaves `latest` unset with a note.
  Deadline deadline = deadline_in(std::chrono::minutes(5));
};

// One run of consecutive missing segments on one timeline.
struct WalGap {
  std::uint32_t timeline = 0;
  std::string first_missing, last_missing;  // segment names, equal for one segment
  std::uint64_t count = 0;
};

struct WalArchiveReport {
  using TimePoint = std::chrono::system_clock::time_point;
  std::uint64_t segment_size = 0;        // from the first segment's long page header
  std::vector<std::uint32_t> timelines;  // followed, oldest first
  // The contiguous run from the start segment (across timeline switches):
  // a restore can replay up to the end of last_segment. Empty if even the
  // start segment is missing.
  std::string first_segment, last_segment;
  std::vector<WalGap> gaps;  // in the order they are met on the followed path
  // Each names the file or timeline: wrong size, header for another LSN,
  // unreadable, malformed history file, a timeline without history file,
  // a name not valid for the segment size.
  std::vector<std::string> problems;
  // Not problems: "3 compressed segments (.gz) counted as present; not
  // read", .partial segments, why `latest` is unknown.
  std::vector<std::string> notes;
  // Backup end: the STOP TIME of the first .backup file on the contiguous
  // run (the start segment's, for a base backup's); nullopt if there is none.
  std::optional<TimePoint> earliest;
  // The newest COMMIT or ABORT time in the last segments of the contiguous
  // run (needs pg_waldump; restore points carry no time in its output).
  std::optional<TimePoint> latest;
  bool contiguous() const { return gaps.empty() && problems.empty(); }
  // The first segment a restore would miss ("" when none is missing):
  // gaps.front().first_missing.
  std::string first_missing() const {
    return gaps.empty() ? std::string() : gaps.front().first_missing;
  }
};

// Scans `archive` (a directory). Work is bounded by its listing, never by
// LSN arithmetic from a file name, so a crafted name costs nothing.
// Timelines: start on the start segment's timeline; the target is the
// newest timeline whose history file lists the start timeline as an ancestor
// with a switch point after the start segment's first byte. Each ancestor's
// segments are expected up to the one before the segment holding its switch
// point; that segment and the rest come from the child (the parent's copy is
// archived as .partial and not needed). On the target timeline segments are
// expected up to its newest one in the archive. A timeline above the start
// one with segments but no history file is a problem (not followed); a
// malformed history file is a problem and its timeline is not followed.
// Segments are checked like pg_wal.cpp's: size, and a first page addressed to
// the segment. The contiguous run ends at the first gap or bad segment.
// Earliest: STOP TIME of the first .backup file whose segment is on the
// contiguous run. Latest: the newest COMMIT/ABORT time pg_waldump prints for
// the last segments of the run (up to 8 back, plain files only); a pg_waldump
// that cannot run is a note, not a problem.
// Errors: Errc::not_found for a missing archive directory, Errc::invalid_input
// for a start segment that is not a segment name or a directory with no
// segments at all, Errc::io when the directory cannot be listed.
Result<WalArchiveReport> scan_wal_archive(const std::filesystem::path& archive,
                                          const WalArchiveQuery& query);

// The START WAL segment named by DIR/backup_label ("START WAL LOCATION:
// 0/2000028 (file 000000010000000000000002)"). Errc::not_found / invalid_input.
Result<std::string> backup_label_start_segment(const std::filesystem::path& backup_dir);

}  // namespace dp::artifacts
