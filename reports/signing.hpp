#pragma once
// Ed25519 keys for signing report bundles, through OpenSSL 3's EVP API. Keys
// are PEM files: PKCS#8 private keys and SubjectPublicKeyInfo public keys, the
// forms `openssl genpkey -algorithm ed25519` and `openssl pkey -pubout` use,
// so an auditor can verify with stock OpenSSL. Key material never appears in
// a message.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "verifier/core/result.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace dp::reports {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const;
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// A private key loaded for signing. Move-only; the key is freed (and
// OpenSSL clears it) with the object.
class SigningKey {
 public:
  // Reads a PEM Ed25519 private key. Refused with Errc::invalid_input when
  // the file is accessible by group or others (any bit of mode & 077), is not a regular
  // file, or holds anything but an Ed25519 private key; Errc::not_found when
  // missing. Messages name the file, never its content.
  static Result<SigningKey> load(const std::filesystem::path& file);

  // Raw Ed25519 signature (64 bytes) over `message`.
  std::string sign(std::string_view message) const;
  // sha256 of the public key's DER SubjectPublicKeyInfo, lowercase hex.
  const std::string& fingerprint() const { return m_fingerprint; }
  // The public half, PEM (SubjectPublicKeyInfo).
  std::string public_pem() const;

 private:
  SigningKey(Pkey key, std::string fingerprint)
      : m_key(std::move(key)), m_fingerprint(std::move(fingerprint)) {}
  Pkey m_key;
  std::string m_fingerprint;
};

class VerifyKey {
 public:
  // Reads a PEM public key (SubjectPublicKeyInfo); Errc::invalid_input when
  // it is not Ed25519.
  static Result<VerifyKey> load(const std::filesystem::path& file);
  static Result<VerifyKey> from_pem(std::string_view pem, std::string_view origin);

  bool verify(std::string_view message, std::string_view signature) const;
  const std::string& fingerprint() const { return m_fingerprint; }

 private:
  VerifyKey(Pkey key, std::string fingerprint)
      : m_key(std::move(key)), m_fingerprint(std::move(fingerprint)) {}
  Pkey m_key;
  std::string m_fingerprint;
};

struct KeyPairFiles {
  std::filesystem::path private_key;  // DIR/drillproof-signing.key, mode 0600
  std::filesystem::path public_key;   // DIR/drillproof-signing.pub, mode 0644
  std::string fingerprint;
};

// Generates a fresh Ed25519 key pair into DIR (created with mode 0700 when
// missing). Refuses (Errc::invalid_input) to overwrite an existing key file.
// The private key file is created with O_EXCL and mode 0600 before any key
// byte is written.
Result<KeyPairFiles> generate_key_pair(const std::filesystem::path& dir);

}  // namespace dp::reports
