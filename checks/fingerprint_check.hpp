#pragma once
// fingerprint: recomputes the snapshot's content fingerprints on the restored
// database (checks/fingerprint.hpp, docs/snapshot.md). One ObjectOutcome per
// snapshot table: failed when a segment differs, the table is missing or
// rows lie outside the snapshot's key ranges; with a live source the
// differing keys are named (at most `max_keys` per table). Uses up to
// ctx.jobs sessions.
#include <cstddef>
#include <string>
#include <vector>

#include "checks/check.hpp"

namespace dp::checks {

class FingerprintCheck final : public Check {
 public:
  static CheckKindInfo kind_info();
  static std::unique_ptr<Check> make(const CheckSpec& spec);

  explicit FingerprintCheck(CheckSpec spec);
  std::string id() const override { return "fingerprint"; }
  std::string describe() const override { return m_spec.name; }
  CheckOutcome run(const CheckContext& ctx) const override;

 private:
  CheckSpec m_spec;
  std::size_t m_max_keys = 10;
  std::vector<std::string> m_tables;  // empty: every snapshot table
};

}  // namespace dp::checks
