#pragma once
// Point-in-time recovery for MySQL / MariaDB (issue 8): a restored dump or
// mariadb-backup, then the archived binary logs from the backup's
// coordinates replayed with mariadb-binlog into the scratch server's
// client, up to the plan's target. The archive is only read.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drills/backup_format.hpp"
#include "drills/my_scratch.hpp"
#include "drills/pitr_sample.hpp"
#include "reports/run_report.hpp"
#include "verifier/config/config.hpp"
#include "verifier/core/child_process.hpp"
#include "verifier/core/result.hpp"
#include "verifier/plan/plan.hpp"

namespace dp::drills {

// Where the binary logs pick up after the backup.
struct BinlogStart {
  std::string file;  // "mysql-bin.000003"
  std::uint64_t position = 0;
  std::string gtid;  // "0-1-42"; empty when the backup did not record one
};

// mysqldump / mariadb-dump made with --source-data=2 / --master-data=2: the
// header comment "-- CHANGE MASTER TO MASTER_LOG_FILE='f', MASTER_LOG_POS=n;"
// (--dump-slave's commented form too; MySQL 8's "CHANGE REPLICATION SOURCE
// TO SOURCE_LOG_FILE=..., SOURCE_LOG_POS=..."); mariadb-backup: its
// xtrabackup_binlog_info (or mariadb_backup_binlog_info). Errc::invalid_input
// naming the backup and the option that records them when absent.
Result<BinlogStart> read_binlog_start(BackupFormat format, const std::filesystem::path& backup);

// One event header line of mariadb-binlog's output (run with TZ=UTC):
// "#261121 19:40:12 server id 1  end_log_pos 1520 CRC32 0x.. \tXid = 42".
struct BinlogEventHeader {
  std::chrono::system_clock::time_point time;
  std::uint64_t end_pos = 0;
  // Format description, Gtid list, Binlog checkpoint, Rotate: bookkeeping
  // written at file starts and ends, not a change that was replayed.
  bool bookkeeping = false;
};
std::optional<BinlogEventHeader> parse_binlog_event_header(std::string_view line);

// The binary log file name with number n in the series of `like`
// ("mysql-bin.000003", 5 -> "mysql-bin.000005"); the number of a name
// (nullopt when it has no numeric extension).
std::string binlog_name(const std::string& like, std::uint64_t n);
std::optional<std::uint64_t> binlog_number(const std::string& name);

// Replays `archive`'s files from `start` into the scratch server, one file
// at a time (mariadb-binlog --verify-binlog-checksum, TZ=UTC, into
// `mariadb` on the scratch socket), up to target_time (--stop-datetime:
// mariadb-binlog stops at the first event at or after it; inclusive targets
// pass the next whole second so events in the target's second are
// replayed), target_position (--stop-position in its file: events that
// start before it) or the end of the archive. The reached point is the last
// replayed change's end position and time. Fails, naming the first missing
// file, when a numbering gap stops the replay short of the target, and when
// the archive ends before it. `target_time` earlier than `backup_time`
// (when known) is refused (status error). Then recovery_point_query runs
// in `database`.
reports::PitrResult replay_binlogs(const MyScratch& scratch, const config::PitrConfig& pitr,
                                   const BinlogStart& start,
                                   std::optional<std::chrono::system_clock::time_point> backup_time,
                                   const std::string& database, Deadline deadline);

// The restore functions' last step when the backup has a binlog_archive:
// reads the backup's coordinates and creation time, replays, and stores
// the PitrResult in run.pitr. Missing coordinates or a target before the
// backup make run.result an Errc::invalid_input error.
struct RestoreRun;
// The PitrResult of a recovery refused before it started (status error).
reports::PitrResult refused_pitr(const config::PitrConfig& pitr, const Error& why);
void replay_binlog_archive(RestoreRun& run, const MyScratch& scratch, const plan::BackupJob& job,
                           BackupFormat format, std::chrono::steady_clock::time_point started,
                           Deadline deadline);

// pitr_targets for MySQL / MariaDB (my_pitr_sample.cpp). The window: the
// backup's end (read_dump_origin's creation time: a dump's "-- Dump
// completed on" trailer, mariadb-backup's end_time) to the newest change
// event in binlog_archive (mariadb-binlog over the highest-numbered files of
// the backup's binlog series, newest first). Errc::not_found when either
// end cannot be told or the archive holds no change after the backup.
Result<PitrWindow> binlog_window(const MyBinaries& bin, const plan::BackupJob& job,
                                 BackupFormat format);

// job.backup.pitr->sample_targets recoveries, each restoring the backup into
// its own scratch server (made with `options`) and replaying the archive to
// one of sample_times(binlog_window(), n, seed); sampled = true, judged by
// judge_sample(). One error entry when the window cannot be told or a
// scratch server cannot be made. `progress` gets one line per sample.
std::vector<reports::PitrResult> run_my_pitr_samples(
    const plan::BackupJob& job, BackupFormat format, const MyBinaries& bin,
    const ScratchOptions& options, std::uint64_t seed,
    const std::function<void(const std::string&)>& progress);

}  // namespace dp::drills
