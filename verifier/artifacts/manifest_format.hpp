#pragma once
// The manifest file format (docs/manifest.md), version 1:
//
//   # drillproof manifest v1 xxh3-128
//   f <hex digest> <size> <path>
//   l <hex digest of the link target text> <target length> <path>
//   # self-digest <hex digest of every byte above this line>
//
// Entries are sorted by path_less and paths are escaped ("\\" and "\n"), so
// the file is one line per entry and can be merged with a tree walk.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "verifier/artifacts/digest.hpp"
#include "verifier/artifacts/tree_walk.hpp"
#include "verifier/core/result.hpp"

namespace dp::artifacts {

inline constexpr int k_manifest_version = 1;

struct ManifestEntry {
  std::string path;  // unescaped, relative, '/'-separated
  EntryType type = EntryType::file;
  std::uint64_t size = 0;
  std::string digest;  // lowercase hex
};

std::string header_line(Algorithm algorithm);
std::string entry_line(const ManifestEntry& entry);
std::string self_digest_line(const std::string& hex);

// Reads a manifest one line at a time (memory: one line). Not thread-safe.
class ManifestReader {
 public:
  // Reads and checks the header. Errc::not_found / Errc::invalid_input naming the file.
  static Result<ManifestReader> open(const std::filesystem::path& file);

  Algorithm algorithm() const { return m_algorithm; }

  // The next entry in order; nullopt once the self-digest line (or the end of
  // the file) is reached. Errc::invalid_input "file:line: ..." for a line that
  // does not parse, a path out of order or a duplicate, or text after the
  // self-digest line.
  Result<std::optional<ManifestEntry>> next();

  // After next() returned nullopt: the digest the file records (empty if the
  // self-digest line is missing) and the digest of the bytes above it.
  const std::string& recorded_digest() const { return m_recorded; }
  const std::string& computed_digest() const { return m_computed; }

 private:
  ManifestReader(std::filesystem::path file, std::ifstream in, Algorithm algorithm);
  Unexpected<Error> bad_line(const std::string& why) const;
  Result<std::optional<ManifestEntry>> finish(const std::string& line);

  std::filesystem::path m_file;
  std::ifstream m_in;
  Algorithm m_algorithm;
  Hasher m_hasher;
  std::size_t m_line_no = 1;
  std::string m_previous;
  bool m_has_previous = false;
  bool m_done = false;
  std::string m_recorded;
  std::string m_computed;
};

}  // namespace dp::artifacts
