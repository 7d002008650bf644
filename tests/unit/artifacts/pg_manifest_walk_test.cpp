// Hostile trees and manifests for the backup_manifest verifier: symlink
// loops end with one finding each instead of 2^64 walks, and a WAL range
// with a crafted End-LSN is checked against pg_wal/'s listing, runs of
// missing segments collapsed into one finding.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "verifier/artifacts/pg_manifest.hpp"
#include "verifier/artifacts/pg_wal.hpp"
#include "verifier/core/sha256.hpp"
#include "verifier/core/temp_dir.hpp"

namespace dp::artifacts {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

TEST(PgManifestWalk, SymlinkLoopsEndWithAnUnreadableFinding) {
  auto dir = TempDir::create("dp-pgwalk-");
  ASSERT_TRUE(dir) << dir.error().message;
  fs::path root = dir->path() / "backup";
  write_file(root / "PG_VERSION", "15\n");
  std::string body =
      "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [\n"
      "{ \"Path\": \"PG_VERSION\", \"Size\": 3, \"Last-Modified\": \"2026-11-21 10:00:00 GMT\" "
      "}\n],\n\"WAL-Ranges\": [\n],\n";
  write_file(dir->path() / "backup_manifest",
             body + "\"Manifest-Checksum\": \"" + sha256_hex(body) + "\"}\n");
  // Two links back to the top: without a visited set every level doubles.
  fs::create_directory_symlink(".", root / "a");
  fs::create_directory_symlink(".", root / "b");
  auto r = verify_pg_manifest(root, dir->path() / "backup_manifest", {});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->findings.size(), 2u);
  EXPECT_EQ(r->findings[0].kind, FindingKind::unreadable);
  EXPECT_EQ(r->findings[0].path, "a");
  EXPECT_EQ(r->findings[0].message,
            "a: directory already walked by another path (a symbolic link loop?)");
  EXPECT_EQ(r->findings[1].kind, FindingKind::unreadable);
  EXPECT_EQ(r->findings[1].message,
            "b: directory already walked by another path (a symbolic link loop?)");
  EXPECT_EQ(r->files_checked, 1u);
}

TEST(PgManifestWalk, ControlCharactersInNamesAreEscaped) {
  auto dir = TempDir::create("dp-pgwalk-");
  ASSERT_TRUE(dir) << dir.error().message;
  fs::path root = dir->path() / "backup";
  write_file(root / "evil\nwal: forged\x1b[2J", "x");
  std::string body =
      "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [\n],\n\"WAL-Ranges\": [\n],\n";
  write_file(dir->path() / "backup_manifest",
             body + "\"Manifest-Checksum\": \"" + sha256_hex(body) + "\"}\n");
  auto r = verify_pg_manifest(root, dir->path() / "backup_manifest", {});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_EQ(r->findings[0].kind, FindingKind::extra);
  EXPECT_EQ(r->findings[0].message, "evil\\nwal: forged\\x1b[2J: not in the manifest (1 bytes)");
}

// A crafted End-LSN near the top of the address space names 2^40 segments:
// one finding for the whole missing run, at once.
TEST(PgWalRange, HugeMissingRangeIsOneFinding) {
  auto dir = TempDir::create("dp-pgwal-");
  ASSERT_TRUE(dir) << dir.error().message;
  fs::create_directories(dir->path() / "pg_wal");
  auto found = check_pg_wal(dir->path(), {PgWalRange{1, 0x2000028ull, 0xFFFFFFFF00000000ull}});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, FindingKind::wal);
  EXPECT_EQ(found[0].path, "pg_wal/000000010000000000000002");
  EXPECT_EQ(found[0].message,
            "pg_wal/000000010000000000000002 .. pg_wal/00000001FFFFFFFE000000FF: needed for WAL "
            "range 0/2000028-FFFFFFFF/0 on timeline 1: 1099511627518 segments missing");
}

// Segments 2..6 needed, only 4 present (and short): two missing runs around
// it, each one finding, and the short segment its own.
TEST(PgWalRange, MissingRunsAroundAPresentSegment) {
  auto dir = TempDir::create("dp-pgwal-");
  ASSERT_TRUE(dir) << dir.error().message;
  write_file(dir->path() / "pg_wal/000000010000000000000004", "short");
  write_file(dir->path() / "pg_wal/000000020000000000000003", "other timeline");
  auto found = check_pg_wal(dir->path(), {PgWalRange{1, 0x2000000ull, 0x6000010ull}});
  const std::string range = "needed for WAL range 0/2000000-0/6000010 on timeline 1";
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].message,
            "pg_wal/000000010000000000000002 .. "
            "pg_wal/000000010000000000000003: " +
                range + ": 2 segments missing");
  EXPECT_EQ(found[1].message,
            "pg_wal/000000010000000000000004: " + range + ": 5 bytes, a segment is 16777216");
  EXPECT_EQ(found[2].message,
            "pg_wal/000000010000000000000005 .. "
            "pg_wal/000000010000000000000006: " +
                range + ": 2 segments missing");
  // A single missing segment keeps the one-segment wording.
  found = check_pg_wal(dir->path(), {PgWalRange{1, 0x5000000ull, 0x5000010ull}});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].message,
            "pg_wal/000000010000000000000005: needed for WAL range 0/5000000-0/5000010 on "
            "timeline 1: missing");
}

// A tar-format base backup's manifest describes the archives' contents:
// refused with a hint, not reported as every file missing.
TEST(PgManifestWalk, TarFormatBackupIsRefusedWithAHint) {
  auto dir = TempDir::create("dp-pgwalk-");
  ASSERT_TRUE(dir) << dir.error().message;
  write_file(dir->path() / "base.tar", "not really");
  write_file(dir->path() / "backup_manifest", "{}\n");
  auto r = verify_pg_manifest(dir->path(), dir->path() / "backup_manifest", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_input);
  EXPECT_EQ(r.error().message,
            dir->path().string() +
                ": a tar-format base backup (base.tar); its backup_manifest describes the files "
                "inside the archives, and only a plain-format directory is verified here\nhint: "
                "`drillproof run` verifies a tar base backup on an extracted copy; or extract "
                "base.tar (and pg_wal.tar into pg_wal/) to a directory and verify that");
}

}  // namespace
}  // namespace dp::artifacts
