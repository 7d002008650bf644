#pragma once
// A check is a small class written against engine::Engine (CONVENTIONS §6):
// no printing, no config parsing, no global state. It is built from a
// validated CheckSpec by its registry entry and run against a read-only
// session on the restored scratch instance.
#include <memory>
#include <string>
#include <vector>

#include "verifier/core/check_spec.hpp"
#include "verifier/core/finding.hpp"
#include "verifier/engine/engine.hpp"

namespace dp::checks {

enum class Outcome {
  passed,  // verified
  failed,  // the backup missed: findings say how
  error,   // could not evaluate (query error, timeout)
};

struct CheckOutcome {
  Outcome outcome = Outcome::passed;
  std::string expected;  // human form of what was expected: "= 275", ">= 1"
  std::string observed;  // what the database said
  std::string message;   // one line; empty when passed
  std::vector<Finding> findings;
};

struct CheckContext {
  engine::Engine& engine;
  std::string backup_name;
};

class Check {
 public:
  virtual ~Check() = default;
  virtual std::string id() const = 0;        // the kind: "row_count"
  virtual std::string describe() const = 0;  // the check's name, stable across runs
  virtual CheckOutcome run(const CheckContext& ctx) const = 0;
};

}  // namespace dp::checks
