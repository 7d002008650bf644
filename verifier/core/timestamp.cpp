#include "verifier/core/timestamp.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <optional>

namespace dp {
namespace {

using Micros = std::chrono::microseconds;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim_space(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// A cursor over the text; each reader advances it only on success.
struct Cursor {
  std::string_view s;
  std::size_t i = 0;

  bool done() const { return i >= s.size(); }
  char peek() const { return done() ? '\0' : s[i]; }
  bool take(char c) {
    if (peek() != c) return false;
    ++i;
    return true;
  }
  // Exactly `n` digits.
  std::optional<int> digits(std::size_t n) {
    if (i + n > s.size()) return std::nullopt;
    int v = 0;
    for (std::size_t k = 0; k < n; ++k) {
      if (!is_digit(s[i + k])) return std::nullopt;
      v = v * 10 + (s[i + k] - '0');
    }
    i += n;
    return v;
  }
};

// Integer or decimal epoch seconds: [-]digits[.digits].
std::optional<TimePoint> parse_epoch(std::string_view text) {
  std::string_view body = text;
  bool negative = false;
  if (!body.empty() && body.front() == '-') {
    negative = true;
    body.remove_prefix(1);
  }
  std::size_t dot = body.find('.');
  std::string_view whole = body.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : body.substr(dot + 1);
  if (whole.empty() || whole.size() > 12) return std::nullopt;
  for (char c : whole)
    if (!is_digit(c)) return std::nullopt;
  if (dot != std::string_view::npos && frac.empty()) return std::nullopt;
  for (char c : frac)
    if (!is_digit(c)) return std::nullopt;
  std::int64_t seconds = 0;
  std::from_chars(whole.data(), whole.data() + whole.size(), seconds);
  std::int64_t micros = 0;
  for (std::size_t k = 0; k < 6; ++k) micros = micros * 10 + (k < frac.size() ? frac[k] - '0' : 0);
  Micros total = std::chrono::seconds(seconds) + Micros(micros);
  if (negative) total = -total;
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(total));
}

}  // namespace

Result<TimePoint> parse_timestamp(std::string_view raw) {
  std::string_view text = trim_space(raw);
  auto bad = [&](const std::string& why) {
    return make_error(Errc::invalid_input, fmt::format("bad timestamp \"{}\": {}", raw, why));
  };
  if (text.empty()) return bad("empty");
  if (text.size() < 5 || text[4] != '-') {
    if (auto epoch = parse_epoch(text)) return *epoch;
    return bad("expected YYYY-MM-DD[ HH:MM:SS[.ffffff][+HH:MM|Z]] or epoch seconds");
  }

  Cursor c{text};
  auto y = c.digits(4);
  if (!y || !c.take('-')) return bad("expected a year YYYY-");
  auto mo = c.digits(2);
  if (!mo || !c.take('-')) return bad("expected a month MM-");
  auto d = c.digits(2);
  if (!d) return bad("expected a day DD");
  if (*mo < 1 || *mo > 12) return bad(fmt::format("month {} is out of range", *mo));
  std::chrono::year_month_day ymd{std::chrono::year(*y),
                                  std::chrono::month(static_cast<unsigned>(*mo)),
                                  std::chrono::day(static_cast<unsigned>(*d))};
  if (!ymd.ok()) return bad(fmt::format("day {} is out of range", *d));
  Micros since_midnight{0};
  Micros offset{0};

  if (!c.done()) {
    if (!c.take(' ') && !c.take('T') && !c.take('t'))
      return bad("expected ' ' or 'T' after the date");
    auto h = c.digits(2);
    if (!h || !c.take(':')) return bad("expected a time HH:MM");
    auto mi = c.digits(2);
    if (!mi) return bad("expected minutes MM");
    int sec = 0;
    std::int64_t micros = 0;
    if (c.take(':')) {
      auto s = c.digits(2);
      if (!s) return bad("expected seconds SS");
      sec = *s;
      if (c.take('.') || c.take(',')) {
        std::size_t start = c.i;
        std::int64_t scale = 100'000;
        while (is_digit(c.peek())) {
          micros += (c.peek() - '0') * scale;
          scale /= 10;
          ++c.i;
        }
        if (c.i == start) return bad("expected digits after the decimal point");
      }
    }
    if (*h > 24 || *mi > 59 || sec > 60 || (*h == 24 && (*mi != 0 || sec != 0 || micros != 0)))
      return bad(fmt::format("time {:02}:{:02}:{:02} is out of range", *h, *mi, sec));
    since_midnight = std::chrono::hours(*h) + std::chrono::minutes(*mi) +
                     std::chrono::seconds(sec) + Micros(micros);

    c.take(' ');  // PostgreSQL never puts one here, but people type it
    if (c.take('Z') || c.take('z')) {
    } else if (c.peek() == '+' || c.peek() == '-') {
      int sign = c.peek() == '-' ? -1 : 1;
      ++c.i;
      auto oh = c.digits(2);
      if (!oh) return bad("expected a zone offset +HH[:MM]");
      int om = 0;
      if (c.take(':')) {
        auto m = c.digits(2);
        if (!m) return bad("expected zone offset minutes");
        om = *m;
      } else if (auto m = c.digits(2)) {
        om = *m;
      }
      if (*oh > 15 || om > 59)
        return bad(fmt::format("zone offset {:02}:{:02} is out of range", *oh, om));
      offset = sign * (std::chrono::hours(*oh) + std::chrono::minutes(om));
    }
    if (!c.done()) return bad(fmt::format("unexpected '{}'", text.substr(c.i)));
  }

  Micros t = std::chrono::sys_days(ymd).time_since_epoch() + since_midnight - offset;
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(t));
}

std::string format_timestamp(TimePoint t) {
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  auto days = std::chrono::floor<std::chrono::days>(secs);
  std::chrono::year_month_day ymd{days};
  std::chrono::hh_mm_ss<std::chrono::seconds> hms{secs - days};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

}  // namespace dp
