// Fixed-width fields keep matching linear and unambiguous: a backup name is
// machine-written, so "2026-11-21" never appears as "2026-11-5".
#include "verifier/core/name_time.hpp"

#include <fmt/format.h>

#include <ctime>

namespace dp {
namespace {

using namespace std::chrono;

int field_width(char field) {
  switch (field) {
    case 'Y':
      return 4;
    case 'j':
      return 3;
    default:
      return 2;
  }
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int days_in_month(int y, int m) {
  year_month_day_last last{year{y} / std::chrono::month{static_cast<unsigned>(m)} /
                           std::chrono::last};
  return static_cast<int>(static_cast<unsigned>(last.day()));
}

sys_seconds civil_seconds(const CivilTime& c) {
  sys_days day{year{c.year} / std::chrono::month{static_cast<unsigned>(c.month)} /
               std::chrono::day{static_cast<unsigned>(c.day)}};
  return day + hours{c.hour} + minutes{c.minute} + seconds{c.second};
}

}  // namespace

Result<NameTimeFormat> NameTimeFormat::compile(std::string_view format) {
  NameTimeFormat out;
  out.m_text = std::string(format);
  bool has_year = false;
  bool has_month = false;
  bool has_day = false;
  bool has_yday = false;
  for (std::size_t i = 0; i < format.size(); ++i) {
    char c = format[i];
    if (c != '%') {
      if (out.m_tokens.empty() || out.m_tokens.back().field != 0) out.m_tokens.push_back({});
      out.m_tokens.back().literal += c;
      continue;
    }
    if (i + 1 == format.size())
      return make_error(Errc::invalid_input, "ends with a lone '%'; write %% for a literal '%'");
    char f = format[++i];
    if (f == '%') {
      if (out.m_tokens.empty() || out.m_tokens.back().field != 0) out.m_tokens.push_back({});
      out.m_tokens.back().literal += '%';
      continue;
    }
    if (std::string_view("YymdHMSj").find(f) == std::string_view::npos)
      return make_error(Errc::invalid_input,
                        fmt::format("unknown field '%{}'; use %Y %y %m %d %j %H %M %S or %%", f));
    has_year |= f == 'Y' || f == 'y';
    has_month |= f == 'm';
    has_day |= f == 'd';
    has_yday |= f == 'j';
    out.m_tokens.push_back(Token{f, {}});
  }
  if (!has_year) return make_error(Errc::invalid_input, "has no year field (%Y or %y)");
  if (has_day && !has_month)
    return make_error(Errc::invalid_input, "has a day (%d) but no month (%m)");
  if (has_yday && (has_month || has_day))
    return make_error(Errc::invalid_input, "%j (day of year) cannot be mixed with %m or %d");
  return out;
}

std::optional<CivilTime> NameTimeFormat::match_at(std::string_view name, std::size_t at,
                                                  std::size_t& end) const {
  CivilTime t;
  int yday = 0;
  std::size_t p = at;
  for (const auto& token : m_tokens) {
    if (token.field == 0) {
      if (name.substr(p, token.literal.size()) != token.literal) return std::nullopt;
      p += token.literal.size();
      continue;
    }
    auto width = static_cast<std::size_t>(field_width(token.field));
    if (p + width > name.size()) return std::nullopt;
    int value = 0;
    for (std::size_t k = 0; k < width; ++k) {
      if (!is_digit(name[p + k])) return std::nullopt;
      value = value * 10 + (name[p + k] - '0');
    }
    p += width;
    switch (token.field) {
      case 'Y':
        t.year = value;
        break;
      case 'y':
        t.year = 2000 + value;
        break;
      case 'm':
        if (value < 1 || value > 12) return std::nullopt;
        t.month = value;
        break;
      case 'd':
        if (value < 1 || value > 31) return std::nullopt;
        t.day = value;
        break;
      case 'j':
        if (value < 1 || value > 366) return std::nullopt;
        yday = value;
        break;
      case 'H':
        if (value > 23) return std::nullopt;
        t.hour = value;
        break;
      case 'M':
        if (value > 59) return std::nullopt;
        t.minute = value;
        break;
      case 'S':
        if (value > 60) return std::nullopt;  // a leap second reads as the next minute
        t.second = value;
        break;
    }
  }
  if (t.year < 1970) return std::nullopt;
  if (yday > 0) {
    year_month_day ymd{sys_days{year{t.year} / January / 1} + days{yday - 1}};
    if (static_cast<int>(ymd.year()) != t.year) return std::nullopt;
    t.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
    t.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  }
  if (t.day > days_in_month(t.year, t.month)) return std::nullopt;
  end = p;
  return t;
}

std::optional<CivilTime> NameTimeFormat::find(std::string_view name) const {
  // The last match wins: pgBackRest names a differential backup
  // "<full>F_<diff>D", and its own time is the second one.
  std::optional<CivilTime> found;
  for (std::size_t at = 0; at < name.size(); ++at) {
    if (at > 0 && is_digit(name[at - 1]) && is_digit(name[at])) continue;
    std::size_t end = 0;
    auto t = match_at(name, at, end);
    if (!t) continue;
    if (end < name.size() && end > at && is_digit(name[end - 1]) && is_digit(name[end])) continue;
    found = t;
  }
  return found;
}

Result<TimeZone> TimeZone::parse(std::string_view text) {
  TimeZone tz;
  tz.m_text = std::string(text);
  if (text == "UTC" || text == "utc" || text == "Z") return tz;
  if (text == "local") {
    tz.m_local = true;
    return tz;
  }
  auto bad = [&] {
    return make_error(Errc::invalid_input,
                      fmt::format("unknown time zone '{}'; use \"UTC\", \"local\" or an offset "
                                  "like \"+01:00\"",
                                  text));
  };
  if (text.size() < 3 || (text[0] != '+' && text[0] != '-')) return bad();
  std::string digits;
  for (std::size_t i = 1; i < text.size(); ++i) {
    if (text[i] == ':' && i == 3) continue;
    if (!is_digit(text[i])) return bad();
    digits += text[i];
  }
  if (digits.size() != 2 && digits.size() != 4) return bad();
  int hh = (digits[0] - '0') * 10 + (digits[1] - '0');
  int mm = digits.size() == 4 ? (digits[2] - '0') * 10 + (digits[3] - '0') : 0;
  if (hh > 14 || mm > 59) return bad();
  tz.m_offset_seconds = (text[0] == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
  return tz;
}

TimePoint TimeZone::to_utc(const CivilTime& civil) const {
  if (!m_local)
    return TimePoint{civil_seconds(civil).time_since_epoch() - seconds{m_offset_seconds}};
  std::tm tm{};
  tm.tm_year = civil.year - 1900;
  tm.tm_mon = civil.month - 1;
  tm.tm_mday = civil.day;
  tm.tm_hour = civil.hour;
  tm.tm_min = civil.minute;
  tm.tm_sec = civil.second;
  tm.tm_isdst = -1;
  return system_clock::from_time_t(std::mktime(&tm));
}

sys_seconds TimeZone::wall_clock(TimePoint t) const {
  auto secs = floor<seconds>(t);
  if (!m_local) return secs + seconds{m_offset_seconds};
  std::time_t raw = system_clock::to_time_t(t);
  std::tm tm{};
  if (!localtime_r(&raw, &tm)) return secs;
  return secs + seconds{tm.tm_gmtoff};
}

}  // namespace dp
