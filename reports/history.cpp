// history.jsonl: appending under a lock, and reading with chain verification
// (docs/history.md). The line format itself is in history_line.cpp.
#include "reports/history.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <map>
#include <thread>

#include "reports/history_line.hpp"
#include "verifier/core/duration.hpp"
#include "verifier/core/fd.hpp"
#include "verifier/core/text.hpp"

namespace dp::reports {
namespace {

namespace fs = std::filesystem;
using detail::line_digest;
using detail::parse_history_line;
const std::string k_zero_prev = detail::zero_prev();

// The last line of the file (without its "\n"), read backwards in blocks
// so a long history costs one block; "" only for an empty file.
// Errc::invalid_input when the file does not end in "\n" (a cut-short write)
// or its last line is empty: we must not chain onto either, and an empty
// last line must not restart the chain at seq 1.
Result<std::string> read_last_line(int fd, off_t size) {
  std::string tail;
  off_t pos = size;
  constexpr off_t k_block = 8192;
  while (pos > 0) {
    off_t start = std::max<off_t>(0, pos - k_block);
    std::string block(static_cast<std::size_t>(pos - start), '\0');
    ssize_t n = ::pread(fd, block.data(), block.size(), start);
    if (n != static_cast<ssize_t>(block.size()))
      return make_error(Errc::io, fmt::format("read failed: {}", std::strerror(errno)));
    tail.insert(0, block);
    pos = start;
    if (tail.size() >= 2 && tail.find('\n') < tail.size() - 1) break;
  }
  if (tail.empty()) return std::string();
  if (tail.back() != '\n')
    return make_error(Errc::invalid_input,
                      "the last line is incomplete (no newline at the end of the file)");
  tail.pop_back();
  auto nl = tail.rfind('\n');
  std::string last = nl == std::string::npos ? tail : tail.substr(nl + 1);
  if (last.empty()) return make_error(Errc::invalid_input, "the last line is empty");
  return last;
}

Result<void> write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(Errc::io, fmt::format("write failed: {}", std::strerror(errno)));
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// flock(operation | LOCK_NB), polled every k_history_lock_poll until
// `timeout` has passed: a plain blocking flock would hang a run (or a
// monitoring check) forever behind a stuck holder.
Result<void> lock_within(int fd, int operation, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (::flock(fd, operation | LOCK_NB) == 0) return {};
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK)
      return make_error(Errc::io, fmt::format("cannot lock: {}", std::strerror(errno)));
    if (std::chrono::steady_clock::now() >= deadline)
      return make_error(Errc::timeout,
                        fmt::format("still locked by another drillproof after {}; gave up",
                                    format_duration(timeout)));
    std::this_thread::sleep_for(k_history_lock_poll);
  }
}

std::optional<Millis> objective(const std::vector<ObjectiveResult>& objectives, const char* name,
                                bool achieved) {
  for (const auto& o : objectives)
    if (o.name == name) return achieved ? o.achieved : o.objective;
  return std::nullopt;
}

std::chrono::system_clock::time_point whole_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t);
}

}  // namespace

HistoryEntry history_entry(const RunReport& report, std::string manifest_digest,
                           std::string report_dir) {
  HistoryEntry e;
  e.run_id = report.run_id;
  e.started = report.started;
  e.finished = report.finished;
  e.plan_name = report.plan_name;
  e.plan_digest = report.plan_digest;
  e.verdict = overall_status(report);
  e.interrupted = report.interrupted;
  e.manifest_digest = std::move(manifest_digest);
  e.key_fingerprint = report.signer.signed_run ? report.signer.key_fingerprint : std::string();
  std::error_code ec;
  fs::path absolute = fs::absolute(report_dir, ec);
  e.report_dir = ec ? std::move(report_dir) : absolute.lexically_normal().string();
  for (const auto& b : report.backups) {
    e.backups.push_back(HistoryBackup{b.name, b.status, objective(b.objectives, "rto", false),
                                      objective(b.objectives, "rto", true),
                                      objective(b.objectives, "rpo", false),
                                      objective(b.objectives, "rpo", true)});
  }
  return e;
}

Result<HistoryEntry> append_history(const fs::path& dir, HistoryEntry entry,
                                    std::chrono::milliseconds lock_timeout) {
  fs::path file = dir / k_history_file;
  auto fail = [&](Errc code, const std::string& why) {
    return make_error(code, fmt::format("{}: {}", file.string(), why));
  };
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(Errc::io, "cannot create the directory: " + ec.message());
  // O_RDWR rather than O_WRONLY: the last line is read through the same
  // locked descriptor, so no other run can append between read and write.
  Fd fd(::open(file.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) return fail(Errc::io, fmt::format("cannot open: {}", std::strerror(errno)));
  if (auto locked = lock_within(fd.get(), LOCK_EX, lock_timeout); !locked)
    return fail(locked.error().code, locked.error().message);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return fail(Errc::io, fmt::format("cannot stat: {}", std::strerror(errno)));

  auto last = read_last_line(fd.get(), st.st_size);
  if (!last) return fail(last.error().code, last.error().message + "; refusing to chain onto it");
  if (last->empty()) {
    entry.seq = 1;
    entry.prev = k_zero_prev;
  } else {
    auto previous = parse_history_line(*last);
    if (!previous)
      return fail(Errc::invalid_input,
                  fmt::format("the last line is not a history line ({}); refusing to chain onto "
                              "it\nhint: run `drillproof audit {}` to see what happened to it",
                              previous.error().message, dir.string()));
    if (previous->seq == std::numeric_limits<std::uint64_t>::max())
      return fail(Errc::invalid_input,
                  fmt::format("the last line's seq is {}, the largest there is; refusing to chain "
                              "onto it",
                              previous->seq));
    entry.seq = previous->seq + 1;
    entry.prev = line_digest(*last);
  }
  // The line stores whole seconds; return what a reader will get back.
  entry.started = whole_seconds(entry.started);
  entry.finished = whole_seconds(entry.finished);
  std::string line = detail::history_line(entry) + "\n";
  if (auto written = write_all(fd.get(), line); !written)
    return fail(Errc::io, written.error().message);
  if (::fsync(fd.get()) != 0)
    return fail(Errc::io, fmt::format("fsync failed: {}", std::strerror(errno)));
  if (st.st_size == 0) {
    // A new file: make its directory entry durable too.
    Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir_fd.valid()) ::fsync(dir_fd.get());
  }
  return entry;  // the lock goes with the descriptor
}

namespace {

struct Line {
  std::size_t number = 0;  // 1-based
  std::string_view raw;
  std::optional<HistoryEntry> entry;  // nullopt: unparsable, already reported
};

std::string plural(std::uint64_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

// Order: seq must rise by one from 1. A missing seq found elsewhere in the
// file is a reordering; one found nowhere was deleted, unless unparsable
// lines stand in its place (those are reported on their own).
// The seqs in a gap are counted by binary search in the sorted distinct
// seqs, O(log n) per line however large the jump; `high` may be
// UINT64_MAX, so nothing here computes high + 1.
void check_order(const std::vector<Line>& lines,
                 const std::map<std::uint64_t, std::vector<std::size_t>>& by_seq,
                 std::vector<HistoryProblem>& problems) {
  std::vector<std::uint64_t> seqs;
  seqs.reserve(by_seq.size());
  for (const auto& [s, where] : by_seq) seqs.push_back(s);
  std::uint64_t high = 0;
  std::size_t high_line = 0, previous_line = 0;
  for (const auto& l : lines) {
    if (!l.entry) continue;
    std::uint64_t seq = l.entry->seq;
    std::size_t n = l.number;
    if (seq > high && seq - high > 1) {
      // Seqs strictly between high and seq found elsewhere in the file.
      auto from = std::upper_bound(seqs.begin(), seqs.end(), high);
      auto to = std::lower_bound(from, seqs.end(), seq);
      auto moved = static_cast<std::uint64_t>(to - from);
      std::uint64_t first_moved = moved > 0 ? *from : 0;
      std::uint64_t unparsable = n - previous_line - 1;
      std::uint64_t missing = seq - high - 1 - moved;
      std::uint64_t deleted = missing - std::min(missing, unparsable);
      std::vector<std::string> why;
      if (deleted > 0)
        why.push_back(high == 0 ? fmt::format("chain does not start at seq 1 (this is seq {}): {} "
                                              "deleted",
                                              seq, plural(deleted, "earlier line", "earlier lines"))
                                : fmt::format("seq {} follows seq {}: {} deleted before it", seq,
                                              high, plural(deleted, "line", "lines")));
      if (moved > 0)
        why.push_back(fmt::format("seq {} comes before seq {} (line {}): lines were reordered", seq,
                                  first_moved, by_seq.at(first_moved).front()));
      for (const auto& w : why) problems.push_back({n, fmt::format("line {}: {}", n, w)});
    } else if (seq <= high) {
      std::size_t first = by_seq.at(seq).front();
      problems.push_back(
          {n, first < n ? fmt::format("line {}: seq {} again (first at line {}): duplicated line",
                                      n, seq, first)
                        : fmt::format("line {}: seq {} comes after seq {} (line {}): lines were "
                                      "reordered",
                                      n, seq, high, high_line)});
    }
    if (seq > high) {
      high = seq;
      high_line = n;
    }
    previous_line = n;
  }
}

// Content: each line's prev must be the sha256 of the line holding the
// previous seq, wherever it now stands, so a pure reordering is reported once
// (by check_order) and an edit is reported at the edited line.
void check_links(const std::vector<Line>& lines,
                 const std::map<std::uint64_t, std::vector<std::size_t>>& by_seq,
                 std::vector<HistoryProblem>& problems) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    if (!l.entry) continue;
    if (l.entry->seq == 1) {
      if (l.entry->prev != k_zero_prev)
        problems.push_back({l.number, fmt::format("line {}: seq 1 must carry the zero prev: line "
                                                  "{} was edited",
                                                  l.number, l.number)});
      continue;
    }
    auto preds = by_seq.find(l.entry->seq - 1);
    if (preds == by_seq.end()) continue;  // deleted or unparsable: reported already
    std::size_t pred = preds->second.front();
    if (i > 0 && lines[i - 1].entry && lines[i - 1].entry->seq == l.entry->seq - 1)
      pred = lines[i - 1].number;
    if (l.entry->prev != line_digest(lines[pred - 1].raw))
      problems.push_back(
          {pred, fmt::format("line {}: edited: its sha256 does not match the prev recorded in "
                             "line {} (seq {})",
                             pred, l.number, l.entry->seq)});
  }
}

}  // namespace

Result<History> read_history(const fs::path& dir, std::chrono::milliseconds lock_timeout) {
  fs::path file = dir / k_history_file;
  auto fail = [&](Errc code, const std::string& why) {
    return make_error(code, fmt::format("{}: {}", file.string(), why));
  };
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return History{};
    return fail(Errc::io, fmt::format("cannot read: {}", std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return fail(Errc::io, fmt::format("cannot stat: {}", std::strerror(errno)));
  if (S_ISDIR(st.st_mode))
    return fail(Errc::io, fmt::format("cannot read: {}", std::strerror(EISDIR)));
  // Shared: readers run together, and an append (exclusive) finishes its
  // line before any reader sees the file.
  if (auto locked = lock_within(fd.get(), LOCK_SH, lock_timeout); !locked)
    return fail(locked.error().code, locked.error().message);
  std::string text;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(Errc::io, fmt::format("read failed: {}", std::strerror(errno)));
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }

  History history;
  std::vector<Line> lines;
  for (std::size_t start = 0, n = 1; start < text.size(); ++n) {
    std::size_t nl = text.find('\n', start);
    bool complete = nl != std::string::npos;
    std::string_view raw(text.data() + start, (complete ? nl : text.size()) - start);
    start = complete ? nl + 1 : text.size();
    Line line{n, raw, std::nullopt};
    auto parsed = raw.empty() ? Result<HistoryEntry>(make_error(Errc::invalid_input, "empty line"))
                              : parse_history_line(raw);
    if (parsed && complete) {
      line.entry = *parsed;
    } else {
      // A line without its "\n" is a cut-short write even when it parses:
      // append_history refuses to chain onto it, so report it either way.
      std::string why =
          parsed ? "no newline at the end of the file"
                 : parsed.error().message + (complete ? "" : "; the file ends inside this line");
      history.problems.push_back({n, fmt::format("line {}: not a history line: {}{}", n, why,
                                                 complete ? "" : " (a cut-short write?)")});
    }
    lines.push_back(std::move(line));
  }
  std::map<std::uint64_t, std::vector<std::size_t>> by_seq;
  for (const auto& l : lines)
    if (l.entry) by_seq[l.entry->seq].push_back(l.number);
  check_order(lines, by_seq, history.problems);
  check_links(lines, by_seq, history.problems);
  std::stable_sort(history.problems.begin(), history.problems.end(),
                   [](const auto& a, const auto& b) { return a.line < b.line; });
  for (auto& l : lines)
    if (l.entry) history.entries.push_back(std::move(*l.entry));
  return history;
}

}  // namespace dp::reports
