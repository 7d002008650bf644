#pragma once
// What `drillproof validate` prints about a plan's failover drill: the
// services by dependency level, then each service's steps and objectives.
#include <string>

#include "verifier/plan/plan.hpp"

namespace dp::cli {

// Empty when the plan has no services to drill.
std::string describe_failover(const plan::Plan& plan);

}  // namespace dp::cli
