// backup_manifest parsing (PostgreSQL's rules, an error naming what is wrong
// for each malformed case) and verification of temporary trees: a clean
// pass, and one damaged copy per finding, each asserting the exact finding.
// Real pg_basebackup directories are compared with pg_verifybackup in
// tests/integration/pg_manifest_test.cpp.
#include "verifier/artifacts/pg_manifest.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "verifier/artifacts/crc32c.hpp"
#include "verifier/artifacts/pg_file_hasher.hpp"
#include "verifier/artifacts/pg_manifest_parse.hpp"
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

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The layout pg_basebackup writes: one file per line, the checksum line last.
std::string with_checksum(std::string body) {
  return body + "\"Manifest-Checksum\": \"" + sha256_hex(body) + "\"}\n";
}

std::string manifest_text(const std::vector<std::string>& file_lines,
                          const std::string& wal_lines = "", const std::string& head = "") {
  std::string body = "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n" + head + "\"Files\": [\n";
  for (std::size_t i = 0; i < file_lines.size(); ++i)
    body += file_lines[i] + (i + 1 < file_lines.size() ? ",\n" : "\n");
  body += "],\n\"WAL-Ranges\": [\n" + wal_lines + "],\n";
  return with_checksum(body);
}

Result<PgManifest> parse(const std::string& text) { return parse_pg_manifest(text, "bm"); }

std::string parse_error(const std::string& text) {
  auto m = parse(text);
  EXPECT_FALSE(m) << text;
  if (m) return "";
  EXPECT_EQ(m.error().code, Errc::invalid_input);
  return m.error().message;
}

TEST(PgManifestParse, ReadsFilesWalRangesAndChecksum) {
  auto m = parse(manifest_text(
      {R"({ "Path": "PG_VERSION", "Size": 3, "Last-Modified": "2026-11-21 10:00:00 GMT", "Checksum-Algorithm": "CRC32C", "Checksum": "0A0b0c0d" })",
       R"({ "Encoded-Path": "612f62", "Size": 0 })"},
      R"({ "Timeline": 1, "Start-LSN": "0/2000028", "End-LSN": "1/A0000100" })"
      "\n"));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->version, 1);
  ASSERT_EQ(m->files.size(), 2u);
  EXPECT_EQ(m->files[0].path, "PG_VERSION");
  EXPECT_EQ(m->files[0].type, PgChecksumType::crc32c);
  EXPECT_EQ(bytes_to_hex(m->files[0].checksum), "0a0b0c0d");
  EXPECT_EQ(m->files[1].path, "a/b");  // hex Encoded-Path decoded
  EXPECT_EQ(m->files[1].type, PgChecksumType::none);
  ASSERT_EQ(m->wal_ranges.size(), 1u);
  EXPECT_EQ(m->wal_ranges[0].start_lsn, 0x2000028u);
  EXPECT_EQ(m->wal_ranges[0].end_lsn, 0x1A0000100u);
  EXPECT_TRUE(m->checksum_matches());
}

TEST(PgManifestParse, Version2WithSystemIdentifier) {
  auto m =
      parse(with_checksum("{ \"PostgreSQL-Backup-Manifest-Version\": 2,\n\"System-Identifier\": "
                          "7440000000000000001,\n\"Files\": [\n],\n"));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->version, 2);
  EXPECT_EQ(m->system_identifier, 7440000000000000001u);
}

TEST(PgManifestParse, MalformedManifestsNameWhatIsWrong) {
  EXPECT_EQ(parse_error("{ \"Files\": [] }\n\n"),
            "bm: could not parse backup manifest: expected version indicator "
            "\"PostgreSQL-Backup-Manifest-Version\" as the first key, found \"Files\"");
  EXPECT_EQ(parse_error(with_checksum("{ \"PostgreSQL-Backup-Manifest-Version\": 3,\n")),
            "bm: could not parse backup manifest: unexpected manifest version 3 (1 and 2 are "
            "known)");
  EXPECT_EQ(parse_error(manifest_text({R"({ "Path": "x" })"})),
            "bm: could not parse backup manifest: Files[0] (\"x\"): missing size");
  EXPECT_EQ(parse_error(manifest_text({R"({ "Path": "a", "Size": 1 })",
                                       R"({ "Path": "x", "Encoded-Path": "78", "Size": 1 })"})),
            "bm: could not parse backup manifest: Files[1] (\"x\"): both path name and encoded "
            "path name");
  EXPECT_EQ(parse_error(manifest_text({R"({ "Encoded-Path": "7g", "Size": 1 })"})),
            "bm: could not parse backup manifest: Files[0]: could not decode file name \"7g\"");
  EXPECT_EQ(parse_error(manifest_text({R"({ "Path": "x", "Size": 1, "Mode": 420 })"})),
            "bm: could not parse backup manifest: Files[0] (\"x\"): unexpected file field "
            "\"Mode\"");
  EXPECT_EQ(parse_error(manifest_text({R"({ "Path": "x", "Size": 1, "Checksum": "00" })"})),
            "bm: could not parse backup manifest: Files[0] (\"x\"): checksum without algorithm");
  EXPECT_EQ(parse_error(manifest_text(
                {R"({ "Path": "x", "Size": 1, "Checksum-Algorithm": "MD5", "Checksum": "00" })"})),
            "bm: could not parse backup manifest: Files[0] (\"x\"): unrecognized checksum "
            "algorithm: \"MD5\"");
  EXPECT_EQ(parse_error(manifest_text({R"({ "Path": "x", "Size": -1 })"})),
            "bm: could not parse backup manifest: Files[0] (\"x\"): file size is not an integer");
  EXPECT_EQ(parse_error(
                manifest_text({R"({ "Path": "x", "Size": 1 })", R"({ "Path": "x", "Size": 1 })"})),
            "bm: duplicate path name in backup manifest: \"x\"");
  EXPECT_EQ(parse_error(manifest_text({}, R"({ "Timeline": 1, "Start-LSN": "0/1" })"
                                          "\n")),
            "bm: could not parse backup manifest: WAL-Ranges[0]: missing end LSN");
  EXPECT_EQ(parse_error(manifest_text({}, "", "\"Tablespaces\": [],\n")),
            "bm: could not parse backup manifest: unrecognized top-level field \"Tablespaces\"");
  std::string good = manifest_text({});
  EXPECT_EQ(parse_error(good.substr(0, good.size() - 1)),
            "bm: could not parse backup manifest: last line not newline-terminated");
  std::string bad_sum = good;
  bad_sum.replace(bad_sum.find("Checksum\": \"") + 12, 2, "zz");
  EXPECT_NE(parse_error(bad_sum).find("invalid manifest checksum: \"zz"), std::string::npos);
  // A JSON syntax error carries its line and column.
  EXPECT_EQ(parse_error("{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [ x\n"),
            "bm: could not parse backup manifest: parse error at line 2, column 12: syntax error "
            "while parsing value - invalid literal; last read: '\"Files\": [ x'");
}

TEST(PgManifestParse, EditedManifestParsesButItsChecksumDoesNotMatch) {
  std::string text = manifest_text({R"({ "Path": "x", "Size": 1 })"});
  text.replace(text.find("\"Size\": 1"), 9, "\"Size\": 2");
  auto m = parse(text);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_FALSE(m->checksum_matches());
}

TEST(PgManifestSniff, RecognisesBackupManifestOnly) {
  auto dir = TempDir::create("dp-pgm-");
  ASSERT_TRUE(dir);
  write_file(dir->path() / "bm", manifest_text({}));
  write_file(dir->path() / "dp", "# drillproof manifest v1 xxh3-128\n");
  write_file(dir->path() / "other", "{ \"a\": 1 }\n");
  EXPECT_TRUE(*is_pg_backup_manifest(dir->path() / "bm"));
  EXPECT_FALSE(*is_pg_backup_manifest(dir->path() / "dp"));
  EXPECT_FALSE(*is_pg_backup_manifest(dir->path() / "other"));
  auto missing = is_pg_backup_manifest(dir->path() / "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_found);
}

std::string crc_hex(const std::string& data) {
  return bytes_to_hex(crc32c_bytes(crc32c_extend(0, data.data(), data.size())));
}

std::string file_line(const std::string& path, const std::string& data,
                      const std::string& algorithm = "CRC32C") {
  std::string sum;
  if (algorithm == "CRC32C") sum = crc_hex(data);
  if (algorithm == "SHA256") sum = sha256_hex(data);
  std::string line = "{ \"Path\": \"" + path + "\", \"Size\": " + std::to_string(data.size()) +
                     ", \"Last-Modified\": \"2026-11-21 10:00:00 GMT\"";
  if (algorithm != "NONE")
    line += ", \"Checksum-Algorithm\": \"" + algorithm + "\", \"Checksum\": \"" + sum + "\"";
  return line + " }";
}

// A 16 MiB WAL segment whose first page is the long header of segment `segno`.
std::string wal_segment(std::uint64_t segno) {
  std::string seg(16 << 20, '\0');
  std::uint16_t magic = 0xD110, info = 0x0002;
  std::uint32_t tli = 1, seg_size = 16 << 20, blcksz = 8192;
  std::uint64_t pageaddr = segno * (16 << 20);
  std::memcpy(seg.data(), &magic, 2);
  std::memcpy(seg.data() + 2, &info, 2);
  std::memcpy(seg.data() + 4, &tli, 4);
  std::memcpy(seg.data() + 8, &pageaddr, 8);
  std::memcpy(seg.data() + 32, &seg_size, 4);
  std::memcpy(seg.data() + 36, &blcksz, 4);
  return seg;
}

class PgVerify : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("dp-pgm-");
    ASSERT_TRUE(dir) << dir.error().message;
    m_dir.emplace(std::move(*dir));
    // Two pieces and a bit, so the CRC of a large file is combined from threads.
    m_large = std::string(2 * k_piece + 12345, 'L');
    for (std::size_t i = 0; i < m_large.size(); i += 4096) m_large[i] = static_cast<char>(i >> 12);
    m_files = {{"PG_VERSION", "15\n", "CRC32C"},
               {"base/1/1259", std::string(8192, 'p'), "CRC32C"},
               {"base/1/16384", m_large, "CRC32C"},
               {"global/pg_control", std::string(8192, 'c'), "SHA256"},
               {"pg_xact/0000", std::string(8192, 'x'), "NONE"}};
    for (const auto& f : m_files) write_file(root() / f.path, f.data);
    write_file(root() / "pg_wal/000000010000000000000002", wal_segment(2));
    write_file(root() / "postgresql.auto.conf", "# changed by pg_basebackup -R\n");
    write_manifest();
  }
  void TearDown() override {
    if (HasFailure()) m_dir->keep();
  }
  void write_manifest() {
    std::vector<std::string> lines;
    for (const auto& f : m_files) lines.push_back(file_line(f.path, f.data, f.algorithm));
    lines.push_back(file_line("postgresql.auto.conf", "original\n"));
    write_file(manifest(),
               manifest_text(
                   lines, R"({ "Timeline": 1, "Start-LSN": "0/2000028", "End-LSN": "0/2000100" })"
                          "\n"));
  }
  fs::path root() const { return m_dir->path() / "backup"; }
  fs::path manifest() const { return root() / "backup_manifest"; }
  VerifyReport verify(unsigned threads = 2) {
    // Synthetic segments: records are parsed in pg_wal_parse_test.cpp and the
    // integration test, not here.
    PgWalParseOptions no_parse;
    no_parse.enabled = false;
    auto r = verify_pg_manifest(root(), manifest(), {threads, {}}, no_parse);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : VerifyReport{};
  }
  void expect_only(FindingKind kind, const std::string& path, const std::string& message) {
    auto report = verify();
    ASSERT_EQ(report.findings.size(), 1u);
    EXPECT_EQ(report.findings[0].kind, kind);
    EXPECT_EQ(report.findings[0].path, path);
    EXPECT_EQ(report.findings[0].message, message);
  }

  struct File {
    std::string path, data, algorithm;
  };
  std::optional<TempDir> m_dir;
  std::string m_large;
  std::vector<File> m_files;
};

TEST_F(PgVerify, CleanBackupPassesIgnoringWhatPgVerifybackupIgnores) {
  for (unsigned threads : {1u, 2u, 5u}) {
    auto report = verify(threads);
    EXPECT_TRUE(report.ok()) << report.findings[0].message;
    EXPECT_EQ(report.files_checked, 5u);
    EXPECT_EQ(report.format, ManifestFormat::pg_backup);
    EXPECT_EQ(report.algorithm_label, "NONE, CRC32C, SHA256");
  }
}

TEST_F(PgVerify, FlippedByteInASmallFile) {
  std::string data = read_file(root() / "base/1/1259");
  data[100] ^= 1;
  write_file(root() / "base/1/1259", data);
  expect_only(FindingKind::changed, "base/1/1259",
              "base/1/1259: CRC32C " + crc_hex(data) + ", manifest says " +
                  crc_hex(std::string(8192, 'p')));
}

TEST_F(PgVerify, FlippedByteInTheSecondPieceOfALargeFile) {
  std::string data = m_large;
  data[k_piece + 7] ^= 0x40;
  write_file(root() / "base/1/16384", data);
  expect_only(FindingKind::changed, "base/1/16384",
              "base/1/16384: CRC32C " + crc_hex(data) + ", manifest says " + crc_hex(m_large));
}

TEST_F(PgVerify, FlippedByteInAShaFile) {
  std::string data(8192, 'c');
  data[0] = 'd';
  write_file(root() / "global/pg_control", data);
  expect_only(FindingKind::changed, "global/pg_control",
              "global/pg_control: SHA256 " + sha256_hex(data) + ", manifest says " +
                  sha256_hex(std::string(8192, 'c')));
}

TEST_F(PgVerify, TruncatedFile) {
  fs::resize_file(root() / "base/1/16384", k_piece);
  expect_only(FindingKind::resized, "base/1/16384",
              "base/1/16384: " + std::to_string(k_piece) + " bytes, manifest says " +
                  std::to_string(m_large.size()));
}

TEST_F(PgVerify, DeletedFile) {
  fs::remove(root() / "base/1/1259");
  expect_only(FindingKind::missing, "base/1/1259", "base/1/1259: in the manifest, not in the tree");
}

TEST_F(PgVerify, ExtraFile) {
  write_file(root() / "base/1/99999", "new");
  expect_only(FindingKind::extra, "base/1/99999", "base/1/99999: not in the manifest (3 bytes)");
}

TEST_F(PgVerify, EditedManifest) {
  std::string text = read_file(manifest());
  text.replace(text.find("\"Size\": 3"), 9, "\"Size\": 4");
  write_file(manifest(), text);
  auto report = verify();
  ASSERT_EQ(report.findings.size(), 2u);
  // The edited entry no longer matches either; both are reported (the
  // manifest's own finding sorts by its full path, first here).
  EXPECT_EQ(report.findings[1].kind, FindingKind::resized);
  EXPECT_EQ(report.findings[1].message, "PG_VERSION: 3 bytes, manifest says 4");
  EXPECT_EQ(report.findings[0].kind, FindingKind::manifest_digest);
  std::string part = text.substr(0, text.rfind('\n', text.size() - 2) + 1);
  std::string recorded = text.substr(text.rfind("\"Manifest-Checksum\": \"") + 22, 64);
  EXPECT_EQ(report.findings[0].message, manifest().string() + ": content digests to SHA-256 " +
                                            sha256_hex(part) + ", its Manifest-Checksum says " +
                                            recorded + ": the manifest was edited or is stale");
}

TEST_F(PgVerify, MissingWalSegment) {
  fs::remove(root() / "pg_wal/000000010000000000000002");
  expect_only(FindingKind::wal, "pg_wal/000000010000000000000002",
              "pg_wal/000000010000000000000002: needed for WAL range 0/2000028-0/2000100 on "
              "timeline 1: missing");
}

TEST_F(PgVerify, TruncatedWalSegment) {
  fs::resize_file(root() / "pg_wal/000000010000000000000002", 1 << 20);
  expect_only(FindingKind::wal, "pg_wal/000000010000000000000002",
              "pg_wal/000000010000000000000002: needed for WAL range 0/2000028-0/2000100 on "
              "timeline 1: 1048576 bytes, a segment is 16777216");
}

TEST_F(PgVerify, SystemIdentifierOfAVersion2Manifest) {
  std::uint64_t id = 7440000000000000001u;
  std::string control(8192, 'c');
  std::memcpy(control.data(), &id, 8);
  write_file(root() / "global/pg_control", control);
  std::string body =
      "{ \"PostgreSQL-Backup-Manifest-Version\": 2,\n\"System-Identifier\": 7440000000000000002,\n"
      "\"Files\": [\n" +
      file_line("global/pg_control", control) + "\n],\n";
  write_file(manifest(), with_checksum(body));
  auto report = verify();
  ASSERT_EQ(report.findings.size(), 5u);  // the other files are extra now
  bool found = false;
  for (const auto& f : report.findings)
    if (f.path == "global/pg_control") {
      found = true;
      EXPECT_EQ(f.kind, FindingKind::changed);
      EXPECT_EQ(f.message,
                "global/pg_control: system identifier 7440000000000000001, manifest says "
                "7440000000000000002");
    }
  EXPECT_TRUE(found);
}

TEST_F(PgVerify, MalformedManifestIsAnErrorBeforeAnyFileIsRead) {
  write_file(manifest(), "{ \"PostgreSQL-Backup-Manifest-Version\": 1, \"Files\": [ { } ] }\n\n");
  auto r = verify_pg_manifest(root(), manifest(), {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_input);
  EXPECT_EQ(r.error().message,
            manifest().string() + ": could not parse backup manifest: Files[0]: missing path name");
}

TEST_F(PgVerify, TablespaceSymlinkIsFollowed) {
  // pg_basebackup -Fp with --tablespace-mapping leaves pg_tblspc/<oid> as a
  // symlink to the tablespace's new place; its files are in the manifest.
  fs::path outside = m_dir->path() / "tblspc";
  write_file(outside / "PG_15_202209061/5/16400", "tablespace data");
  fs::create_directories(root() / "pg_tblspc");
  fs::create_directory_symlink(outside, root() / "pg_tblspc/16399");
  m_files.push_back({"pg_tblspc/16399/PG_15_202209061/5/16400", "tablespace data", "CRC32C"});
  write_manifest();
  EXPECT_TRUE(verify().ok());
  write_file(outside / "PG_15_202209061/5/16400", "tablespace dat4");
  expect_only(FindingKind::changed, "pg_tblspc/16399/PG_15_202209061/5/16400",
              "pg_tblspc/16399/PG_15_202209061/5/16400: CRC32C " + crc_hex("tablespace dat4") +
                  ", manifest says " + crc_hex("tablespace data"));
}

TEST(PgWal, SegmentFileNames) {
  EXPECT_EQ(wal_file_name(1, 2, 16 << 20), "000000010000000000000002");
  EXPECT_EQ(wal_file_name(3, 0x1A5, 16 << 20), "0000000300000001000000A5");
  EXPECT_EQ(wal_file_name(1, 0x1005, 1 << 30), "000000010000040100000001");
}

}  // namespace
}  // namespace dp::artifacts
