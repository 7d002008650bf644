#include "verifier/artifacts/pg_checksum.hpp"

#include <openssl/evp.h>
#include <strings.h>

#include <cstdio>
#include <cstdlib>

#include "verifier/artifacts/crc32c.hpp"

namespace dp::artifacts {
namespace {

struct EvpFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

const EVP_MD* evp_of(PgChecksumType type) {
  switch (type) {
    case PgChecksumType::sha224:
      return EVP_sha224();
    case PgChecksumType::sha256:
      return EVP_sha256();
    case PgChecksumType::sha384:
      return EVP_sha384();
    case PgChecksumType::sha512:
      return EVP_sha512();
    case PgChecksumType::none:
    case PgChecksumType::crc32c:
      break;
  }
  return nullptr;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<PgChecksumType> parse_pg_checksum_type(std::string_view name) {
  for (auto type : {PgChecksumType::none, PgChecksumType::crc32c, PgChecksumType::sha224,
                    PgChecksumType::sha256, PgChecksumType::sha384, PgChecksumType::sha512}) {
    std::string_view canonical = pg_checksum_type_name(type);
    if (name.size() == canonical.size() &&
        ::strncasecmp(name.data(), canonical.data(), name.size()) == 0)
      return type;
  }
  return std::nullopt;
}

const char* pg_checksum_type_name(PgChecksumType type) {
  switch (type) {
    case PgChecksumType::none:
      return "NONE";
    case PgChecksumType::crc32c:
      return "CRC32C";
    case PgChecksumType::sha224:
      return "SHA224";
    case PgChecksumType::sha256:
      return "SHA256";
    case PgChecksumType::sha384:
      return "SHA384";
    case PgChecksumType::sha512:
      return "SHA512";
  }
  return "NONE";
}

struct PgChecksum::State {
  PgChecksumType type;
  std::uint32_t crc = 0;
  std::unique_ptr<EVP_MD_CTX, EvpFree> evp;
};

PgChecksum::PgChecksum(PgChecksumType type) : m_state(std::make_unique<State>()) {
  m_state->type = type;
  if (const EVP_MD* md = evp_of(type)) {
    m_state->evp.reset(EVP_MD_CTX_new());
    // Allocation failure here is like operator new failing: not a finding.
    if (!m_state->evp || EVP_DigestInit_ex(m_state->evp.get(), md, nullptr) != 1) {
      std::fprintf(stderr, "drillproof: cannot set up %s\n", pg_checksum_type_name(type));
      std::abort();
    }
  }
}
PgChecksum::PgChecksum(PgChecksum&&) noexcept = default;
PgChecksum& PgChecksum::operator=(PgChecksum&&) noexcept = default;
PgChecksum::~PgChecksum() = default;

void PgChecksum::update(const void* data, std::size_t size) {
  if (m_state->type == PgChecksumType::crc32c)
    m_state->crc = crc32c_extend(m_state->crc, data, size);
  else if (m_state->evp)
    EVP_DigestUpdate(m_state->evp.get(), data, size);
}

std::vector<std::uint8_t> PgChecksum::finish() {
  if (m_state->type == PgChecksumType::crc32c) return crc32c_bytes(m_state->crc);
  if (!m_state->evp) return {};
  std::vector<std::uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  EVP_DigestFinal_ex(m_state->evp.get(), out.data(), &n);
  out.resize(n);
  return out;
}

std::vector<std::uint8_t> crc32c_bytes(std::uint32_t crc) {
  // memcpy of the uint32 in PostgreSQL: host order, little-endian on every
  // platform drillproof builds for.
  return {static_cast<std::uint8_t>(crc), static_cast<std::uint8_t>(crc >> 8),
          static_cast<std::uint8_t>(crc >> 16), static_cast<std::uint8_t>(crc >> 24)};
}

std::string bytes_to_hex(const std::vector<std::uint8_t>& bytes) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    out += k_digits[b >> 4];
    out += k_digits[b & 0xf];
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> hex_to_bytes(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::vector<std::uint8_t> out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = hex_digit(hex[2 * i]);
    int lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

}  // namespace dp::artifacts
