// blob_refs: kind description, plan parameters and construction. The run
// itself is in blob_refs_run.cpp.
#include "checks/blob_refs_check.hpp"

#include <fmt/format.h>

namespace dp::checks {
namespace {

std::string string_param(const CheckSpec& spec, const char* key) {
  const ParamValue* v = spec.find(key);
  return v && v->as_string() ? *v->as_string() : std::string();
}

}  // namespace

CheckKindInfo BlobRefsCheck::kind_info() {
  CheckKindInfo info;
  info.type = "blob_refs";
  info.summary =
      "every blob key a query yields exists in a [[blob_store]], with the expected size and digest";
  info.params = {
      {"store", ParamType::string, true, "the name of a [[blob_store]] of this plan"},
      {"query", ParamType::string, true, "SELECT whose first column is the blob key"},
      {"size_column", ParamType::string, false, "column with each blob's expected size in bytes"},
      {"digest_column", ParamType::string, false,
       "column with each blob's expected digest (hex, or bytea)"},
      {"digest_algorithm", ParamType::string, false, "\"sha256\" (default) or \"xxh3-128\""},
      {"key_prefix", ParamType::string, false, "stripped from every key (e.g. \"s3://media/\")"},
      {"pk_columns", ParamType::string_list, false,
       "columns shown with each listed finding (the row's primary key)"},
      {"max_listed", ParamType::integer, false,
       "findings listed per kind (default 20); counts are always exact"},
      {"orphans", ParamType::boolean, false,
       "report blobs no row references, as information (default true)"},
  };
  info.validate = [](const CheckSpec& spec) {
    std::vector<SpecProblem> problems;
    if (const ParamValue* a = spec.find("digest_algorithm"); a && a->as_string()) {
      if (!artifacts::parse_algorithm(*a->as_string()))
        problems.push_back({"digest_algorithm",
                            fmt::format("'digest_algorithm' must be \"sha256\" or \"xxh3-128\", "
                                        "got \"{}\"",
                                        *a->as_string())});
      else if (!spec.find("digest_column"))
        problems.push_back({"digest_algorithm", "'digest_algorithm' needs 'digest_column'"});
    }
    if (const ParamValue* n = spec.find("max_listed"); n && n->as_int() && *n->as_int() < 0)
      problems.push_back({"max_listed", "'max_listed' must not be negative"});
    for (const char* key : {"query", "store", "size_column", "digest_column"})
      if (const ParamValue* v = spec.find(key); v && v->as_string() && v->as_string()->empty())
        problems.push_back({key, fmt::format("'{}' must not be empty", key)});
    return problems;
  };
  info.uses_blob_store = true;
  info.default_name = [](const CheckSpec& spec) {
    return fmt::format("blob_refs {}", string_param(spec, "store"));
  };
  return info;
}

std::unique_ptr<Check> BlobRefsCheck::make(const CheckSpec& spec) {
  BlobRefsOptions o;
  o.name = spec.name;
  o.store = string_param(spec, "store");
  o.store_path = string_param(spec, k_store_path_param);
  o.store_manifest = string_param(spec, k_store_manifest_param);
  if (const ParamValue* v = spec.find(k_store_check_files_param))
    if (const bool* b = std::get_if<bool>(&v->value)) o.check_files = *b;
  o.query = string_param(spec, "query");
  o.size_column = string_param(spec, "size_column");
  o.digest_column = string_param(spec, "digest_column");
  if (auto a = artifacts::parse_algorithm(string_param(spec, "digest_algorithm")))
    o.digest_algorithm = *a;
  o.key_prefix = string_param(spec, "key_prefix");
  if (const ParamValue* v = spec.find("pk_columns"); v && v->as_array())
    for (const auto& item : *v->as_array())
      if (item.as_string()) o.pk_columns.push_back(*item.as_string());
  if (const ParamValue* v = spec.find("max_listed"); v && v->as_int() && *v->as_int() >= 0)
    o.max_listed = static_cast<std::size_t>(*v->as_int());
  if (const ParamValue* v = spec.find("orphans"))
    if (const bool* b = std::get_if<bool>(&v->value)) o.orphans = *b;
  return std::make_unique<BlobRefsCheck>(std::move(o));
}

std::optional<std::string> decode_copy_field(std::string_view field) {
  if (field == "\\N") return std::nullopt;
  if (field.find('\\') == std::string_view::npos) return std::string(field);
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    char c = field[i];
    if (c != '\\' || i + 1 == field.size()) {
      out += c;
      continue;
    }
    char e = field[++i];
    switch (e) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'v':
        out += '\v';
        break;
      default:
        out += e;  // "\\" and any other escaped byte stand for themselves
    }
  }
  return out;
}

}  // namespace dp::checks
