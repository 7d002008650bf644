// [[catalog]] tables -> CatalogConfig. A catalog is checked without a
// restore, so its keys are about naming and calendars: the name-time format
// and time zone are compiled here, so a typo is a diagnostic at its value
// rather than a run that finds every name unreadable.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <system_error>

#include "verifier/config/reader.hpp"
#include "verifier/core/name_time.hpp"

namespace dp::config::detail {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view k_where = "[[catalog]]";
constexpr std::string_view k_keys[] = {"name",     "path",    "pattern", "time_from", "name_time",
                                       "timezone", "require", "max_age", "offsite"};
constexpr int k_max_periods = 100'000;
constexpr std::string_view k_require_form =
    "expected '<hourly|daily|weekly|monthly|yearly> <count or span>' (\"daily 35d\", "
    "\"monthly 12\")";

bool is_catalog_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

struct PeriodWord {
  std::string_view word;
  std::string_view units;  // span units it accepts ("hdw"), each worth per_unit[i] periods
  CatalogPeriod period;
  std::array<int, 3> per_unit;
};

const PeriodWord k_periods[] = {
    {"hourly", "hdw", CatalogPeriod::hour, {1, 24, 168}},
    {"daily", "dw", CatalogPeriod::day, {1, 7, 0}},
    {"weekly", "w", CatalogPeriod::week, {1, 0, 0}},
    {"monthly", "", CatalogPeriod::month, {0, 0, 0}},
    {"yearly", "", CatalogPeriod::year, {0, 0, 0}},
};

// "daily 35d" -> {day, 35}; the error names what was wrong.
Result<CatalogRequirement, std::string> parse_requirement(std::string_view text) {
  auto space = text.find(' ');
  if (space == std::string_view::npos) return Unexpected<std::string>(std::string(k_require_form));
  std::string_view word = text.substr(0, space);
  std::string_view amount = text.substr(space + 1);
  while (!amount.empty() && amount.front() == ' ') amount.remove_prefix(1);
  const PeriodWord* period = nullptr;
  for (const auto& p : k_periods)
    if (p.word == word) period = &p;
  if (!period) return Unexpected<std::string>(std::string(k_require_form));
  int number = 0;
  auto [end, ec] = std::from_chars(amount.data(), amount.data() + amount.size(), number);
  if (ec != std::errc{} || number < 1) return Unexpected<std::string>(std::string(k_require_form));
  std::string_view unit(end, static_cast<std::size_t>(amount.data() + amount.size() - end));
  int per_unit = 1;
  if (!unit.empty()) {
    std::size_t at = unit.size() == 1 ? period->units.find(unit[0]) : std::string_view::npos;
    if (at == std::string_view::npos) {
      std::string units;
      for (char u : period->units) units += fmt::format("{}'{}'", units.empty() ? "" : " or ", u);
      return Unexpected<std::string>(
          units.empty()
              ? fmt::format("{} takes a count of periods (\"{} 12\"), not '{}'", word, word, amount)
              : fmt::format("{} takes a count or a span in {}, not '{}'", word, units, amount));
    }
    per_unit = period->per_unit[at];
  }
  if (number > k_max_periods / per_unit)
    return Unexpected<std::string>(
        fmt::format("'{}' is more than {} periods", amount, k_max_periods));
  return CatalogRequirement{period->period, number * per_unit, std::string(text)};
}

void read_name(Reader& reader, const toml::table& table, const SeenNames& backups, SeenNames& seen,
               CatalogConfig& out) {
  auto name = reader.string(table, "name", k_where, Need::required);
  if (!name) return;
  SourcePos at = reader.pos(*table.get("name"));
  out.name = *name;
  if (!is_catalog_name(*name)) {
    reader.report(at, fmt::format("catalog name '{}' may only contain letters, digits, '_', '.' "
                                  "and '-'",
                                  *name));
    return;
  }
  if (auto b = backups.find(*name); b != backups.end()) {
    reader.report(at, fmt::format("catalog name '{}' is also a backup name (line {}); names must "
                                  "be unique in a plan",
                                  *name, b->second));
    return;
  }
  auto [it, inserted] = seen.emplace(*name, at.line);
  if (!inserted)
    reader.report(at,
                  fmt::format("duplicate catalog name '{}' (first at line {})", *name, it->second));
}

void read_paths(Reader& reader, const toml::table& table, const fs::path& base_dir,
                CatalogConfig& out) {
  if (auto text = reader.string(table, "path", k_where, Need::required)) {
    SourcePos at = reader.pos(*table.get("path"));
    std::error_code ec;
    if (text->empty()) {
      reader.report(at, "'path' must not be empty");
    } else {
      out.path = (base_dir / fs::path(*text)).lexically_normal();
      if (!fs::is_directory(out.path, ec))
        reader.report(at, fmt::format("catalog directory not found: {}", out.path.string()));
    }
  }
  if (auto text = reader.string(table, "offsite", k_where, Need::optional)) {
    if (text->empty())
      reader.report(reader.pos(*table.get("offsite")), "'offsite' must not be empty");
    else
      out.offsite = (base_dir / fs::path(*text)).lexically_normal();
  }
  out.pattern = reader.string(table, "pattern", k_where, Need::optional).value_or("*");
  std::string_view p = out.pattern;
  if (p.empty() || p.front() == '/' || p.back() == '/' || p.find("//") != p.npos || p == ".." ||
      p.starts_with("../") || p.find("/../") != p.npos || p.ends_with("/.."))
    reader.report(reader.key_pos(table, "pattern"),
                  fmt::format("'pattern' must be a relative glob inside the catalog without "
                              "empty or '..' parts, got \"{}\"",
                              out.pattern));
}

void read_times(Reader& reader, const toml::table& table, CatalogConfig& out) {
  auto from = reader.string(table, "time_from", k_where, Need::optional).value_or("name");
  if (from == "mtime") {
    out.time_from_mtime = true;
  } else if (from != "name") {
    reader.report(reader.pos(*table.get("time_from")),
                  fmt::format("unknown time_from '{}'; expected \"name\" or \"mtime\"", from));
  }
  auto format =
      reader.string(table, "name_time", k_where, from == "name" ? Need::required : Need::optional);
  if (format && from == "mtime") {
    reader.report(reader.key_pos(table, "name_time"),
                  "'name_time' applies only with time_from = \"name\"");
  } else if (format) {
    auto compiled = NameTimeFormat::compile(*format);
    if (!compiled)
      reader.report(reader.pos(*table.get("name_time")),
                    fmt::format("name_time \"{}\" {}", *format, compiled.error().message));
    else
      out.name_time = *format;
  }
  if (auto zone = reader.string(table, "timezone", k_where, Need::optional)) {
    auto parsed = TimeZone::parse(*zone);
    if (!parsed)
      reader.report(reader.pos(*table.get("timezone")), parsed.error().message);
    else
      out.timezone = *zone;
  }
}

void read_requirements(Reader& reader, const toml::table& table, CatalogConfig& out) {
  const toml::node* node = reader.find(table, "require", k_where, Need::optional);
  if (node) {
    const auto* array = node->as_array();
    if (!array) {
      reader.report(reader.pos(*node),
                    fmt::format("'require' must be an array of strings, got {}", type_name(*node)));
    } else {
      for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& element = *array->get(i);
        const auto* s = element.as_string();
        if (!s) {
          reader.report(reader.pos(element), fmt::format("require[{}]: expected a string, got {}",
                                                         i, type_name(element)));
          continue;
        }
        auto req = parse_requirement(s->get());
        if (!req) {
          reader.report(reader.pos(element),
                        fmt::format("require[{}]: {}, got \"{}\"", i, req.error(), s->get()));
          continue;
        }
        bool repeated = std::any_of(out.require.begin(), out.require.end(),
                                    [&](const auto& r) { return r.text == req->text; });
        if (repeated)
          reader.report(reader.pos(element),
                        fmt::format("require[{}]: \"{}\" is listed twice", i, req->text));
        else
          out.require.push_back(std::move(*req));
      }
    }
  }
  out.max_age = reader.duration(table, "max_age", k_where, Need::optional);
  if (!node && !table.get("max_age") && !table.get("offsite"))
    reader.report(reader.pos(table),
                  "[[catalog]] checks nothing; give 'require', 'max_age' or 'offsite'");
}

CatalogConfig read_catalog(Reader& reader, const toml::table& table, const fs::path& base_dir,
                           const SeenNames& backups, SeenNames& seen) {
  CatalogConfig out;
  out.pos = reader.pos(table);
  reader.reject_unknown_keys(table, k_where, k_keys);
  read_name(reader, table, backups, seen, out);
  read_paths(reader, table, base_dir, out);
  read_times(reader, table, out);
  read_requirements(reader, table, out);
  return out;
}

}  // namespace

std::vector<CatalogConfig> read_catalogs(Reader& reader, const toml::table& root,
                                         const fs::path& base_dir, const SeenNames& backups) {
  std::vector<CatalogConfig> out;
  const toml::node* node = root.get("catalog");
  if (!node) return out;
  const auto* array = node->as_array();
  if (!array || !array->is_array_of_tables()) {
    reader.report(reader.pos(*node),
                  fmt::format("'catalog' must be an array of tables: write [[catalog]], got {}",
                              node->is_table() ? "[catalog]" : type_name(*node)));
    return out;
  }
  SeenNames seen;
  for (const auto& element : *array)
    out.push_back(read_catalog(reader, *element.as_table(), base_dir, backups, seen));
  return out;
}

}  // namespace dp::config::detail
