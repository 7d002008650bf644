#include "verifier/artifacts/digest.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#if defined(__x86_64__)
#include <xxh_x86dispatch.h>
#endif

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "verifier/artifacts/block_ring.hpp"
#include "verifier/core/fd.hpp"

namespace dp::artifacts {
namespace {

struct XxhFree {
  void operator()(XXH3_state_t* s) const { XXH3_freeState(s); }
};
struct EvpFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = k_digits[bytes[i] >> 4];
    out[2 * i + 1] = k_digits[bytes[i] & 0xf];
  }
  return out;
}

// Allocation failure of a digest context is not a condition we can report
// usefully from deep inside a worker: treat it like operator new failing.
[[noreturn]] void out_of_memory(const char* what) {
  std::fprintf(stderr, "drillproof: cannot allocate %s\n", what);
  std::abort();
}

// Files at least this large are read by the calling thread and a helper
// (block_ring.hpp), the bytes hashed in order on the calling thread.
constexpr std::uint64_t k_parallel_read_min = 64 << 20;

}  // namespace

struct Hasher::State {
  Algorithm algorithm;
  std::unique_ptr<XXH3_state_t, XxhFree> xxh;
  std::unique_ptr<EVP_MD_CTX, EvpFree> evp;
};

const char* algorithm_name(Algorithm algorithm) {
  return algorithm == Algorithm::sha256 ? "sha256" : "xxh3-128";
}

std::optional<Algorithm> parse_algorithm(std::string_view name) {
  if (name == "xxh3-128" || name == "xxh3") return Algorithm::xxh3_128;
  if (name == "sha256") return Algorithm::sha256;
  return std::nullopt;
}

Hasher::Hasher(Algorithm algorithm) : m_state(std::make_unique<State>()) {
  m_state->algorithm = algorithm;
  if (algorithm == Algorithm::xxh3_128) {
    m_state->xxh.reset(XXH3_createState());
    if (!m_state->xxh || XXH3_128bits_reset(m_state->xxh.get()) != XXH_OK)
      out_of_memory("xxh3 state");
  } else {
    m_state->evp.reset(EVP_MD_CTX_new());
    if (!m_state->evp || EVP_DigestInit_ex(m_state->evp.get(), EVP_sha256(), nullptr) != 1)
      out_of_memory("sha256 context");
  }
}

Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;
Hasher::~Hasher() = default;

void Hasher::update(const void* data, std::size_t size) {
  if (m_state->xxh)
#if defined(__x86_64__)
    // The library's plain entry point is built for baseline SSE2; the
    // dispatching one picks AVX2 or AVX-512 at run time, as xxhsum does:
    // three times less CPU on large files.
    XXH3_128bits_update_dispatch(m_state->xxh.get(), data, size);
#else
    XXH3_128bits_update(m_state->xxh.get(), data, size);
#endif
  else
    EVP_DigestUpdate(m_state->evp.get(), data, size);
}

std::string Hasher::finish_hex() {
  if (m_state->xxh) {
    // The canonical (big-endian) form is what xxhsum -H2 prints.
    XXH128_canonical_t canon;
    XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(m_state->xxh.get()));
    return to_hex(canon.digest, sizeof canon.digest);
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(m_state->evp.get(), md, &len);
  return to_hex(md, len);
}

Result<FileDigest> hash_file(const std::filesystem::path& file, Algorithm algorithm,
                             std::vector<unsigned char>& buffer,
                             std::optional<std::uint64_t> expected_size, int dir_fd,
                             const char* rel) {
  int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW;
  Fd fd(rel ? ::openat(dir_fd, rel, flags) : ::open(file.c_str(), flags));
  if (!fd.valid())
    return make_error(Errc::io,
                      fmt::format("{}: cannot open: {}", file.string(), std::strerror(errno)));
  if (!expected_size) {
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
      return make_error(Errc::io, fmt::format("{}: stat: {}", file.string(), std::strerror(errno)));
    expected_size = static_cast<std::uint64_t>(st.st_size);
  }
  // Advice only (the kernel doubles its read-ahead), and only where a second
  // block will be read: for small files it is one syscall for nothing.
  if (*expected_size > buffer.size()) (void)::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  Hasher hasher(algorithm);
  FileDigest out;
  if (*expected_size >= k_parallel_read_min) {
    BlockRingOptions ring;
    ring.block = buffer.size();
    std::int64_t n = read_in_ring(fd.get(), ring, [&](const unsigned char* data, std::size_t size) {
      hasher.update(data, size);
    });
    if (n < 0)
      return make_error(Errc::io, fmt::format("{}: read: {}", file.string(),
                                              std::strerror(static_cast<int>(-n))));
    out.size = static_cast<std::uint64_t>(n);
    out.hex = hasher.finish_hex();
    return out;
  }
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return make_error(Errc::io, fmt::format("{}: read: {}", file.string(), std::strerror(errno)));
    if (n == 0) break;
    hasher.update(buffer.data(), static_cast<std::size_t>(n));
    out.size += static_cast<std::uint64_t>(n);
    if (static_cast<std::size_t>(n) < buffer.size() && out.size == *expected_size) break;
  }
  out.hex = hasher.finish_hex();
  return out;
}

Result<FileDigest> hash_symlink(const std::filesystem::path& link, Algorithm algorithm) {
  std::error_code ec;
  std::filesystem::path target = std::filesystem::read_symlink(link, ec);
  if (ec) return make_error(Errc::io, fmt::format("{}: readlink: {}", link.string(), ec.message()));
  Hasher hasher(algorithm);
  hasher.update(target.native());
  return FileDigest{target.native().size(), hasher.finish_hex()};
}

}  // namespace dp::artifacts
