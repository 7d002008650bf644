// [[blob_store]] tables -> BlobStoreConfig, and the link from each check that
// names a store (blob_refs) to that store's resolved settings.
#include <fmt/format.h>

#include <system_error>

#include "verifier/config/reader.hpp"

namespace dp::config::detail {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view k_where = "[[blob_store]]";
constexpr std::string_view k_keys[] = {"name", "kind", "path", "manifest", "check_files"};

BlobStoreConfig read_one(Reader& reader, const toml::table& table, const fs::path& base_dir,
                         SeenNames& seen) {
  BlobStoreConfig out;
  out.pos = reader.pos(table);
  reader.reject_unknown_keys(table, k_where, k_keys);
  if (auto name = reader.string(table, "name", k_where, Need::required)) {
    SourcePos at = reader.pos(*table.get("name"));
    out.name = *name;
    if (name->empty()) {
      reader.report(at, "'name' must not be empty");
    } else if (auto [it, inserted] = seen.emplace(*name, at.line); !inserted) {
      reader.report(
          at, fmt::format("duplicate blob store name '{}' (first at line {})", *name, it->second));
    }
  }
  if (auto kind = reader.string(table, "kind", k_where, Need::required)) {
    out.kind = *kind;
    if (*kind != "dir")
      reader.report(reader.pos(*table.get("kind")),
                    fmt::format("unknown blob store kind '{}'; the only kind is \"dir\" (one file "
                                "per key under 'path')",
                                *kind));
  }
  using Kind = Reader::PathKind;
  if (auto p = reader.existing_path(table, "path", k_where, Need::required, base_dir,
                                    Kind::directory, "blob store directory"))
    out.path = *p;
  if (auto p = reader.existing_path(table, "manifest", k_where, Need::optional, base_dir,
                                    Kind::file, "manifest file"))
    out.manifest = *p;
  if (const toml::node* node = reader.find(table, "check_files", k_where, Need::optional)) {
    if (const auto* b = node->as_boolean()) {
      out.check_files = b->get();
      if (!out.check_files && !table.get("manifest"))
        reader.report(reader.pos(*node),
                      "'check_files = false' needs a 'manifest': without one the directory is "
                      "the only index");
    } else {
      reader.report(reader.pos(*node),
                    fmt::format("'check_files' must be a boolean, got {}", type_name(*node)));
    }
  }
  return out;
}

}  // namespace

std::vector<BlobStoreConfig> read_blob_stores(Reader& reader, const toml::table& root,
                                              const fs::path& base_dir) {
  std::vector<BlobStoreConfig> out;
  const toml::node* node = root.get("blob_store");
  if (!node) return out;
  const auto* array = node->as_array();
  if (!array || !array->is_array_of_tables()) {
    reader.report(
        reader.pos(*node),
        fmt::format("'blob_store' must be an array of tables: write [[blob_store]], got {}",
                    node->is_table() ? "[blob_store]" : type_name(*node)));
    return out;
  }
  SeenNames seen;
  for (const auto& element : *array)
    out.push_back(read_one(reader, *element.as_table(), base_dir, seen));
  return out;
}

void resolve_blob_stores(Reader& reader, std::span<const CheckKindInfo> kinds,
                         const std::vector<BlobStoreConfig>& stores,
                         std::vector<BackupConfig>& backups) {
  for (auto& backup : backups) {
    for (auto& spec : backup.checks) {
      bool uses_store = false;
      for (const auto& kind : kinds)
        if (kind.type == spec.type) uses_store = kind.uses_blob_store;
      const ParamValue* named = uses_store ? spec.find("store") : nullptr;
      if (!named || !named->as_string()) continue;
      const BlobStoreConfig* store = nullptr;
      for (const auto& s : stores)
        if (s.name == *named->as_string()) store = &s;
      if (!store) {
        std::vector<std::string> names;
        for (const auto& s : stores) names.push_back(s.name);
        reader.report(named->pos,
                      fmt::format("unknown blob store '{}'; {}", *named->as_string(),
                                  names.empty() ? std::string("the plan has no [[blob_store]]")
                                                : "the plan's blob stores: " + join(names)));
        continue;
      }
      SourcePos at = named->pos;
      spec.params["store.path"] = ParamValue{store->path.string(), at};
      spec.params["store.manifest"] = ParamValue{store->manifest.string(), at};
      spec.params["store.check_files"] = ParamValue{store->check_files, at};
    }
  }
}

}  // namespace dp::config::detail
