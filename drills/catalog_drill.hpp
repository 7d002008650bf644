#pragma once
// A [[catalog]] check: list the dated backups in a directory, read each
// one's time, check the retention requirements and the newest backup's age,
// and compare an offsite copy file by file (xxh3-128 of both copies; no
// stored manifest). Nothing is restored and nothing is written; symlinks
// are never followed. The result is a BackupResult (engine "catalog") so
// every report renders it:
//   phase   "scan" (listing); its message names the count, the newest
//           backup's age, the newest and the oldest: "33 backups, newest 14h
//           old; newest <rel> (<time>); oldest <rel> (<time>)"
//   checks  "entries": names whose time cannot be read, dated more than 5
//           minutes in the future, symlinks ("symlink, not followed"),
//           empty files and other non-regular types -- none of them counts
//           as a backup; one check per requirement named as written
//           ("daily 35d"); "max_age" when set; "offsite" when set. One
//           Finding per entry, gap or difference.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "reports/run_report.hpp"
#include "verifier/config/config.hpp"
#include "verifier/core/name_time.hpp"

namespace dp::drills {

// One entry matching the catalog's pattern: a file or a directory.
struct CatalogEntry {
  std::string rel;                // relative to the catalog directory
  std::optional<TimePoint> time;  // nullopt: could not be read
  std::string problem;            // why not, when time is nullopt
};

// One path matching the pattern, typed without following links (lstat):
// a symlink at any level is listed as `symlink` and never descended into,
// so a link "2026 -> /" cannot pull files from outside the catalog in.
struct ListedEntry {
  enum class Kind { file, directory, symlink, other };
  std::string rel;
  Kind kind = Kind::file;
  std::uint64_t size = 0;  // regular files only
};

// Relative paths under `root` matching `pattern` segment by segment with
// fnmatch(FNM_PERIOD), sorted. Errc::io when a directory cannot be listed.
Result<std::vector<ListedEntry>> list_matching(const std::filesystem::path& root,
                                               const std::string& pattern);

// Entries under `catalog.path` matching `catalog.pattern` (per '/'-segment
// fnmatch with FNM_PERIOD, so '*' never crosses '/' and hidden partial
// uploads are not backups), sorted by path, with their times; a symlink,
// an empty file or a non-regular type has no time and names why.
// Errc::io when the directory cannot be listed.
Result<std::vector<CatalogEntry>> scan_catalog(const config::CatalogConfig& catalog);

// Evaluates "entries", the requirements and "max_age" for scanned entries at
// `now`. Pure. The result has no phases; `status` is the worst check.
reports::BackupResult evaluate_catalog(const config::CatalogConfig& catalog,
                                       const std::vector<CatalogEntry>& entries, TimePoint now);

// Compares the pattern's entries (files inside matching directories too) in
// the catalog and its offsite copy by xxh3-128 digest. One finding per
// difference, its target the relative path and its message one of
//   "missing offsite", "extra offsite",
//   "changed offsite: xxh3-128 <here> here, <there> offsite",
//   "resized offsite: <n> bytes here, <m> offsite",
//   "type differs: symlink here, file offsite" (or the reverse),
//   "unreadable offsite: <reason>".
// Symlinks are compared by their target text and never followed. A path that
// is a directory on one side and a file on the other is "extra"/"missing"
// (the file) plus one finding per file inside the directory.
// Both trees are walked together in path_less order and merged by path
// (drills/catalog_offsite_stream.hpp); only names on both sides with the same
// type and lstat size are read, both copies on the HashPipeline's threads.
// Memory does not grow with the number of files: at most
// offsite_held_bound(threads) entries are held at once, plus, as in
// `manifest verify`, one sorted listing per directory on the walk's current
// path, the list of matching backups and the findings.
// Errc::not_found when the offsite directory does not exist; Errc::io when
// either tree cannot be listed ("catalog: ..." or "offsite: ...") or a file
// here cannot be read ("unreadable here: <reason>": the check is untestable,
// not failed).
struct OffsiteReport {
  std::uint64_t files = 0;  // compared files present on both sides
  std::uint64_t bytes = 0;
  std::vector<Finding> findings;
  // Most entries the comparison held at once (both walks' queues and the
  // pairs being hashed): what the memory bound is about.
  std::size_t peak_held = 0;
};
struct OffsiteOptions {
  unsigned threads = 0;  // hashing threads; 0: hardware_concurrency
  // For tests: called on the comparing thread with the relative path of each
  // pair just before both copies are queued for hashing.
  std::function<void(const std::string& rel)> before_hash;
};
// The most entries compare_offsite holds at once with `threads` hashing threads.
std::size_t offsite_held_bound(unsigned threads);
// `timeout` bounds the comparison (the plan's check_timeout): on SIGINT/SIGTERM
// Errc::interrupted, past it Errc::timeout; either makes the check an error
// (exit 3). Files already being hashed are finished.
Result<OffsiteReport> compare_offsite(const config::CatalogConfig& catalog, Millis timeout,
                                      const OffsiteOptions& options = {});

// scan + evaluate + offsite, timed; `now` is the clock the coverage uses.
// `check_timeout` bounds the offsite comparison.
reports::BackupResult run_catalog_drill(const config::CatalogConfig& catalog, TimePoint now,
                                        Millis check_timeout);

}  // namespace dp::drills
