#include "reports/bundle.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "reports/bundle_internal.hpp"
#include "reports/report_writers.hpp"
#include "tests/unit/reports/sample_report.hpp"
#include "verifier/core/sha256.hpp"
#include "verifier/core/temp_dir.hpp"
#include "verifier/core/text.hpp"

namespace dp::reports {
namespace {

namespace fs = std::filesystem;

bool mentions(const VerifyResult& r, std::string_view text) {
  return std::any_of(r.problems.begin(), r.problems.end(),
                     [&](const std::string& p) { return p.find(text) != std::string::npos; });
}
std::string all(const VerifyResult& r) {
  std::string out;
  for (const auto& p : r.problems) out += p + "\n";
  return out;
}

class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("dp-bundle-unit-");
    ASSERT_TRUE(dir.has_value());
    m_dir.emplace(std::move(*dir));
    auto pair = generate_key_pair(m_dir->path() / "keys");
    ASSERT_TRUE(pair.has_value());
    auto key = SigningKey::load(pair->private_key);
    auto pub = VerifyKey::load(pair->public_key);
    ASSERT_TRUE(key && pub);
    m_key.emplace(std::move(*key));
    m_pub.emplace(std::move(*pub));
    m_report = testing::make_mixed_report();
    m_report.run_id = "20261121T030000Z-00c0ffee";
    m_report.plan_digest = "sha256:" + std::string(64, 'a');
    m_report.signer = {true, m_key->fingerprint()};
  }
  fs::path bundle() const { return m_dir->path() / "run"; }
  BundleInfo write(const SigningKey* key) {
    auto names = write_reports(m_report, bundle(), HtmlOptions{});
    EXPECT_TRUE(names.has_value());
    auto info = write_bundle(bundle(), m_report, *names, key);
    EXPECT_TRUE(info.has_value()) << info.error().message;
    return info ? *info : BundleInfo{};
  }
  std::string read(const fs::path& p) { return read_file_head(p, 1 << 24).value_or(""); }

  std::optional<TempDir> m_dir;
  std::optional<SigningKey> m_key;
  std::optional<VerifyKey> m_pub;
  RunReport m_report;
};

TEST_F(BundleTest, DssePaeMatchesTheSpecExample) {
  EXPECT_EQ(dsse_pae("http://example.com/HelloWorld", "hello world"),
            "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  EXPECT_EQ(dsse_pae("", ""), "DSSEv1 0  0 ");
}

TEST_F(BundleTest, Base64RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 20; ++i) {
    auto decoded = base64_decode(base64_encode(bytes));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, bytes) << i;
    bytes.push_back(static_cast<char>(i * 37));
  }
  EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
  EXPECT_FALSE(base64_decode("abc").has_value());
  EXPECT_FALSE(base64_decode("a!c=").has_value());
}

TEST_F(BundleTest, ManifestIsSha256sumFormatSortedAndCoversEveryArtifact) {
  BundleInfo info = write(&*m_key);
  EXPECT_EQ(info.files, (std::vector<std::string>{"junit.xml", "report.html", "report.json",
                                                  "statement.dsse.json"}));
  std::string manifest = read(bundle() / k_manifest_file);
  std::string expected;
  for (const auto& f : info.files)
    expected += sha256_file_hex(bundle() / f).value() + "  " + f + "\n";
  EXPECT_EQ(manifest, expected);
  EXPECT_EQ(info.manifest_digest, "sha256:" + sha256_hex(manifest));
  std::string sig = read(bundle() / k_signature_file);
  EXPECT_EQ(sig.size(), 64U);
  EXPECT_TRUE(m_pub->verify(manifest, sig));
}

TEST_F(BundleTest, StatementCarriesSubjectsAndRunSummary) {
  write(&*m_key);
  auto envelope = nlohmann::json::parse(read(bundle() / k_statement_file));
  EXPECT_EQ(envelope["payloadType"], k_statement_payload_type);
  ASSERT_EQ(envelope["signatures"].size(), 1U);
  EXPECT_EQ(envelope["signatures"][0]["keyid"], m_key->fingerprint());
  std::string payload = base64_decode(envelope["payload"].get<std::string>()).value();
  std::string sig = base64_decode(envelope["signatures"][0]["sig"].get<std::string>()).value();
  EXPECT_TRUE(m_pub->verify(dsse_pae(k_statement_payload_type, payload), sig));
  auto statement = nlohmann::json::parse(payload);
  EXPECT_EQ(statement["_type"], "https://in-toto.io/Statement/v1");
  ASSERT_EQ(statement["subject"].size(), 3U);
  EXPECT_EQ(statement["subject"][0]["name"], "junit.xml");
  EXPECT_EQ(statement["subject"][0]["digest"]["sha256"],
            sha256_file_hex(bundle() / "junit.xml").value());
  const auto& p = statement["predicate"];
  EXPECT_EQ(p["run_id"], m_report.run_id);
  EXPECT_EQ(p["plan"]["digest"], m_report.plan_digest);
  EXPECT_EQ(p["verdict"], status_name(overall_status(m_report)));
  EXPECT_EQ(p["exit_code"], exit_code(m_report));
  EXPECT_EQ(p["signer"]["key_fingerprint"], m_key->fingerprint());
  ASSERT_EQ(p["backups"].size(), m_report.backups.size());
  EXPECT_EQ(p["backups"][0]["name"], m_report.backups[0].name);
}

TEST_F(BundleTest, IntactBundleVerifies) {
  write(&*m_key);
  auto r = verify_bundle(bundle(), *m_pub);
  EXPECT_TRUE(r.ok()) << all(r);
  EXPECT_EQ(r.verified.size(), 4U);
}

TEST_F(BundleTest, EachTamperingIsNamed) {
  write(&*m_key);
  std::string junit = read(bundle() / "junit.xml");
  junit[10] = static_cast<char>(junit[10] ^ 1);
  ASSERT_TRUE(write_file(bundle() / "junit.xml", junit).has_value());
  ASSERT_TRUE(write_file(bundle() / "extra.txt", "x").has_value());
  fs::remove(bundle() / "report.html");
  auto r = verify_bundle(bundle(), *m_pub);
  EXPECT_EQ(r.problems.size(), 3U) << all(r);
  EXPECT_TRUE(mentions(r, "junit.xml: sha256 ")) << all(r);
  EXPECT_TRUE(mentions(r, "report.html: listed in MANIFEST.sha256 but missing")) << all(r);
  EXPECT_TRUE(mentions(r, "extra.txt: not listed in MANIFEST.sha256")) << all(r);
}

TEST_F(BundleTest, EditedManifestBreaksTheSignature) {
  write(&*m_key);
  std::string manifest = read(bundle() / k_manifest_file);
  ASSERT_TRUE(write_file(bundle() / k_manifest_file, manifest + "\n").has_value());
  auto r = verify_bundle(bundle(), *m_pub);
  EXPECT_TRUE(mentions(r, "MANIFEST.sha256.sig: signature does not verify")) << all(r);
}

TEST_F(BundleTest, HostileManifestLinesAreProblemsNotPaths) {
  write(&*m_key);
  std::string manifest = read(bundle() / k_manifest_file);
  manifest += std::string(64, '0') + "  ../../etc/passwd\n";
  manifest += "not a line\n";
  manifest += std::string(64, '0') + "  junit.xml\n";
  ASSERT_TRUE(write_file(bundle() / k_manifest_file, manifest).has_value());
  auto r = verify_bundle(bundle(), *m_pub);
  EXPECT_TRUE(mentions(r, "'../../etc/passwd' is not an artifact name")) << all(r);
  EXPECT_TRUE(mentions(r, "MANIFEST.sha256 line 6: not a sha256sum line")) << all(r);
  EXPECT_TRUE(mentions(r, "MANIFEST.sha256 line 7: junit.xml is listed twice")) << all(r);
}

// Garbage where strings belong must be a finding, never an exception.
TEST_F(BundleTest, HostileStatementIsAProblemNotACrash) {
  write(&*m_key);
  for (const char* text :
       {"not json", "[]", R"({"payload": 5})", R"({"payload": "!!!!", "payloadType": 1})",
        R"({"payload": "e30=", "payloadType": "application/vnd.in-toto+json",
            "signatures": [{"sig": 7}, 3]})",
        R"({"payload": "eyJzdWJqZWN0IjpbMSx7Im5hbWUiOjJ9LHsiZGlnZXN0IjpudWxsfV19",
            "payloadType": "application/vnd.in-toto+json", "signatures": []})"}) {
    ASSERT_TRUE(write_file(bundle() / k_statement_file, text).has_value());
    auto r = verify_bundle(bundle(), *m_pub);
    EXPECT_FALSE(r.ok()) << text;
    EXPECT_TRUE(mentions(r, "statement.dsse.json")) << text << "\n" << all(r);
  }
}

TEST_F(BundleTest, UnsignedBundleRemovesAStaleSignature) {
  write(&*m_key);
  ASSERT_TRUE(fs::exists(bundle() / k_signature_file));
  m_report.signer = {};
  write(nullptr);
  EXPECT_FALSE(fs::exists(bundle() / k_signature_file));
  auto envelope = nlohmann::json::parse(read(bundle() / k_statement_file));
  EXPECT_TRUE(envelope["signatures"].empty());
  auto r = verify_bundle(bundle(), *m_pub);
  EXPECT_TRUE(mentions(r, "MANIFEST.sha256.sig: missing: the bundle is not signed")) << all(r);
  EXPECT_TRUE(mentions(r, "statement.dsse.json: no DSSE signature verifies")) << all(r);
  EXPECT_EQ(r.problems.size(), 2U) << all(r);
}

}  // namespace
}  // namespace dp::reports
