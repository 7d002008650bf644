#include "drills/my_pitr.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <fstream>

#include "drills/file_tree.hpp"
#include "drills/restore.hpp"
#include "verifier/core/signals.hpp"
#include "verifier/core/text.hpp"
#include "verifier/core/timestamp.hpp"
#include "verifier/engine/engine.hpp"

namespace dp::drills {
namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;
using reports::Status;

namespace {

std::string utc_text(Clock::time_point t) {
  std::time_t s = Clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
  std::tm tm{};
  ::gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

// The start of a dump (its header comments), plain or gzip'd.
std::optional<std::uint64_t> to_u64(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string last_error_line(const fs::path& log) {
  std::string tail = read_file_tail(log, 16384);
  std::string found;
  for (std::string_view line : split_lines(tail)) {
    std::string_view t = trim(line);
    if (t.starts_with("ERROR")) found = std::string(t);
  }
  if (found.empty()) found = tail_lines(tail, 1);
  for (auto& c : found)
    if (c == '\n' || c == '\r') c = ' ';
  if (found.size() > 400) found = found.substr(0, 400) + "...";
  return found;
}

std::string binlog_tool(const MyBinaries& bin) {
  fs::path dir = bin.client.parent_path();
  std::error_code ec;
  for (const char* name : {"mariadb-binlog", "mysqlbinlog"})
    if (fs::exists(dir / name, ec)) return (dir / name).string();
  return "mariadb-binlog";
}

struct Decoded {
  std::uint64_t last_end = 0;  // of any event: how far the file was read
  std::optional<BinlogEventHeader> last_change;
};

Decoded scan_decoded(const fs::path& sql) {
  Decoded d;
  std::ifstream in(sql, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() < 8 || line[0] != '#') continue;
    auto h = parse_binlog_event_header(line);
    if (!h) continue;
    d.last_end = std::max(d.last_end, h->end_pos);
    if (!h->bookkeeping) d.last_change = h;
  }
  return d;
}

}  // namespace

namespace {

struct Step {
  bool ok = true;
  bool untestable = false;  // could not run the tools, timed out, interrupted
  std::string message;      // why it failed
  Decoded decoded;
};

// mariadb-binlog over one file into a decoded SQL file in the scratch
// directory, then that file into the client. The decoded SQL is parsed for
// the event headers first, so the reached point is what was applied.
Step replay_file(const MyScratch& scratch, const fs::path& file, std::optional<std::uint64_t> from,
                 const std::vector<std::string>& stop, Deadline deadline) {
  Step step;
  const fs::path sql = scratch.dir() / "binlog-replay.sql";
  const fs::path log = scratch.dir() / "binlog-replay.log";
  SpawnOptions decode;
  decode.argv = {binlog_tool(scratch.binaries()), "--no-defaults", "--verify-binlog-checksum"};
  if (from) decode.argv.push_back(fmt::format("--start-position={}", *from));
  decode.argv.insert(decode.argv.end(), stop.begin(), stop.end());
  decode.argv.push_back(file.string());
  // --stop-datetime and the printed event times are in the process's zone.
  decode.env = {{"TZ", "UTC"}, {"LC_ALL", "C"}};
  decode.out = Redirect::to_file(sql);
  decode.err = Redirect::to_file(log);
  auto child = ChildProcess::spawn(std::move(decode));
  auto status =
      child ? child->wait(deadline) : Result<ExitStatus>(Unexpected<Error>(child.error()));
  if (!status) {
    step.ok = false;
    step.untestable = true;
    step.message = "mariadb-binlog: " + status.error().message;
    return step;
  }
  if (!status->ok()) {
    step.ok = false;
    step.message = fmt::format("mariadb-binlog failed on {} ({}): {}", file.filename().string(),
                               status->describe(), last_error_line(log));
    return step;
  }
  step.decoded = scan_decoded(sql);

  SpawnOptions client;
  client.argv = {scratch.binaries().client.string(), "--no-defaults", "--protocol=socket",
                 "--host=localhost", "--socket=" + scratch.socket().string(),
                 std::string("--user=") + MyScratch::k_user, "--batch",
                 // Decoded binlog SQL may hold binary strings: no \r\n
                 // translation, no '\0' ending a statement, and no client
                 // commands (\!, source) taken from the backup's data.
                 "--binary-mode", "--max-allowed-packet=1G"};
  client.unset_env = {"MYSQL_HOST", "MYSQL_TCP_PORT", "MYSQL_UNIX_PORT", "MYSQL_PWD"};
  client.in = Redirect::from_file(sql);
  client.out = Redirect::null();
  client.err = Redirect::to_file(log);
  auto applier = ChildProcess::spawn(std::move(client));
  auto applied =
      applier ? applier->wait(deadline) : Result<ExitStatus>(Unexpected<Error>(applier.error()));
  std::error_code ec;
  fs::remove(sql, ec);
  if (!applied) {
    step.ok = false;
    step.untestable = true;
    step.message = scratch.binaries().client.filename().string() + ": " + applied.error().message;
  } else if (!applied->ok()) {
    step.ok = false;
    step.message =
        fmt::format("{} failed applying {} ({}): {}", scratch.binaries().client.filename().string(),
                    file.filename().string(), applied->describe(), last_error_line(log));
  }
  return step;
}

std::string describe_target(const config::PitrConfig& pitr) {
  if (pitr.target_time) return "time " + format_timestamp(*pitr.target_time);
  if (!pitr.target_position.empty()) return "position " + pitr.target_position;
  return "latest";
}

}  // namespace

reports::PitrResult replay_binlogs(const MyScratch& scratch, const config::PitrConfig& pitr,
                                   const BinlogStart& start,
                                   std::optional<Clock::time_point> backup_time,
                                   const std::string& database, Deadline deadline) {
  reports::PitrResult r;
  r.target = describe_target(pitr);
  r.target_time = pitr.target_time;
  r.reached_lsn = fmt::format("{}:{}", start.file, start.position);
  const auto t0 = std::chrono::steady_clock::now();
  auto done = [&](Status status, std::string message) {
    r.status = status;
    r.message = std::move(message);
    r.duration = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - t0);
    return r;
  };
  auto start_n = binlog_number(start.file);
  // The name comes from the backup (its dump header, xtrabackup_binlog_info)
  // and is joined onto binlog_archive: a path would read outside it.
  if (start.file.empty() || start.file.find('/') != std::string::npos || start.file == "." ||
      start.file == "..")
    return done(Status::error,
                fmt::format("the backup's binlog file name \"{}\" is not a file name in "
                            "binlog_archive",
                            escape_control(start.file)));
  if (!start_n)
    return done(Status::error, fmt::format("the backup's binlog file name \"{}\" has no numeric "
                                           "extension (name.NNNNNN)",
                                           start.file));
  // As for PostgreSQL: the plan's recovery promise was tested against this
  // backup and cannot be met by it, a failure rather than "untestable".
  if (pitr.target_time && backup_time && *pitr.target_time < *backup_time)
    return done(Status::failed,
                fmt::format("target_time {} UTC is before the backup was made ({} UTC): binary "
                            "logs only replay forward from the backup",
                            utc_text(*pitr.target_time), utc_text(*backup_time)));
  std::string stop_file;
  std::uint64_t stop_pos = 0;
  if (!pitr.target_position.empty()) {
    auto colon = pitr.target_position.rfind(':');
    auto pos = colon == std::string::npos
                   ? std::nullopt
                   : to_u64(std::string_view(pitr.target_position).substr(colon + 1));
    if (!pos || !binlog_number(pitr.target_position.substr(0, colon)))
      return done(Status::error, fmt::format("target_position \"{}\": expected "
                                             "\"<binlog file>:<position>\"",
                                             pitr.target_position));
    stop_file = pitr.target_position.substr(0, colon);
    stop_pos = *pos;
    auto stop_n = *binlog_number(stop_file);
    if (stop_n < *start_n || (stop_n == *start_n && stop_pos < start.position))
      return done(Status::error,
                  fmt::format("target_position {} is before the backup's coordinates {}:{}",
                              pitr.target_position, start.file, start.position));
  }

  // The highest number in the archive with the start file's base name: a
  // missing number below it is a gap, not the archive's end.
  const std::string base = start.file.substr(0, start.file.rfind('.') + 1);
  std::uint64_t highest = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(pitr.binlog_archive, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind(base, 0) != 0) continue;
    if (auto n = binlog_number(name)) highest = std::max(highest, *n);
  }
  if (ec)
    return done(Status::error, fmt::format("cannot read binlog_archive {}: {}",
                                           pitr.binlog_archive.string(), ec.message()));

  std::vector<std::string> stop_time;
  if (pitr.target_time) {
    // Whole seconds, as binlog event times are: an inclusive target
    // replays its own second too.
    auto t = std::chrono::floor<std::chrono::seconds>(*pitr.target_time);
    if (pitr.target_inclusive || t != *pitr.target_time) t += std::chrono::seconds(1);
    stop_time = {"--stop-datetime=" + utc_text(t)};
  }
  auto where = [&] {
    return r.reached_time ? fmt::format("{} ({} UTC)", r.reached_lsn, utc_text(*r.reached_time))
                          : fmt::format("{} (the backup's coordinates)", r.reached_lsn);
  };
  auto short_of = [&] {
    if (pitr.target_time) return "target_time " + utc_text(*pitr.target_time) + " UTC";
    if (!stop_file.empty()) return "target_position " + pitr.target_position;
    return std::string("the end of the archive");
  };

  for (std::uint64_t n = *start_n;; ++n) {
    const std::string name = binlog_name(start.file, n);
    const fs::path file = pitr.binlog_archive / name;
    const bool last_wanted = !stop_file.empty() && name == stop_file;
    if (!fs::is_regular_file(file, ec)) {
      if (n <= highest || n == *start_n || !stop_file.empty()) {
        r.first_missing = name;
        return done(Status::failed, fmt::format("binlog archive lacks {}: replay stopped at {}, "
                                                "short of {}",
                                                name, where(), short_of()));
      }
      if (pitr.target_time)
        return done(Status::failed,
                    fmt::format("binlog archive ends at {}, short of {}", where(), short_of()));
      break;  // latest: everything archived was replayed
    }
    std::vector<std::string> stop = stop_time;
    if (last_wanted) stop.push_back(fmt::format("--stop-position={}", stop_pos));
    std::optional<std::uint64_t> from;
    if (n == *start_n) from = start.position;
    Step step = replay_file(scratch, file, from, stop, deadline);
    if (step.decoded.last_change) {
      r.reached_lsn = fmt::format("{}:{}", name, step.decoded.last_change->end_pos);
      r.reached_time = step.decoded.last_change->time;
    }
    if (!step.ok)
      return done(step.untestable ? Status::error : Status::failed,
                  step.message + "; replay stopped at " + where());
    if (interrupted())
      return done(Status::error, fmt::format("interrupted by signal {}; replay stopped at {}",
                                             interrupt_signal(), where()));
    const auto size = fs::file_size(file, ec);
    const bool consumed = step.decoded.last_end >= size || (from && *from >= size);
    if (last_wanted) {
      if (size < stop_pos)
        return done(Status::failed, fmt::format("{} ends at {}, short of target_position {}", name,
                                                size, pitr.target_position));
      break;
    }
    if (pitr.target_time && !consumed) break;  // stopped at the first event at/after the target
  }

  if (!pitr.recovery_point_query.empty()) {
    auto db = engine::connect(scratch.connect_options(database));
    auto rows = db ? (*db)->query(pitr.recovery_point_query)
                   : Result<engine::QueryResult>(Unexpected<Error>(db.error()));
    if (!rows)
      return done(Status::error,
                  "recovery_point_query failed after the replay: " + rows.error().message);
    if (rows->rows.empty() || rows->rows[0].empty() || !rows->rows[0][0])
      return done(Status::failed, "recovery_point_query returned no timestamp after the replay");
    auto point = parse_timestamp(*rows->rows[0][0]);
    if (!point) return done(Status::error, "recovery_point_query: " + point.error().message);
    r.recovery_point = *point;
    if (pitr.target_time)
      r.data_loss =
          std::max(Millis{0}, std::chrono::duration_cast<Millis>(*pitr.target_time - *point));
  }
  return done(Status::passed, "");
}

reports::PitrResult refused_pitr(const config::PitrConfig& pitr, const Error& why) {
  reports::PitrResult r;
  r.target = describe_target(pitr);
  r.target_time = pitr.target_time;
  r.status = Status::error;
  r.message = why.message;
  return r;
}

void replay_binlog_archive(RestoreRun& run, const MyScratch& scratch, const plan::BackupJob& job,
                           BackupFormat format, std::chrono::steady_clock::time_point started,
                           Deadline deadline) {
  if (!run.result || !job.backup.pitr || job.backup.pitr->binlog_archive.empty()) return;
  auto start = read_binlog_start(format, job.backup.path);
  if (!start) {
    run.pitr = refused_pitr(*job.backup.pitr, start.error());
    run.result = Unexpected<Error>(std::move(start).error());
    return;
  }
  std::optional<Clock::time_point> made;
  if (auto origin = read_dump_origin(format, job.backup.path)) made = origin->created;
  reports::PitrResult r =
      replay_binlogs(scratch, *job.backup.pitr, *start, made, job.backup.database, deadline);
  r.duration = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started);
  if (r.status == Status::failed &&
      r.message.find("is before the backup was made") != std::string::npos)
    run.result = make_error(Errc::invalid_input, r.message);
  run.pitr = std::move(r);
}

}  // namespace dp::drills
