#pragma once
// Point-in-time recovery of a pg_basebackup backup (issue 8, docs/plan.md
// "Point-in-time recovery"): the restored copy gets recovery.signal and
// recovery settings on the command line, the server replays WAL from the
// plan's wal_archive (only read, with `cp`) up to the target and promotes.
// Where it landed is read back from the server (or, when it gave up, from
// its log) into a reports::PitrResult.
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "drills/pg_basebackup.hpp"
#include "drills/pg_scratch.hpp"
#include "drills/pitr_sample.hpp"
#include "reports/run_report.hpp"
#include "verifier/config/config.hpp"
#include "verifier/plan/plan.hpp"

namespace dp::drills {

// "time 2026-11-21T03:00:00Z", "lsn 0/3000060", "name before_upgrade", "latest".
std::string describe_target(const config::PitrConfig& pitr);

// Before the start: the server user must be able to read the archive
// (Errc::io naming the file and its mode otherwise: the drill could not
// test), and a
// target_time must lie after the base backup ended (the STOP TIME of the
// archive's <segment>.<offset>.backup file for the backup_label's start
// segment; the backup_label's START TIME when that file is absent).
// Errc::invalid_input "target_time ... is before the end of the base
// backup ...". Then writes recovery.signal into `data` and returns the -c
// arguments for restore_command and the target.
Result<std::vector<std::string>> prepare_pitr(const config::PitrConfig& pitr,
                                              const std::filesystem::path& data,
                                              const std::optional<Credentials>& run_as);

// After postgres was launched (launched = its result): waits until it is out
// of recovery (pg_is_in_recovery() false) or gave up, then fills the result:
// reached LSN/time/timeline, first_missing when the archive lacks the
// segment recovery needed next (or, for "latest", when the archive holds
// segments past the point reached), the recovery_point_query's answer and
// the data loss. status failed with the reason when recovery fell short,
// error when it could not be told. `promoted`: the server left recovery and
// runs (the checks can read it).
reports::PitrResult finish_pitr(PgScratch& scratch, const config::PitrConfig& pitr,
                                const std::string& database, const Result<void>& launched,
                                Deadline deadline, bool& promoted);

// WAL segment names (16 MiB segments): the one holding byte `lsn` - 1 of a
// timeline, the next one, and the LSN text "X/Y" as a number.
std::optional<std::uint64_t> parse_lsn(std::string_view text);
std::string segment_of(int timeline, std::uint64_t lsn);
std::string next_segment(std::string_view segment);

}  // namespace dp::drills

namespace dp::drills {

// The window sampled targets are drawn from: the base backup's end (the
// archive's backup history file STOP TIME for `start_segment`, the
// backup_label's start segment) to the newest commit in the archive (read
// with the server's own pg_waldump from the newest segments). Errc::not_found
// when either end cannot be told.
Result<PitrWindow> archive_window(const PgBinaries& bin, const std::filesystem::path& archive,
                                  const std::string& start_segment);

// pitr_targets: job.backup.pitr->sample_targets recoveries of the base
// backup, each into its own scratch instance (made with `options`), to
// sample_times() of archive_window(); sampled = true, failed when one falls
// short or, with job.rpo, loses more than it. One error entry when the
// window cannot be told. `progress` gets one line per sample.
std::vector<reports::PitrResult> run_pitr_samples(
    const plan::BackupJob& job, const BaseBackupLayout& layout, const PgBinaries& bin,
    const ScratchOptions& options, std::uint64_t seed,
    const std::function<void(const std::string&)>& progress);

// The backup history file's STOP TIME (nullopt: no such file in the archive).
std::optional<std::chrono::system_clock::time_point> backup_stop_time(
    const std::filesystem::path& archive, const std::string& start_segment);

}  // namespace dp::drills
