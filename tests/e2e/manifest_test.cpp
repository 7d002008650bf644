// End-to-end: `drillproof manifest create|verify` on a small tree: text and
// JSON output, and the exit codes 0 (match), 1 (findings), 2 (usage).
#include <fmt/format.h>

#include "tests/integration/support.hpp"
#include "verifier/core/sha256.hpp"

namespace dp::test {
namespace {

class ManifestCli : public ::testing::Test {
 protected:
  void SetUp() override {
    m_dir.emplace(world_dir("dp-manifest-cli-"));
    fs::create_directories(tree() / "sub");
    write_text(tree() / "a.txt", "alpha\n");
    write_text(tree() / "sub/b.txt", "bravo\n");
    write_text(tree() / "sub/c.txt", "charlie\n");
  }
  void TearDown() override {
    if (HasFailure()) m_dir->keep();
  }
  fs::path tree() const { return m_dir->path() / "tree"; }
  std::string manifest() const { return (m_dir->path() / "tree.manifest").string(); }
  CliRun create(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"manifest", "create", tree().string(), "--out", manifest()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
  }
  CliRun verify(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"manifest", "verify", tree().string(), manifest()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
  }
  std::optional<TempDir> m_dir;
};

TEST_F(ManifestCli, CreateThenVerifyExitsZero) {
  auto made = create();
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_NE(made.out.find("3 files, 20 bytes, xxh3-128"), std::string::npos) << made.out;
  EXPECT_NE(read_text(manifest()).find("f 890c8a5c5ad2a8a2edba9e94785346a3 6 a.txt\n"),
            std::string::npos);
  auto checked = verify();
  EXPECT_EQ(checked.exit_code, 0) << checked.err;
  EXPECT_NE(checked.out.find("verified: "), std::string::npos) << checked.out;
  EXPECT_EQ(checked.err, "");
}

TEST_F(ManifestCli, FindingsExitOneAndAreAllNamed) {
  ASSERT_EQ(create().exit_code, 0);
  write_text(tree() / "a.txt", "alphA\n");
  fs::remove(tree() / "sub/b.txt");
  write_text(tree() / "sub/c.txt", "c\n");
  write_text(tree() / "new.txt", "n\n");
  auto run = verify();
  EXPECT_EQ(run.exit_code, 1) << run.err;
  for (const char* line : {"changed          a.txt: xxh3-128 ", "extra            new.txt: ",
                           "missing          sub/b.txt: ", "resized          sub/c.txt: 2 bytes",
                           "NOT VERIFIED: 4 findings"})
    EXPECT_NE(run.out.find(line), std::string::npos) << line << "\n" << run.out;
}

TEST_F(ManifestCli, JsonOutput) {
  ASSERT_EQ(create({"--algorithm", "sha256", "--json"}).exit_code, 0);
  auto clean = verify({"--json"});
  EXPECT_EQ(clean.exit_code, 0);
  auto json = nlohmann::json::parse(clean.out);
  EXPECT_EQ(json["format"], "drillproof-manifest-verify");
  EXPECT_EQ(json["version"], 1);
  EXPECT_EQ(json["algorithm"], "sha256");
  EXPECT_EQ(json["ok"], true);
  EXPECT_EQ(json["files_checked"], 3);
  fs::remove(tree() / "a.txt");
  auto bad = verify({"--json", "--threads", "1"});
  EXPECT_EQ(bad.exit_code, 1);
  json = nlohmann::json::parse(bad.out);
  EXPECT_EQ(json["ok"], false);
  ASSERT_EQ(json["findings"].size(), 1u);
  EXPECT_EQ(json["findings"][0]["kind"], "missing");
  EXPECT_EQ(json["findings"][0]["path"], "a.txt");
}

TEST_F(ManifestCli, UsageErrorsExitTwo) {
  EXPECT_EQ(run_cli({"manifest"}).exit_code, 2);
  EXPECT_EQ(run_cli({"manifest", "create", tree().string()}).exit_code, 2);  // no --out
  EXPECT_EQ(create({"--algorithm", "md5"}).exit_code, 2);
  auto no_dir = run_cli({"manifest", "verify", (m_dir->path() / "nope").string(), manifest()});
  EXPECT_EQ(no_dir.exit_code, 2);
  EXPECT_NE(no_dir.err.find("not a directory"), std::string::npos) << no_dir.err;
  auto no_manifest = verify();
  EXPECT_EQ(no_manifest.exit_code, 2);
  EXPECT_NE(no_manifest.err.find("cannot read manifest"), std::string::npos) << no_manifest.err;
  write_text(manifest(), "garbage\n");
  EXPECT_EQ(verify().exit_code, 2);
}

// PostgreSQL's backup_manifest is recognised without an option; the real
// pg_basebackup comparison is tests/integration/pg_manifest_test.cpp.
TEST_F(ManifestCli, BackupManifestIsRecognised) {
  auto line = [](const std::string& path, const std::string& data) {
    return fmt::format(
        R"({{ "Path": "{}", "Size": {}, "Last-Modified": "2026-11-21 10:00:00 GMT", )"
        R"("Checksum-Algorithm": "SHA256", "Checksum": "{}" }})",
        path, data.size(), sha256_hex(data));
  };
  std::string body = "{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [\n" +
                     line("a.txt", "alpha\n") + ",\n" + line("sub/b.txt", "bravo\n") + ",\n" +
                     line("sub/c.txt", "charlie\n") + "\n],\n\"WAL-Ranges\": [\n],\n";
  fs::path bm = tree() / "backup_manifest";
  write_text(bm, body + "\"Manifest-Checksum\": \"" + sha256_hex(body) + "\"}\n");
  auto clean = run_cli({"manifest", "verify", tree().string(), bm.string()});
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_EQ(clean.out, fmt::format("verified: {} matches {} (3 files, 20 bytes, SHA256)\n",
                                   tree().string(), bm.string()));
  write_text(tree() / "a.txt", "alphA\n");
  auto bad = run_cli({"manifest", "verify", tree().string(), bm.string()});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(
      bad.out,
      fmt::format("changed          a.txt: SHA256 {}, manifest says {}\nNOT VERIFIED: 1 "
                  "finding in {} against {}\n",
                  sha256_hex("alphA\n"), sha256_hex("alpha\n"), tree().string(), bm.string()));
  auto json = nlohmann::json::parse(
      run_cli({"manifest", "verify", tree().string(), bm.string(), "--json"}).out);
  EXPECT_EQ(json["manifest_format"], "backup_manifest");
  EXPECT_EQ(json["algorithm"], "SHA256");
  EXPECT_EQ(json["findings"][0]["kind"], "changed");
  write_text(bm,
             "{ \"PostgreSQL-Backup-Manifest-Version\": 1, \"Files\": [ { \"Path\": "
             "\"a.txt\" } ] }\n\n");
  auto malformed = run_cli({"manifest", "verify", tree().string(), bm.string()});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_EQ(malformed.err,
            "drillproof manifest verify: " + bm.string() +
                ": could not parse backup manifest: Files[0] (\"a.txt\"): missing size\n");
}

// A tar-format base backup's backup_manifest describes the archives'
// contents: a usage error (exit 2) with a hint, not every file "missing".
TEST_F(ManifestCli, TarFormatBaseBackupIsAUsageErrorWithAHint) {
  fs::path backup = m_dir->path() / "tarbackup";
  fs::create_directories(backup);
  write_text(backup / "base.tar", "archive");
  write_text(backup / "pg_wal.tar", "archive");
  write_text(backup / "backup_manifest", "{ \"PostgreSQL-Backup-Manifest-Version\": 1 }\n");
  auto run =
      run_cli({"manifest", "verify", backup.string(), (backup / "backup_manifest").string()});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find(backup.string() + ": a tar-format base backup (base.tar)"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("hint: `drillproof run` verifies a tar base backup on an extracted copy"),
            std::string::npos)
      << run.err;
}

}  // namespace
}  // namespace dp::test
