#include "verifier/plan/plan.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "verifier/core/service_graph.hpp"

namespace dp::plan {

std::vector<std::vector<std::size_t>> service_levels(
    const std::vector<config::ServiceConfig>& services) {
  DependencyLists deps(services.size());
  for (std::size_t i = 0; i < services.size(); ++i)
    for (const auto& name : services[i].depends_on)
      for (std::size_t k = 0; k < services.size(); ++k)
        if (services[k].name == name) deps[i].push_back(k);
  return dependency_levels(deps);
}

Result<Plan> build(const config::Config& config, const Options& options, int cores) {
  std::vector<std::string> unknown;
  for (const auto& name : options.only) {
    bool found = std::any_of(config.backups.begin(), config.backups.end(),
                             [&](const auto& b) { return b.name == name; }) ||
                 std::any_of(config.catalogs.begin(), config.catalogs.end(),
                             [&](const auto& c) { return c.name == name; });
    if (!found) unknown.push_back(name);
  }
  if (!unknown.empty()) {
    std::vector<std::string> names;
    for (const auto& b : config.backups) names.push_back(b.name);
    for (const auto& c : config.catalogs) names.push_back(c.name);
    return make_error(
        Errc::invalid_input,
        fmt::format("--only: no backup named {} in {}; the plan has: {}", fmt::join(unknown, ", "),
                    config.file.string(), fmt::join(names, ", ")));
  }
  if (options.jobs < 1)
    return make_error(Errc::invalid_input,
                      fmt::format("--jobs must be at least 1, got {}", options.jobs));
  Plan plan;
  plan.settings = config.plan;
  plan.file = config.file.string();
  plan.digest = config.digest;
  plan.parallel = options.jobs;
  plan.keep_scratch = options.keep_scratch;
  plan.only = options.only;
  plan.run_as = options.run_as.empty() ? config.plan.run_as : options.run_as;
  int index = 0;
  for (const auto& b : config.backups) {
    ++index;
    if (!options.only.empty() &&
        std::find(options.only.begin(), options.only.end(), b.name) == options.only.end())
      continue;
    BackupJob job;
    job.index = index;
    job.backup = b;
    job.rto = b.objectives.rto ? b.objectives.rto : config.plan.objectives.rto;
    job.rpo = b.objectives.rpo ? b.objectives.rpo : config.plan.objectives.rpo;
    job.restore_timeout = b.restore_timeout.value_or(config.plan.restore_timeout);
    job.restore_jobs = b.restore_jobs.value_or(std::max(1, cores));
    plan.jobs.push_back(std::move(job));
  }
  for (const auto& c : config.catalogs)
    if (options.only.empty() ||
        std::find(options.only.begin(), options.only.end(), c.name) != options.only.end())
      plan.catalogs.push_back(c);
  if (options.only.empty() && !config.services.empty()) {
    plan.failover = config.failover;
    plan.services = config.services;
    plan.levels = service_levels(config.services);
  }
  return plan;
}

}  // namespace dp::plan
