#include "checks/registry.hpp"

#include <fmt/format.h>

#include "checks/query_check.hpp"
#include "checks/row_count_check.hpp"

namespace dp::checks {

std::span<const CheckKind> registry() {
  static const CheckKind k_kinds[] = {
      {QueryCheck::kind_info(), &QueryCheck::make},
      {RowCountCheck::kind_info(), &RowCountCheck::make},
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
