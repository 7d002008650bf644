#pragma once
// The order check of a failover drill, from the recorded timeline alone:
// in failover and failback, no service's action started before each of its
// dependencies was healthy; in drain, no service was drained before the
// services depending on it had finished draining. Pure.
#include "reports/run_report.hpp"

namespace dp::drills {

// Sets result.order_status, order_message and order_violations from
// result.services (their depends_on and steps) and result.levels.
void check_order(reports::FailoverResult& result);

}  // namespace dp::drills
