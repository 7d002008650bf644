#include "drills/my_pitr.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
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

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    out.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string utc_text(Clock::time_point t) {
  std::time_t s = Clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
  std::tm tm{};
  ::gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

// The start of a dump (its header comments), plain or gzip'd.
Result<std::string> read_head(BackupFormat format, const fs::path& path, std::size_t max) {
  std::string out(max, '\0');
  if (format == BackupFormat::mysql_dump_gz) {
    gzFile gz = gzopen(path.c_str(), "rb");
    if (!gz) return make_error(Errc::io, fmt::format("cannot read {}", path.string()));
    int n = gzread(gz, out.data(), static_cast<unsigned>(max));
    gzclose(gz);
    if (n < 0)
      return make_error(Errc::io, fmt::format("{}: gzip stream is damaged", path.string()));
    out.resize(static_cast<std::size_t>(n));
    return out;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::io, fmt::format("cannot read {}", path.string()));
  in.read(out.data(), static_cast<std::streamsize>(max));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
}

// KEY='value' or KEY=value (up to , ; or space) in `line`.
std::optional<std::string> value_after(std::string_view line, std::string_view key) {
  auto at = line.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(at + key.size());
  if (!rest.empty() && rest[0] == '\'') {
    auto end = rest.find('\'', 1);
    if (end == std::string_view::npos) return std::nullopt;
    return std::string(rest.substr(1, end - 1));
  }
  auto end = rest.find_first_of(",; \t");
  return std::string(rest.substr(0, end));
}

std::optional<std::uint64_t> to_u64(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

Result<BinlogStart> dump_coordinates(BackupFormat format, const fs::path& path) {
  auto head = read_head(format, path, 1 << 16);
  if (!head) return Unexpected<Error>(std::move(head).error());
  BinlogStart start;
  for (std::string_view line : split_lines(*head)) {
    if (line.find("CHANGE MASTER TO") != std::string_view::npos &&
        line.find("MASTER_LOG_FILE=") != std::string_view::npos && start.file.empty()) {
      auto file = value_after(line, "MASTER_LOG_FILE=");
      auto pos = value_after(line, "MASTER_LOG_POS=");
      auto n = pos ? to_u64(*pos) : std::nullopt;
      if (file && n && !file->empty()) {
        start.file = *file;
        start.position = *n;
      }
    }
    if (line.find("gtid_slave_pos=") != std::string_view::npos && start.gtid.empty())
      if (auto g = value_after(line, "gtid_slave_pos=")) start.gtid = *g;
  }
  if (start.file.empty())
    return make_error(
        Errc::invalid_input,
        fmt::format("{} records no binary log coordinates (no \"-- CHANGE MASTER TO "
                    "MASTER_LOG_FILE=..., MASTER_LOG_POS=...\" comment in its header), so there "
                    "is no point to start replaying binlog_archive from\nhint: make the dump with "
                    "mariadb-dump --master-data=2 (mysqldump --source-data=2), or --dump-slave=2 "
                    "on a replica",
                    path.string()));
  return start;
}

Result<BinlogStart> backup_coordinates(const fs::path& backup) {
  auto dir = real_backup_dir(backup);
  if (!dir) return Unexpected<Error>(std::move(dir).error());
  for (const char* name : {"xtrabackup_binlog_info", "mariadb_backup_binlog_info"}) {
    std::error_code ec;
    if (!fs::exists(*dir / name, ec)) continue;
    std::string text = read_text(*dir / name);
    std::vector<std::string> fields;
    std::string field;
    for (char c : text) {
      if (c == '\t' || c == ' ' || c == '\n' || c == '\r') {
        if (!field.empty()) fields.push_back(std::move(field));
        field.clear();
      } else {
        field += c;
      }
    }
    if (!field.empty()) fields.push_back(std::move(field));
    auto pos = fields.size() >= 2 ? to_u64(fields[1]) : std::nullopt;
    if (!pos)
      return make_error(Errc::invalid_input,
                        fmt::format("{}: expected \"<binlog file>\\t<position>[\\t<gtid>]\", found "
                                    "\"{}\"",
                                    (*dir / name).string(), trim(text)));
    return BinlogStart{fields[0], *pos, fields.size() >= 3 ? fields[2] : ""};
  }
  return make_error(Errc::invalid_input,
                    fmt::format("{} has no xtrabackup_binlog_info, so there is no point to start "
                                "replaying binlog_archive from\nhint: the source server had no "
                                "binary log (log_bin) when mariadb-backup ran",
                                backup.string()));
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

std::optional<BinlogEventHeader> parse_binlog_event_header(std::string_view line) {
  // "#261121 19:40:12 server id 1  end_log_pos 1520 ..." (%2d hours: " 9:")
  if (line.size() < 16 || line[0] != '#') return std::nullopt;
  auto date = to_u64(line.substr(1, 6));
  if (!date) return std::nullopt;
  std::size_t i = 7;
  while (i < line.size() && line[i] == ' ') ++i;
  auto colon = line.find(':', i);
  if (colon == std::string_view::npos || colon - i > 2 || line.size() < colon + 6)
    return std::nullopt;
  auto hh = to_u64(line.substr(i, colon - i));
  auto mm = to_u64(line.substr(colon + 1, 2));
  auto ss = to_u64(line.substr(colon + 4, 2));
  if (!hh || !mm || !ss || line[colon + 3] != ':') return std::nullopt;
  auto at = line.find("end_log_pos ");
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(at + 12);
  auto end = to_u64(rest.substr(0, rest.find_first_not_of("0123456789")));
  if (!end) return std::nullopt;
  std::tm tm{};
  tm.tm_year = static_cast<int>(*date / 10000) + 100;
  tm.tm_mon = static_cast<int>(*date / 100 % 100) - 1;
  tm.tm_mday = static_cast<int>(*date % 100);
  tm.tm_hour = static_cast<int>(*hh);
  tm.tm_min = static_cast<int>(*mm);
  tm.tm_sec = static_cast<int>(*ss);
  BinlogEventHeader h;
  h.time = Clock::from_time_t(::timegm(&tm));
  h.end_pos = *end;
  for (std::string_view kind :
       {"Start: binlog", "Gtid list", "Binlog checkpoint", "Rotate to ", "Stop"})
    if (rest.find(kind) != std::string_view::npos) h.bookkeeping = true;
  return h;
}

std::optional<std::uint64_t> binlog_number(const std::string& name) {
  auto dot = name.rfind('.');
  if (dot == std::string::npos) return std::nullopt;
  return to_u64(std::string_view(name).substr(dot + 1));
}

std::string binlog_name(const std::string& like, std::uint64_t n) {
  auto dot = like.rfind('.');
  std::size_t width = dot == std::string::npos ? 6 : like.size() - dot - 1;
  return fmt::format("{}.{:0{}}", like.substr(0, dot), n, width);
}

Result<BinlogStart> read_binlog_start(BackupFormat format, const fs::path& backup) {
  if (format == BackupFormat::mysql_dump || format == BackupFormat::mysql_dump_gz)
    return dump_coordinates(format, backup);
  if (format == BackupFormat::mariadb_backup) return backup_coordinates(backup);
  return make_error(Errc::invalid_input,
                    fmt::format("{} is a {}: binlog_archive needs a MySQL/MariaDB dump or a "
                                "mariadb-backup",
                                backup.string(), format_name(format)));
}

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
  client.argv = {scratch.binaries().client.string(),
                 "--no-defaults",
                 "--protocol=socket",
                 "--host=localhost",
                 "--socket=" + scratch.socket().string(),
                 std::string("--user=") + MyScratch::k_user,
                 "--batch",
                 "--max-allowed-packet=1G"};
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
  if (!start_n)
    return done(Status::error, fmt::format("the backup's binlog file name \"{}\" has no numeric "
                                           "extension (name.NNNNNN)",
                                           start.file));
  if (pitr.target_time && backup_time && *pitr.target_time < *backup_time)
    return done(Status::error,
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
  if (r.status == Status::error && r.message.find("before the backup") != std::string::npos)
    run.result = make_error(Errc::invalid_input, r.message);
  run.pitr = std::move(r);
}

}  // namespace dp::drills
