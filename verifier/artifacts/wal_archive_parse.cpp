#include "verifier/artifacts/wal_archive_parse.hpp"

#include <fmt/format.h>

#include <charconv>

#include "verifier/core/text.hpp"
#include "verifier/core/timestamp.hpp"

namespace dp::artifacts {
namespace {

bool parse_hex32(std::string_view s, std::uint32_t& out) {
  if (s.empty() || s.size() > 8) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::optional<std::uint64_t> parse_lsn(std::string_view text) {
  auto slash = text.find('/');
  std::uint32_t hi = 0, lo = 0;
  if (slash == std::string_view::npos || !parse_hex32(text.substr(0, slash), hi) ||
      !parse_hex32(text.substr(slash + 1), lo))
    return std::nullopt;
  return (static_cast<std::uint64_t>(hi) << 32) | lo;
}

Result<std::vector<TimelineSwitch>> parse_timeline_history(std::string_view text,
                                                           std::uint32_t timeline) {
  std::vector<TimelineSwitch> out;
  int line_no = 0;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    auto bad = [&](std::string_view why) {
      return make_error(Errc::invalid_input, fmt::format("line {}: {}", line_no, why));
    };
    auto tab = line.find_first_of(" \t");
    std::string_view tli_text = line.substr(0, tab);
    std::uint32_t parent = 0;
    auto [p, ec] = std::from_chars(tli_text.data(), tli_text.data() + tli_text.size(), parent);
    if (ec != std::errc() || p != tli_text.data() + tli_text.size())
      return bad("expected a timeline number first");
    if (tab == std::string_view::npos) return bad("expected a switch point after the timeline");
    std::string_view rest = trim(line.substr(tab));
    std::optional<std::uint64_t> lsn = parse_lsn(rest.substr(0, rest.find_first_of(" \t")));
    if (!lsn) return bad("expected a switch point (hex/hex) after the timeline");
    if (parent == 0 || parent >= timeline || (!out.empty() && parent <= out.back().parent))
      return bad(
          fmt::format("timeline {} is not an ancestor of timeline {} in order", parent, timeline));
    out.push_back({parent, *lsn});
  }
  return out;
}

std::optional<std::string> label_field(std::string_view text, std::string_view key) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.size() > key.size() + 1 && line.substr(0, key.size()) == key &&
        line[key.size()] == ':')
      return std::string(trim(line.substr(key.size() + 1)));
  }
  return std::nullopt;
}

std::optional<std::chrono::system_clock::time_point> parse_pg_time(std::string_view text) {
  text = trim(text);
  for (std::string_view zone : {" UTC", " GMT"})
    if (text.size() > zone.size() && text.substr(text.size() - zone.size()) == zone) {
      text.remove_suffix(zone.size());
      break;
    }
  if (!text.empty() && (text.back() < '0' || text.back() > '9')) return std::nullopt;
  auto t = parse_timestamp(text);
  if (!t) return std::nullopt;
  return *t;
}

std::optional<std::chrono::system_clock::time_point> newest_commit_time(std::string_view out) {
  std::optional<std::chrono::system_clock::time_point> newest;
  for (std::string_view tag : {"desc: COMMIT ", "desc: ABORT "}) {
    for (auto at = out.find(tag); at != std::string_view::npos; at = out.find(tag, at + 1)) {
      std::string_view rest = out.substr(at + tag.size());
      // "2026-11-21 19:35:16.021694 UTC; inval msgs: ..." or "... UTC\n".
      auto end = rest.find(" UTC");
      if (end == std::string_view::npos || end > 40) continue;
      auto t = parse_timestamp(rest.substr(0, end));
      if (t && (!newest || *t > *newest)) newest = *t;
    }
  }
  return newest;
}

}  // namespace dp::artifacts
