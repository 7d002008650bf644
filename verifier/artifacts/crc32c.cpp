#include "verifier/artifacts/crc32c.hpp"

#include <isa-l/crc.h>

#include <array>
#include <climits>

namespace dp::artifacts {
namespace {

// The reflected Castagnoli polynomial.
constexpr std::uint32_t k_poly = 0x82F63B78u;

// a(x) * b(x) modulo the polynomial, bits reflected (as zlib's crc32_combine
// does it for its own polynomial).
constexpr std::uint32_t multmodp(std::uint32_t a, std::uint32_t b) {
  std::uint32_t m = 1u << 31;
  std::uint32_t p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) == 0) break;
    }
    m >>= 1;
    b = (b & 1) ? (b >> 1) ^ k_poly : b >> 1;
  }
  return p;
}

// x^(2^k) modulo the polynomial, k = 0..31.
constexpr std::array<std::uint32_t, 32> make_x2n_table() {
  std::array<std::uint32_t, 32> table{};
  std::uint32_t p = 1u << 30;  // x^1
  for (auto& t : table) {
    t = p;
    p = multmodp(p, p);
  }
  return table;
}
constexpr auto k_x2n = make_x2n_table();

// x^(n * 2^k) modulo the polynomial.
std::uint32_t x2nmodp(std::uint64_t n, unsigned k) {
  std::uint32_t p = 1u << 31;  // x^0
  while (n) {
    if (n & 1) p = multmodp(k_x2n[k & 31], p);
    n >>= 1;
    ++k;
  }
  return p;
}

}  // namespace

std::uint32_t crc32c_extend(std::uint32_t crc, const void* data, std::size_t size) {
  // ISA-L works on the raw register (no inversions) and takes an int length.
  std::uint32_t raw = ~crc;
  auto* bytes = static_cast<unsigned char*>(const_cast<void*>(data));
  constexpr std::size_t k_max = std::size_t{1} << 30;
  while (size > 0) {
    std::size_t n = size < k_max ? size : k_max;
    raw = crc32_iscsi(bytes, static_cast<int>(n), raw);
    bytes += n;
    size -= n;
  }
  return ~raw;
}

std::uint32_t crc32c_combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t size_b) {
  return multmodp(x2nmodp(size_b, 3), crc_a) ^ crc_b;
}

}  // namespace dp::artifacts
