#pragma once
// The failover/failback drill over a plan's service graph (docs/plan.md
// "Services"). In order:
//   1. start the RPO marker writers and wait for a first acknowledged marker;
//   2. disaster: each service's `disaster` action in plan order; t0 is the
//      first one's start ("disaster"), or the failover start when no service
//      has one ("declaration"); the marker writers stop afterwards;
//   3. failover: level by level (dependencies first), services of a level in
//      parallel threads; a service starts only when every dependency reached
//      its health threshold, else it is skipped "blocked by <service>";
//   4. RPO: the newest marker on each `read` target;
//   5. failback (unless [failover] phases = ["failover"], and only when
//      every failover step passed): drains in reverse level order, then the
//      failback actions forward with health waits; markers counted on `write`;
//   6. objectives (RTO t0 -> healthy, RPO) and the order check.
// The [failover] deadline and SIGINT/SIGTERM abort the drill: the running
// steps are `error`, the rest `skipped`. Actions are killed with their
// process group when they time out; nothing outlives the drill's steps
// except what an action deliberately detached (setsid, a service manager).
#include <functional>
#include <string_view>

#include "reports/run_report.hpp"
#include "verifier/plan/plan.hpp"

namespace dp::drills {

struct FailoverEnv {
  // Progress lines; may be called from several threads at once.
  std::function<void(std::string_view)> progress;
};

reports::FailoverResult run_failover_drill(const plan::Plan& plan, const FailoverEnv& env);

}  // namespace dp::drills
