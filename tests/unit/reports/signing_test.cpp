#include "reports/signing.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <optional>

#include "verifier/core/temp_dir.hpp"
#include "verifier/core/text.hpp"

namespace dp::reports {
namespace {

namespace fs = std::filesystem;

class Signing : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("dp-signing-");
    ASSERT_TRUE(dir.has_value());
    m_dir.emplace(std::move(*dir));
    auto pair = generate_key_pair(m_dir->path() / "keys");
    ASSERT_TRUE(pair.has_value()) << pair.error().message;
    m_pair = *pair;
  }
  static unsigned mode_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
  }
  std::string read(const fs::path& p) {
    auto text = read_file_head(p, 1 << 20);
    EXPECT_TRUE(text.has_value());
    return text ? *text : "";
  }
  std::optional<TempDir> m_dir;
  KeyPairFiles m_pair;
};

TEST_F(Signing, KeygenWritesPemFilesWithSafeModes) {
  EXPECT_EQ(m_pair.private_key.filename(), "drillproof-signing.key");
  EXPECT_EQ(m_pair.public_key.filename(), "drillproof-signing.pub");
  EXPECT_EQ(mode_of(m_pair.private_key), 0600U);
  EXPECT_EQ(mode_of(m_pair.public_key), 0644U);
  EXPECT_EQ(mode_of(m_dir->path() / "keys"), 0700U);
  EXPECT_EQ(read(m_pair.private_key).rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0U);
  EXPECT_EQ(read(m_pair.public_key).rfind("-----BEGIN PUBLIC KEY-----\n", 0), 0U);
  EXPECT_EQ(m_pair.fingerprint.size(), 64U);
}

TEST_F(Signing, KeygenRefusesToOverwriteAndLeavesKeysAlone) {
  std::string before = read(m_pair.private_key);
  auto again = generate_key_pair(m_dir->path() / "keys");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, Errc::invalid_input);
  EXPECT_NE(again.error().message.find("refusing to overwrite"), std::string::npos);
  EXPECT_EQ(read(m_pair.private_key), before);
}

TEST_F(Signing, SignAndVerifyRoundTrip) {
  auto key = SigningKey::load(m_pair.private_key);
  ASSERT_TRUE(key.has_value()) << key.error().message;
  auto pub = VerifyKey::load(m_pair.public_key);
  ASSERT_TRUE(pub.has_value()) << pub.error().message;
  EXPECT_EQ(key->fingerprint(), m_pair.fingerprint);
  EXPECT_EQ(pub->fingerprint(), m_pair.fingerprint);
  EXPECT_EQ(key->public_pem(), read(m_pair.public_key));

  std::string sig = key->sign("the manifest\n");
  EXPECT_EQ(sig.size(), 64U);
  EXPECT_EQ(key->sign("the manifest\n"), sig);  // Ed25519 is deterministic
  EXPECT_TRUE(pub->verify("the manifest\n", sig));
  EXPECT_FALSE(pub->verify("the manifest!\n", sig));
  std::string bad = sig;
  bad[3] = static_cast<char>(bad[3] ^ 0x40);
  EXPECT_FALSE(pub->verify("the manifest\n", bad));
  EXPECT_FALSE(pub->verify("the manifest\n", sig.substr(0, 63)));
  EXPECT_FALSE(pub->verify("the manifest\n", ""));
}

TEST_F(Signing, AnotherKeyDoesNotVerify) {
  auto other = generate_key_pair(m_dir->path() / "other");
  ASSERT_TRUE(other.has_value());
  EXPECT_NE(other->fingerprint, m_pair.fingerprint);
  auto key = SigningKey::load(other->private_key);
  auto pub = VerifyKey::load(m_pair.public_key);
  ASSERT_TRUE(key && pub);
  EXPECT_FALSE(pub->verify("m", key->sign("m")));
}

TEST_F(Signing, GroupOrWorldReadablePrivateKeyIsRefused) {
  for (mode_t mode : {0640U, 0604U, 0660U, 0644U}) {
    ::chmod(m_pair.private_key.c_str(), mode);
    auto key = SigningKey::load(m_pair.private_key);
    ASSERT_FALSE(key.has_value()) << std::oct << mode;
    EXPECT_EQ(key.error().code, Errc::invalid_input);
    EXPECT_NE(
        key.error().message.find(m_pair.private_key.string() + " is accessible by group or others"),
        std::string::npos)
        << key.error().message;
    EXPECT_NE(key.error().message.find("chmod 600"), std::string::npos);
  }
  ::chmod(m_pair.private_key.c_str(), 0400);
  EXPECT_TRUE(SigningKey::load(m_pair.private_key).has_value());
}

TEST_F(Signing, WrongFilesAreClearErrorsThatNeverQuoteTheKey) {
  auto missing = SigningKey::load(m_dir->path() / "nope.key");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, Errc::not_found);

  // The public half is not a private key, and the private half is not a
  // public key: both named, neither quoted.
  ::chmod(m_pair.public_key.c_str(), 0600);
  auto pub_as_private = SigningKey::load(m_pair.public_key);
  ASSERT_FALSE(pub_as_private.has_value());
  EXPECT_NE(pub_as_private.error().message.find("is not a PEM private key"), std::string::npos);
  auto private_as_pub = VerifyKey::load(m_pair.private_key);
  ASSERT_FALSE(private_as_pub.has_value());
  EXPECT_NE(private_as_pub.error().message.find("is not a PEM public key"), std::string::npos);
  std::string body = split(read(m_pair.private_key), '\n').at(1);
  EXPECT_EQ(private_as_pub.error().message.find(body), std::string::npos);

  auto dir_as_key = SigningKey::load(m_dir->path());
  ASSERT_FALSE(dir_as_key.has_value());
  EXPECT_NE(dir_as_key.error().message.find("not a regular file"), std::string::npos);

  const fs::path garbage = m_dir->path() / "garbage.key";
  ASSERT_TRUE(write_file(garbage, "-----BEGIN PRIVATE KEY-----\nnot base64\n").has_value());
  ::chmod(garbage.c_str(), 0600);
  auto bad = SigningKey::load(garbage);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Errc::invalid_input);
}

// A P-256 public key (openssl ecparam -name prime256v1) is not Ed25519.
TEST_F(Signing, NonEd25519PublicKeyIsRefused) {
  const char* p256 =
      "-----BEGIN PUBLIC KEY-----\n"
      "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE0DOC1+9/BQx7ooqJrS01qPxZUH3H\n"
      "nOg1hdUkoR7f9yJBJEjfkUFcULvNL3zicU1c4nTQM6pNUBte91+fhdzDLg==\n"
      "-----END PUBLIC KEY-----\n";
  auto key = VerifyKey::from_pem(p256, "p256.pub");
  ASSERT_FALSE(key.has_value());
  EXPECT_NE(key.error().message.find("p256.pub holds a EC key"), std::string::npos)
      << key.error().message;
}

}  // namespace
}  // namespace dp::reports
