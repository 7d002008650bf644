// Integration: a real pg_basebackup (plain format, WAL streamed) of a scratch
// source cluster, with CRC32C and with SHA256 manifests, verified by
// `drillproof manifest verify DIR DIR/backup_manifest` and by PostgreSQL's
// own pg_verifybackup on the same copies. Each damaged copy (flipped byte,
// truncated file, deleted file, extra file, edited manifest, stale manifest,
// missing WAL segment, a damaged WAL record) must give the same set of
// (kind, path) problems from both tools, and our exact finding text. The
// clean copy passes both. With --no-parse-wal / pg_verifybackup -n neither
// decodes WAL records.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <regex>
#include <set>

#include "tests/integration/source_pg.hpp"
#include "verifier/core/sha256.hpp"

namespace dp::test {
namespace {

using Problem = std::pair<std::string, std::string>;  // kind, path ("" for the manifest, WAL)

// CRC-32C bit by bit: an independent reference (pg_basebackup writes the
// four bytes little-endian, in hex).
std::string crc32c_hex(const std::string& bytes) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
  }
  crc ^= 0xFFFFFFFFu;
  return fmt::format("{:02x}{:02x}{:02x}{:02x}", crc & 0xFF, (crc >> 8) & 0xFF, (crc >> 16) & 0xFF,
                     crc >> 24);
}

class PgManifestVsPgVerifybackup : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_work = new TempDir(world_dir("dp-pgmv-"));
    std::string why;
    auto source = SourcePg::start(why, {"-c", "wal_level=replica", "-c", "max_wal_senders=4"});
    if (source) s_source = new SourcePg(std::move(*source));
    if (!s_source) {
      s_why = "PostgreSQL unavailable: " + why;
      return;
    }
    // About 45 MiB in one relation file: more than one 32 MiB piece, so
    // drillproof checksums it on two threads and combines the CRCs.
    std::string made = s_source->psql(
        "CREATE TABLE big (id int, pad text); INSERT INTO big SELECT g, repeat('x', 120) FROM "
        "generate_series(1, 300000) g; CHECKPOINT; SELECT pg_relation_filepath('big')");
    if (made.rfind("error", 0) == 0 || made.empty()) {
      s_why = "creating data failed: " + made;
      return;
    }
    s_big = made.substr(made.find_last_of('\n') + 1);
    for (const auto& [name, algo] : {std::pair{"crc", "CRC32C"}, std::pair{"sha", "SHA256"}}) {
      auto run = s_source->client(
          "pg_basebackup", {"-D", backup(name).string(), "-Fp", "-X", "stream", "--checkpoint=fast",
                            std::string("--manifest-checksums=") + algo});
      if (!run || !run->status.ok()) {
        s_why = fmt::format("pg_basebackup failed: {}", run ? run->err : run.error().message);
        return;
      }
    }
  }
  static void TearDownTestSuite() {
    delete s_source;
    delete s_work;
    s_source = nullptr;
    s_work = nullptr;
  }
  void SetUp() override {
    DP_REQUIRE_OR_SKIP(s_why.empty(), s_why);
    m_dir.emplace(world_dir("dp-pgmvcase-"));
  }
  void TearDown() override {
    if (HasFailure() && m_dir) m_dir->keep();
  }

  static fs::path backup(const std::string& name) { return s_work->path() / name; }
  fs::path copy_of(const std::string& name) {
    fs::path to = m_dir->path() / name;
    fs::copy(backup(name), to, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    return to;
  }
  static nlohmann::json manifest_entry(const fs::path& dir, const std::string& path) {
    auto m = nlohmann::json::parse(read_text(dir / "backup_manifest"));
    for (const auto& f : m["Files"])
      if (f.value("Path", "") == path) return f;
    return {};
  }

  struct Verdicts {
    int pg_exit = -1;
    std::string pg_err;
    std::set<Problem> pg;
    int dp_exit = -1;
    nlohmann::json dp_findings;
    std::set<Problem> dp;
  };

  // Runs both tools on `dir`; problems as (kind, path).
  Verdicts verify_both(const fs::path& dir, bool parse_wal = true) {
    Verdicts v;
    SpawnOptions o;
    o.argv = {(s_source->scratch().binaries().bindir / "pg_verifybackup").string(), dir.string()};
    if (!parse_wal) o.argv.push_back("-n");
    auto pg = run_captured(std::move(o), std::chrono::minutes(5));
    EXPECT_TRUE(pg) << pg.error().message;
    if (pg) {
      v.pg_exit = pg->status.code;
      v.pg_err = pg->err;
      v.pg = pg_problems(pg->err);
    }
    std::vector<std::string> args = {"manifest", "verify", dir.string(),
                                     (dir / "backup_manifest").string(), "--json"};
    if (!parse_wal) args.push_back("--no-parse-wal");
    auto dp = run_cli(args);
    v.dp_exit = dp.exit_code;
    auto out = nlohmann::json::parse(dp.out, nullptr, false);
    EXPECT_FALSE(out.is_discarded()) << dp.out << dp.err;
    if (!out.is_discarded()) {
      EXPECT_EQ(out["manifest_format"], "backup_manifest");
      v.dp_findings = out["findings"];
      for (const auto& f : v.dp_findings) {
        std::string kind = f["kind"];
        bool pathless = kind == "manifest_digest" || kind == "wal";
        v.dp.insert({kind, pathless ? "" : f["path"].get<std::string>()});
      }
    }
    return v;
  }

  // pg_verifybackup's messages (PostgreSQL 15), mapped to our kinds.
  static std::set<Problem> pg_problems(const std::string& err) {
    static const std::vector<std::pair<std::regex, std::string>> k_patterns = {
        {std::regex("\"(.*)\" is present on disk but not in the manifest"), "extra"},
        {std::regex("\"(.*)\" is present in the manifest but not on disk"), "missing"},
        {std::regex("\"(.*)\" has size [0-9]+ on disk but size [0-9]+ in the manifest"), "resized"},
        {std::regex("checksum mismatch for file \"(.*)\""), "changed"},
        {std::regex("manifest checksum mismatch()"), "manifest_digest"},
        {std::regex("WAL parsing failed for timeline [0-9]+()"), "wal"}};
    std::set<Problem> out;
    std::istringstream lines(err);
    for (std::string line; std::getline(lines, line);)
      for (const auto& [re, kind] : k_patterns)
        if (std::smatch m; std::regex_search(line, m, re)) out.insert({kind, m[1]});
    return out;
  }

  static SourcePg* s_source;
  static TempDir* s_work;
  static std::string s_why;
  static std::string s_big;
  std::optional<TempDir> m_dir;
};
SourcePg* PgManifestVsPgVerifybackup::s_source = nullptr;
TempDir* PgManifestVsPgVerifybackup::s_work = nullptr;
std::string PgManifestVsPgVerifybackup::s_why;
std::string PgManifestVsPgVerifybackup::s_big;

TEST_F(PgManifestVsPgVerifybackup, CleanCopiesPassBoth) {
  for (const char* name : {"crc", "sha"}) {
    auto v = verify_both(copy_of(name));
    EXPECT_EQ(v.pg_exit, 0) << v.pg_err;
    EXPECT_EQ(v.dp_exit, 0) << v.dp_findings.dump();
    EXPECT_TRUE(v.dp.empty());
  }
}

TEST_F(PgManifestVsPgVerifybackup, FlippedByteInASplitFile) {
  fs::path dir = copy_of("crc");
  std::string data = read_text(dir / s_big);
  ASSERT_GT(data.size(), 33u << 20);
  data[(32u << 20) + 100] ^= 0x01;  // in the second 32 MiB piece
  write_text(dir / s_big, data);
  auto v = verify_both(dir);
  EXPECT_EQ(v.pg, (std::set<Problem>{{"changed", s_big}})) << v.pg_err;
  EXPECT_EQ(v.dp, v.pg);
  EXPECT_EQ(v.dp_exit, 1);
  ASSERT_EQ(v.dp_findings.size(), 1u);
  EXPECT_EQ(v.dp_findings[0]["message"],
            fmt::format("{}: CRC32C {}, manifest says {}", s_big, crc32c_hex(data),
                        manifest_entry(dir, s_big)["Checksum"].get<std::string>()));
}

TEST_F(PgManifestVsPgVerifybackup, FlippedByteWithSha256Manifest) {
  fs::path dir = copy_of("sha");
  std::string data = read_text(dir / s_big);
  data[5000] = static_cast<char>(data[5000] ^ 0x40);
  write_text(dir / s_big, data);
  auto v = verify_both(dir);
  EXPECT_EQ(v.pg, (std::set<Problem>{{"changed", s_big}})) << v.pg_err;
  EXPECT_EQ(v.dp, v.pg);
  ASSERT_EQ(v.dp_findings.size(), 1u);
  EXPECT_EQ(v.dp_findings[0]["message"],
            fmt::format("{}: SHA256 {}, manifest says {}", s_big, sha256_hex(data),
                        manifest_entry(dir, s_big)["Checksum"].get<std::string>()));
}

TEST_F(PgManifestVsPgVerifybackup, TruncatedFile) {
  fs::path dir = copy_of("crc");
  std::uint64_t size = fs::file_size(dir / s_big);
  fs::resize_file(dir / s_big, 81920);
  auto v = verify_both(dir);
  EXPECT_EQ(v.pg, (std::set<Problem>{{"resized", s_big}})) << v.pg_err;
  EXPECT_EQ(v.dp, v.pg);
  ASSERT_EQ(v.dp_findings.size(), 1u);
  EXPECT_EQ(v.dp_findings[0]["message"],
            fmt::format("{}: 81920 bytes, manifest says {}", s_big, size));
}

TEST_F(PgManifestVsPgVerifybackup, DeletedFile) {
  fs::path dir = copy_of("crc");
  fs::remove(dir / "global/pg_filenode.map");
  auto v = verify_both(dir);
  EXPECT_EQ(v.pg, (std::set<Problem>{{"missing", "global/pg_filenode.map"}})) << v.pg_err;
  EXPECT_EQ(v.dp, v.pg);
  ASSERT_EQ(v.dp_findings.size(), 1u);
  EXPECT_EQ(v.dp_findings[0]["message"],
            "global/pg_filenode.map: in the manifest, not in the tree");
}

TEST_F(PgManifestVsPgVerifybackup, ExtraFileButNotInIgnoredPaths) {
  fs::path dir = copy_of("crc");
  write_text(dir / "base/1/99999", "not from the backup");
  // pg_basebackup -R writes these; both tools ignore them.
  write_text(dir / "standby.signal", "");
  write_text(dir / "postgresql.auto.conf", "primary_conninfo = 'x'\n");
  auto v = verify_both(dir);
  EXPECT_EQ(v.pg, (std::set<Problem>{{"extra", "base/1/99999"}})) << v.pg_err;
  EXPECT_EQ(v.dp, v.pg);
  ASSERT_EQ(v.dp_findings.size(), 1u);
  EXPECT_EQ(v.dp_findings[0]["message"], "base/1/99999: not in the manifest (19 bytes)");
}

TEST_F(PgManifestVsPgVerifybackup, EditedManifest) {
  fs::path dir = copy_of("crc");
  std::string text = read_text(dir / "backup_manifest");
  auto at = text.find("\"Last-Modified\": \"") + 18;
  text[at + 3] = text[at + 3] == '0' ? '1' : '0';  // the year: no file finding, only the checksum
  write_text(dir / "backup_manifest", text);
  auto v = verify_both(dir);
  EXPECT_EQ(v.pg, (std::set<Problem>{{"manifest_digest", ""}})) << v.pg_err;
  EXPECT_EQ(v.dp, v.pg);
  ASSERT_EQ(v.dp_findings.size(), 1u);
  std::string recorded = text.substr(text.rfind("\"Manifest-Checksum\": \"") + 22, 64);
  std::string message = v.dp_findings[0]["message"];
  std::string head = (dir / "backup_manifest").string() + ": content digests to SHA-256 ";
  EXPECT_EQ(message.substr(0, head.size()), head);
  EXPECT_EQ(message.substr(head.size() + 64),
            ", its Manifest-Checksum says " + recorded + ": the manifest was edited or is stale");
}

TEST_F(PgManifestVsPgVerifybackup, StaleManifestOfAnotherBackup) {
  fs::path dir = copy_of("crc");
  fs::copy_file(backup("sha") / "backup_manifest", dir / "backup_manifest",
                fs::copy_options::overwrite_existing);
  auto v = verify_both(dir);
  EXPECT_FALSE(v.pg.empty()) << v.pg_err;
  EXPECT_EQ(v.dp, v.pg) << v.pg_err << v.dp_findings.dump(1);
  EXPECT_TRUE(v.dp.count({"wal", ""})) << "the later backup's WAL is not in this one";
  EXPECT_EQ(v.dp_exit, 1);
}

TEST_F(PgManifestVsPgVerifybackup, MissingWalSegment) {
  fs::path dir = copy_of("crc");
  std::vector<fs::path> segments;
  for (const auto& e : fs::directory_iterator(dir / "pg_wal"))
    if (e.is_regular_file() && e.path().filename().string().size() == 24)
      segments.push_back(e.path());
  ASSERT_FALSE(segments.empty());
  std::sort(segments.begin(), segments.end());
  fs::remove(segments.front());
  auto v = verify_both(dir);
  EXPECT_EQ(v.pg, (std::set<Problem>{{"wal", ""}})) << v.pg_err;
  EXPECT_EQ(v.dp, v.pg);
  // Sorted by path: pg_waldump's failure ("pg_wal"), then the file check's.
  ASSERT_EQ(v.dp_findings.size(), 2u) << v.dp_findings.dump(1);
  ASSERT_EQ(segments.size(), 1u) << "the expected pg_waldump message assumes one segment";
  EXPECT_EQ(v.dp_findings[0]["path"], "pg_wal");
  EXPECT_EQ(v.dp_findings[0]["message"],
            "WAL parsing failed for timeline 1: pg_waldump: error: could not find any WAL file");
  std::string rel = "pg_wal/" + segments.front().filename().string();
  EXPECT_EQ(v.dp_findings[1]["path"], rel);
  auto range = nlohmann::json::parse(read_text(dir / "backup_manifest"))["WAL-Ranges"][0];
  EXPECT_EQ(
      v.dp_findings[1]["message"],
      fmt::format("{}: needed for WAL range {}-{} on timeline 1: missing", rel,
                  range["Start-LSN"].get<std::string>(), range["End-LSN"].get<std::string>()));
  // Without record parsing the file check still finds it; pg_verifybackup -n too.
  auto n = verify_both(dir, false);
  EXPECT_EQ(n.pg, (std::set<Problem>{})) << "pg_verifybackup -n does not check WAL: " << n.pg_err;
  ASSERT_EQ(n.dp_findings.size(), 1u) << n.dp_findings.dump(1);
  EXPECT_EQ(n.dp_findings[0]["path"], rel);
}

// A byte flipped inside a WAL record, past the segment's first page header:
// the file check cannot see it, pg_waldump's record CRC does. The checkpoint
// record (backup_label's CHECKPOINT LOCATION) is inside every WAL range and
// is not its first record; its xl_prev names the record before it, which is
// where pg_waldump says the error is.
TEST_F(PgManifestVsPgVerifybackup, FlippedByteInsideAWalRecord) {
  fs::path dir = copy_of("crc");
  std::string label = read_text(dir / "backup_label");
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(label, m, std::regex("CHECKPOINT LOCATION: ([0-9A-F]+)/([0-9A-F]+)")))
      << label;
  std::uint64_t ckpt = (std::stoull(m[1], nullptr, 16) << 32) | std::stoull(m[2], nullptr, 16);
  ASSERT_TRUE(std::regex_search(label, m, std::regex("\\(file ([0-9A-F]{24})\\)"))) << label;
  fs::path segment = dir / "pg_wal" / m[1].str();
  std::string data = read_text(segment);
  ASSERT_EQ(data.size(), 16u << 20);
  std::size_t at = static_cast<std::size_t>(ckpt % (16u << 20));
  std::uint64_t prev = 0;
  std::memcpy(&prev, data.data() + at + 8, 8);              // XLogRecord.xl_prev
  data[at + 40] = static_cast<char>(data[at + 40] ^ 0x10);  // in the record's data
  write_text(segment, data);
  auto lsn = [](std::uint64_t v) { return fmt::format("{:X}/{:X}", v >> 32, v & 0xFFFFFFFFu); };

  auto v = verify_both(dir);
  EXPECT_EQ(v.pg, (std::set<Problem>{{"wal", ""}})) << v.pg_err;
  EXPECT_EQ(v.dp, v.pg);
  EXPECT_EQ(v.dp_exit, 1);
  ASSERT_EQ(v.dp_findings.size(), 1u) << v.dp_findings.dump(1);
  EXPECT_EQ(v.dp_findings[0]["path"], "pg_wal");
  EXPECT_EQ(v.dp_findings[0]["message"],
            fmt::format("WAL parsing failed for timeline 1: pg_waldump: error: error in WAL record "
                        "at {}: incorrect resource manager data checksum in record at {}",
                        lsn(prev), lsn(ckpt)));

  auto n = verify_both(dir, false);
  EXPECT_EQ(n.pg_exit, 0) << n.pg_err;
  EXPECT_EQ(n.dp_exit, 0) << n.dp_findings.dump(1);
  EXPECT_TRUE(n.dp.empty());
}

}  // namespace
}  // namespace dp::test
