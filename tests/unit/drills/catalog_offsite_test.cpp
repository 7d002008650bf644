// The streamed offsite comparison on real directories in a TempDir: 20,000
// files compared with a bounded number of entries held, and the negative
// controls of the merge: a file that is a directory on the other side, a
// file that vanishes or grows between the walk and the hashing, and a
// resized pair that is never read.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>

#include "drills/catalog_drill.hpp"
#include "drills/catalog_offsite_stream.hpp"
#include "verifier/core/signals.hpp"
#include "verifier/core/temp_dir.hpp"

namespace dp::drills {
namespace {

namespace fs = std::filesystem;

const Millis k_timeout{300'000};

class OffsiteDirs : public ::testing::Test {
 protected:
  void SetUp() override { m_dir.emplace(TempDir::create("dp-offsite-unit-").value()); }
  void TearDown() override {
    if (HasFailure()) m_dir->keep();
  }
  fs::path dir(std::string_view sub) const { return m_dir->path() / sub; }
  static void write(const fs::path& file, std::string_view text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
  }
  config::CatalogConfig catalog() const {
    config::CatalogConfig c;
    c.name = "shop";
    c.path = dir("main");
    c.pattern = "shop-*.dump";
    c.name_time = "%Y-%m-%d";
    c.offsite = dir("off");
    return c;
  }
  static std::vector<std::string> texts(const OffsiteReport& r) {
    std::vector<std::string> out;
    for (const auto& f : r.findings) out.push_back(f.target + ": " + f.message);
    return out;
  }
  std::optional<TempDir> m_dir;
};

TEST_F(OffsiteDirs, TwentyThousandFilesWithBoundedMemory) {
  // 20 backups of 10 folders of 100 files: 20,000 files a side.
  std::uint64_t bytes = 0;
  for (int b = 1; b <= 20; ++b)
    for (int d = 0; d < 10; ++d)
      for (int f = 0; f < 100; ++f) {
        std::string text = fmt::format("backup {} folder {} file {:03}\n", b, d, f);
        bytes += text.size();
        write(dir("main") / fmt::format("shop-2026-11-{:02}.dump/d{}/f{:03}", b, d, f), text);
      }
  fs::copy(dir("main"), dir("off"), fs::copy_options::recursive);
  OffsiteOptions options;
  options.threads = 2;
  auto same = compare_offsite(catalog(), k_timeout, options);
  ASSERT_TRUE(same) << same.error().message;
  EXPECT_TRUE(same->findings.empty());
  EXPECT_EQ(same->files, 20'000u);
  EXPECT_EQ(same->bytes, bytes);
  // The memory bound: the walks and the hashing hold at most a few thousand
  // entries, whatever the count of files; a map of both trees held 40,000.
  RecordProperty("peak_held", static_cast<int>(same->peak_held));
  EXPECT_GE(same->peak_held, OffsiteStream::k_batch);
  EXPECT_LE(same->peak_held, offsite_held_bound(2));
  EXPECT_LT(offsite_held_bound(2), 4'000u);

  // One of each difference, spread over the tree. The digests are what
  // `printf 'backup 12 folder 0 file 000\n' | xxhsum -H2` prints, and 00!'s.
  fs::remove(dir("off/shop-2026-11-03.dump/d4/f050"));
  write(dir("off/shop-2026-11-07.dump/d9/f100"), "extra\n");
  write(dir("off/shop-2026-11-12.dump/d0/f000"), "backup 12 folder 0 file 00!\n");
  write(dir("off/shop-2026-11-12.dump/d0/f001"), "backup 12 folder 0 file 001 and more\n");
  write(dir("off/shop-2026-11-21.dump"), "a whole new backup\n");
  auto diff = compare_offsite(catalog(), k_timeout, options);
  ASSERT_TRUE(diff) << diff.error().message;
  EXPECT_EQ(texts(*diff),
            (std::vector<std::string>{
                "shop-2026-11-03.dump/d4/f050: missing offsite",
                "shop-2026-11-07.dump/d9/f100: extra offsite",
                "shop-2026-11-12.dump/d0/f000: changed offsite: xxh3-128 "
                "ad5d08e77e744f354281e0d8fd7c078d here, fdaed907dc5c9a11e54a25e6e29ba75a offsite",
                "shop-2026-11-12.dump/d0/f001: resized offsite: 28 bytes here, 37 offsite",
                "shop-2026-11-21.dump: extra offsite"}));
  EXPECT_EQ(diff->files, 19'997u);

  // SIGTERM a thousand pairs in: both walks are stopped while their queues
  // are full (the walkers wait for room) and the comparison ends at once.
  int pairs = 0;
  options.before_hash = [&](const std::string&) {
    if (++pairs == 1000) request_interrupt(SIGTERM);
  };
  auto stopped = compare_offsite(catalog(), k_timeout, options);
  clear_interrupt();
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code, Errc::interrupted);
  EXPECT_EQ(stopped.error().message, "interrupted while comparing the offsite copy");
  EXPECT_EQ(pairs, 1000);
}

TEST_F(OffsiteDirs, FileOnOneSideDirectoryOnTheOther) {
  // As a backup (the pattern's entry) and as a folder inside one.
  write(dir("main/shop-2026-11-20.dump"), "a dump file");
  write(dir("off/shop-2026-11-20.dump/toc.dat"), "toc");
  write(dir("off/shop-2026-11-20.dump/1.dat"), "one");
  write(dir("main/shop-2026-11-21.dump/sub/a"), "a");
  write(dir("main/shop-2026-11-21.dump/sub/b"), "b");
  write(dir("main/shop-2026-11-21.dump/sub-1"), "c");
  write(dir("off/shop-2026-11-21.dump/sub"), "a file");
  write(dir("off/shop-2026-11-21.dump/sub-1"), "c");
  auto diff = compare_offsite(catalog(), k_timeout);
  ASSERT_TRUE(diff) << diff.error().message;
  EXPECT_EQ(texts(*diff), (std::vector<std::string>{
                              "shop-2026-11-20.dump: missing offsite",
                              "shop-2026-11-20.dump/1.dat: extra offsite",
                              "shop-2026-11-20.dump/toc.dat: extra offsite",
                              "shop-2026-11-21.dump/sub: extra offsite",
                              "shop-2026-11-21.dump/sub/a: missing offsite",
                              "shop-2026-11-21.dump/sub/b: missing offsite",
                          }));
  EXPECT_EQ(diff->files, 1u);  // sub-1
}

TEST_F(OffsiteDirs, ChangesBetweenTheWalkAndTheHashing) {
  for (auto root : {"main", "off"}) {
    write(dir(root) / "shop-2026-11-19.dump", "nineteen");
    write(dir(root) / "shop-2026-11-20.dump", "twenty");
    write(dir(root) / "shop-2026-11-21.dump", "twenty-one");
  }
  write(dir("off/shop-2026-11-22.dump"), "twenty-two, longer offsite");
  write(dir("main/shop-2026-11-22.dump"), "twenty-two");
  std::vector<std::string> hashed;
  OffsiteOptions options;
  options.before_hash = [&](const std::string& rel) {
    hashed.push_back(rel);
    if (rel == "shop-2026-11-20.dump") fs::remove(dir("off") / rel);
    if (rel == "shop-2026-11-21.dump") write(dir("off") / rel, "twenty-one+");
  };
  auto diff = compare_offsite(catalog(), k_timeout, options);
  ASSERT_TRUE(diff) << diff.error().message;
  EXPECT_EQ(texts(*diff),
            (std::vector<std::string>{
                fmt::format("shop-2026-11-20.dump: unreadable offsite: {}: cannot open: No such "
                            "file or directory",
                            dir("off/shop-2026-11-20.dump").string()),
                "shop-2026-11-21.dump: resized offsite: 10 bytes here, 11 offsite",
                "shop-2026-11-22.dump: resized offsite: 10 bytes here, 26 offsite"}));
  // Sizes that differ in the listing are reported without reading either copy.
  EXPECT_EQ(hashed, (std::vector<std::string>{"shop-2026-11-19.dump", "shop-2026-11-20.dump",
                                              "shop-2026-11-21.dump"}));
  EXPECT_EQ(diff->files, 1u);

  // A file here that vanishes makes the comparison untestable, not failed.
  write(dir("off/shop-2026-11-20.dump"), "twenty");
  write(dir("off/shop-2026-11-21.dump"), "twenty-one");
  options.before_hash = [&](const std::string& rel) {
    if (rel == "shop-2026-11-20.dump") fs::remove(dir("main") / rel);
  };
  auto gone = compare_offsite(catalog(), k_timeout, options);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, Errc::io);
  EXPECT_EQ(gone.error().message,
            fmt::format("unreadable here: {}: cannot open: No such file or directory",
                        dir("main/shop-2026-11-20.dump").string()));
}

TEST_F(OffsiteDirs, AnUnlistableTreeIsAnErrorNamingItsSide) {
  write(dir("off/shop-2026-11-20.dump"), "x");
  auto c = catalog();
  c.path = dir("nowhere");
  auto failed = compare_offsite(c, k_timeout);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, Errc::io);
  EXPECT_EQ(
      failed.error().message.rfind("catalog: " + dir("nowhere").string() + ": cannot list:", 0), 0u)
      << failed.error().message;
}

}  // namespace
}  // namespace dp::drills
