// One history.jsonl line <-> HistoryEntry (docs/history.md). nlohmann's
// exceptions stay in this file: every parse goes through
// parse_history_line(), which returns a Result.
#include "reports/history_line.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "verifier/core/sha256.hpp"
#include "verifier/core/text.hpp"
#include "verifier/core/timestamp.hpp"

namespace dp::reports::detail {

std::string line_digest(std::string_view line) { return "sha256:" + sha256_hex(line); }

namespace {

using Json = nlohmann::ordered_json;

constexpr const char* k_format = "drillproof-history";

bool is_digest(const std::string& s) {
  return s.size() == 71 && s.rfind("sha256:", 0) == 0 &&
         std::all_of(s.begin() + 7, s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Json seconds_or_null(const std::optional<Millis>& d) {
  return d ? Json(static_cast<double>(d->count()) / 1000.0) : Json(nullptr);
}

}  // namespace

std::string history_line(const HistoryEntry& e) {
  Json j;
  j["format"] = k_format;
  j["format_version"] = k_history_format_version;
  j["seq"] = e.seq;
  j["run_id"] = e.run_id;
  j["started"] = format_utc(e.started);
  j["finished"] = format_utc(e.finished);
  j["plan"] = e.plan_name;
  j["plan_digest"] = e.plan_digest;
  j["verdict"] = status_name(e.verdict);
  j["interrupted"] = e.interrupted;
  j["manifest_digest"] = e.manifest_digest;
  j["key_fingerprint"] = e.key_fingerprint.empty() ? Json(nullptr) : Json(e.key_fingerprint);
  j["report_dir"] = e.report_dir;
  j["backups"] = Json::array();
  for (const auto& b : e.backups) {
    Json bj;
    bj["name"] = b.name;
    bj["status"] = status_name(b.status);
    bj["rto_objective_s"] = seconds_or_null(b.rto_objective);
    bj["rto_achieved_s"] = seconds_or_null(b.rto_achieved);
    bj["rpo_objective_s"] = seconds_or_null(b.rpo_objective);
    bj["rpo_achieved_s"] = seconds_or_null(b.rpo_achieved);
    j["backups"].push_back(std::move(bj));
  }
  j["prev"] = e.prev;
  // Names come from plans and may hold invalid UTF-8; dump() would throw on
  // it, so replace such bytes with U+FFFD rather than lose the run's line.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

namespace {

// Strict field readers: a history line is evidence, so a wrong type is an
// unreadable line rather than a default value.
Result<std::string> text_field(const Json& j, const char* key, bool nullable = false) {
  auto it = j.find(key);
  if (it != j.end() && it->is_string()) return it->get<std::string>();
  if (nullable && it != j.end() && it->is_null()) return std::string();
  return make_error(Errc::invalid_input, fmt::format("\"{}\" missing or not a string", key));
}

Result<std::optional<Millis>> seconds_field(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it != j.end() && it->is_null()) return std::optional<Millis>();
  if (it == j.end() || !it->is_number() || it->get<double>() < 0 || it->get<double>() > 1e12)
    return make_error(Errc::invalid_input,
                      fmt::format("\"{}\" missing or not a number of seconds", key));
  return std::optional<Millis>(Millis(std::llround(it->get<double>() * 1000.0)));
}

Result<Status> status_field(const Json& j, const char* key) {
  auto text = text_field(j, key);
  if (!text) return Unexpected<Error>(std::move(text).error());
  for (Status s : {Status::passed, Status::failed, Status::error, Status::skipped})
    if (*text == status_name(s)) return s;
  return make_error(Errc::invalid_input, fmt::format("\"{}\": unknown status \"{}\"", key, *text));
}

// Only the form history_line() writes, "YYYY-MM-DDTHH:MM:SSZ" (not the epoch
// seconds or date-only forms parse_timestamp also accepts), with a year in
// k_first_year..k_last_year. The range is checked before parse_timestamp
// converts to nanoseconds, where a far year (9999) would overflow.
constexpr int k_first_year = 1970;
constexpr int k_last_year = 2200;

Result<TimePoint> time_field(const Json& j, const char* key) {
  auto text = text_field(j, key);
  if (!text) return Unexpected<Error>(std::move(text).error());
  constexpr std::string_view k_shape = "dddd-dd-ddTdd:dd:ddZ";
  const std::string& s = *text;
  bool shaped = s.size() == k_shape.size();
  for (std::size_t i = 0; shaped && i < s.size(); ++i)
    shaped = k_shape[i] == 'd' ? s[i] >= '0' && s[i] <= '9' : s[i] == k_shape[i];
  if (!shaped)
    return make_error(Errc::invalid_input,
                      fmt::format("\"{}\" is not a UTC time YYYY-MM-DDTHH:MM:SSZ", key));
  int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  if (year < k_first_year || year > k_last_year)
    return make_error(Errc::invalid_input, fmt::format("{} {} is out of range (years {} to {})",
                                                       key, s, k_first_year, k_last_year));
  auto t = parse_timestamp(s);
  if (!t) return make_error(Errc::invalid_input, fmt::format("\"{}\": {}", key, t.error().message));
  return *t;
}

#define DP_FIELD(var, expr)                                           \
  auto var##_r = (expr);                                              \
  if (!var##_r) return Unexpected<Error>(std::move(var##_r).error()); \
  auto var = std::move(*var##_r)

Result<HistoryBackup> parse_backup(const Json& j) {
  if (!j.is_object()) return make_error(Errc::invalid_input, "a backup is not an object");
  HistoryBackup b;
  DP_FIELD(name, text_field(j, "name"));
  DP_FIELD(status, status_field(j, "status"));
  DP_FIELD(rto_objective, seconds_field(j, "rto_objective_s"));
  DP_FIELD(rto_achieved, seconds_field(j, "rto_achieved_s"));
  DP_FIELD(rpo_objective, seconds_field(j, "rpo_objective_s"));
  DP_FIELD(rpo_achieved, seconds_field(j, "rpo_achieved_s"));
  return HistoryBackup{name, status, rto_objective, rto_achieved, rpo_objective, rpo_achieved};
}

Result<HistoryEntry> parse_fields(const Json& j) {
  if (!j.is_object()) return make_error(Errc::invalid_input, "not a JSON object");
  auto format = j.find("format");
  if (format == j.end() || *format != k_format)
    return make_error(Errc::invalid_input, "\"format\" is not \"drillproof-history\"");
  auto version = j.find("format_version");
  if (version == j.end() || !version->is_number_integer())
    return make_error(Errc::invalid_input, "\"format_version\" missing");
  if (*version != k_history_format_version)
    return make_error(Errc::unsupported,
                      fmt::format("format_version {} is not {}, the version this drillproof reads",
                                  version->dump(), k_history_format_version));
  auto seq = j.find("seq");
  if (seq == j.end() || !seq->is_number_unsigned() || seq->get<std::uint64_t>() == 0)
    return make_error(Errc::invalid_input, "\"seq\" missing or not a positive integer");
  auto interrupted = j.find("interrupted");
  if (interrupted == j.end() || !interrupted->is_boolean())
    return make_error(Errc::invalid_input, "\"interrupted\" missing or not true/false");
  auto backups = j.find("backups");
  if (backups == j.end() || !backups->is_array())
    return make_error(Errc::invalid_input, "\"backups\" missing or not an array");

  HistoryEntry e;
  e.seq = seq->get<std::uint64_t>();
  e.interrupted = interrupted->get<bool>();
  DP_FIELD(run_id, text_field(j, "run_id"));
  DP_FIELD(started, time_field(j, "started"));
  DP_FIELD(finished, time_field(j, "finished"));
  DP_FIELD(plan, text_field(j, "plan"));
  DP_FIELD(plan_digest, text_field(j, "plan_digest"));
  DP_FIELD(verdict, status_field(j, "verdict"));
  DP_FIELD(manifest_digest, text_field(j, "manifest_digest"));
  DP_FIELD(key_fingerprint, text_field(j, "key_fingerprint", true));
  DP_FIELD(report_dir, text_field(j, "report_dir"));
  DP_FIELD(prev, text_field(j, "prev"));
  if (!is_digest(prev))
    return make_error(Errc::invalid_input, "\"prev\" is not \"sha256:\" and 64 hex digits");
  for (const auto& bj : *backups) {
    DP_FIELD(backup, parse_backup(bj));
    e.backups.push_back(std::move(backup));
  }
  e.run_id = std::move(run_id);
  e.started = started;
  e.finished = finished;
  e.plan_name = std::move(plan);
  e.plan_digest = std::move(plan_digest);
  e.verdict = verdict;
  e.manifest_digest = std::move(manifest_digest);
  e.key_fingerprint = std::move(key_fingerprint);
  e.report_dir = std::move(report_dir);
  e.prev = std::move(prev);
  return e;
}

#undef DP_FIELD

}  // namespace

Result<HistoryEntry> parse_history_line(std::string_view line) {
  try {
    return parse_fields(Json::parse(line));
  } catch (const nlohmann::json::exception& e) {
    // "[json.exception.parse_error.101] parse error at ...": drop the tag.
    std::string what = e.what();
    auto tag_end = what.find("] ");
    return make_error(Errc::invalid_input,
                      tag_end == std::string::npos ? what : what.substr(tag_end + 2));
  }
}

}  // namespace dp::reports::detail
