#include "verifier/core/duration.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>

namespace dp {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t ms;
};
constexpr Unit k_units[] = {{"ms", 1},        {"s", 1000},       {"m", 60'000},
                            {"h", 3'600'000}, {"d", 86'400'000}, {"w", 604'800'000}};

}  // namespace

Result<Millis> parse_duration(std::string_view text) {
  auto bad = [&](std::string why) {
    return make_error(Errc::invalid_input, fmt::format("bad duration \"{}\": {}", text, why));
  };
  if (text.empty()) return bad("empty; write e.g. \"30m\", \"1h30m\" or \"500ms\"");
  double total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
    if (start == i) return bad(fmt::format("expected a number at '{}'", text.substr(i)));
    std::string number(text.substr(start, i - start));
    std::size_t ustart = i;
    while (i < text.size() && text[i] >= 'a' && text[i] <= 'z') ++i;
    std::string_view unit = text.substr(ustart, i - ustart);
    if (unit.empty()) return bad("missing unit after " + number + "; use ms, s, m, h, d or w");
    const Unit* found = nullptr;
    for (const auto& u : k_units)
      if (u.name == unit) found = &u;
    if (!found) return bad(fmt::format("unknown unit '{}'; use ms, s, m, h, d or w", unit));
    char* end = nullptr;
    double value = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size() || number.find('.') != number.rfind('.'))
      return bad(fmt::format("'{}' is not a number", number));
    total += value * static_cast<double>(found->ms);
  }
  if (total > 1e15) return bad("too long");
  return Millis(static_cast<std::int64_t>(std::llround(total)));
}

std::string format_duration(Millis d) {
  std::int64_t left = d.count();
  if (left == 0) return "0s";
  std::string out;
  if (left < 0) {
    out = "-";
    left = -left;
  }
  for (auto it = std::rbegin(k_units); it != std::rend(k_units); ++it) {
    if (it->name == "w") continue;  // "14d" reads better than "2w"
    if (left >= it->ms) {
      out += fmt::format("{}{}", left / it->ms, it->name);
      left %= it->ms;
    }
  }
  return out;
}

std::string format_seconds(Millis d) {
  return fmt::format("{:.3f}", static_cast<double>(d.count()) / 1000.0);
}

}  // namespace dp
