// Where a point-in-time recovery landed: from the promoted server, or from
// its log when it gave up (PostgreSQL 14+ stops with FATAL "recovery ended
// before configured recovery target was reached").
#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <thread>

#include "drills/pg_pitr.hpp"
#include "verifier/core/signals.hpp"
#include "verifier/core/text.hpp"
#include "verifier/core/timestamp.hpp"
#include "verifier/engine/postgres/pg_engine.hpp"

namespace dp::drills {
namespace fs = std::filesystem;
using reports::Status;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view k_not_reached =
    "recovery ended before configured recovery target was reached";
constexpr std::string_view k_before_consistent =
    "requested recovery stop point is before consistent recovery point";
// The startup process's FATAL verdicts: recovery ran and could not reach the
// target (tested and missed). The last three: the archive lacks WAL the
// backup itself needs (a -X none base backup, a gap right after its start).
constexpr std::string_view k_verdicts[] = {
    k_not_reached, k_before_consistent, "WAL ends before end of online backup",
    "WAL ends before consistent recovery point", "could not locate required checkpoint record"};

struct LogFacts {
  std::string last_restored;  // the last segment restored from the archive
  std::string redo_done_lsn;
  std::optional<TimePoint> last_commit;
  std::string fatal;   // the FATAL line's message
  std::string damage;  // the last "invalid record ..." style line
};

std::string_view after(std::string_view line, std::string_view marker) {
  auto at = line.find(marker);
  return at == std::string_view::npos ? std::string_view() : line.substr(at + marker.size());
}

LogFacts read_log(const fs::path& log) {
  LogFacts f;
  auto text = read_file_head(log, 64 << 20);
  if (!text) return f;
  std::string_view rest = *text;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (auto v = after(line, "restored log file \""); !v.empty()) {
      std::string name(v.substr(0, v.find('"')));
      if (name.size() == 24) f.last_restored = name;
    }
    if (auto v = after(line, "redo done at "); !v.empty())
      f.redo_done_lsn = std::string(v.substr(0, v.find(' ')));
    if (auto v = after(line, "last completed transaction was at log time "); !v.empty())
      if (auto t = parse_timestamp(v)) f.last_commit = *t;
    // Connection attempts while it starts log "FATAL: the database system is
    // starting up" too: only the startup process's verdicts count.
    for (std::string_view verdict : k_verdicts)
      if (line.find(verdict) != std::string_view::npos && f.fatal.empty())
        f.fatal = std::string(verdict);
    for (std::string_view marker :
         {"invalid record length", "incorrect resource manager data checksum", "invalid magic",
          "incorrect prev-link", "invalid resource manager ID", "unexpected pageaddr",
          "invalid info bits", "contrecord"})
      if (line.find(marker) != std::string_view::npos) {
        auto msg = after(line, "LOG:  ");
        f.damage = std::string(msg.empty() ? line : msg);
      }
  }
  return f;
}

// The archive's segment names (24 hex digits; history and .backup files left out).
std::set<std::string> archived_segments(const fs::path& archive) {
  std::set<std::string> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(archive, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.size() == 24 && std::all_of(name.begin(), name.end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
        }))
      out.insert(name);
  }
  return out;
}

// The newest segment by position (timeline left out of the order).
std::string newest(const std::set<std::string>& segments) {
  std::string best;
  for (const auto& s : segments)
    if (best.empty() || s.substr(8) > best.substr(8) || (s.substr(8) == best.substr(8) && s > best))
      best = s;
  return best;
}

// Recovery stopped at `at` (a segment it read last). Names what the archive
// lacks after it, or says that the segment there is damaged.
std::string explain_stop(const fs::path& archive, const std::string& at, const LogFacts& log,
                         reports::PitrResult& r) {
  auto segments = archived_segments(archive);
  std::string next = next_segment(at);
  std::string last = newest(segments);
  bool later = !last.empty() && last.substr(8) > at.substr(8);
  if (!next.empty() && !segments.contains(next)) {
    r.first_missing = next;
    if (later)
      return fmt::format(
          "the WAL archive has a gap: segment {} is missing (the archive holds "
          "segments up to {})",
          next, last);
    return fmt::format("the WAL archive ends with segment {}; {} is not archived", at, next);
  }
  return fmt::format("segment {} (or the one after it) is damaged: {}", at,
                     log.damage.empty() ? "the server ended recovery there" : log.damage);
}

std::optional<TimePoint> time_of(const engine::Value& v) {
  if (!v) return std::nullopt;
  auto t = parse_timestamp(*v);
  return t ? std::optional<TimePoint>(*t) : std::nullopt;
}

// pg_is_in_recovery() false: promoted. nullopt while still recovering;
// an error when the server gave up or the deadline passed.
Result<bool> wait_promoted(PgScratch& scratch, Deadline deadline) {
  auto conn = scratch.connect_options("postgres");
  conn.connect_timeout = 2s;
  while (true) {
    if (auto session = engine::postgres::connect(conn)) {
      auto rows = (*session)->query("SELECT pg_is_in_recovery()::text");
      if (rows && !rows->rows.empty() && rows->rows[0][0] == std::optional<std::string>("false"))
        return true;
    } else {
      std::string log = read_file_tail(scratch.log_file(), 65536);
      bool ended = log.find("terminating any other active server processes") != std::string::npos;
      for (std::string_view verdict : k_verdicts)
        ended = ended || log.find(verdict) != std::string::npos;
      if (ended) return false;
    }
    if (interrupted())
      return make_error(Errc::interrupted, fmt::format("interrupted by signal {} during recovery",
                                                       interrupt_signal()));
    if (std::chrono::steady_clock::now() >= deadline)
      return make_error(Errc::timeout, "recovery did not end within restore_timeout");
    std::this_thread::sleep_for(100ms);
  }
}

void measure_recovery_point(PgScratch& scratch, const config::PitrConfig& pitr,
                            const std::string& database, reports::PitrResult& r) {
  if (pitr.recovery_point_query.empty()) return;
  auto session = engine::postgres::connect(scratch.connect_options(database));
  Result<engine::QueryResult> rows = session ? (*session)->query(pitr.recovery_point_query)
                                             : Unexpected<Error>(std::move(session).error());
  if (!rows) {  // no answer at all: untestable, not a recovery point missed
    r.status = Status::error;
    r.message = "recovery_point_query: " + rows.error().message;
    return;
  }
  if (rows->rows.empty() || rows->rows[0].empty()) {
    r.status = Status::failed;
    r.message = "recovery_point_query did not return a row: no row";
    return;
  }
  // NULL: nothing committed yet at this point (max() of no rows); the
  // recovery point is then not measured.
  if (!rows->rows[0][0]) return;
  if (!time_of(rows->rows[0][0])) {
    r.status = Status::failed;
    r.message =
        fmt::format("recovery_point_query returned \"{}\", not a timestamp", *rows->rows[0][0]);
    return;
  }
  r.recovery_point = time_of(rows->rows[0][0]);
  auto reference = r.target_time ? r.target_time : r.reached_time;
  if (reference)
    r.data_loss =
        std::max(Millis{0}, std::chrono::duration_cast<Millis>(*reference - *r.recovery_point));
}

}  // namespace

reports::PitrResult finish_pitr(PgScratch& scratch, const config::PitrConfig& pitr,
                                const std::string& database, const Result<void>& launched,
                                Deadline deadline, bool& promoted_out) {
  promoted_out = false;
  reports::PitrResult r;
  r.target = describe_target(pitr);
  r.target_time = pitr.target_time;
  Result<bool> promoted = launched ? wait_promoted(scratch, deadline) : Result<bool>(false);
  if (!launched && launched.error().code != Errc::process_failed)
    promoted = Unexpected<Error>(launched.error());
  if (!promoted) {
    r.status = Status::error;
    r.message = promoted.error().message;
    return r;
  }
  LogFacts log = read_log(scratch.log_file());
  // The server stopped without a recovery verdict (a bad setting, a crash):
  // the drill could not tell where recovery would have ended.
  if (!*promoted && log.fatal.empty()) {
    r.status = Status::error;
    r.message =
        launched ? std::string("the server stopped during recovery") : launched.error().message;
    return r;
  }
  if (!*promoted) {
    r.status = Status::failed;
    r.reached_lsn = log.redo_done_lsn;
    r.reached_time = log.last_commit;
    if (!log.last_restored.empty())
      r.timeline = static_cast<int>(std::stoul(log.last_restored.substr(0, 8), nullptr, 16));
    std::string why =
        log.fatal.empty() ? std::string("the server stopped during recovery") : log.fatal;
    std::string at = log.last_restored;
    if (at.empty())
      if (auto lsn = parse_lsn(r.reached_lsn)) at = segment_of(r.timeline ? r.timeline : 1, *lsn);
    r.message = fmt::format(
        "recovery stopped short of target {} at LSN {}{}: {}", r.target,
        r.reached_lsn.empty() ? "?" : r.reached_lsn,
        r.reached_time ? " (last commit " + format_timestamp(*r.reached_time) + ")" : std::string(),
        why);
    if (!at.empty() && log.fatal.find(k_before_consistent) == std::string::npos)
      r.message += "; " + explain_stop(pitr.wal_archive, at, log, r);
    return r;
  }
  promoted_out = true;
  auto session = engine::postgres::connect(scratch.connect_options("postgres"));
  if (!session) {
    r.status = Status::error;
    r.message = session.error().message;
    return r;
  }
  (void)(*session)->query("CHECKPOINT");
  auto rows = (*session)->query(
      "SELECT pg_last_wal_replay_lsn()::text, pg_last_xact_replay_timestamp()::text, "
      "(SELECT timeline_id::text FROM pg_control_checkpoint())");
  if (!rows || rows->rows.empty()) {
    r.status = Status::error;
    r.message = rows ? "no reached point" : rows.error().message;
    return r;
  }
  const auto& row = rows->rows[0];
  r.reached_lsn = row[0].value_or("");
  r.reached_time = time_of(row[1]);
  r.timeline = log.last_restored.empty()
                   ? std::stoi(row[2].value_or("0"))
                   : static_cast<int>(std::stoul(log.last_restored.substr(0, 8), nullptr, 16));
  // A named, timed or LSN target that was not reached ends in FATAL (above);
  // "latest" must have replayed every archived segment.
  bool latest = !pitr.target_time && pitr.target_lsn.empty() && pitr.target_name.empty();
  if (latest) {
    auto lsn = parse_lsn(r.reached_lsn);
    std::string at = lsn ? segment_of(r.timeline, *lsn) : "";
    if (!log.last_restored.empty() && log.last_restored.substr(8) > at.substr(8))
      at = log.last_restored;
    std::string last = newest(archived_segments(pitr.wal_archive));
    if (!at.empty() && !last.empty() && last.substr(8) > at.substr(8)) {
      r.status = Status::failed;
      r.message = fmt::format(
          "recovery to latest stopped at LSN {} but the archive holds "
          "segments up to {}: {}",
          r.reached_lsn, last, explain_stop(pitr.wal_archive, at, log, r));
    }
  }
  measure_recovery_point(scratch, pitr, database, r);
  return r;
}

}  // namespace dp::drills
