#pragma once
// Manifests of a directory tree (docs/manifest.md): create one, and verify a
// tree against one. Per file: relative path, size, xxh3-128 or SHA-256
// digest; the manifest ends with a digest of itself so an edited or stale
// manifest is detected. Files are hashed on a thread pool; the tree and the
// manifest are streamed, so memory does not grow with the tree (only with the
// number of findings).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "verifier/artifacts/digest.hpp"
#include "verifier/core/result.hpp"

namespace dp::artifacts {

// Called on the calling thread after each file with the running totals
// (files and bytes read); empty: no progress.
using Progress = std::function<void(std::uint64_t files, std::uint64_t bytes)>;

struct CreateOptions {
  Algorithm algorithm = Algorithm::xxh3_128;
  unsigned threads = 0;  // 0: hardware_concurrency
  Progress progress;
};

struct CreateSummary {
  std::uint64_t files = 0;  // entries written (files and symlinks)
  std::uint64_t bytes = 0;
  std::string self_digest;
};

// Writes the manifest of `root` to `out` atomically (a temporary file next to
// it, fsync, rename). If `out` lies inside `root` it is left out of the
// manifest. Errc::invalid_input if root is not a directory; Errc::io naming
// the file that could not be read or written.
Result<CreateSummary> create_manifest(const std::filesystem::path& root,
                                      const std::filesystem::path& out,
                                      const CreateOptions& options);

enum class FindingKind {
  missing,          // in the manifest, not in the tree
  extra,            // in the tree, not in the manifest
  changed,          // same size, different digest (or file <-> symlink)
  resized,          // different size
  unreadable,       // in both, but could not be read
  manifest_digest,  // the manifest's self-digest does not match: edited or stale
  wal,              // backup_manifest only: a WAL segment its WAL-Ranges need is not in pg_wal/
};

const char* finding_kind_name(FindingKind kind);

struct ManifestFinding {
  FindingKind kind;
  std::string path;     // relative path; the manifest file for manifest_digest
  std::string message;  // "a/b.bin: 4096 bytes, manifest says 4100"
};

struct VerifyOptions {
  unsigned threads = 0;  // 0: hardware_concurrency
  Progress progress;
};

enum class ManifestFormat { drillproof, pg_backup };

struct VerifyReport {
  Algorithm algorithm = Algorithm::xxh3_128;  // drillproof manifests only
  ManifestFormat format = ManifestFormat::drillproof;
  // The file digest as output prints it: algorithm_name(algorithm), or for a
  // backup_manifest its Checksum-Algorithm ("CRC32C"; comma-separated if the
  // files differ).
  std::string algorithm_label;
  std::uint64_t files_checked = 0;  // entries whose digest matched
  std::uint64_t bytes_checked = 0;
  std::vector<ManifestFinding> findings;  // every problem, sorted by path
  bool ok() const { return findings.empty(); }
};

// Compares `root` with the manifest; every finding is reported, not only the
// first. Errc::invalid_input for a root that is not a directory or a
// manifest that does not parse (checked before any file is read); Errc::io
// for a directory that cannot be listed.
Result<VerifyReport> verify_manifest(const std::filesystem::path& root,
                                     const std::filesystem::path& manifest,
                                     const VerifyOptions& options);

}  // namespace dp::artifacts
