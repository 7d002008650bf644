// pitr_targets: random recovery targets inside the archive's window.
#include <fmt/format.h>

#include <set>

#include "drills/pg_pitr.hpp"
#include "drills/pitr_sample.hpp"
#include "drills/restore.hpp"
#include "verifier/core/child_process.hpp"
#include "verifier/core/signals.hpp"
#include "verifier/core/timestamp.hpp"

namespace dp::drills {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// The newest "desc: COMMIT <time>" pg_waldump prints for one segment.
std::optional<TimePoint> newest_commit(const PgBinaries& bin, const fs::path& archive,
                                       const std::string& segment) {
  SpawnOptions o;
  o.argv = {(bin.bindir / "pg_waldump").string(),
            "--path",
            archive.string(),
            "--rmgr",
            "Transaction",
            segment};
  // Commit times are printed in the local zone; only UTC is parsed.
  o.env = {{"LC_ALL", "C"}, {"LANG", "C"}, {"TZ", "UTC"}};
  auto run = run_captured(std::move(o), 60s);
  if (!run) return std::nullopt;
  std::optional<TimePoint> best;
  std::string_view out = run->out;
  constexpr std::string_view marker = "desc: COMMIT ";
  for (auto at = out.find(marker); at != std::string_view::npos; at = out.find(marker, at + 1)) {
    auto line = out.substr(at + marker.size());
    line = line.substr(0, line.find_first_of(";\n"));
    std::string text(line);
    for (const char* zone : {" UTC", " GMT"})
      if (text.ends_with(zone)) text.replace(text.size() - 4, 4, "Z");
    if (auto t = parse_timestamp(text); t && (!best || *t > *best)) best = *t;
  }
  return best;
}

}  // namespace

Result<PitrWindow> archive_window(const PgBinaries& bin, const fs::path& archive,
                                  const std::string& start_segment) {
  auto from = backup_stop_time(archive, start_segment);
  if (!from)
    return make_error(Errc::not_found,
                      fmt::format("cannot sample pitr_targets: the archive {} has no backup "
                                  "history file {}.*.backup telling when the base backup ended",
                                  archive.string(), start_segment));
  std::set<std::string> segments;
  std::error_code ec;
  for (auto it = fs::directory_iterator(archive, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.size() == 24 && name.find_first_not_of("0123456789ABCDEF") == std::string::npos)
      segments.insert(name);
  }
  int looked = 0;
  for (auto it = segments.rbegin(); it != segments.rend() && looked < 8; ++it, ++looked)
    if (auto to = newest_commit(bin, archive, *it)) {
      if (*to <= *from) break;
      return PitrWindow{*from, *to};
    }
  return make_error(Errc::not_found,
                    fmt::format("cannot sample pitr_targets: no commit after the base backup's "
                                "end ({}) in the newest segments of {}",
                                format_timestamp(*from), archive.string()));
}

std::vector<reports::PitrResult> run_pitr_samples(
    const plan::BackupJob& job, const BaseBackupLayout& layout, const PgBinaries& bin,
    const ScratchOptions& options, std::uint64_t seed,
    const std::function<void(const std::string&)>& progress) {
  using reports::Status;
  using Clock = std::chrono::steady_clock;
  std::vector<reports::PitrResult> out;
  const config::PitrConfig& pitr = *job.backup.pitr;
  auto give_up = [&](const Error& e) {
    out.push_back(sampling_error(e));
    return out;
  };
  auto label = read_backup_label(layout);
  if (!label || !*label)
    return give_up(label ? Error{Errc::not_found, "cannot sample pitr_targets: no backup_label"}
                         : label.error());
  auto window = archive_window(bin, pitr.wal_archive, (*label)->start_wal_file);
  if (!window) return give_up(window.error());
  for (TimePoint t : sample_times(*window, pitr.sample_targets, seed)) {
    if (interrupted()) break;
    if (progress)
      progress(fmt::format("point-in-time recovery to sampled target {}", format_timestamp(t)));
    auto start = Clock::now();
    auto scratch = PgScratch::create(bin, options);
    if (!scratch) return give_up(scratch.error());
    plan::BackupJob sample = job;
    sample.backup.pitr->target_time = t;
    sample.backup.pitr->target_lsn.clear();
    sample.backup.pitr->target_name.clear();
    RestoreRun run =
        restore_pg_basebackup(*scratch, sample, layout, {}, deadline_in(job.restore_timeout));
    reports::PitrResult r;
    if (run.pitr) {
      r = std::move(*run.pitr);
    } else {
      r.target = describe_target(*sample.backup.pitr);
      r.target_time = t;
      r.status = Status::error;
      r.message = run.result ? "no result" : run.result.error().message;
    }
    r.duration = std::chrono::duration_cast<Millis>(Clock::now() - start);
    judge_sample(r, job);
    scratch->stop();
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace dp::drills
