#include "verifier/cli/failover_text.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "verifier/core/child_process.hpp"

namespace dp::cli {
namespace {

std::string objective(const std::optional<Millis>& d) { return d ? format_duration(*d) : "-"; }

std::string argv_text(const config::ActionConfig& a) {
  if (a.shell && a.argv.size() == 3) return fmt::format("sh -c '{}'", a.argv[2]);
  return fmt::format("{}", fmt::join(a.argv, " "));
}

std::string probe_text(const config::HealthConfig& h) {
  std::string what;
  switch (h.type) {
    case config::ProbeKind::tcp:
      what = fmt::format("tcp {}:{}", h.host, h.port);
      break;
    case config::ProbeKind::http:
      what = fmt::format("http GET {} expects {}", h.url, h.expect_status);
      break;
    case config::ProbeKind::sql:
      what = fmt::format("sql ({}) {}", engine_kind_name(h.engine), h.query);
      break;
    case config::ProbeKind::cmd:
      what = fmt::format("cmd {}", fmt::join(h.command, " "));
      break;
  }
  return fmt::format("{}, every {}, {} pass{} in a row", what, format_duration(h.interval),
                     h.success_threshold, h.success_threshold == 1 ? "" : "es");
}

}  // namespace

std::string describe_failover(const plan::Plan& plan) {
  if (plan.services.empty()) return {};
  std::string out = fmt::format(
      "failover drill: {} service{} in {} level{} (a level starts when the one before it is "
      "healthy; services of one level run in parallel)\n",
      plan.services.size(), plan.services.size() == 1 ? "" : "s", plan.levels.size(),
      plan.levels.size() == 1 ? "" : "s");
  for (std::size_t l = 0; l < plan.levels.size(); ++l) {
    std::vector<std::string> names;
    for (std::size_t i : plan.levels[l]) names.push_back(plan.services[i].name);
    out += fmt::format("  level {}: {}\n", l + 1, fmt::join(names, ", "));
  }
  out += fmt::format("  phases: failover{}{}\n", plan.failover.failback ? ", failback" : "",
                     plan.failover.deadline
                         ? fmt::format("; deadline {}", format_duration(*plan.failover.deadline))
                         : "");
  for (const auto& level : plan.levels) {
    for (std::size_t i : level) {
      const auto& s = plan.services[i];
      out += fmt::format("  {}  rto {}  rpo {}  step timeout {}\n", s.name, objective(s.rto),
                         objective(s.rpo), format_duration(s.timeout));
      if (!s.depends_on.empty())
        out += fmt::format("       after     {}\n", fmt::join(s.depends_on, ", "));
      if (s.disaster) out += fmt::format("       disaster  {}\n", argv_text(*s.disaster));
      out += fmt::format("       failover  {}\n", argv_text(s.failover));
      if (s.drain) out += fmt::format("       drain     {}\n", argv_text(*s.drain));
      if (s.failback) out += fmt::format("       failback  {}\n", argv_text(*s.failback));
      out += fmt::format("       health    {}\n", probe_text(s.health));
      if (s.marker)
        out += fmt::format("       markers   {} table {} every {}\n",
                           engine_kind_name(s.marker->engine), s.marker->table,
                           format_duration(s.marker->interval));
    }
  }
  // Not an error: the drill may be meant for another host. But a typo in a
  // script path is better seen now than at 3 a.m. in the middle of a drill.
  std::vector<std::string> missing;
  auto look = [&](const std::vector<std::string>& argv) {
    if (argv.empty() || (argv.size() == 3 && argv[0] == "/bin/sh" && argv[1] == "-c")) return;
    if (find_program(argv[0])) return;
    if (std::find(missing.begin(), missing.end(), argv[0]) == missing.end())
      missing.push_back(argv[0]);
  };
  for (const auto& s : plan.services) {
    for (const auto* a : {s.disaster ? &*s.disaster : nullptr, &s.failover,
                          s.failback ? &*s.failback : nullptr, s.drain ? &*s.drain : nullptr})
      if (a) look(a->argv);
    if (s.health.type == config::ProbeKind::cmd) look(s.health.command);
  }
  if (!missing.empty())
    out += fmt::format(
        "warning: not found or not executable on this host (the drill must run where they "
        "are): {}\n",
        fmt::join(missing, ", "));
  return out;
}

}  // namespace dp::cli
