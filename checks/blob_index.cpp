#include "checks/blob_index.hpp"

#include <xxhash.h>

#include <bit>
#include <cstring>
#include <system_error>

#include "verifier/artifacts/manifest_format.hpp"
#include "verifier/artifacts/tree_walk.hpp"

namespace dp::checks {
namespace fs = std::filesystem;

std::optional<std::string> key_escape_reason(std::string_view key) {
  if (key.empty()) return "empty key";
  if (key.find('\0') != std::string_view::npos) return "key contains a NUL byte";
  if (key.front() == '/') return "absolute path";
  std::size_t start = 0;
  while (start <= key.size()) {
    std::size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view part = key.substr(start, end - start);
    if (part == "..") return "'..' component leaves the store";
    if (part == ".") return "'.' component (keys are canonical relative paths)";
    if (part.empty()) return "empty path component";
    start = end + 1;
  }
  return std::nullopt;
}

std::optional<std::string> hex_to_bytes(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = nibble(hex[2 * i]);
    int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return out;
}

std::string bytes_to_hex(std::string_view bytes) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    out += k_digits[b >> 4];
    out += k_digits[b & 15];
  }
  return out;
}

BlobIndex::Hash BlobIndex::hash_of(std::string_view key) {
  XXH128_hash_t h = XXH3_128bits(key.data(), key.size());
  return Hash{h.low64, static_cast<std::uint32_t>(h.high64 >> 32),
              static_cast<std::uint32_t>(h.high64)};
}

void BlobIndex::add(const Hash& hash, Kind kind, std::optional<std::uint64_t> size,
                    std::string_view digest) {
  m_pending.push_back(Slot{hash.low, hash.high, static_cast<std::uint32_t>(m_sizes.size())});
  if (m_full_hash) m_tails.push_back(hash.tail);
  m_sizes.push_back(size.value_or(k_unknown_size));
  m_kinds.push_back(static_cast<std::uint8_t>(kind));
  if (m_digest_len > 0) {
    std::size_t at = m_digests.size();
    m_digests.resize(at + m_digest_len, 0);
    if (digest.size() == m_digest_len) std::memcpy(&m_digests[at], digest.data(), m_digest_len);
  }
}

void BlobIndex::finish() {
  std::size_t n = m_sizes.size();
  m_referenced.assign((n + 63) / 64, 0);
  std::size_t capacity = std::bit_ceil(std::max<std::size_t>(16, n * 2));
  m_slots.assign(capacity, Slot{});
  m_mask = capacity - 1;
  for (const Slot& s : m_pending) {
    std::uint64_t at = s.low & m_mask;
    while (m_slots[at].index != k_none) at = (at + 1) & m_mask;
    m_slots[at] = s;
  }
  m_pending = {};
}

std::uint32_t BlobIndex::find(const Hash& h) const {
  if (m_slots.empty()) return k_none;
  std::uint64_t at = h.low & m_mask;
  while (true) {
    const Slot& s = m_slots[at];
    if (s.index == k_none) return k_none;
    // A 96-bit match whose tail differs is another key: keep probing.
    if (s.low == h.low && s.high == h.high && (!m_full_hash || m_tails[s.index] == h.tail))
      return s.index;
    at = (at + 1) & m_mask;
  }
}

std::string_view BlobIndex::digest_of(std::uint32_t i) const {
  if (m_digest_len == 0) return {};
  std::string_view d(reinterpret_cast<const char*>(&m_digests[i * m_digest_len]), m_digest_len);
  if (d.find_first_not_of('\0') == std::string_view::npos) return {};
  return d;
}

std::size_t BlobIndex::referenced_count() const {
  std::size_t n = 0;
  for (std::uint64_t word : m_referenced) n += static_cast<std::size_t>(std::popcount(word));
  return n;
}

std::size_t BlobIndex::memory_bytes() const {
  return m_pending.capacity() * sizeof(Slot) + m_sizes.capacity() * sizeof(std::uint64_t) +
         m_kinds.capacity() + m_digests.capacity() + m_referenced.capacity() * 8 +
         m_slots.capacity() * sizeof(Slot) + m_tails.capacity() * sizeof(std::uint32_t);
}

Result<BlobIndex> BlobIndex::from_manifest(const fs::path& manifest, bool keep_digests,
                                           bool full_hash) {
  auto reader = artifacts::ManifestReader::open(manifest);
  if (!reader) return Unexpected<Error>(std::move(reader).error());
  BlobIndex index(full_hash);
  index.m_algorithm = reader->algorithm();
  index.m_digest_len = !keep_digests                                         ? 0
                       : reader->algorithm() == artifacts::Algorithm::sha256 ? 32
                                                                             : 16;
  // An entry line is at least 37 bytes ("f <32 hex> 0 x"), so this bounds the
  // entry count; reserving it avoids regrowth copies, and pages never
  // touched are never resident.
  std::error_code ec;
  std::uintmax_t bytes = fs::file_size(manifest, ec);
  if (!ec) {
    std::size_t most = static_cast<std::size_t>(bytes / 37);
    index.m_pending.reserve(most);
    index.m_sizes.reserve(most);
    index.m_kinds.reserve(most);
    if (full_hash) index.m_tails.reserve(most);
    index.m_digests.reserve(most * index.m_digest_len);
  }
  while (true) {
    auto entry = reader->next();
    if (!entry) return Unexpected<Error>(std::move(entry).error());
    if (!*entry) break;
    const artifacts::ManifestEntry& e = **entry;
    if (index.m_sizes.size() >= k_none)
      return make_error(Errc::invalid_input, manifest.string() + ": more than 4294967294 blobs");
    // Decoded only when kept: a 16- or 32-byte string is one allocation per blob.
    std::optional<std::string> digest;
    if (index.m_digest_len > 0) digest = hex_to_bytes(e.digest);
    index.add(e.path, e.type == artifacts::EntryType::symlink ? Kind::symlink : Kind::file, e.size,
              digest ? std::string_view(*digest) : std::string_view());
  }
  // A store manifest edited or cut short would silently hide or invent blobs.
  if (reader->recorded_digest() != reader->computed_digest())
    return make_error(
        Errc::invalid_input,
        manifest.string() + (reader->recorded_digest().empty()
                                 ? ": no self-digest line (truncated?)"
                                 : ": self-digest does not match its content (edited or damaged)"));
  index.finish();
  return index;
}

Result<BlobIndex> BlobIndex::from_directory(const fs::path& root, bool full_hash) {
  BlobIndex index(full_hash);
  auto walked = artifacts::walk_tree(root, {}, [&](artifacts::TreeEntry&& e) {
    index.add(e.rel, e.type == artifacts::EntryType::symlink ? Kind::symlink : Kind::file,
              std::nullopt, {});
  });
  if (!walked) return Unexpected<Error>(std::move(walked).error());
  index.finish();
  return index;
}

Result<void> for_each_store_key(const fs::path& manifest, const fs::path& root,
                                const std::function<bool(std::string_view key)>& visit) {
  if (!manifest.empty()) {
    auto reader = artifacts::ManifestReader::open(manifest);
    if (!reader) return Unexpected<Error>(std::move(reader).error());
    while (true) {
      auto entry = reader->next();
      if (!entry) return Unexpected<Error>(std::move(entry).error());
      if (!*entry || !visit((*entry)->path)) return {};
    }
  }
  bool more = true;
  return artifacts::walk_tree(root, {}, [&](artifacts::TreeEntry&& e) {
    if (more) more = visit(e.rel);
  });
}

}  // namespace dp::checks
