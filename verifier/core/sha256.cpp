#include "verifier/core/sha256.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

namespace dp {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

struct FileClose {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

std::string to_hex(const unsigned char* digest, unsigned int size) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2u);
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(k_digits[digest[i] >> 4]);
    hex.push_back(k_digits[digest[i] & 0x0f]);
  }
  return hex;
}

// Allocation failure inside OpenSSL is the only way these calls fail with a
// valid context and algorithm: a bug or out of memory, not a Result.
MdCtx new_sha256() {
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) std::abort();
  return ctx;
}

std::string finish(EVP_MD_CTX* ctx) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx, digest, &size) != 1) std::abort();
  return to_hex(digest, size);
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  MdCtx ctx = new_sha256();
  if (EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) != 1) std::abort();
  return finish(ctx.get());
}

Result<std::string> sha256_file_hex(const std::filesystem::path& file) {
  std::unique_ptr<std::FILE, FileClose> f(std::fopen(file.c_str(), "rb"));
  if (!f)
    return make_error(Errc::io,
                      fmt::format("cannot open {}: {}", file.string(), std::strerror(errno)));
  MdCtx ctx = new_sha256();
  std::vector<char> buffer(1 << 20);
  while (true) {
    std::size_t n = std::fread(buffer.data(), 1, buffer.size(), f.get());
    if (n > 0 && EVP_DigestUpdate(ctx.get(), buffer.data(), n) != 1) std::abort();
    if (n < buffer.size()) {
      if (std::ferror(f.get()))
        return make_error(Errc::io, fmt::format("cannot read {}", file.string()));
      break;
    }
  }
  return finish(ctx.get());
}

}  // namespace dp
