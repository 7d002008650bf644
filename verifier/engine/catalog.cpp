// Skeleton, replaced by the implementation.
#include "verifier/engine/catalog.hpp"

namespace dp::engine {

const Table* Schema::find(const std::string& qualified) const {
  for (const auto& t : tables)
    if (t.name.qualified() == qualified) return &t;
  return nullptr;
}

Result<Schema> read_schema(Engine&) {
  return make_error(Errc::unsupported, "catalog: not implemented yet");
}

}  // namespace dp::engine
