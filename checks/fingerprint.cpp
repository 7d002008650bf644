// Skeleton, replaced by the implementation.
#include "checks/fingerprint.hpp"

namespace dp::checks {

Result<TableFingerprint> fingerprint_table(engine::Engine&, const engine::Table&, std::uint64_t) {
  return make_error(Errc::unsupported, "fingerprint: not implemented yet");
}

Result<TableVerification> verify_table(engine::Engine&, const Connector&, int, const engine::Table&,
                                       const TableFingerprint&, const Connector&, std::size_t) {
  return make_error(Errc::unsupported, "fingerprint: not implemented yet");
}

}  // namespace dp::checks
