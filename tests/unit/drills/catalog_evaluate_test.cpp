// A catalog turned into report checks: unreadable and future names, every
// requirement, max_age; and the scan and offsite comparison on real
// directories in a TempDir (the negative controls: a missing, an extra, a
// changed and a resized file offsite).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <fstream>

#include "drills/catalog_drill.hpp"
#include "verifier/core/signals.hpp"
#include "verifier/core/temp_dir.hpp"

namespace dp::drills {
namespace {

namespace fs = std::filesystem;
using config::CatalogPeriod;
using reports::Status;

TimePoint at(std::string_view text) { return parse_timestamp(text).value(); }
const TimePoint k_now = at("2026-11-21T16:00:00Z");
const Millis k_timeout{60'000};

config::CatalogConfig shop(const fs::path& dir = "/nonexistent") {
  config::CatalogConfig c;
  c.name = "shop";
  c.path = dir;
  c.pattern = "shop-*.dump";
  c.name_time = "%Y-%m-%d";
  c.require = {{CatalogPeriod::day, 7, "daily 7d"}, {CatalogPeriod::month, 2, "monthly 2"}};
  c.max_age = std::chrono::hours{26};
  return c;
}

CatalogEntry entry(std::string rel, std::optional<std::string_view> time,
                   std::string problem = "") {
  return CatalogEntry{std::move(rel), time ? std::optional(at(*time)) : std::nullopt,
                      std::move(problem)};
}

const reports::CheckResult& check(const reports::BackupResult& r, std::string_view name) {
  for (const auto& c : r.checks)
    if (c.name == name) return c;
  ADD_FAILURE() << "no check " << name;
  static reports::CheckResult none;
  return none;
}

std::vector<std::string> findings(const reports::CheckResult& c) {
  std::vector<std::string> out;
  for (const auto& f : c.findings)
    out.push_back(f.target.empty() ? f.message : f.target + ": " + f.message);
  return out;
}

std::vector<CatalogEntry> week(std::vector<std::string> skip = {}) {
  std::vector<CatalogEntry> out;
  for (int d = 14; d <= 21; ++d) {
    std::string day = fmt::format("2026-11-{:02}", d);
    if (std::find(skip.begin(), skip.end(), day) == skip.end())
      out.push_back(entry("shop-" + day + ".dump", day + "T02:00:00Z"));
  }
  out.push_back(entry("shop-2026-10-31.dump", "2026-10-31T02:00:00Z"));
  return out;
}

TEST(CatalogEvaluate, CleanCatalogPasses) {
  auto r = evaluate_catalog(shop(), week(), k_now);
  EXPECT_EQ(r.engine, "catalog");
  EXPECT_EQ(r.format, "backup catalog");
  EXPECT_EQ(r.status, Status::passed);
  ASSERT_EQ(r.checks.size(), 4u);
  EXPECT_EQ(r.checks[0].name, "entries");
  EXPECT_EQ(r.checks[1].name, "daily 7d");
  EXPECT_EQ(r.checks[2].name, "monthly 2");
  EXPECT_EQ(r.checks[3].name, "max_age");
  EXPECT_EQ(check(r, "daily 7d").observed, "7 of 7 covered");
  EXPECT_EQ(check(r, "daily 7d").expected, "a backup in each of 7 days (2026-11-15 .. 2026-11-21)");
  EXPECT_EQ(check(r, "max_age").observed, "14h old (shop-2026-11-21.dump, 2026-11-21T02:00:00Z)");
}

TEST(CatalogEvaluate, DailyGapAndMissingMonthAreFindings) {
  auto entries = week({"2026-11-17", "2026-11-18"});
  entries.pop_back();  // no October backup
  auto r = evaluate_catalog(shop(), entries, k_now);
  EXPECT_EQ(r.status, Status::failed);
  EXPECT_EQ(check(r, "daily 7d").status, Status::failed);
  EXPECT_EQ(findings(check(r, "daily 7d")),
            (std::vector<std::string>{"no daily backup for 2026-11-17 .. 2026-11-18 (2 days)"}));
  EXPECT_EQ(check(r, "daily 7d").message, "2 days without a backup in 1 gap");
  EXPECT_EQ(findings(check(r, "monthly 2")),
            (std::vector<std::string>{"no monthly backup for 2026-10"}));
  EXPECT_EQ(check(r, "max_age").status, Status::passed);
}

TEST(CatalogEvaluate, UnreadableAndFutureNamesAreFindings) {
  auto entries = week();
  entries.push_back(entry("shop-latest.dump", std::nullopt,
                          "no time matching name_time \"%Y-%m-%d\" in the name"));
  entries.push_back(entry("shop-2026-11-30.dump", "2026-11-30T00:00:00Z"));
  auto r = evaluate_catalog(shop(), entries, k_now);
  const auto& c = check(r, "entries");
  EXPECT_EQ(c.status, Status::failed);
  EXPECT_EQ(findings(c),
            (std::vector<std::string>{
                "shop-latest.dump: no time matching name_time \"%Y-%m-%d\" in the name",
                "shop-2026-11-30.dump: dated 2026-11-30T00:00:00Z, after the check ran "
                "(2026-11-21T16:00:00Z)"}));
  EXPECT_EQ(c.observed, "11 entries matching \"shop-*.dump\": 1 without a time, 1 in the future");
  // The future backup is not the newest one max_age looks at.
  EXPECT_EQ(check(r, "max_age").status, Status::passed);
}

TEST(CatalogEvaluate, FiveMinutesAheadIsClockSkewNotTheFuture) {
  auto entries = week();
  entries.push_back(entry("shop-ahead.dump", "2026-11-21T16:05:00Z"));
  entries.push_back(entry("shop-later.dump", "2026-11-21T16:05:01Z"));
  auto r = evaluate_catalog(shop(), entries, k_now);
  EXPECT_EQ(findings(check(r, "entries")),
            (std::vector<std::string>{"shop-later.dump: dated 2026-11-21T16:05:01Z, after the "
                                      "check ran (2026-11-21T16:00:00Z)"}));
  EXPECT_EQ(check(r, "max_age").observed, "0s old (shop-ahead.dump, 2026-11-21T16:05:00Z)");
}

TEST(CatalogEvaluate, StaleCatalogFailsMaxAgeAndCoverage) {
  auto entries = week({"2026-11-20", "2026-11-21"});
  auto r = evaluate_catalog(shop(), entries, k_now);
  EXPECT_EQ(findings(check(r, "max_age")),
            (std::vector<std::string>{"shop-2026-11-19.dump: newest backup, taken "
                                      "2026-11-19T02:00:00Z, is 2d14h old; max_age 1d2h"}));
  EXPECT_EQ(findings(check(r, "daily 7d")),
            (std::vector<std::string>{"no daily backup for 2026-11-20 .. 2026-11-21 (2 days)"}));
}

TEST(CatalogEvaluate, EmptyCatalogFailsEveryRequirement) {
  auto r = evaluate_catalog(shop(), {}, k_now);
  EXPECT_EQ(findings(check(r, "max_age")),
            (std::vector<std::string>{"no backup matches \"shop-*.dump\""}));
  EXPECT_EQ(findings(check(r, "daily 7d")),
            (std::vector<std::string>{"no daily backup for 2026-11-15 .. 2026-11-21 (7 days)"}));
  EXPECT_EQ(check(r, "entries").status, Status::passed);
}

class CatalogDirs : public ::testing::Test {
 protected:
  void SetUp() override { m_dir.emplace(TempDir::create("dp-catalog-unit-").value()); }
  void TearDown() override {
    if (HasFailure()) m_dir->keep();
  }
  fs::path dir(std::string_view sub) const { return m_dir->path() / sub; }
  static void write(const fs::path& file, std::string_view text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
  }
  std::optional<TempDir> m_dir;
};

TEST_F(CatalogDirs, ScanMatchesThePatternPerSegment) {
  write(dir("main/2026/11/20/base.tar"), "a");
  write(dir("main/2026/11/21/base.tar"), "b");
  write(dir("main/2026/11/notes.txt"), "c");
  write(dir("main/2026/11/.21-partial/x"), "d");
  auto c = shop(dir("main"));
  c.pattern = "*/*/*";
  c.name_time = "%Y/%m/%d";
  auto scanned = scan_catalog(c);
  ASSERT_TRUE(scanned) << scanned.error().message;
  ASSERT_EQ(scanned->size(), 3u);
  EXPECT_EQ((*scanned)[0].rel, "2026/11/20");
  EXPECT_EQ(format_timestamp(*(*scanned)[1].time), "2026-11-21T00:00:00Z");
  EXPECT_EQ((*scanned)[2].rel, "2026/11/notes.txt");
  EXPECT_FALSE((*scanned)[2].time.has_value());
  EXPECT_EQ((*scanned)[2].problem, "no time matching name_time \"%Y/%m/%d\" in the name");
}

TEST_F(CatalogDirs, OffsiteDifferencesAreEachNamed) {
  for (auto root : {"main", "off"}) {
    write(dir(root) / "shop-2026-11-19.dump", "nineteen");
    write(dir(root) / "shop-2026-11-20.dump", "twenty");
    write(dir(root) / "shop-2026-11-21.dump", "twenty-one");
    write(dir(root) / "shop-2026-11-18.dump/toc.dat", "toc");
    write(dir(root) / "other.txt", "not a backup");
  }
  auto c = shop(dir("main"));
  c.offsite = dir("off");
  auto same = compare_offsite(c, k_timeout);
  ASSERT_TRUE(same) << same.error().message;
  EXPECT_TRUE(same->findings.empty());
  EXPECT_EQ(same->files, 4u);

  fs::remove(dir("off/shop-2026-11-19.dump"));
  write(dir("off/shop-2026-11-20.dump"), "twenTy");
  write(dir("off/shop-2026-11-21.dump"), "twenty-");
  write(dir("off/shop-2026-11-18.dump/toc.dat"), "toc");
  write(dir("off/shop-2026-11-18.dump/extra.dat"), "x");
  write(dir("off/shop-2026-11-22.dump"), "new");
  write(dir("off/other.txt"), "changed but outside the pattern");
  auto diff = compare_offsite(c, k_timeout);
  ASSERT_TRUE(diff) << diff.error().message;
  auto texts = findings(reports::CheckResult{
      "offsite", "", Status::failed, "", "", "", Millis{0}, diff->findings, {}});
  ASSERT_EQ(texts.size(), 5u);
  EXPECT_EQ(texts[0], "shop-2026-11-18.dump/extra.dat: extra offsite");
  EXPECT_EQ(texts[1], "shop-2026-11-19.dump: missing offsite");
  // The digests are what `printf twenty | xxhsum -H2` prints, and twenTy's.
  EXPECT_EQ(texts[2],
            "shop-2026-11-20.dump: changed offsite: xxh3-128 1931b42c0e22fcd5c18f1991f2d8a40d "
            "here, 3e2b6ca57c346d178ceaed48af8f6eac offsite");
  EXPECT_EQ(texts[3], "shop-2026-11-21.dump: resized offsite: 10 bytes here, 7 offsite");
  EXPECT_EQ(texts[4], "shop-2026-11-22.dump: extra offsite");

  // check_timeout bounds the comparison: an error (exit 3), not a finding.
  auto late = compare_offsite(c, Millis{0});
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, Errc::timeout);
  EXPECT_EQ(late.error().message, "offsite comparison timed out after 0s (check_timeout)");
  auto drill = run_catalog_drill(c, k_now, Millis{0});
  EXPECT_EQ(check(drill, "offsite").status, Status::error);
  // So does SIGINT/SIGTERM.
  request_interrupt(SIGTERM);
  auto stopped = compare_offsite(c, k_timeout);
  clear_interrupt();
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code, Errc::interrupted);
  EXPECT_EQ(stopped.error().message, "interrupted while comparing the offsite copy");

  c.offsite = dir("nowhere");
  auto missing = compare_offsite(c, k_timeout);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "offsite directory not found: " + dir("nowhere").string());
}

TEST_F(CatalogDirs, MtimeModeReadsModificationTimes) {
  write(dir("main/shop-a.dump"), "a");
  fs::last_write_time(dir("main/shop-a.dump"),
                      fs::file_time_type::clock::from_sys(at("2026-11-20T02:00:00Z")));
  auto c = shop(dir("main"));
  c.time_from_mtime = true;
  c.name_time.clear();
  // A link is not followed in mtime mode either, even to a real backup:
  // it is an entries finding, not a second backup.
  fs::create_symlink("shop-a.dump", dir("main/shop-b.dump"));
  auto scanned = scan_catalog(c);
  ASSERT_TRUE(scanned);
  ASSERT_EQ(scanned->size(), 2u);
  EXPECT_EQ(format_timestamp(*(*scanned)[0].time), "2026-11-20T02:00:00Z");
  EXPECT_FALSE((*scanned)[1].time.has_value());
  EXPECT_EQ((*scanned)[1].problem, "symlink, not followed");
}

TEST_F(CatalogDirs, SymlinksAreFindingsNeverFollowed) {
  write(dir("main/2026/11/20/base.tar"), "a");
  write(dir("outside/11/21/secret"), "s");
  fs::create_directory_symlink("/", dir("main/2025"));
  fs::create_directory_symlink(dir("outside"), dir("main/2024"));
  fs::create_directory_symlink(dir("nowhere"), dir("main/2026/11/19"));  // dangling
  auto c = shop(dir("main"));
  c.pattern = "*/*/*";
  c.name_time = "%Y/%m/%d";
  auto scanned = scan_catalog(c);
  ASSERT_TRUE(scanned) << scanned.error().message;
  ASSERT_EQ(scanned->size(), 4u);
  EXPECT_EQ((*scanned)[0].rel, "2024");
  EXPECT_EQ((*scanned)[0].problem, "symlink, not followed");
  EXPECT_EQ((*scanned)[1].rel, "2025");
  EXPECT_EQ((*scanned)[1].problem, "symlink, not followed");
  EXPECT_EQ((*scanned)[2].rel, "2026/11/19");
  EXPECT_FALSE((*scanned)[2].time.has_value());
  EXPECT_EQ((*scanned)[2].problem, "symlink, not followed");
  EXPECT_EQ((*scanned)[3].rel, "2026/11/20");
  auto r = evaluate_catalog(c, *scanned, k_now);
  EXPECT_EQ(findings(check(r, "entries")),
            (std::vector<std::string>{"2024: symlink, not followed", "2025: symlink, not followed",
                                      "2026/11/19: symlink, not followed"}));
  EXPECT_EQ(check(r, "max_age").observed, "1d16h old (2026/11/20, 2026-11-20T00:00:00Z)");
}

TEST_F(CatalogDirs, EmptyFilesAreFindingsNotBackups) {
  write(dir("main/shop-2026-11-20.dump"), "a");
  write(dir("main/shop-2026-11-21.dump"), "");
  auto scanned = scan_catalog(shop(dir("main")));
  ASSERT_TRUE(scanned) << scanned.error().message;
  ASSERT_EQ(scanned->size(), 2u);
  EXPECT_EQ((*scanned)[1].problem, "empty file (0 bytes)");
  EXPECT_FALSE((*scanned)[1].time.has_value());
}

TEST_F(CatalogDirs, OffsiteNeverFollowsLinks) {
  write(dir("outside/big.bin"), "outside the catalog");
  for (auto root : {"main", "off"}) {
    write(dir(root) / "shop-2026-11-20.dump/toc.dat", "toc");
    write(dir(root) / "shop-2026-11-21.dump", "twenty-one");
  }
  // Here a link into the outside tree inside a backup and a link as a
  // backup; offsite the same names are a file and a different link.
  fs::create_directory_symlink(dir("outside"), dir("main/shop-2026-11-20.dump/more"));
  fs::create_symlink("shop-2026-11-21.dump", dir("main/shop-2026-11-22.dump"));
  write(dir("off/shop-2026-11-20.dump/more"), "a file");
  fs::create_symlink("elsewhere", dir("off/shop-2026-11-22.dump"));
  fs::create_symlink("/", dir("off/shop-2026-11-23.dump"));
  auto c = shop(dir("main"));
  c.offsite = dir("off");
  auto diff = compare_offsite(c, k_timeout);
  ASSERT_TRUE(diff) << diff.error().message;
  auto texts = findings(reports::CheckResult{
      "offsite", "", Status::failed, "", "", "", Millis{0}, diff->findings, {}});
  EXPECT_EQ(texts, (std::vector<std::string>{
                       "shop-2026-11-20.dump/more: type differs: symlink here, file offsite",
                       "shop-2026-11-22.dump: resized offsite: 20 bytes here, 9 offsite",
                       "shop-2026-11-23.dump: extra offsite"}));
  EXPECT_EQ(diff->files, 2u);
  EXPECT_EQ(diff->bytes, 13u);
}

}  // namespace
}  // namespace dp::drills
