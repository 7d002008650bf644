#pragma once
// blob_refs: every blob key a query over the restored database yields must
// name a blob in a `[[blob_store]]` (docs/plan.md), with the size and digest
// the row expects when the query gives them. The result is streamed
// (Engine::stream_rows) and the store is held as a BlobIndex, so memory grows
// with the store, never with the number of references.
//
// Findings (severity error unless noted): dangling references (exact count,
// the first `max_listed` keys with their rows' primary keys), keys that would
// leave the store ("../x", "/etc/passwd": never opened), blobs that are
// symlinks or not regular files, size and digest mismatches, expected values
// that do not parse; orphans (blobs no row references) are `info` and never
// fail the check.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "checks/check.hpp"
#include "verifier/artifacts/digest.hpp"

namespace dp::checks {

struct BlobRefsOptions {
  std::string name;
  std::string store;                     // the [[blob_store]] name, for messages
  std::filesystem::path store_path;      // absolute
  std::filesystem::path store_manifest;  // empty: the index is a walk of store_path
  // Read blobs on disk: existence (a manifest entry whose file is gone is
  // dangling), size by fstat, digest by hashing the file. false: the
  // manifest alone is the truth (needs a manifest).
  bool check_files = true;
  std::string query;  // first column: the blob key
  std::string size_column;
  std::string digest_column;
  artifacts::Algorithm digest_algorithm = artifacts::Algorithm::sha256;
  std::string key_prefix;               // stripped from each key; a key without it is dangling
  std::vector<std::string> pk_columns;  // shown with each listed finding
  std::size_t max_listed = 20;
  bool orphans = true;
};

// The params config/ copies from the named [[blob_store]] into the check's
// spec when the plan is loaded. Dotted names cannot be written as keys of a
// [[backup.check]] table, so a plan cannot set them by hand.
inline constexpr const char* k_store_path_param = "store.path";
inline constexpr const char* k_store_manifest_param = "store.manifest";
inline constexpr const char* k_store_check_files_param = "store.check_files";

class BlobRefsCheck final : public Check {
 public:
  static CheckKindInfo kind_info();
  static std::unique_ptr<Check> make(const CheckSpec& spec);

  explicit BlobRefsCheck(BlobRefsOptions options) : m_options(std::move(options)) {}
  std::string id() const override { return "blob_refs"; }
  std::string describe() const override { return m_options.name; }
  CheckOutcome run(const CheckContext& ctx) const override;

 private:
  BlobRefsOptions m_options;
};

// One field of a row in the canonical encoding (engine.hpp), decoded;
// nullopt for \N.
std::optional<std::string> decode_copy_field(std::string_view field);

}  // namespace dp::checks
