// Setting up a point-in-time recovery: archive readable by the server user,
// target after the backup, recovery.signal and the -c settings.
#include <fmt/format.h>
#include <sys/stat.h>

#include "drills/pg_basebackup.hpp"
#include "drills/pg_pitr.hpp"
#include "verifier/core/text.hpp"
#include "verifier/core/timestamp.hpp"

namespace dp::drills {
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t k_segment_size = 16ull * 1024 * 1024;
constexpr std::uint64_t k_segments_per_id = 0x100000000ull / k_segment_size;

// Microseconds kept: sampled targets are not whole seconds.
std::string format_timestamp_us(TimePoint t) {
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t - secs).count();
  std::string text = format_timestamp(secs);
  text.pop_back();  // 'Z'
  return fmt::format("{}.{:06}+00", text, us);
}

bool readable_by(const struct stat& st, const Credentials& user, bool dir) {
  mode_t need_u = dir ? (S_IRUSR | S_IXUSR) : S_IRUSR;
  mode_t need_g = dir ? (S_IRGRP | S_IXGRP) : S_IRGRP;
  mode_t need_o = dir ? (S_IROTH | S_IXOTH) : S_IROTH;
  if (st.st_uid == user.uid) return (st.st_mode & need_u) == need_u;
  if (st.st_gid == user.gid) return (st.st_mode & need_g) == need_g;
  return (st.st_mode & need_o) == need_o;
}

// restore_command runs as the server user: it must read every segment.
// drillproof does not stage (copy) the archive, so a root-only archive is
// refused here rather than looking like a gap at the first segment.
Result<void> check_archive_readable(const fs::path& archive, const Credentials& user) {
  if (auto ok = check_reachable(archive, user); !ok)
    return make_error(Errc::io, "WAL archive: " + ok.error().message);
  auto refuse = [&](const fs::path& p, const struct stat& st) {
    return make_error(
        Errc::io,
        fmt::format("the server user '{}' cannot read the WAL archive: {} is owned "
                    "by uid {} with mode {:o}\nhint: make the archive readable by "
                    "'{}' (e.g. chmod -R o+rX or chgrp -R {}); drillproof only "
                    "reads it",
                    user.name, p.string(), st.st_uid, st.st_mode & 07777, user.name, user.name));
  };
  struct stat st {};
  if (::stat(archive.c_str(), &st) != 0 || !readable_by(st, user, true)) return refuse(archive, st);
  std::error_code ec;
  for (auto it = fs::directory_iterator(archive, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (::stat(it->path().c_str(), &st) != 0) continue;
    if (S_ISREG(st.st_mode) && !readable_by(st, user, false)) return refuse(it->path(), st);
  }
  return {};
}

}  // namespace

// STOP TIME of the archived backup history file "<start segment>.<offset>.backup".
std::optional<TimePoint> backup_stop_time(const fs::path& archive, const std::string& start_seg) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(archive, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!start_seg.empty() && name.rfind(start_seg + ".", 0) == 0 && name.ends_with(".backup")) {
      auto text = read_file_head(it->path(), 65536);
      if (!text) continue;
      for (auto line : split_lines(*text)) {
        if (!line.starts_with("STOP TIME: ")) continue;
        std::string value(line.substr(11));
        for (const char* zone : {" UTC", " GMT"})
          if (value.ends_with(zone)) value.replace(value.size() - 4, 4, "Z");
        if (auto t = parse_timestamp(value)) return *t;
      }
    }
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_lsn(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::uint64_t hi = 0, lo = 0;
  try {
    std::size_t used = 0;
    hi = std::stoull(std::string(text.substr(0, slash)), &used, 16);
    lo = std::stoull(std::string(text.substr(slash + 1)), &used, 16);
  } catch (...) {
    return std::nullopt;
  }
  return (hi << 32) | lo;
}

std::string segment_of(int timeline, std::uint64_t lsn) {
  std::uint64_t segno = (lsn == 0 ? 0 : lsn - 1) / k_segment_size;
  return fmt::format("{:08X}{:08X}{:08X}", timeline, segno / k_segments_per_id,
                     segno % k_segments_per_id);
}

std::string next_segment(std::string_view segment) {
  if (segment.size() != 24) return "";
  auto tli = std::stoul(std::string(segment.substr(0, 8)), nullptr, 16);
  auto hi = std::stoull(std::string(segment.substr(8, 8)), nullptr, 16);
  auto lo = std::stoull(std::string(segment.substr(16, 8)), nullptr, 16);
  std::uint64_t segno = hi * k_segments_per_id + lo + 1;
  return fmt::format("{:08X}{:08X}{:08X}", tli, segno / k_segments_per_id,
                     segno % k_segments_per_id);
}

std::string describe_target(const config::PitrConfig& pitr) {
  if (pitr.target_time) return "time " + format_timestamp(*pitr.target_time);
  if (!pitr.target_lsn.empty()) return "lsn " + pitr.target_lsn;
  if (!pitr.target_name.empty()) return "name " + pitr.target_name;
  return "latest";
}

Result<std::vector<std::string>> prepare_pitr(const config::PitrConfig& pitr, const fs::path& data,
                                              const std::optional<Credentials>& run_as) {
  const fs::path& archive = pitr.wal_archive;
  if (archive.string().find_first_of("\"%\n\r'") != std::string::npos)
    return make_error(Errc::invalid_input,
                      fmt::format("wal_archive {} contains a quote, '%' or a line break and "
                                  "cannot be used in restore_command",
                                  archive.string()));
  if (run_as)
    if (auto ok = check_archive_readable(archive, *run_as); !ok)
      return Unexpected<Error>(ok.error());
  if (pitr.target_time) {
    auto text = read_file_head(data / "backup_label", 65536);
    if (!text) return Unexpected<Error>(std::move(text).error().context("backup_label"));
    BackupLabel label = parse_backup_label(*text);
    std::optional<TimePoint> end = backup_stop_time(archive, label.start_wal_file);
    const char* what = "ended";
    if (!end) {
      end = label.start_time;
      what = "started (its backup history file is not in the archive)";
    }
    if (end && *pitr.target_time < *end)
      return make_error(
          Errc::invalid_input,
          fmt::format("target_time {} is before the end of the base backup, which "
                      "{} at {}: a base backup can only be recovered to a point "
                      "after it ended\nhint: pick a later target_time or an older "
                      "base backup",
                      format_timestamp(*pitr.target_time), what, format_timestamp(*end)));
  }
  // recovery.signal: targeted archive recovery that ends (promotes), not a standby.
  if (auto ok = write_file(data / "recovery.signal", ""); !ok) return Unexpected<Error>(ok.error());
  std::vector<std::string> args;
  auto set = [&](std::string setting) {
    args.push_back("-c");
    args.push_back(std::move(setting));
  };
  // The archive is only read: cp from it into the server's pg_wal. Single
  // quotes (the path has none): the server runs the command with /bin/sh,
  // and inside double quotes '$', '`' and '\' would still expand.
  set(fmt::format("restore_command=cp '{}/%f' \"%p\"", archive.string()));
  // The copy's postgresql.auto.conf is read, and the source may have set
  // these there: archive_cleanup_command would delete files from the real
  // archive at every restartpoint, recovery_end_command runs at the end, and
  // a leftover recovery target would move or contradict the plan's. The
  // command line wins over that file.
  set("archive_cleanup_command=");
  set("recovery_end_command=");
  set("recovery_target_timeline=latest");
  set("recovery_target_action=promote");
  set(fmt::format("recovery_target_inclusive={}", pitr.target_inclusive ? "on" : "off"));
  // Every target the plan does not use is cleared first, its own set last:
  // PostgreSQL refuses any target setting (even an empty one) made while
  // another target is in force.
  std::string chosen;
  if (pitr.target_time)
    chosen = "recovery_target_time=" + format_timestamp_us(*pitr.target_time);
  else if (!pitr.target_lsn.empty())
    chosen = "recovery_target_lsn=" + pitr.target_lsn;
  else if (!pitr.target_name.empty())
    chosen = "recovery_target_name=" + pitr.target_name;
  for (const char* name : {"recovery_target", "recovery_target_xid", "recovery_target_time",
                           "recovery_target_lsn", "recovery_target_name"})
    if (!chosen.starts_with(std::string(name) + "=")) set(std::string(name) + "=");
  if (!chosen.empty()) set(chosen);
  // No hot standby: it would demand max_connections, max_wal_senders, ...
  // at least the source's, and nothing reads the server before it promotes.
  set("hot_standby=off");
  // "restored log file", "redo done at", "last completed transaction" are LOG lines.
  set("log_min_messages=log");
  set("log_checkpoints=off");
  return args;
}

}  // namespace dp::drills
