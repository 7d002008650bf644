// pitr_targets for MySQL / MariaDB: random target times between the backup's
// end and the newest change in the binlog archive, each replayed into its
// own scratch server (my_pitr.hpp).
#include <fmt/format.h>

#include <fstream>
#include <set>

#include "drills/my_pitr.hpp"
#include "drills/restore.hpp"
#include "verifier/core/signals.hpp"
#include "verifier/core/temp_dir.hpp"
#include "verifier/core/timestamp.hpp"

namespace dp::drills {
namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;
using namespace std::chrono_literals;

namespace {

// Files looked at, newest first, for the archive's newest change: the last
// ones may hold only bookkeeping (a rotate after FLUSH BINARY LOGS).
constexpr int k_newest_files = 8;

fs::path binlog_tool(const MyBinaries& bin) {
  std::error_code ec;
  for (const char* name : {"mariadb-binlog", "mysqlbinlog"})
    if (fs::exists(bin.client.parent_path() / name, ec)) return bin.client.parent_path() / name;
  return "mariadb-binlog";
}

// The time of the newest change event in one binary log file, decoded by
// mariadb-binlog (TZ=UTC, as the replay prints them) into `scratch`.
std::optional<Clock::time_point> newest_change(const MyBinaries& bin, const fs::path& file,
                                               const fs::path& scratch) {
  const fs::path out = scratch / "decoded.sql";
  SpawnOptions o;
  o.argv = {binlog_tool(bin).string(), "--no-defaults", file.string()};
  o.env = {{"TZ", "UTC"}, {"LC_ALL", "C"}};
  o.out = Redirect::to_file(out);
  o.err = Redirect::null();
  auto child = ChildProcess::spawn(std::move(o));
  if (!child) return std::nullopt;
  auto status = child->wait(deadline_in(10min));
  std::optional<Clock::time_point> newest;
  if (status && status->ok()) {
    std::ifstream in(out, std::ios::binary);
    std::string line;
    while (std::getline(in, line))
      if (auto h = parse_binlog_event_header(line); h && !h->bookkeeping)
        if (!newest || h->time > *newest) newest = h->time;
  }
  std::error_code ec;
  fs::remove(out, ec);
  return newest;
}

}  // namespace

Result<PitrWindow> binlog_window(const MyBinaries& bin, const plan::BackupJob& job,
                                 BackupFormat format) {
  const fs::path& archive = job.backup.pitr->binlog_archive;
  auto start = read_binlog_start(format, job.backup.path);
  if (!start) return Unexpected<Error>(std::move(start).error());
  auto origin = read_dump_origin(format, job.backup.path);
  if (!origin || !origin->created)
    return make_error(Errc::not_found,
                      fmt::format("cannot sample pitr_targets: {} records no time it was made "
                                  "(a dump's \"-- Dump completed on\" line, mariadb-backup's "
                                  "end_time in xtrabackup_info)",
                                  job.backup.path.string()));
  const Clock::time_point from = *origin->created;
  auto start_n = binlog_number(start->file);
  const std::string base = start->file.substr(0, start->file.rfind('.') + 1);
  std::set<std::uint64_t> numbers;
  std::error_code ec;
  for (auto it = fs::directory_iterator(archive, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.rfind(base, 0) != 0) continue;
    if (auto n = binlog_number(name); n && start_n && *n >= *start_n) numbers.insert(*n);
  }
  if (ec)
    return make_error(Errc::io, fmt::format("cannot sample pitr_targets: cannot read {}: {}",
                                            archive.string(), ec.message()));
  auto scratch = TempDir::create("dp-binlog-window-");
  if (!scratch) return Unexpected<Error>(std::move(scratch).error());
  int looked = 0;
  for (auto it = numbers.rbegin(); it != numbers.rend() && looked < k_newest_files;
       ++it, ++looked) {
    auto to = newest_change(bin, archive / binlog_name(start->file, *it), scratch->path());
    if (!to) continue;
    if (*to <= from) break;
    return PitrWindow{from, *to};
  }
  return make_error(Errc::not_found,
                    fmt::format("cannot sample pitr_targets: no change after the backup's end "
                                "({}) in the newest binary logs of {} (series {}*)",
                                format_timestamp(from), archive.string(), base));
}

std::vector<reports::PitrResult> run_my_pitr_samples(
    const plan::BackupJob& job, BackupFormat format, const MyBinaries& bin,
    const ScratchOptions& options, std::uint64_t seed,
    const std::function<void(const std::string&)>& progress) {
  using reports::Status;
  std::vector<reports::PitrResult> out;
  auto give_up = [&](const Error& e) {
    out.push_back(sampling_error(e));
    return out;
  };
  auto window = binlog_window(bin, job, format);
  if (!window) return give_up(window.error());
  for (Clock::time_point t : sample_times(*window, job.backup.pitr->sample_targets, seed)) {
    if (interrupted()) break;
    if (progress)
      progress(fmt::format("point-in-time recovery to sampled target {}", format_timestamp(t)));
    const auto start = std::chrono::steady_clock::now();
    auto scratch = MyScratch::create(bin, options);
    if (!scratch) return give_up(scratch.error());
    plan::BackupJob sample = job;
    sample.backup.pitr->target_time = t;
    sample.backup.pitr->target_position.clear();
    const Deadline deadline = deadline_in(job.restore_timeout);
    RestoreRun run;
    if (format == BackupFormat::mariadb_backup) {
      run = restore_mysql_physical(*scratch, sample, deadline);
    } else {
      // A dump is loaded into a freshly initialised server, as in provision.
      Result<void> up = scratch->initialize();
      if (up) up = scratch->launch();
      if (!up) return give_up(up.error());
      run = restore_mysql_dump(*scratch, sample, format, deadline);
    }
    reports::PitrResult r;
    if (run.pitr) {
      r = std::move(*run.pitr);
    } else {
      r.target = "time " + format_timestamp(t);
      r.target_time = t;
      r.status = Status::error;
      r.message = run.result ? "no result" : run.result.error().message;
    }
    r.duration = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - start);
    judge_sample(r, job);
    scratch->stop();
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace dp::drills
