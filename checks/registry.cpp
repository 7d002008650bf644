#include "checks/registry.hpp"

#include <fmt/format.h>

#include "checks/blob_refs_check.hpp"
#include "checks/fingerprint_check.hpp"
#include "checks/foreign_keys_check.hpp"
#include "checks/freshness_check.hpp"
#include "checks/integrity_check.hpp"
#include "checks/query_check.hpp"
#include "checks/row_count_check.hpp"
#include "checks/row_counts_check.hpp"
#include "checks/schema_check.hpp"

namespace dp::checks {

std::span<const CheckKind> registry() {
  static const CheckKind k_kinds[] = {
      {BlobRefsCheck::kind_info(), &BlobRefsCheck::make},
      {FingerprintCheck::kind_info(), &FingerprintCheck::make},
      {ForeignKeysCheck::kind_info(), &ForeignKeysCheck::make},
      {FreshnessCheck::kind_info(), &FreshnessCheck::make},
      {IntegrityCheck::kind_info(), &IntegrityCheck::make},
      {QueryCheck::kind_info(), &QueryCheck::make},
      {RowCountCheck::kind_info(), &RowCountCheck::make},
      {RowCountsCheck::kind_info(), &RowCountsCheck::make},
      {SchemaCheck::kind_info(), &SchemaCheck::make},
  };
  return k_kinds;
}

std::vector<CheckKindInfo> kind_infos() {
  std::vector<CheckKindInfo> out;
  for (const auto& k : registry()) out.push_back(k.info);
  return out;
}

Result<std::unique_ptr<Check>> make_check(const CheckSpec& spec) {
  for (const auto& k : registry())
    if (k.info.type == spec.type) return k.make(spec);
  return make_error(Errc::invalid_input, fmt::format("unknown check type '{}'", spec.type));
}

}  // namespace dp::checks
