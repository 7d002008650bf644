#include "reports/run_report.hpp"

#include <cassert>

namespace dp::reports {
namespace {

// Higher is worse; the order behind "if both 1 and 3 apply, exit 1".
int severity_rank(Status s) {
  switch (s) {
    case Status::passed:
      return 0;
    case Status::skipped:
      return 1;
    case Status::error:
      return 2;
    case Status::failed:
      return 3;
  }
  assert(false && "unknown Status");
  return 3;
}

}  // namespace

const char* status_name(Status s) {
  switch (s) {
    case Status::passed:
      return "passed";
    case Status::failed:
      return "failed";
    case Status::error:
      return "error";
    case Status::skipped:
      return "skipped";
  }
  assert(false && "unknown Status");
  return "error";
}

Status worst(Status a, Status b) { return severity_rank(b) > severity_rank(a) ? b : a; }

Status overall_status(const RunReport& report) {
  Status result = Status::passed;
  for (const auto& backup : report.backups) result = worst(result, backup.status);
  if (report.failover) result = worst(result, report.failover->status);
  // A partial run cannot claim success: what did not run was not verified.
  if (report.interrupted && result != Status::failed) result = Status::error;
  return result;
}

int exit_code(const RunReport& report) {
  switch (overall_status(report)) {
    case Status::failed:
      return 1;
    case Status::error:
      return 3;
    case Status::passed:
    case Status::skipped:
      return 0;
  }
  return 3;
}

}  // namespace dp::reports
