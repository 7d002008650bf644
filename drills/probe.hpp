#pragma once
// One health probe of a failover drill (config::HealthConfig): tcp connect,
// HTTP/1.1 GET on a plain socket, a SQL query through engine::Engine, or a
// command. Every probe ends by its timeout: sockets are non-blocking and
// polled against a deadline, commands are killed by process group. The SQL
// probe is bounded by the driver's connect timeout, which libpq rounds up to
// whole seconds (at least 2), so it may run up to that long.
//
// Thread safety: run_probe may be called from several threads at once.
#include <string>

#include "verifier/config/config.hpp"

namespace dp::drills {

struct ProbeOutcome {
  bool passed = false;
  std::string message;  // "HTTP 200", "connect 127.0.0.1:8080: Connection refused", ...
};

ProbeOutcome run_probe(const config::HealthConfig& health);

}  // namespace dp::drills
