// Ed25519 through OpenSSL 3's EVP API. Ed25519 signs the message itself (no
// separate digest), which is what `openssl pkeyutl -sign -rawin` does, so
// our signatures and the auditor's command agree byte for byte.
#include "reports/signing.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "verifier/core/fd.hpp"
#include "verifier/core/sha256.hpp"

namespace dp::reports {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t k_max_key_file = 64 * 1024;
constexpr const char* k_private_name = "drillproof-signing.key";
constexpr const char* k_public_name = "drillproof-signing.pub";

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};

// Key bytes are wiped from our buffers as soon as OpenSSL has parsed them.
class SecretBuffer {
 public:
  SecretBuffer() = default;
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;
  ~SecretBuffer() {
    if (!m_bytes.empty()) OPENSSL_cleanse(m_bytes.data(), m_bytes.size());
  }
  std::string& bytes() { return m_bytes; }

 private:
  std::string m_bytes;
};

std::string fingerprint_of(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int size = i2d_PUBKEY(key, &der);
  if (size <= 0) std::abort();  // a loaded key always has a public half
  std::string hex = sha256_hex(
      std::string_view(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size)));
  OPENSSL_free(der);
  return hex;
}

bool is_ed25519(EVP_PKEY* key) { return EVP_PKEY_is_a(key, "ED25519") == 1; }

// Opens without following a final symlink's permissions silently: the
// permission check is on the file actually opened (fstat), so a swap between
// check and read cannot slip a group-readable key past us.
Result<Fd> open_key_file(const fs::path& file, bool must_be_private) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; anything but a
  // regular file is refused below anyway.
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) {
    int err = errno;
    return make_error(
        err == ENOENT ? Errc::not_found : Errc::invalid_input,
        fmt::format("cannot open key file {}: {}", file.string(), std::strerror(err)));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
    return make_error(Errc::invalid_input,
                      fmt::format("key file {} is not a regular file", file.string()));
  if (must_be_private && (st.st_mode & 077) != 0)
    return make_error(Errc::invalid_input,
                      fmt::format("private key {} is accessible by group or others (mode {:04o}); "
                                  "refusing to use it: run chmod 600 {}",
                                  file.string(), st.st_mode & 07777, file.string()));
  if (st.st_size > static_cast<off_t>(k_max_key_file))
    return make_error(Errc::invalid_input,
                      fmt::format("key file {} is too large to be a PEM key", file.string()));
  return fd;
}

Result<void> read_all(int fd, const fs::path& file, std::string& out) {
  char chunk[4096];
  while (out.size() <= k_max_key_file) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(Errc::io, fmt::format("cannot read key file {}: {}", file.string(),
                                              std::strerror(errno)));
    }
    if (n == 0) break;
    out.append(chunk, static_cast<std::size_t>(n));
  }
  OPENSSL_cleanse(chunk, sizeof chunk);
  return {};
}

// OpenSSL's default for an encrypted PEM key is to prompt on the terminal,
// which would hang a cron job or CI step; refuse instead.
int no_passphrase(char*, int, int, void*) { return -1; }

Bio memory_bio(std::string_view bytes) {
  Bio bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  if (!bio) std::abort();
  return bio;
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

Result<Fd> create_exclusive(const fs::path& file, mode_t mode) {
  Fd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd.valid()) {
    int err = errno;
    return make_error(err == EEXIST ? Errc::invalid_input : Errc::io,
                      err == EEXIST
                          ? fmt::format("{} already exists; refusing to overwrite a key "
                                        "(move it away or choose another --out)",
                                        file.string())
                          : fmt::format("cannot create {}: {}", file.string(), std::strerror(err)));
  }
  // The umask may have narrowed the mode; make it exactly what we promise.
  if (::fchmod(fd.get(), mode) != 0)
    return make_error(Errc::io,
                      fmt::format("cannot chmod {}: {}", file.string(), std::strerror(errno)));
  return fd;
}

Result<void> write_fd(int fd, std::string_view bytes, const fs::path& file) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(Errc::io,
                        fmt::format("cannot write {}: {}", file.string(), std::strerror(errno)));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd) != 0)
    return make_error(Errc::io,
                      fmt::format("cannot sync {}: {}", file.string(), std::strerror(errno)));
  return {};
}

}  // namespace

void PkeyFree::operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }

Result<SigningKey> SigningKey::load(const fs::path& file) {
  auto fd = open_key_file(file, /*must_be_private=*/true);
  if (!fd) return Unexpected<Error>(std::move(fd).error());
  SecretBuffer pem;
  DP_TRY_VOID(read_all(fd->get(), file, pem.bytes()));
  Bio bio = memory_bio(pem.bytes());
  Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, &no_passphrase, nullptr));
  if (!key)
    return make_error(Errc::invalid_input,
                      fmt::format("{} is not a PEM private key, or is encrypted (expected an "
                                  "unencrypted PKCS#8 Ed25519 key, as `drillproof keygen` "
                                  "writes)",
                                  file.string()));
  if (!is_ed25519(key.get()))
    return make_error(Errc::invalid_input,
                      fmt::format("{} holds a {} key; drillproof signs with Ed25519 only",
                                  file.string(), EVP_PKEY_get0_type_name(key.get())));
  std::string fp = fingerprint_of(key.get());
  return SigningKey(std::move(key), std::move(fp));
}

std::string SigningKey::sign(std::string_view message) const {
  MdCtx ctx(EVP_MD_CTX_new());
  unsigned char sig[64];
  std::size_t size = sizeof sig;
  // Ed25519 with a valid key cannot fail except by allocation failure.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, m_key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &size, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1)
    std::abort();
  return std::string(reinterpret_cast<const char*>(sig), size);
}

std::string SigningKey::public_pem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), m_key.get()) != 1) std::abort();
  return bio_contents(bio.get());
}

Result<VerifyKey> VerifyKey::load(const fs::path& file) {
  auto fd = open_key_file(file, /*must_be_private=*/false);
  if (!fd) return Unexpected<Error>(std::move(fd).error());
  std::string pem;
  DP_TRY_VOID(read_all(fd->get(), file, pem));
  return from_pem(pem, file.string());
}

Result<VerifyKey> VerifyKey::from_pem(std::string_view pem, std::string_view origin) {
  Bio bio = memory_bio(pem);
  Pkey key(PEM_read_bio_PUBKEY(bio.get(), nullptr, &no_passphrase, nullptr));
  if (!key)
    return make_error(Errc::invalid_input,
                      fmt::format("{} is not a PEM public key (expected \"-----BEGIN PUBLIC "
                                  "KEY-----\", as `drillproof keygen` writes to *.pub)",
                                  origin));
  if (!is_ed25519(key.get()))
    return make_error(Errc::invalid_input,
                      fmt::format("{} holds a {} key; drillproof bundles are signed with Ed25519",
                                  origin, EVP_PKEY_get0_type_name(key.get())));
  std::string fp = fingerprint_of(key.get());
  return VerifyKey(std::move(key), std::move(fp));
}

bool VerifyKey::verify(std::string_view message, std::string_view signature) const {
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, m_key.get()) != 1)
    std::abort();
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

Result<KeyPairFiles> generate_key_pair(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec)
      return make_error(Errc::io, fmt::format("cannot create {}: {}", dir.string(), ec.message()));
    fs::permissions(dir, fs::perms::owner_all, ec);
  }
  KeyPairFiles files{dir / k_private_name, dir / k_public_name, {}};
  // Both names are claimed before the key exists, so a refusal leaves nothing.
  auto private_fd = create_exclusive(files.private_key, 0600);
  if (!private_fd) return Unexpected<Error>(std::move(private_fd).error());
  auto public_fd = create_exclusive(files.public_key, 0644);
  if (!public_fd) {
    fs::remove(files.private_key, ec);
    return Unexpected<Error>(std::move(public_fd).error());
  }

  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1)
    std::abort();
  Pkey key(raw);

  Bio private_bio(BIO_new(BIO_s_mem()));
  Bio public_bio(BIO_new(BIO_s_mem()));
  if (!private_bio || !public_bio ||
      PEM_write_bio_PrivateKey(private_bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                               nullptr) != 1 ||
      PEM_write_bio_PUBKEY(public_bio.get(), key.get()) != 1)
    std::abort();
  SecretBuffer private_pem;
  private_pem.bytes() = bio_contents(private_bio.get());
  auto written = write_fd(private_fd->get(), private_pem.bytes(), files.private_key);
  if (written)
    written = write_fd(public_fd->get(), bio_contents(public_bio.get()), files.public_key);
  if (!written) {
    fs::remove(files.private_key, ec);
    fs::remove(files.public_key, ec);
    return Unexpected<Error>(std::move(written).error());
  }
  files.fingerprint = fingerprint_of(key.get());
  return files;
}

}  // namespace dp::reports
