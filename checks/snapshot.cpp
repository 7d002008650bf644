// Skeleton, replaced by the implementation.
#include "checks/snapshot.hpp"

namespace dp::checks {

const TableSnapshot* Snapshot::find(const std::string& qualified) const {
  for (const auto& t : tables)
    if (t.schema.name.qualified() == qualified) return &t;
  return nullptr;
}

Result<Snapshot> take_snapshot(engine::Engine&, const SnapshotOptions&) {
  return make_error(Errc::unsupported, "snapshot: not implemented yet");
}

std::string snapshot_to_json(const Snapshot&) { return "{}"; }

Result<Snapshot> read_snapshot(const std::filesystem::path& file) {
  return make_error(Errc::unsupported, file.string() + ": snapshots not implemented yet");
}

}  // namespace dp::checks
