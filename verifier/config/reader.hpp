#pragma once
// Internal to verifier/config/: never include this header from another
// folder, because it exposes toml++ types (CONVENTIONS §5).
//
// Reader collects diagnostics for one plan file and reads typed values out of
// toml++ tables. Every reader reports its own problems and carries on, so one
// pass over the document finds every problem; a caller learns whether the
// plan was usable from error_count(), not from the return values.
#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "verifier/config/config.hpp"

namespace dp::config::detail {

enum class Need { optional, required };

class Reader {
 public:
  explicit Reader(std::string file) : m_file(std::move(file)) {}

  SourcePos pos(const toml::source_region& region) const;
  SourcePos pos(const toml::node& node) const { return pos(node.source()); }
  // Where `key` is written in `table`; the table itself when the key is absent.
  SourcePos key_pos(const toml::table& table, std::string_view key) const;
  SourcePos start_of_file() const { return SourcePos{m_file, 1, 1}; }

  void report(SourcePos at, std::string message);
  std::size_t error_count() const { return m_diags.size(); }
  // The diagnostics sorted by (line, column); ties keep the order found.
  Diagnostics take_sorted();

  // Reports each key of `table` that is not in `allowed`. `where` names the
  // table in messages ("[plan]", "[[backup]]").
  void reject_unknown_keys(const toml::table& table, std::string_view where,
                           std::span<const std::string_view> allowed);

  // The node under `key`, or nullptr; a missing required key is reported at
  // the table's position as "<where> is missing required key '<key>'".
  const toml::node* find(const toml::table& table, std::string_view key, std::string_view where,
                         Need need);

  // Typed getters: nullopt when the key is absent or its value is wrong (the
  // latter reported at the value's position).
  std::optional<std::string> string(const toml::table& table, std::string_view key,
                                    std::string_view where, Need need);
  // A duration string accepted by dp::parse_duration and greater than zero.
  std::optional<Millis> duration(const toml::table& table, std::string_view key,
                                 std::string_view where, Need need);
  std::optional<std::int64_t> integer(const toml::table& table, std::string_view key,
                                      std::string_view where, Need need);
  std::optional<bool> boolean(const toml::table& table, std::string_view key,
                              std::string_view where, Need need);
  std::optional<std::vector<std::string>> string_list(const toml::table& table,
                                                      std::string_view key, std::string_view where,
                                                      Need need);
  // A path resolved against `base_dir` (the plan's folder). When the text is
  // empty or names no existing file (or directory, with `directory`), reports
  // "<what> not found: <resolved path>" at the value; the resolved path is
  // returned either way, nullopt only when the key is absent or not a string.
  enum class PathKind { file, directory };
  std::optional<std::filesystem::path> existing_path(const toml::table& table, std::string_view key,
                                                     std::string_view where, Need need,
                                                     const std::filesystem::path& base_dir,
                                                     PathKind kind, std::string_view what);

 private:
  std::string m_file;
  Diagnostics m_diags;
};

// The TOML type of a node as messages name it: "string", "integer", "float",
// "boolean", "array", "table", "date", "time", "date-time".
const char* type_name(const toml::node& node);

std::string join(std::span<const std::string_view> items);
std::string join(std::span<const std::string> items);

// First line of each plan-file name already seen, for duplicate messages.
using SeenNames = std::map<std::string, int, std::less<>>;

// One [[backup.check]] table. `spec` is empty when the check had problems
// (already reported); `name` is the check's name to test for duplicates, empty
// when it could not be determined without guessing.
struct CheckRead {
  std::optional<CheckSpec> spec;
  std::string name;
  SourcePos name_pos;
};
CheckRead read_check(Reader& reader, const toml::table& table,
                     std::span<const CheckKindInfo> kinds);

// One [[backup]] table. Relative paths resolve against `base_dir`; `seen`
// holds the backup names read so far.
BackupConfig read_backup(Reader& reader, const toml::table& table,
                         const std::filesystem::path& base_dir,
                         std::span<const CheckKindInfo> kinds, SeenNames& seen);

// The point-in-time recovery keys of one [[backup]] (read_pitr.cpp): sets
// out.pitr when the table has wal_archive or binlog_archive. Runs after
// read_format_keys, whose `format` it checks against.
void read_pitr(Reader& reader, const toml::table& table, const std::filesystem::path& base_dir,
               std::optional<EngineKind> engine, BackupConfig& out);

// Every [[catalog]] table (read_catalog.cpp). `seen` holds the backup names,
// which catalog names may not repeat.
std::vector<CatalogConfig> read_catalogs(Reader& reader, const toml::table& root,
                                         const std::filesystem::path& base_dir,
                                         const SeenNames& seen);
// The [[blob_store]] tables (read_blob_store.cpp).
std::vector<BlobStoreConfig> read_blob_stores(Reader& reader, const toml::table& root,
                                              const std::filesystem::path& base_dir);

// Checks each `store` of a kind with uses_blob_store against `stores` and
// copies the store's resolved settings into the spec.
void resolve_blob_stores(Reader& reader, std::span<const CheckKindInfo> kinds,
                         const std::vector<BlobStoreConfig>& stores,
                         std::vector<BackupConfig>& backups);
// [failover] (absent: defaults) and every [[service]] table, with the
// dependency graph checked: unknown dependencies and cycles are diagnostics
// (read_service.cpp).
FailoverSettings read_failover_settings(Reader& reader, const toml::table& root);
std::vector<ServiceConfig> read_services(Reader& reader, const toml::table& root,
                                         const std::filesystem::path& base_dir,
                                         const FailoverSettings& settings);

}  // namespace dp::config::detail
