// End-to-end: a real signed run, checked by `drillproof verify` and by the
// auditor's own commands from the README (openssl pkeyutl, sha256sum -c),
// then tampered with in every way the issue names. Each tampering must be
// caught by both. The backup is a SQLite copy of Chinook: no server needed.
#include <fmt/format.h>
#include <sys/stat.h>

#include "tests/integration/support.hpp"
#include "verifier/core/text.hpp"

namespace dp::test {
namespace {

struct Tool {
  int code = -1;
  std::string out;
};

Tool run_tool(std::vector<std::string> argv, const fs::path& cwd) {
  SpawnOptions o;
  o.argv = std::move(argv);
  o.cwd = cwd;
  auto run = run_captured(std::move(o), std::chrono::seconds(60));
  if (!run) return {-1, run.error().message};
  return {run->status.code, run->out + run->err};
}

// The README's commands, verbatim, run inside the bundle directory.
bool openssl_verifies(const fs::path& bundle, const fs::path& pubkey) {
  return run_tool({"openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pubkey.string(), "-rawin",
                   "-in", "MANIFEST.sha256", "-sigfile", "MANIFEST.sha256.sig"},
                  bundle)
             .code == 0;
}
bool sha256sum_checks(const fs::path& bundle) {
  return run_tool({"sha256sum", "-c", "MANIFEST.sha256"}, bundle).code == 0;
}

void flip_byte(const fs::path& file, std::size_t offset) {
  std::string bytes = read_text(file);
  ASSERT_LT(offset, bytes.size()) << file;
  bytes[offset] = static_cast<char>(bytes[offset] ^ 0x01);
  write_text(file, bytes);
}

class Bundle : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_dir = new TempDir(world_dir("dp-bundle-"));
    const fs::path d = s_dir->path();
    auto keygen = run_cli({"keygen", "--out", (d / "keys").string()});
    ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
    auto other = run_cli({"keygen", "--out", (d / "other").string()});
    ASSERT_EQ(other.exit_code, 0) << other.err;
    fs::copy_file(chinook("Chinook_Sqlite.sqlite"), d / "chinook.sqlite");
    write_text(d / "plan.toml", R"([plan]
name = "bundle test"

[[backup]]
name = "chinook"
engine = "sqlite"
path = "chinook.sqlite"
rto = "5m"

[[backup.check]]
type = "row_count"
table = "Album"
expect = 347
)");
    auto run = run_cli({"run", (d / "plan.toml").string(), "--out", (d / "run").string(),
                        "--sign-key", (d / "keys/drillproof-signing.key").string()});
    s_run_out = run.out + run.err;
    ASSERT_EQ(run.exit_code, 0) << s_run_out;
  }
  static void TearDownTestSuite() {
    delete s_dir;
    s_dir = nullptr;
  }

  fs::path dir() const { return s_dir->path(); }
  fs::path pubkey() const { return dir() / "keys/drillproof-signing.pub"; }
  fs::path other_key() const { return dir() / "other/drillproof-signing.key"; }
  // A fresh copy of the signed bundle to damage.
  fs::path copy_of_run(const std::string& name) const {
    fs::path copy = dir() / name;
    fs::remove_all(copy);
    fs::copy(dir() / "run", copy, fs::copy_options::recursive);
    return copy;
  }
  CliRun verify(const fs::path& bundle, const fs::path& key) const {
    return run_cli({"verify", bundle.string(), "--pubkey", key.string()});
  }

  static TempDir* s_dir;
  static std::string s_run_out;
};
TempDir* Bundle::s_dir = nullptr;
std::string Bundle::s_run_out;

TEST_F(Bundle, SignedRunVerifiesWithDrillproofAndStockTools) {
  const fs::path run = dir() / "run";
  for (const char* f : {"report.json", "junit.xml", "report.html", "statement.dsse.json",
                        "MANIFEST.sha256", "MANIFEST.sha256.sig"})
    EXPECT_TRUE(fs::exists(run / f)) << f;
  EXPECT_EQ(read_text(run / "MANIFEST.sha256").find("  junit.xml\n") != std::string::npos, true);
  EXPECT_EQ(fs::file_size(run / "MANIFEST.sha256.sig"), 64U);
  EXPECT_TRUE(openssl_verifies(run, pubkey()));
  EXPECT_TRUE(sha256sum_checks(run));
  auto v = verify(run, pubkey());
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  EXPECT_NE(v.out.find("verified:"), std::string::npos) << v.out;
}

// The fingerprint in report.json is what stock OpenSSL computes: sha256 of
// the public key's DER SubjectPublicKeyInfo.
TEST_F(Bundle, FingerprintInReportMatchesOpenssl) {
  auto der = run_tool(
      {"sh", "-c",
       fmt::format("openssl pkey -pubin -in '{}' -outform DER | sha256sum", pubkey().string())},
      dir());
  ASSERT_EQ(der.code, 0) << der.out;
  std::string expected = der.out.substr(0, 64);
  auto report = read_json(dir() / "run/report.json");
  EXPECT_EQ(report["signature"]["signed"], true);
  EXPECT_EQ(report["signature"]["algorithm"], "ed25519");
  EXPECT_EQ(report["signature"]["key_fingerprint"], expected);
  EXPECT_NE(read_text(dir() / "run/report.html").find(expected), std::string::npos);
  EXPECT_NE(s_run_out.find(expected), std::string::npos) << s_run_out;
}

// The statement is a DSSE envelope around an in-toto Statement v1 whose
// subjects are the artifacts and whose predicate is the run summary.
TEST_F(Bundle, StatementIsInTotoInDsse) {
  auto envelope = read_json(dir() / "run/statement.dsse.json");
  EXPECT_EQ(envelope["payloadType"], "application/vnd.in-toto+json");
  ASSERT_EQ(envelope["signatures"].size(), 1U);
  write_text(dir() / "payload.b64", envelope["payload"].get<std::string>());
  auto decoded = run_tool({"sh", "-c", "base64 -d payload.b64"}, dir());
  ASSERT_EQ(decoded.code, 0) << decoded.out;
  auto statement = nlohmann::json::parse(decoded.out);
  EXPECT_EQ(statement["_type"], "https://in-toto.io/Statement/v1");
  EXPECT_EQ(statement["predicateType"], "https://drillproof.dev/report/v1");
  std::map<std::string, std::string> subjects;
  for (const auto& s : statement["subject"]) subjects[s["name"]] = s["digest"]["sha256"];
  EXPECT_EQ(subjects.size(), 3U);
  for (const char* f : {"report.json", "junit.xml", "report.html"}) {
    auto sum = run_tool({"sha256sum", f}, dir() / "run");
    EXPECT_EQ(subjects[f], sum.out.substr(0, 64)) << f;
  }
  const auto& p = statement["predicate"];
  EXPECT_EQ(p["plan"]["name"], "bundle test");
  EXPECT_EQ(p["verdict"], "passed");
  EXPECT_EQ(p["tool"]["name"], "drillproof");
  EXPECT_EQ(p["backups"][0]["objectives"][0]["name"], "rto");
  EXPECT_EQ(p["backups"][0]["objectives"][0]["objective_s"], 300.0);
  EXPECT_TRUE(p["backups"][0]["objectives"][0]["achieved_s"].is_number());
  auto plan_sum = run_tool({"sha256sum", "plan.toml"}, dir());
  EXPECT_EQ(p["plan"]["digest"], "sha256:" + plan_sum.out.substr(0, 64));
}

TEST_F(Bundle, ByteChangedInJunitIsCaughtByBoth) {
  fs::path b = copy_of_run("t-junit");
  flip_byte(b / "junit.xml", 100);
  EXPECT_FALSE(sha256sum_checks(b));
  auto v = verify(b, pubkey());
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_NE(v.out.find("FAILED   junit.xml: sha256"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("changed after signing"), std::string::npos) << v.out;
}

TEST_F(Bundle, ByteChangedInReportJsonIsCaughtByBoth) {
  fs::path b = copy_of_run("t-json");
  std::string json = read_text(b / "report.json");
  auto at = json.find("\"passed\"");
  ASSERT_NE(at, std::string::npos);
  json[at + 1] = 'P';  // "Passed": one byte
  write_text(b / "report.json", json);
  EXPECT_FALSE(sha256sum_checks(b));
  auto v = verify(b, pubkey());
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_NE(v.out.find("FAILED   report.json: sha256"), std::string::npos) << v.out;
}

TEST_F(Bundle, ByteChangedInSignatureIsCaughtByBoth) {
  fs::path b = copy_of_run("t-sig");
  flip_byte(b / "MANIFEST.sha256.sig", 10);
  EXPECT_FALSE(openssl_verifies(b, pubkey()));
  auto v = verify(b, pubkey());
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_NE(v.out.find("FAILED   MANIFEST.sha256.sig: signature does not verify"),
            std::string::npos)
      << v.out;
}

TEST_F(Bundle, RemovedFileIsCaughtByBoth) {
  fs::path b = copy_of_run("t-removed");
  fs::remove(b / "report.html");
  EXPECT_FALSE(sha256sum_checks(b));
  auto v = verify(b, pubkey());
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_NE(v.out.find("FAILED   report.html: listed in MANIFEST.sha256 but missing"),
            std::string::npos)
      << v.out;
}

// An attacker edits the report, rewrites the manifest and signs it with
// their own key: the auditor's key rejects it.
TEST_F(Bundle, AnotherKeyIsCaughtByBoth) {
  fs::path b = copy_of_run("t-other-key");
  std::string json = read_text(b / "report.json");
  auto at = json.find("\"passed\"");
  ASSERT_NE(at, std::string::npos);
  json.replace(at, 8, "\"failed\"");
  write_text(b / "report.json", json);
  auto resum = run_tool({"sh", "-c",
                         "sha256sum junit.xml report.html report.json "
                         "statement.dsse.json > MANIFEST.sha256"},
                        b);
  ASSERT_EQ(resum.code, 0) << resum.out;
  auto sign = run_tool({"openssl", "pkeyutl", "-sign", "-inkey", other_key().string(), "-rawin",
                        "-in", "MANIFEST.sha256", "-out", "MANIFEST.sha256.sig"},
                       b);
  ASSERT_EQ(sign.code, 0) << sign.out;
  EXPECT_TRUE(sha256sum_checks(b));  // the digests alone cannot tell
  EXPECT_FALSE(openssl_verifies(b, pubkey()));
  EXPECT_TRUE(openssl_verifies(b, dir() / "other/drillproof-signing.pub"));
  auto v = verify(b, pubkey());
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_NE(v.out.find("FAILED   MANIFEST.sha256.sig: signature does not verify"),
            std::string::npos)
      << v.out;
  EXPECT_NE(v.out.find("FAILED   statement.dsse.json: subject report.json has sha256"),
            std::string::npos)
      << v.out;
}

TEST_F(Bundle, AddedFileIsNamedByVerify) {
  fs::path b = copy_of_run("t-added");
  write_text(b / "notes.txt", "added later\n");
  auto v = verify(b, pubkey());
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_NE(v.out.find("FAILED   notes.txt: not listed in MANIFEST.sha256"), std::string::npos)
      << v.out;
}

TEST_F(Bundle, VerifyUsageErrorsExitTwo) {
  EXPECT_EQ(verify(dir() / "no-such-dir", pubkey()).exit_code, 2);
  auto not_a_key = verify(dir() / "run", dir() / "plan.toml");
  EXPECT_EQ(not_a_key.exit_code, 2);
  EXPECT_NE(not_a_key.err.find("is not a PEM public key"), std::string::npos) << not_a_key.err;
}

TEST_F(Bundle, KeygenWritesPrivateKeyMode0600AndRefusesToOverwrite) {
  struct stat st {};
  ASSERT_EQ(::stat((dir() / "keys/drillproof-signing.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  ASSERT_EQ(::stat(pubkey().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644U);
  EXPECT_NE(read_text(dir() / "keys/drillproof-signing.key").find("BEGIN PRIVATE KEY"),
            std::string::npos);
  std::string before = read_text(dir() / "keys/drillproof-signing.key");
  auto again = run_cli({"keygen", "--out", (dir() / "keys").string()});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("refusing to overwrite"), std::string::npos) << again.err;
  EXPECT_EQ(read_text(dir() / "keys/drillproof-signing.key"), before);
}

// The key's base64 body never reaches stdout, stderr or any report file.
TEST_F(Bundle, PrivateKeyNeverAppearsInOutput) {
  std::string pem = read_text(dir() / "keys/drillproof-signing.key");
  std::string body = std::string(trim(split(pem, '\n').at(1)));
  ASSERT_GT(body.size(), 40U);
  EXPECT_EQ(s_run_out.find(body), std::string::npos);
  for (const auto& e : fs::directory_iterator(dir() / "run"))
    EXPECT_EQ(read_text(e.path()).find(body), std::string::npos) << e.path();
}

TEST_F(Bundle, GroupReadableKeyIsRefused) {
  fs::path key = dir() / "loose.key";
  fs::copy_file(dir() / "keys/drillproof-signing.key", key, fs::copy_options::overwrite_existing);
  ::chmod(key.c_str(), 0640);
  auto run = run_cli({"run", (dir() / "plan.toml").string(), "--out", (dir() / "loose").string(),
                      "--sign-key", key.string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find(key.string() + " is accessible by group or others (mode 0640)"),
            std::string::npos)
      << run.err;
  EXPECT_FALSE(fs::exists(dir() / "loose"));  // nothing ran
  std::string body = std::string(trim(split(read_text(key), '\n').at(1)));
  EXPECT_EQ((run.out + run.err).find(body), std::string::npos);
}

// An encrypted key must be refused, never prompt for a pass phrase (which
// would hang a cron job), and a FIFO must not block the open.
TEST_F(Bundle, EncryptedKeyAndFifoAreRefusedWithoutWaiting) {
  fs::path encrypted = dir() / "encrypted.key";
  auto made = run_tool({"openssl", "genpkey", "-algorithm", "ed25519", "-aes256", "-pass",
                        "pass:secret", "-out", encrypted.string()},
                       dir());
  ASSERT_EQ(made.code, 0) << made.out;
  ::chmod(encrypted.c_str(), 0600);
  auto run = run_cli({"run", (dir() / "plan.toml").string(), "--out", (dir() / "enc").string(),
                      "--sign-key", encrypted.string()},
                     {}, std::chrono::seconds(20));
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find(encrypted.string() + " is not a PEM private key, or is encrypted"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(run.err.find("pass phrase"), std::string::npos) << run.err;

  fs::path fifo = dir() / "fifo.key";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto blocked = run_cli({"run", (dir() / "plan.toml").string(), "--out", (dir() / "fifo").string(),
                          "--sign-key", fifo.string()},
                         {}, std::chrono::seconds(20));
  EXPECT_EQ(blocked.exit_code, 2) << blocked.err;
  EXPECT_NE(blocked.err.find(fifo.string() + " is not a regular file"), std::string::npos)
      << blocked.err;
  auto verify_fifo = verify(dir() / "run", fifo);
  EXPECT_EQ(verify_fifo.exit_code, 2) << verify_fifo.err;
}

TEST_F(Bundle, RequireSignatureWithoutKeyExitsTwo) {
  auto run = run_cli({"run", (dir() / "plan.toml").string(), "--out", (dir() / "required").string(),
                      "--require-signature"},
                     {{"DRILLPROOF_SIGN_KEY", ""}});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--require-signature: no signing key"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(dir() / "required"));
}

TEST_F(Bundle, UnsignedRunWarnsLoudlyAndVerifyRejectsIt) {
  auto run =
      run_cli({"run", (dir() / "plan.toml").string(), "--out", (dir() / "unsigned").string()},
              {{"DRILLPROOF_SIGN_KEY", ""}});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("WARNING: this run is UNSIGNED"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(dir() / "unsigned/MANIFEST.sha256.sig"));
  EXPECT_TRUE(sha256sum_checks(dir() / "unsigned"));
  EXPECT_EQ(read_json(dir() / "unsigned/report.json")["signature"]["signed"], false);
  auto v = verify(dir() / "unsigned", pubkey());
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_NE(v.out.find("FAILED   MANIFEST.sha256.sig: missing: the bundle is not signed"),
            std::string::npos)
      << v.out;
}

TEST_F(Bundle, KeyFromEnvironmentSigns) {
  auto run =
      run_cli({"run", (dir() / "plan.toml").string(), "--out", (dir() / "env-signed").string()},
              {{"DRILLPROOF_SIGN_KEY", (dir() / "keys/drillproof-signing.key").string()}});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err.find("UNSIGNED"), std::string::npos) << run.err;
  EXPECT_TRUE(openssl_verifies(dir() / "env-signed", pubkey()));
  EXPECT_EQ(verify(dir() / "env-signed", pubkey()).exit_code, 0);
}

}  // namespace
}  // namespace dp::test
