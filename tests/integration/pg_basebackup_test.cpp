// Integration: pg_basebackup backups of a real source cluster (Chinook
// loaded, wal_level=replica) in plain and tar format are drilled by the
// built drillproof: the backup's own backup_manifest is verified first, the
// backup restored into a scratch server that replays its WAL, and the checks
// run on the restored database. Negative controls: a flipped byte in a data
// file, a backup without WAL, a wrong major version, a wrong database.
#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <thread>

#include "tests/integration/pg_basebackup_fixture.hpp"

namespace dp::test {
namespace {

using namespace std::chrono_literals;

TEST_F(PgBasebackup, PlainRestoresAndPassesAndTheBackupIsUntouched) {
  expect_clean_pass(backup("plain"), "pg_basebackup plain");
  EXPECT_EQ(pg_verifybackup(backup("plain")), "");
  EXPECT_FALSE(fs::exists(backup("plain") / "postmaster.pid"));
}

TEST_F(PgBasebackup, TarRestoresAndPasses) {
  expect_clean_pass(backup("tar"), "pg_basebackup tar");
  auto report = read_json(out() / "report.json");
  EXPECT_NE(report["backups"][0]["phases"][0]["message"].get<std::string>().find(
                "(checked on the extracted copy)"),
            std::string::npos);
  auto files = leftovers(backup("tar"));  // only what pg_basebackup wrote
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"backup_manifest", "base.tar", "pg_wal.tar"}));
}

TEST_F(PgBasebackup, GzipTarWithFetchedWalRestoresAndPasses) {
  expect_clean_pass(backup("targz"), "pg_basebackup tar");
}

// The kept scratch shows what the restore did: crash recovery from
// backup_label (renamed backup_label.old when it ends), a server out of
// recovery, and drillproof's own configuration, not the backup's.
TEST_F(PgBasebackup, KeptScratchShowsTheWalWasReplayed) {
  auto run =
      run_cli({"run", plan(backup("tar")).string(), "--out", out().string(), "--keep-scratch"},
              {{"TMPDIR", tmp().string()}});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  auto left = leftovers(tmp());
  ASSERT_EQ(left.size(), 1u);
  fs::path kept = tmp() / left[0];
  auto pids = processes_mentioning(kept.string());
  ASSERT_FALSE(pids.empty());
  EXPECT_TRUE(fs::exists(kept / "data" / "backup_label.old"));
  EXPECT_FALSE(fs::exists(kept / "data" / "backup_label"));
  auto psql = [&](const std::string& sql) {
    SpawnOptions q;
    q.argv = {(s_source->scratch().binaries().bindir / "psql").string(),
              "-h",
              kept.string(),
              "-U",
              "postgres",
              "-d",
              "chinook",
              "-Atc",
              sql};
    auto answer = run_captured(std::move(q), 30s);
    return answer ? std::string(trim(answer->out)) : answer.error().message;
  };
  EXPECT_EQ(psql("SELECT pg_is_in_recovery()"), "f");
  EXPECT_EQ(psql("SHOW config_file"), (kept / "postgresql.conf").string());
  EXPECT_EQ(psql("SHOW archive_mode"), "off");
  for (int pid : pids) ::kill(pid, SIGQUIT);
  for (int i = 0; i < 200 && !processes_mentioning(kept.string()).empty(); ++i)
    std::this_thread::sleep_for(50ms);
  std::error_code ec;
  fs::remove_all(kept, ec);
}

// Negative control: one flipped byte in a table's data file. The manifest
// phase names the file with both checksums, the restore is skipped without
// a scratch server, exit 1.
TEST_F(PgBasebackup, FlippedByteFailsTheManifestPhase) {
  std::string rel = s_source->psql("SELECT pg_relation_filepath('track')", "chinook");
  ASSERT_EQ(rel.rfind("base/", 0), 0u) << rel;
  fs::path copy = copy_of("plain");
  std::string bytes = read_text(copy / rel);
  ASSERT_GT(bytes.size(), 8192u);
  auto manifest = read_json(copy / "backup_manifest");
  std::string recorded;
  for (const auto& f : manifest["Files"])
    if (f["Path"] == rel) recorded = f["Checksum"];
  ASSERT_EQ(recorded, crc32c_hex(bytes)) << "the reference CRC-32C disagrees with pg_basebackup";
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
  write_text(copy / rel, bytes);

  auto run = drill(plan(copy));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto& b = report["backups"][0];
  EXPECT_EQ(b["status"], "failed");
  const auto& phases = b["phases"];
  EXPECT_EQ(phases[0]["name"], "manifest");
  EXPECT_EQ(phases[0]["status"], "failed");
  EXPECT_EQ(phases[0]["message"],
            fmt::format("1 finding against {}\nchanged: {}: CRC32C {}, manifest says {}",
                        (copy / "backup_manifest").string(), rel, crc32c_hex(bytes), recorded));
  ASSERT_GE(phases.size(), 2u);
  EXPECT_EQ(phases[1]["name"], "restore");  // no provision phase: nothing was started
  EXPECT_EQ(phases[1]["status"], "skipped");
  for (const auto& c : b["checks"]) EXPECT_EQ(c["status"], "skipped");
  EXPECT_NE(read_text(out() / "junit.xml").find("<failure"), std::string::npos);
  EXPECT_TRUE(leftovers(tmp()).empty());
}

// The same damage in a tar backup is found on the extracted copy.
TEST_F(PgBasebackup, TarWithADamagedManifestEntryFails) {
  fs::path copy = copy_of("tar");
  std::string manifest = read_text(copy / "backup_manifest");
  auto at = manifest.find("\"Path\": \"PG_VERSION\"");
  ASSERT_NE(at, std::string::npos);
  auto size = manifest.find("\"Size\": 3", at);
  ASSERT_NE(size, std::string::npos);
  manifest.replace(size, 9, "\"Size\": 4");
  write_text(copy / "backup_manifest", manifest);
  auto run = drill(plan(copy));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  std::string message = report["backups"][0]["phases"][0]["message"];
  EXPECT_NE(message.find("manifest_digest: "), std::string::npos) << message;
  EXPECT_NE(message.find("resized: PG_VERSION: 3 bytes, manifest says 4"), std::string::npos)
      << message;
  EXPECT_EQ(report["backups"][0]["phases"][1]["status"], "skipped");
  EXPECT_TRUE(leftovers(tmp()).empty());
}

// Negative control: pg_basebackup -X none ships no WAL. Its backup_manifest
// names the segments it needs, so the manifest phase fails on them; with
// verify_manifest = false the restore refuses it, naming what is missing.
TEST_F(PgBasebackup, BackupWithoutWalIsRefused) {
  auto run = drill(plan(backup("nowal")));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  std::string message = report["backups"][0]["phases"][0]["message"];
  EXPECT_NE(message.find("\nwal: pg_wal/"), std::string::npos) << message;
  EXPECT_NE(message.find(": missing"), std::string::npos) << message;

  std::string label = read_text(backup("nowal") / "backup_label");
  auto file = label.find("(file ");
  ASSERT_NE(file, std::string::npos);
  std::string segment = label.substr(file + 6, 24);
  fs::remove_all(out());
  run = drill(plan(backup("nowal"), "verify_manifest = false"));
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  report = read_json(out() / "report.json");
  const auto& phases = report["backups"][0]["phases"];
  EXPECT_EQ(phases[0]["name"], "provision");
  EXPECT_EQ(phases[1]["name"], "restore");
  EXPECT_EQ(phases[1]["status"], "error");
  EXPECT_EQ(phases[1]["message"],
            fmt::format("{}: the backup holds no WAL: pg_wal/{} is missing, the segment its "
                        "backup_label starts from; a base backup made with pg_basebackup -X none "
                        "needs a WAL archive to be restored, and drillproof does not restore from "
                        "one yet\nhint: take base backups with -X stream (the default) or -X "
                        "fetch",
                        backup("nowal").string(), segment));
  EXPECT_TRUE(leftovers(tmp()).empty());
  EXPECT_TRUE(processes_mentioning(tmp().string()).empty());
}

// Copying and WAL replay are bounded by restore_timeout: an error, exit 3,
// and nothing left behind.
TEST_F(PgBasebackup, RestoreTimeoutIsAnError) {
  auto run = drill(plan(backup("plain"), "restore_timeout = \"1ms\""));
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto& restore = report["backups"][0]["phases"][2];
  EXPECT_EQ(restore["name"], "restore");
  EXPECT_EQ(restore["status"], "error");
  EXPECT_EQ(restore["message"], "restore did not finish within restore_timeout 1ms");
  EXPECT_TRUE(leftovers(tmp()).empty());
  EXPECT_TRUE(processes_mentioning(tmp().string()).empty());
}

// A base backup starts only on binaries of its own major version.
TEST_F(PgBasebackup, OtherMajorVersionIsRefused) {
  fs::path copy = copy_of("plain");
  write_text(copy / "PG_VERSION", "9\n");
  auto run = drill(plan(copy, "verify_manifest = false"));
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  std::string message = report["backups"][0]["phases"][1]["message"];
  EXPECT_EQ(message.find(copy.string() + " is a base backup of PostgreSQL 9, but the scratch "
                                         "server is PostgreSQL "),
            0u)
      << message;
  EXPECT_NE(message.find("hint: install postgresql-9 "), std::string::npos) << message;
}

// The plan's format must match the content: a plan error (exit 2) before
// anything starts. The database must exist in the restored cluster.
TEST_F(PgBasebackup, FormatMismatchAndMissingDatabaseAreErrors) {
  fs::path mismatched = plan(backup("plain"), "format = \"dump\"");
  auto run = drill(mismatched);
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find(fmt::format("{}:5:1: backup 'chinook': {} is a pg_basebackup plain, but "
                                     "the plan says format = \"dump\"",
                                     mismatched.string(), backup("plain").string())),
            std::string::npos)
      << run.err;
  EXPECT_FALSE(fs::exists(out() / "report.json"));
  EXPECT_TRUE(leftovers(tmp()).empty());

  auto report = nlohmann::json();
  fs::remove_all(out());
  fs::path p = plan(backup("plain"), "format = \"basebackup\"");
  std::string text = read_text(p);
  text.replace(text.find("database = \"chinook\""), 20, "database = \"shop\"");
  write_text(p, text);
  run = drill(p);
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  report = read_json(out() / "report.json");
  const auto& restore = report["backups"][0]["phases"][2];
  EXPECT_EQ(restore["name"], "restore");
  EXPECT_EQ(restore["message"],
            "the restored cluster has no database \"shop\"; it has: chinook, postgres\nhint: set "
            "database in the [[backup]] to the one the checks should use");
  EXPECT_TRUE(leftovers(tmp()).empty());
}

// A base backup's backup_manifest is part of it: truncated, it is damage
// (exit 1, the parse error as the finding), not an untestable run.
TEST_F(PgBasebackup, TruncatedManifestFailsTheManifestPhase) {
  fs::path copy = copy_of("plain");
  std::string manifest = read_text(copy / "backup_manifest");
  write_text(copy / "backup_manifest", manifest.substr(0, manifest.size() / 2));
  auto run = drill(plan(copy));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto& phases = report["backups"][0]["phases"];
  EXPECT_EQ(phases[0]["name"], "manifest");
  EXPECT_EQ(phases[0]["status"], "failed");
  std::string message = phases[0]["message"];
  const std::string head =
      fmt::format("1 finding against {0}\nmanifest_digest: {0}: could not parse backup manifest: ",
                  (copy / "backup_manifest").string());
  EXPECT_EQ(message.substr(0, head.size()), head) << message;
  EXPECT_EQ(phases[1]["name"], "restore");
  EXPECT_EQ(phases[1]["status"], "skipped");
  EXPECT_EQ(phases[1]["message"], "skipped: the manifest phase failed; the backup is not restored");
  EXPECT_EQ(report["backups"][0]["status"], "failed");
  EXPECT_TRUE(leftovers(tmp()).empty());
}

// "Manifest-Checksum": "" is malformed, as in PostgreSQL.
TEST_F(PgBasebackup, EmptyManifestChecksumFailsTheManifestPhase) {
  fs::path copy = copy_of("plain");
  std::string manifest = read_text(copy / "backup_manifest");
  auto at = manifest.find("\"Manifest-Checksum\": \"");
  ASSERT_NE(at, std::string::npos);
  at += 22;
  manifest.erase(at, manifest.find('"', at) - at);
  write_text(copy / "backup_manifest", manifest);
  auto run = drill(plan(copy));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  EXPECT_EQ(report["backups"][0]["phases"][0]["message"],
            fmt::format("1 finding against {0}\nmanifest_digest: {0}: could not parse backup "
                        "manifest: invalid manifest checksum: \"\"",
                        (copy / "backup_manifest").string()));
}

// verify_manifest is on but there is no backup_manifest: a failed phase
// that says so, not a silent pass; verify_manifest = false drills it.
TEST_F(PgBasebackup, MissingManifestFailsUnlessVerifyManifestIsOff) {
  fs::path copy = copy_of("plain");
  fs::remove(copy / "backup_manifest");
  auto run = drill(plan(copy));
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto report = read_json(out() / "report.json");
  const auto& phases = report["backups"][0]["phases"];
  EXPECT_EQ(phases[0]["name"], "manifest");
  EXPECT_EQ(phases[0]["status"], "failed");
  EXPECT_EQ(phases[0]["message"],
            "base backup has no backup_manifest (made with --no-manifest, or it was removed); set "
            "verify_manifest = false to drill it unverified");
  EXPECT_EQ(phases[1]["status"], "skipped");
  EXPECT_TRUE(leftovers(tmp()).empty());

  fs::remove_all(out());
  run = drill(plan(copy, "verify_manifest = false"));
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  report = read_json(out() / "report.json");
  EXPECT_EQ(report["backups"][0]["phases"][0]["name"], "provision");
  EXPECT_EQ(report["backups"][0]["status"], "passed");
}

}  // namespace
}  // namespace dp::test
