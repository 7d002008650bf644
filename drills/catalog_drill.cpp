// Listing is by pattern segment rather than a full recursive walk, so a
// catalog of dated folders ("*/*/*") is not descended into below the
// backups themselves, and a large catalog is listed in one pass.
#include "drills/catalog_drill.hpp"

#include <fmt/format.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "drills/catalog_coverage.hpp"
#include "verifier/artifacts/hash_pipeline.hpp"
#include "verifier/core/text.hpp"

namespace dp::drills {
namespace {

namespace fs = std::filesystem;
using reports::CheckResult;
using reports::Status;

std::vector<std::string> split_pattern(const std::string& pattern) {
  std::vector<std::string> out(1);
  for (char c : pattern) {
    if (c == '/')
      out.emplace_back();
    else
      out.back() += c;
  }
  return out;
}

Result<void> list_level(const fs::path& root, const std::string& prefix,
                        const std::vector<std::string>& segments, std::size_t level,
                        std::vector<ListedEntry>& out) {
  const fs::path here = prefix.empty() ? root : root / prefix;
  std::error_code ec;
  fs::directory_iterator it(here, ec);
  if (ec)
    return make_error(Errc::io, fmt::format("{}: cannot list: {}", here.string(), ec.message()));
  const bool last = level + 1 == segments.size();
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec)
      return make_error(Errc::io, fmt::format("{}: cannot list: {}", here.string(), ec.message()));
    std::string name = it->path().filename().string();
    if (::fnmatch(segments[level].c_str(), name.c_str(), FNM_PERIOD) != 0) continue;
    std::string rel = prefix.empty() ? name : prefix + "/" + name;
    // lstat, never stat: a link is reported at whatever level it sits.
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0)
      return make_error(
          Errc::io, fmt::format("{}: cannot stat: {}", it->path().string(), std::strerror(errno)));
    using Kind = ListedEntry::Kind;
    if (S_ISLNK(st.st_mode)) {
      out.push_back({std::move(rel), Kind::symlink, 0});
    } else if (!last) {
      if (S_ISDIR(st.st_mode)) DP_TRY_VOID(list_level(root, rel, segments, level + 1, out));
    } else if (S_ISREG(st.st_mode)) {
      out.push_back({std::move(rel), Kind::file, static_cast<std::uint64_t>(st.st_size)});
    } else {
      out.push_back({std::move(rel), S_ISDIR(st.st_mode) ? Kind::directory : Kind::other, 0});
    }
  }
  return {};
}

// Clocks of the backup host and of this one differ a little; like the
// history audit, a name up to 5 minutes ahead is not "in the future".
constexpr auto k_future_slack = std::chrono::minutes{5};

std::string age_text(Millis age) {
  age = std::max(age, Millis{0});  // within k_future_slack ahead
  return format_duration(std::chrono::floor<std::chrono::minutes>(age));
}

CheckResult entries_check(const config::CatalogConfig& catalog,
                          const std::vector<CatalogEntry>& entries, TimePoint now) {
  CheckResult c{"entries", "catalog", Status::passed, "every entry has a time", "", "", Millis{0},
                {},        {}};
  std::size_t unreadable = 0, future = 0;
  for (const auto& e : entries) {
    if (!e.time) {
      ++unreadable;
      c.findings.push_back(Finding{c.name, e.rel, Severity::error, e.problem, ""});
    } else if (*e.time > now + k_future_slack) {
      ++future;
      c.findings.push_back(Finding{c.name, e.rel, Severity::error,
                                   fmt::format("dated {}, after the check ran ({})",
                                               format_timestamp(*e.time), format_timestamp(now)),
                                   ""});
    }
  }
  c.observed =
      fmt::format("{} entr{} matching \"{}\": {} without a time, {} in the future", entries.size(),
                  entries.size() == 1 ? "y" : "ies", catalog.pattern, unreadable, future);
  if (!c.findings.empty()) {
    c.status = Status::failed;
    c.message =
        fmt::format("{} of {} entries have no usable time", c.findings.size(), entries.size());
  }
  return c;
}

CheckResult requirement_check(const config::CatalogRequirement& req,
                              const std::vector<TimePoint>& times, TimePoint now,
                              const TimeZone& zone) {
  Coverage cov = coverage(times, req, now, zone);
  CheckResult c{req.text, "catalog", Status::passed, "", "", "", Millis{0}, {}, {}};
  c.expected = fmt::format("a backup in each of {} {} ({} .. {})", cov.window,
                           period_plural(req.period), cov.first, cov.last);
  c.observed = fmt::format("{} of {} covered", cov.covered, cov.window);
  if (!cov.current_counted)
    c.observed += fmt::format(" (the current {} has no backup yet and is not counted)",
                              period_label(req.period, period_index(req.period, now, zone), zone));
  for (const auto& gap : cov.gaps)
    c.findings.push_back(Finding{c.name, "", Severity::error, gap_message(gap, req.period), ""});
  if (!cov.gaps.empty()) {
    c.status = Status::failed;
    c.message =
        fmt::format("{} {} without a backup in {} gap{}", cov.window - cov.covered,
                    period_plural(req.period), cov.gaps.size(), cov.gaps.size() == 1 ? "" : "s");
  }
  return c;
}

}  // namespace

Result<std::vector<ListedEntry>> list_matching(const fs::path& root, const std::string& pattern) {
  std::vector<ListedEntry> names;
  DP_TRY_VOID(list_level(root, "", split_pattern(pattern), 0, names));
  std::sort(names.begin(), names.end(),
            [](const ListedEntry& a, const ListedEntry& b) { return a.rel < b.rel; });
  return names;
}

Result<std::vector<CatalogEntry>> scan_catalog(const config::CatalogConfig& catalog) {
  auto listed = list_matching(catalog.path, catalog.pattern);
  if (!listed) return Unexpected<Error>(std::move(listed).error());
  std::vector<ListedEntry>& names = *listed;
  std::optional<NameTimeFormat> format;
  if (!catalog.time_from_mtime) {
    auto compiled = NameTimeFormat::compile(catalog.name_time);
    if (!compiled) return Unexpected<Error>(std::move(compiled).error().context("name_time"));
    format = std::move(*compiled);
  }
  auto zone = TimeZone::parse(catalog.timezone);
  if (!zone) return Unexpected<Error>(std::move(zone).error());
  std::vector<CatalogEntry> out;
  using Kind = ListedEntry::Kind;
  for (auto& listed_entry : names) {
    CatalogEntry e{std::move(listed_entry.rel), std::nullopt, ""};
    if (listed_entry.kind == Kind::symlink) {
      e.problem = "symlink, not followed";
    } else if (listed_entry.kind == Kind::other) {
      e.problem = "not a regular file or directory";
    } else if (listed_entry.kind == Kind::file && listed_entry.size == 0) {
      e.problem = "empty file (0 bytes)";
    } else if (format) {
      if (auto civil = format->find(e.rel))
        e.time = zone->to_utc(*civil);
      else
        e.problem = fmt::format("no time matching name_time \"{}\" in the name", format->text());
    } else {
      struct stat st {};
      fs::path full = catalog.path / e.rel;
      if (::lstat(full.c_str(), &st) != 0)
        e.problem = fmt::format("cannot read its modification time: {}", std::strerror(errno));
      else
        e.time = TimePoint{std::chrono::seconds{st.st_mtim.tv_sec}};
    }
    out.push_back(std::move(e));
  }
  return out;
}

reports::BackupResult evaluate_catalog(const config::CatalogConfig& catalog,
                                       const std::vector<CatalogEntry>& entries, TimePoint now) {
  reports::BackupResult r;
  r.name = catalog.name;
  r.engine = "catalog";
  r.path = catalog.path.string();
  r.format = "backup catalog";
  auto zone = TimeZone::parse(catalog.timezone).value_or(TimeZone::utc());
  std::vector<TimePoint> times;
  const CatalogEntry* newest = nullptr;
  for (const auto& e : entries) {
    if (!e.time || *e.time > now + k_future_slack) continue;
    times.push_back(std::min(*e.time, now));
    if (!newest || *e.time >= *newest->time) newest = &e;
  }
  r.checks.push_back(entries_check(catalog, entries, now));
  for (const auto& req : catalog.require)
    r.checks.push_back(requirement_check(req, times, now, zone));
  if (catalog.max_age) {
    CheckResult c{"max_age",
                  "catalog",
                  Status::passed,
                  fmt::format("newest backup younger than {}", format_duration(*catalog.max_age)),
                  "",
                  "",
                  Millis{0},
                  {},
                  {}};
    if (!newest) {
      c.status = Status::failed;
      c.observed = "no backup";
      c.message = fmt::format("no backup matches \"{}\"", catalog.pattern);
      c.findings.push_back(Finding{c.name, "", Severity::error, c.message, ""});
    } else {
      auto age = std::chrono::duration_cast<Millis>(now - *newest->time);
      c.observed = fmt::format("{} old ({}, {})", age_text(age), newest->rel,
                               format_timestamp(*newest->time));
      if (age >= *catalog.max_age) {
        c.status = Status::failed;
        c.message = fmt::format("newest backup is {} old, max_age {}", age_text(age),
                                format_duration(*catalog.max_age));
        c.findings.push_back(Finding{c.name, newest->rel, Severity::error,
                                     fmt::format("newest backup, taken {}, is {} old; max_age {}",
                                                 format_timestamp(*newest->time), age_text(age),
                                                 format_duration(*catalog.max_age)),
                                     ""});
      }
    }
    r.checks.push_back(std::move(c));
  }
  for (const auto& c : r.checks) r.status = reports::worst(r.status, c.status);
  return r;
}

namespace {

std::string scan_summary(const std::vector<CatalogEntry>& entries, TimePoint now) {
  const CatalogEntry* oldest = nullptr;
  const CatalogEntry* newest = nullptr;
  std::size_t dated = 0;
  for (const auto& e : entries) {
    if (!e.time || *e.time > now + k_future_slack) continue;
    ++dated;
    if (!oldest || *e.time < *oldest->time) oldest = &e;
    if (!newest || *e.time >= *newest->time) newest = &e;
  }
  if (!newest) return fmt::format("{} entries, none dated", entries.size());
  // The part before the first ';' is the short form the summary line shows.
  return fmt::format("{} backup{}, newest {} old; newest {} ({}); oldest {} ({})", dated,
                     dated == 1 ? "" : "s",
                     age_text(std::chrono::duration_cast<Millis>(now - *newest->time)), newest->rel,
                     format_timestamp(*newest->time), oldest->rel, format_timestamp(*oldest->time));
}

}  // namespace

reports::BackupResult run_catalog_drill(const config::CatalogConfig& catalog, TimePoint now,
                                        Millis check_timeout) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  const auto wall0 = std::chrono::system_clock::now();
  auto since = [&](clock::time_point t) { return std::chrono::duration_cast<Millis>(t - t0); };
  auto scanned = scan_catalog(catalog);
  reports::BackupResult r;
  if (!scanned) {
    r.name = catalog.name;
    r.engine = "catalog";
    r.path = catalog.path.string();
    r.format = "backup catalog";
    r.status = Status::error;
    r.phases.push_back(
        {"scan", Status::error, Millis{0}, since(clock::now()), scanned.error().message, ""});
  } else {
    r = evaluate_catalog(catalog, *scanned, now);
    r.phases.push_back(
        {"scan", Status::passed, Millis{0}, since(clock::now()), scan_summary(*scanned, now), ""});
  }
  if (!catalog.offsite.empty()) {
    const auto start = clock::now();
    CheckResult c{"offsite",
                  "catalog",
                  Status::passed,
                  fmt::format("identical copy in {}", catalog.offsite.string()),
                  "",
                  "",
                  Millis{0},
                  {},
                  {}};
    auto compared = compare_offsite(catalog, check_timeout);
    if (!compared) {
      c.status = Status::error;
      c.message = compared.error().message;
    } else {
      c.findings = std::move(compared->findings);
      c.observed =
          fmt::format("{} files ({} bytes) compared, {} difference{}", compared->files,
                      compared->bytes, c.findings.size(), c.findings.size() == 1 ? "" : "s");
      if (!c.findings.empty()) {
        c.status = Status::failed;
        c.message = fmt::format("offsite copy differs: {} difference{}", c.findings.size(),
                                c.findings.size() == 1 ? "" : "s");
      }
    }
    c.duration = std::chrono::duration_cast<Millis>(clock::now() - start);
    r.checks.push_back(std::move(c));
    r.status = reports::worst(r.status, r.checks.back().status);
  }
  r.started = wall0;
  r.duration = since(clock::now());
  return r;
}

}  // namespace dp::drills
