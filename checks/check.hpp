#pragma once
// A check is a small class written against engine::Engine (CONVENTIONS §6):
// no printing, no config parsing, no global state. It is built from a
// validated CheckSpec by its registry entry and run against a read-only
// session on the restored scratch instance.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
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

// The result for one table or object of a check that is reported per
// object (schema, row_counts, fingerprint, integrity, foreign_keys). Each
// becomes its own JUnit testcase "<backup>.<check>.<object>".
struct ObjectOutcome {
  std::string object;  // "public.orders", "index public.orders_pkey"
  Outcome outcome = Outcome::passed;
  std::string message;
  std::vector<Finding> findings;
};

struct CheckOutcome {
  Outcome outcome = Outcome::passed;  // the worst of `objects` when there are any
  std::string expected;               // human form of what was expected: "= 275", ">= 1"
  std::string observed;               // what the database said
  std::string message;                // one line; empty when passed
  std::vector<Finding> findings;
  std::vector<ObjectOutcome> objects;
  std::optional<Millis> achieved_rpo;  // set by freshness: reference time - newest data
};

struct Snapshot;  // checks/snapshot.hpp

using Connector = std::function<Result<std::unique_ptr<engine::Engine>>()>;

struct CheckContext {
  CheckContext(engine::Engine& e, std::string backup) : engine(e), backup_name(std::move(backup)) {}

  engine::Engine& engine;  // read-only session on the restored database
  std::string backup_name;
  const Snapshot* snapshot = nullptr;  // the backup's snapshot, when the plan names one
  Connector connect;          // more read-only sessions on the restored database (parallel work)
  Connector connect_source;   // the live source, when the plan gives one; empty otherwise
  std::optional<Millis> rpo;  // the backup's objective
  // The moment the backup represents: plan value, the dump's own header
  // time, or the file's modification time.
  std::optional<std::chrono::system_clock::time_point> reference_time;
  int jobs = 1;  // parallel sessions a check may use
};

class Check {
 public:
  virtual ~Check() = default;
  virtual std::string id() const = 0;        // the kind: "row_count"
  virtual std::string describe() const = 0;  // the check's name, stable across runs
  virtual CheckOutcome run(const CheckContext& ctx) const = 0;
  // Statements the drill runs with write access on the restored database
  // before the read-only checks start (e.g. CREATE EXTENSION amcheck).
  virtual std::vector<std::string> prerequisites(EngineKind) const { return {}; }
};

// The worst outcome of a check's objects (failed > error > passed).
Outcome worst_of(const std::vector<ObjectOutcome>& objects);

}  // namespace dp::checks
