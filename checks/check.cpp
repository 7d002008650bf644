#include "checks/check.hpp"

namespace dp::checks {

Outcome worst_of(const std::vector<ObjectOutcome>& objects) {
  Outcome worst = Outcome::passed;
  for (const auto& o : objects) {
    if (o.outcome == Outcome::failed) return Outcome::failed;
    if (o.outcome == Outcome::error) worst = Outcome::error;
  }
  return worst;
}

}  // namespace dp::checks
