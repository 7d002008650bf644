// `drillproof audit` over a read History: gaps in the schedule, failed runs
// and RTO/RPO trends, rendered for a terminal or as JSON (docs/history.md).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "reports/history_audit.hpp"
#include "reports/utf8.hpp"
#include "verifier/core/text.hpp"

namespace dp::reports {
namespace {

using Json = nlohmann::ordered_json;

// Entries by start time (then seq): a reordered file must not invent gaps.
std::vector<const HistoryEntry*> by_start(const History& history) {
  std::vector<const HistoryEntry*> out;
  for (const auto& e : history.entries) out.push_back(&e);
  std::stable_sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
    return a->started != b->started ? a->started < b->started : a->seq < b->seq;
  });
  return out;
}

// More than half an interval late counts as missed, so a run that starts a
// few minutes after its slot (queueing, a slow previous job) is not a gap.
std::optional<std::int64_t> missed_runs(Millis gap, Millis every) {
  if (gap * 2 <= every * 3) return std::nullopt;
  double slots = static_cast<double>(gap.count()) / static_cast<double>(every.count());
  return std::max<std::int64_t>(1, std::llround(slots) - 1);
}

void add_value(Trend& t, const std::optional<Millis>& achieved,
               const std::optional<Millis>& objective) {
  if (objective) t.objective = objective;
  if (!achieved) return;
  t.values.push_back(*achieved);
  if (objective && *achieved > *objective) ++t.over_objective;
}

void finish_trend(Trend& t) {
  if (t.values.size() < 2) return;
  std::vector<Millis> earlier(t.values.begin(), t.values.end() - 1);
  std::sort(earlier.begin(), earlier.end());
  double base = static_cast<double>(earlier[earlier.size() / 2].count());
  double last = static_cast<double>(t.values.back().count());
  t.direction = last > base * 1.1 ? 1 : last < base * 0.9 ? -1 : 0;
}

BackupAudit& backup_named(std::vector<BackupAudit>& backups, const std::string& name) {
  for (auto& b : backups)
    if (b.name == name) return b;
  backups.push_back(BackupAudit{});
  backups.back().name = name;
  return backups.back();
}

}  // namespace

Millis Trend::min() const {
  return values.empty() ? Millis(0) : *std::min_element(values.begin(), values.end());
}
Millis Trend::max() const {
  return values.empty() ? Millis(0) : *std::max_element(values.begin(), values.end());
}
Millis Trend::median() const {
  if (values.empty()) return Millis(0);
  std::vector<Millis> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  std::size_t mid = sorted.size() / 2;
  return sorted.size() % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

AuditReport audit_history(const History& history, const AuditOptions& options) {
  AuditReport audit;
  audit.options = options;
  audit.window_start = options.now - options.since;
  audit.entries = history.entries.size();
  audit.problems = history.problems;
  auto runs = by_start(history);
  if (options.expect_every.count() > 0) {
    for (std::size_t i = 1; i < runs.size(); ++i) {
      if (runs[i]->started < audit.window_start) continue;
      Millis gap = std::chrono::duration_cast<Millis>(runs[i]->started - runs[i - 1]->started);
      if (auto missed = missed_runs(gap, options.expect_every))
        audit.missed.push_back(MissedInterval{runs[i - 1]->started, runs[i]->started,
                                              runs[i - 1]->seq, runs[i]->seq, *missed});
    }
    if (!runs.empty()) {
      Millis gap = std::chrono::duration_cast<Millis>(options.now - runs.back()->started);
      if (auto missed = missed_runs(gap, options.expect_every))
        audit.missed.push_back(MissedInterval{runs.back()->started, options.now, runs.back()->seq,
                                              std::nullopt, *missed});
    }
  }
  // Names in the order of the latest run, then of older ones.
  for (auto it = runs.rbegin(); it != runs.rend(); ++it)
    for (const auto& b : (*it)->backups) backup_named(audit.backups, b.name);
  for (const auto* run : runs) {
    if (run->started > options.now + k_future_slack)
      audit.future.push_back(FutureRun{run->seq, run->run_id, run->started});
    bool in_window = run->started >= audit.window_start;
    if (in_window) {
      ++audit.runs_in_window;
      if (run->verdict != Status::passed || run->interrupted) {
        FailedRun f{run->seq, run->run_id, run->started, run->verdict, run->interrupted, {}};
        for (const auto& b : run->backups)
          if (b.status != Status::passed) f.backups.push_back(b);
        audit.failed.push_back(std::move(f));
      }
    }
    for (const auto& b : run->backups) {
      BackupAudit& ba = backup_named(audit.backups, b.name);
      ba.last_run = run->started;
      ba.last_status = b.status;
      if (b.status == Status::passed) ba.last_success = run->started;
      if (!in_window) continue;
      ++ba.runs;
      if (b.status != Status::passed) ++ba.failed;
      add_value(ba.rto, b.rto_achieved, b.rto_objective);
      add_value(ba.rpo, b.rpo_achieved, b.rpo_objective);
    }
  }
  for (auto& b : audit.backups) {
    finish_trend(b.rto);
    finish_trend(b.rpo);
  }
  return audit;
}

namespace {

// "4.2s", "4m12s", "2h3m", "1d2h": short enough for a table cell.
std::string short_duration(Millis d) {
  using namespace std::chrono;
  if (d < seconds(60)) return fmt::format("{:.1f}s", static_cast<double>(d.count()) / 1000.0);
  if (d < hours(1)) return format_duration(round<seconds>(d));
  if (d < hours(24)) return format_duration(round<minutes>(d));
  return format_duration(round<hours>(d));
}

std::string safe(std::string_view s) { return detail::terminal_safe(s); }

// Left-aligned columns; widths by display width, since names may be UTF-8.
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (widths.size() <= c) widths.push_back(0);
      widths[c] = std::max(widths[c], detail::display_width(row[c]));
    }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += "  " + row[c];
      if (c + 1 < row.size()) line += std::string(widths[c] - detail::display_width(row[c]), ' ');
    }
    out += line + "\n";
  }
  return out;
}

std::vector<std::string> trend_row(const std::string& name, const char* kind, const Trend& t,
                                   std::size_t recent) {
  auto opt = [](const std::optional<Millis>& d) { return d ? short_duration(*d) : "-"; };
  std::vector<std::string> row = {name, kind, opt(t.objective), std::to_string(t.over_objective)};
  if (t.values.empty()) {
    row.insert(row.end(), {"-", "-", "-", "-", "-"});
    return row;
  }
  row.push_back(short_duration(t.values.back()));
  row.push_back(short_duration(t.min()));
  row.push_back(short_duration(t.median()));
  row.push_back(short_duration(t.max()));
  std::string last;
  std::size_t from = t.values.size() > recent ? t.values.size() - recent : 0;
  for (std::size_t i = from; i < t.values.size(); ++i)
    last += (last.empty() ? "" : " ") + short_duration(t.values[i]);
  if (t.direction) last += *t.direction > 0 ? " ↑" : *t.direction < 0 ? " ↓" : " →";
  row.push_back(last);
  return row;
}

std::string gap_text(const MissedInterval& m) {
  return fmt::format("{} gap, {} run{} missed, after seq {}",
                     short_duration(std::chrono::duration_cast<Millis>(m.to - m.from)),
                     m.missed_runs, m.missed_runs == 1 ? "" : "s", m.after_seq);
}

}  // namespace

std::string render_audit_text(const AuditReport& a, std::string_view file) {
  const auto& o = a.options;
  std::string out = fmt::format("history: {}\n", safe(file));
  out += fmt::format("  {} run{} recorded; window {} to {} (--since {}), a run expected every {}\n",
                     a.entries, a.entries == 1 ? "" : "s", format_utc(a.window_start),
                     format_utc(o.now), format_duration(o.since), format_duration(o.expect_every));
  if (a.problems.empty())
    out += fmt::format("\nchain: ok ({} line{})\n", a.entries, a.entries == 1 ? "" : "s");
  else
    out += fmt::format("\nchain: BROKEN, {} problem{}\n", a.problems.size(),
                       a.problems.size() == 1 ? "" : "s");
  for (const auto& p : a.problems) out += "  " + safe(p.message) + "\n";

  out += fmt::format("\nmissed intervals: {}\n",
                     a.missed.empty() ? "none" : std::to_string(a.missed.size()));
  for (const auto& m : a.missed)
    out +=
        fmt::format("  {} to {}  {}\n", format_utc(m.from),
                    m.next_seq ? format_utc(m.to) : "now (" + format_utc(m.to) + ")", gap_text(m));

  out += fmt::format("\nfailed runs: {}\n",
                     a.failed.empty() ? "none" : std::to_string(a.failed.size()));
  for (const auto& f : a.failed) {
    std::string which;
    for (const auto& b : f.backups)
      which +=
          fmt::format("{}{}: {}", which.empty() ? "" : ", ", safe(b.name), status_name(b.status));
    out += fmt::format("  seq {}  {}  {}  {}{}{}\n", f.seq, safe(f.run_id), format_utc(f.started),
                       status_name(f.verdict), f.interrupted ? " (interrupted)" : "",
                       which.empty() ? "" : "  (" + which + ")");
  }

  if (!a.future.empty()) {
    out += fmt::format("\nruns starting in the future (clock skew?): {}\n", a.future.size());
    for (const auto& f : a.future)
      out += fmt::format("  seq {}  {}  {}, {} after now\n", f.seq, safe(f.run_id),
                         format_utc(f.started),
                         short_duration(std::chrono::duration_cast<Millis>(f.started - o.now)));
  }

  if (!a.backups.empty()) {
    out += "\nbackups (runs in the window; last success over the whole history):\n";
    std::vector<std::vector<std::string>> rows = {
        {"BACKUP", "RUNS", "FAILED", "LAST SUCCESS", "LAST RUN", "LAST STATUS"}};
    for (const auto& b : a.backups)
      rows.push_back({safe(b.name), std::to_string(b.runs), std::to_string(b.failed),
                      b.last_success ? format_utc(*b.last_success) : "never",
                      b.last_run ? format_utc(*b.last_run) : "-", status_name(b.last_status)});
    out += table(rows);
    rows = {{"BACKUP", "KIND", "OBJECTIVE", "OVER", "LAST", "MIN", "MEDIAN", "MAX",
             "RECENT (oldest first)"}};
    for (const auto& b : a.backups) {
      if (!b.rto.values.empty() || b.rto.objective)
        rows.push_back(trend_row(safe(b.name), "rto", b.rto, o.recent));
      if (!b.rpo.values.empty() || b.rpo.objective)
        rows.push_back(trend_row(safe(b.name), "rpo", b.rpo, o.recent));
    }
    if (rows.size() > 1) out += "\nobjectives (achieved in the window):\n" + table(rows);
  }

  std::vector<std::string> found;
  if (a.entries == 0) found.push_back("no runs recorded");
  if (!a.problems.empty())
    found.push_back(fmt::format("chain broken ({} problem{})", a.problems.size(),
                                a.problems.size() == 1 ? "" : "s"));
  if (!a.missed.empty())
    found.push_back(
        fmt::format("{} missed interval{}", a.missed.size(), a.missed.size() == 1 ? "" : "s"));
  if (!a.failed.empty())
    found.push_back(
        fmt::format("{} failed run{}", a.failed.size(), a.failed.size() == 1 ? "" : "s"));
  if (!a.future.empty())
    found.push_back(fmt::format("{} run{} starting in the future", a.future.size(),
                                a.future.size() == 1 ? "" : "s"));
  out += "\nverdict: ";
  for (std::size_t i = 0; i < found.size(); ++i) out += (i ? ", " : "") + found[i];
  out += found.empty() ? "ok\n" : "\n";
  return out;
}

namespace {

Json seconds(Millis d) { return static_cast<double>(d.count()) / 1000.0; }
Json seconds(const std::optional<Millis>& d) { return d ? seconds(*d) : Json(nullptr); }
Json utc(const std::optional<TimePoint>& t) { return t ? Json(format_utc(*t)) : Json(nullptr); }

Json trend_json(const Trend& t, std::size_t recent) {
  Json j;
  j["objective_s"] = seconds(t.objective);
  j["measured"] = t.values.size();
  j["over_objective"] = t.over_objective;
  bool any = !t.values.empty();
  j["last_s"] = any ? seconds(t.values.back()) : Json(nullptr);
  j["min_s"] = any ? seconds(t.min()) : Json(nullptr);
  j["median_s"] = any ? seconds(t.median()) : Json(nullptr);
  j["max_s"] = any ? seconds(t.max()) : Json(nullptr);
  j["recent_s"] = Json::array();
  std::size_t from = t.values.size() > recent ? t.values.size() - recent : 0;
  for (std::size_t i = from; i < t.values.size(); ++i)
    j["recent_s"].push_back(seconds(t.values[i]));
  j["trend"] = !t.direction       ? Json(nullptr)
               : *t.direction > 0 ? Json("up")
               : *t.direction < 0 ? Json("down")
                                  : Json("flat");
  return j;
}

}  // namespace

std::string render_audit_json(const AuditReport& a, std::string_view file) {
  Json j;
  j["format"] = "drillproof-audit";
  j["format_version"] = 1;
  j["file"] = std::string(file);
  j["now"] = format_utc(a.options.now);
  j["window_start"] = format_utc(a.window_start);
  j["since_s"] = seconds(a.options.since);
  j["expect_every_s"] = seconds(a.options.expect_every);
  j["ok"] = a.clean();
  j["entries"] = a.entries;
  j["runs_in_window"] = a.runs_in_window;
  j["chain"]["ok"] = a.problems.empty();
  j["chain"]["problems"] = Json::array();
  for (const auto& p : a.problems)
    j["chain"]["problems"].push_back(Json{{"line", p.line}, {"message", p.message}});
  j["missed_intervals"] = Json::array();
  for (const auto& m : a.missed) {
    Json mj;
    mj["from"] = format_utc(m.from);
    mj["to"] = format_utc(m.to);
    mj["until_now"] = !m.next_seq;
    mj["after_seq"] = m.after_seq;
    mj["next_seq"] = m.next_seq ? Json(*m.next_seq) : Json(nullptr);
    mj["gap_s"] = seconds(std::chrono::duration_cast<Millis>(m.to - m.from));
    mj["missed_runs"] = m.missed_runs;
    j["missed_intervals"].push_back(std::move(mj));
  }
  j["failed_runs"] = Json::array();
  for (const auto& f : a.failed) {
    Json fj;
    fj["seq"] = f.seq;
    fj["run_id"] = f.run_id;
    fj["started"] = format_utc(f.started);
    fj["verdict"] = status_name(f.verdict);
    fj["interrupted"] = f.interrupted;
    fj["backups"] = Json::array();
    for (const auto& b : f.backups)
      fj["backups"].push_back(Json{{"name", b.name}, {"status", status_name(b.status)}});
    j["failed_runs"].push_back(std::move(fj));
  }
  j["future_runs"] = Json::array();
  for (const auto& f : a.future)
    j["future_runs"].push_back(
        Json{{"seq", f.seq}, {"run_id", f.run_id}, {"started", format_utc(f.started)}});
  j["backups"] = Json::array();
  for (const auto& b : a.backups) {
    Json bj;
    bj["name"] = b.name;
    bj["runs"] = b.runs;
    bj["failed"] = b.failed;
    bj["last_success"] = utc(b.last_success);
    bj["last_run"] = utc(b.last_run);
    bj["last_status"] = status_name(b.last_status);
    bj["rto"] = trend_json(b.rto, a.options.recent);
    bj["rpo"] = trend_json(b.rpo, a.options.recent);
    j["backups"].push_back(std::move(bj));
  }
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace dp::reports
