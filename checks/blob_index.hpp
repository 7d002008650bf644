#pragma once
// The key index of one blob store (`[[blob_store]]`, docs/plan.md), for the
// blob_refs check. Memory grows with the number of blobs, never with the
// number of references checked against it: per blob its size, its digest
// (when a manifest gives one), one kind byte and one "referenced" bit; plus
// an open-addressing table at a load factor of at most 1/2 whose 16-byte
// slots hold 96 bits of the key's XXH3-128 hash and the blob's number, so a
// lookup costs one cache miss (linear probing stays in the line). Key names
// are not kept: orphans are listed by a second pass over the manifest or the
// directory.
//
// Two keys with the same 96 hash bits would be taken for one blob, so a
// dangling key could look present. With `full_hash` (set when blob_refs
// reads the blobs on disk, where a wrong match would also hand one blob's
// cached state to another key) the remaining 32 bits are kept per blob and
// compared too, so a match needs all 128 bits. Without it (manifest-only
// stores) the chance that any of R references collides with one of N blobs
// is about R*N/2^96: 1e-13 for 10,000,000 references against 1e9 blobs.
//
// Not thread-safe; one index per check run.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "verifier/artifacts/digest.hpp"
#include "verifier/core/result.hpp"

namespace dp::checks {

// Why a key cannot name a blob inside the store, or nullopt when it can: it
// is empty, absolute, has a "..", "." or empty component, or holds a NUL.
// Such keys are findings and are never opened.
std::optional<std::string> key_escape_reason(std::string_view key);

class BlobIndex {
 public:
  static constexpr std::uint32_t k_none = 0xffffffffU;

  enum class Kind : std::uint8_t { file, symlink };

  // Every entry of a drillproof manifest (docs/manifest.md). Errc::not_found /
  // Errc::invalid_input from the manifest reader, naming the file.
  // `keep_digests` false leaves digests out (nobody compares them).
  static Result<BlobIndex> from_manifest(const std::filesystem::path& manifest,
                                         bool keep_digests = true, bool full_hash = false);
  // Every regular file and symlink under `root` (symlinks never followed);
  // sizes and digests unknown. Errc::io naming a directory that cannot be listed.
  static Result<BlobIndex> from_directory(const std::filesystem::path& root,
                                          bool full_hash = false);

  explicit BlobIndex(bool full_hash = false) : m_full_hash(full_hash) {}

  // A key's XXH3-128 hash as the index uses it (tests forge collisions with it).
  struct Hash {
    std::uint64_t low = 0;
    std::uint32_t high = 0;  // compared in the slot
    std::uint32_t tail = 0;  // compared only with full_hash
  };
  static Hash hash_of(std::string_view key);

  // Adds one blob (tests, and the two loaders). `digest` is raw bytes of the
  // index's digest algorithm, or empty. Call finish() once after the last
  // add(); find() works only after it.
  void add(std::string_view key, Kind kind, std::optional<std::uint64_t> size,
           std::string_view digest) {
    add(hash_of(key), kind, size, digest);
  }
  void add(const Hash& hash, Kind kind, std::optional<std::uint64_t> size, std::string_view digest);
  void finish();

  // The blob's number, or k_none.
  std::uint32_t find(std::string_view key) const { return find(hash_of(key)); }
  std::uint32_t find(const Hash& hash) const;
  // Starts loading the slot find(hash) reads first into the cache: issued a
  // few keys ahead, the table's cache miss overlaps the work on other keys.
  void prefetch(const Hash& hash) const {
    if (!m_slots.empty()) __builtin_prefetch(&m_slots[hash.low & m_mask]);
  }

  std::size_t size() const { return m_sizes.size(); }
  Kind kind(std::uint32_t i) const { return static_cast<Kind>(m_kinds[i]); }
  std::optional<std::uint64_t> size_of(std::uint32_t i) const {
    return m_sizes[i] == k_unknown_size ? std::nullopt : std::optional(m_sizes[i]);
  }
  // Raw digest bytes from the manifest; empty when none was recorded.
  std::string_view digest_of(std::uint32_t i) const;
  // The manifest's algorithm; nullopt for a directory walk.
  std::optional<artifacts::Algorithm> algorithm() const { return m_algorithm; }

  void mark_referenced(std::uint32_t i) { m_referenced[i >> 6] |= std::uint64_t{1} << (i & 63); }
  bool referenced(std::uint32_t i) const { return (m_referenced[i >> 6] >> (i & 63)) & 1U; }
  std::size_t referenced_count() const;

  // Bytes held, for the report and the memory test.
  std::size_t memory_bytes() const;

 private:
  static constexpr std::uint64_t k_unknown_size = ~std::uint64_t{0};
  struct Slot {
    std::uint64_t low = 0;
    std::uint32_t high = 0;
    std::uint32_t index = k_none;  // k_none: empty
  };
  bool m_full_hash = false;
  std::vector<std::uint32_t> m_tails;  // Hash::tail per blob, with m_full_hash
  std::optional<artifacts::Algorithm> m_algorithm;
  std::size_t m_digest_len = 0;
  std::vector<Slot> m_pending;  // hashes added, until finish() places them
  std::vector<std::uint64_t> m_sizes;
  std::vector<std::uint8_t> m_kinds;
  std::vector<std::uint8_t> m_digests;  // m_digest_len bytes per blob, zero when unknown
  std::vector<std::uint64_t> m_referenced;
  std::vector<Slot> m_slots;  // open addressing, linear probing
  std::uint64_t m_mask = 0;
};

// Visits each key of the store again, in the order the index was built
// (manifest order, or the directory walk's path order), for listing orphans.
Result<void> for_each_store_key(const std::filesystem::path& manifest,
                                const std::filesystem::path& root,
                                const std::function<bool(std::string_view key)>& visit);

// Lowercase hex -> bytes; nullopt when `hex` is not an even run of hex digits.
std::optional<std::string> hex_to_bytes(std::string_view hex);
std::string bytes_to_hex(std::string_view bytes);

}  // namespace dp::checks
