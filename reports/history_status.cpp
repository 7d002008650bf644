// `drillproof status`: the Nagios/Icinga plugin line and the node_exporter
// textfile metrics over a read History (docs/history.md).
#include <fmt/format.h>

#include <algorithm>
#include <tuple>
#include <utility>

#include "reports/history_audit.hpp"
#include "reports/utf8.hpp"
#include "verifier/core/text.hpp"

namespace dp::reports {
namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;

// The latest start wins, so a reordered file still yields the newest run.
const HistoryEntry* last_run(const History& history) {
  const HistoryEntry* last = nullptr;
  for (const auto& e : history.entries)
    if (!last || e.started >= last->started) last = &e;
  return last;
}

bool passed(const HistoryEntry& e) { return e.verdict == Status::passed && !e.interrupted; }

// Plugin output is one line and "|" starts the perfdata: neither may come
// from a plan name or a problem message.
std::string plugin_text(std::string_view s) {
  std::string out = detail::terminal_safe(s);
  std::replace(out.begin(), out.end(), '|', '/');
  return out;
}

// "3h12m", "27h5m" reads worse than "1d3h5m"; seconds only under an hour.
std::string age_text(Millis age) {
  using namespace std::chrono;
  if (age < hours(1)) return format_duration(floor<seconds>(age));
  return format_duration(floor<minutes>(age));
}

std::string perf_seconds(Millis d) { return format_seconds(d) + "s"; }

// Thresholds read better without trailing zeros: "900", "0.5".
std::string perf_threshold(Millis d) {
  std::string s = format_seconds(d);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

std::string nagios_label(std::string_view label) {
  std::string out;
  bool quote = false;
  for (char c : plugin_text(label)) {
    if (c == '=') c = '_';
    if (c == '\'') out += '\'';
    if (c == '\'' || c == ' ') quote = true;
    out += c;
  }
  return quote ? "'" + out + "'" : out;
}

NagiosStatus nagios_unknown(std::string_view why) {
  return {NagiosState::unknown, "DRILLPROOF UNKNOWN - " + plugin_text(why)};
}

NagiosStatus nagios_status(const History& history, const StatusOptions& options) {
  const HistoryEntry* last = last_run(history);
  if (!last && history.problems.empty()) return nagios_unknown("no runs recorded in the history");
  NagiosState state = NagiosState::ok;
  auto raise = [&](NagiosState s) { state = std::max(state, s); };
  std::vector<std::string> parts;
  if (!history.problems.empty()) {
    raise(NagiosState::critical);
    std::size_t more = history.problems.size() - 1;
    parts.push_back(fmt::format(
        "history chain broken: {}{}", history.problems.front().message,
        more ? fmt::format(" (and {} more problem{})", more, more == 1 ? "" : "s") : ""));
  }
  std::string perf;
  if (last) {
    Millis age = std::max(Millis(0), duration_cast<Millis>(options.now - last->started));
    std::string verdict = last->interrupted ? "was interrupted" : status_name(last->verdict);
    // A wrong clock must not read as a fresh, healthy run (age would be 0).
    bool future = last->started > options.now + k_future_slack;
    std::string text =
        future
            ? fmt::format(
                  "plan '{}' last run {}; last run starts in the future (clock skew?): "
                  "started {}, now {}",
                  last->plan_name, verdict, format_utc(last->started), format_utc(options.now))
            : fmt::format("plan '{}' last run {} {} ago", last->plan_name, verdict, age_text(age));
    if (!passed(*last)) {
      raise(NagiosState::critical);
      std::string which;
      for (const auto& b : last->backups)
        if (b.status != Status::passed)
          which +=
              fmt::format("{}{} {}", which.empty() ? ": " : ", ", b.name, status_name(b.status));
      text += which;
    } else if (future) {
      raise(NagiosState::warning);
    } else if (age > 2 * options.max_age) {
      raise(NagiosState::critical);
      text += fmt::format(", more than twice --max-age {}", format_duration(options.max_age));
    } else if (age > options.max_age) {
      raise(NagiosState::warning);
      text += fmt::format(", more than --max-age {}", format_duration(options.max_age));
    }
    parts.push_back(text + fmt::format(" (run {}, seq {})", last->run_id, last->seq));

    std::size_t failed = 0;
    for (const auto& b : last->backups) failed += b.status != Status::passed;
    perf = fmt::format(
        " | age={}s;{};{};0 backups={};;;0 failed={};;0;0", duration_cast<seconds>(age).count(),
        duration_cast<seconds>(options.max_age).count(),
        duration_cast<seconds>(2 * options.max_age).count(), last->backups.size(), failed);
    for (const auto& b : last->backups)
      for (const auto& [kind, achieved, objective] :
           {std::tuple{"rto_", b.rto_achieved, b.rto_objective},
            std::tuple{"rpo_", b.rpo_achieved, b.rpo_objective}})
        if (achieved)
          perf += fmt::format(" {}={};;{};0", nagios_label(kind + b.name), perf_seconds(*achieved),
                              objective ? perf_threshold(*objective) : "");
  }
  static const char* const k_names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
  std::string line = fmt::format("DRILLPROOF {} -", k_names[static_cast<int>(state)]);
  for (std::size_t i = 0; i < parts.size(); ++i) line += (i ? "; " : " ") + plugin_text(parts[i]);
  return {state, line + perf};
}

std::string prometheus_escape(std::string_view value) {
  std::string out;
  for (std::size_t i = 0; i < value.size();) {
    auto d = detail::decode_utf8(value, i);
    if (!d.valid) {
      out += detail::k_replacement_utf8;
    } else if (value[i] == '\\') {
      out += "\\\\";
    } else if (value[i] == '"') {
      out += "\\\"";
    } else if (value[i] == '\n') {
      out += "\\n";
    } else {
      out.append(value.substr(i, d.size));
    }
    i += d.size;
  }
  return out;
}

namespace {

// Samples are grouped under their metric's HELP and TYPE, as the text
// format requires; every metric here is a gauge.
class Exposition {
 public:
  // The header is written with the first sample: a metric without samples
  // (no backup measured an RPO) is left out entirely.
  void metric(const char* name, const char* help) {
    m_header = fmt::format("# HELP {} {}\n# TYPE {} gauge\n", name, help, name);
    m_name = name;
  }
  void sample(const std::vector<std::pair<const char*, std::string>>& labels,
              std::string_view value) {
    m_out += std::exchange(m_header, std::string());
    std::string text;
    for (const auto& [key, v] : labels)
      text += fmt::format("{}{}=\"{}\"", text.empty() ? "" : ",", key, prometheus_escape(v));
    m_out += fmt::format("{}{}{}{} {}\n", m_name, text.empty() ? "" : "{", text,
                         text.empty() ? "" : "}", value);
  }
  std::string take() { return std::move(m_out); }

 private:
  std::string m_out;
  std::string m_header;
  const char* m_name = "";
};

std::string unix_seconds(TimePoint t) {
  return std::to_string(duration_cast<seconds>(t.time_since_epoch()).count());
}

struct LatestBackup {
  const HistoryBackup* backup;
  const HistoryEntry* run;
  std::optional<TimePoint> last_success;
};

}  // namespace

std::string prometheus_metrics(const History& history) {
  Exposition x;
  const HistoryEntry* last = last_run(history);
  std::vector<std::pair<const char*, std::string>> plan;
  if (last) plan = {{"plan", last->plan_name}};
  x.metric("drillproof_history_chain_ok",
           "1 when history.jsonl's hash chain verifies, 0 when a line was edited, deleted, "
           "reordered or is unreadable.");
  x.sample(plan, history.problems.empty() ? "1" : "0");
  x.metric("drillproof_history_problems", "Chain problems found in history.jsonl.");
  x.sample(plan, std::to_string(history.problems.size()));
  x.metric("drillproof_history_entries", "Runs recorded in history.jsonl.");
  x.sample(plan, std::to_string(history.entries.size()));
  if (!last) return x.take();

  const HistoryEntry* success = nullptr;
  std::vector<LatestBackup> backups;  // the latest run that included each backup
  for (const auto& e : history.entries) {
    if (passed(e) && (!success || e.started >= success->started)) success = &e;
    for (const auto& b : e.backups) {
      auto it = std::find_if(backups.begin(), backups.end(),
                             [&](const auto& l) { return l.backup->name == b.name; });
      if (it == backups.end()) it = backups.insert(backups.end(), {&b, &e, std::nullopt});
      if (e.started >= it->run->started) *it = {&b, &e, it->last_success};
      if (b.status == Status::passed && (!it->last_success || e.started > *it->last_success))
        it->last_success = e.started;
    }
  }
  x.metric("drillproof_last_run_timestamp_seconds", "Start of the last recorded run (Unix time).");
  x.sample(plan, unix_seconds(last->started));
  x.metric("drillproof_last_run_finished_timestamp_seconds",
           "End of the last recorded run (Unix time).");
  x.sample(plan, unix_seconds(last->finished));
  x.metric("drillproof_last_run_seq", "Sequence number of the last recorded run.");
  x.sample(plan, std::to_string(last->seq));
  x.metric("drillproof_last_run_verdict",
           "1 for the last run's verdict (passed, failed, error, skipped), 0 for the others.");
  for (Status s : {Status::passed, Status::failed, Status::error, Status::skipped})
    x.sample({{"plan", last->plan_name}, {"verdict", status_name(s)}},
             s == last->verdict ? "1" : "0");
  x.metric("drillproof_last_run_interrupted", "1 when the last run was interrupted.");
  x.sample(plan, last->interrupted ? "1" : "0");
  x.metric("drillproof_last_success_timestamp_seconds",
           "Start of the last run that passed, uninterrupted (Unix time); 0 when none did.");
  x.sample(plan, success ? unix_seconds(success->started) : "0");

  auto per_backup = [&](const char* name, const char* help, auto value) {
    x.metric(name, help);
    for (const auto& l : backups)
      if (auto v = value(l)) x.sample({{"plan", last->plan_name}, {"backup", l.backup->name}}, *v);
  };
  using Text = std::optional<std::string>;
  auto secs = [](const std::optional<Millis>& d) { return d ? Text(format_seconds(*d)) : Text(); };
  per_backup("drillproof_backup_last_run_timestamp_seconds",
             "Start of the last run that drilled this backup (Unix time).",
             [](const LatestBackup& l) { return Text(unix_seconds(l.run->started)); });
  per_backup("drillproof_backup_last_success_timestamp_seconds",
             "Start of the last run in which this backup passed (Unix time); 0 when never.",
             [](const LatestBackup& l) {
               return Text(l.last_success ? unix_seconds(*l.last_success) : "0");
             });
  per_backup(
      "drillproof_backup_passed", "1 when this backup passed in its last run.",
      [](const LatestBackup& l) { return Text(l.backup->status == Status::passed ? "1" : "0"); });
  per_backup("drillproof_backup_rto_achieved_seconds",
             "Restore time achieved in the backup's last run (absent when not measured).",
             [&](const LatestBackup& l) { return secs(l.backup->rto_achieved); });
  per_backup("drillproof_backup_rto_objective_seconds", "The backup's RTO objective.",
             [&](const LatestBackup& l) { return secs(l.backup->rto_objective); });
  per_backup("drillproof_backup_rpo_achieved_seconds",
             "Recovery point achieved (age of the newest data) in the backup's last run.",
             [&](const LatestBackup& l) { return secs(l.backup->rpo_achieved); });
  per_backup("drillproof_backup_rpo_objective_seconds", "The backup's RPO objective.",
             [&](const LatestBackup& l) { return secs(l.backup->rpo_objective); });
  return x.take();
}

}  // namespace dp::reports
