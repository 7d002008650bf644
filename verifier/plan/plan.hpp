#pragma once
// Config -> Plan: which backups run, in which order, with which resolved
// objectives and settings. Pure: no I/O, no clocks.
#include <optional>
#include <string>
#include <vector>

#include "verifier/config/config.hpp"

namespace dp::plan {

struct Options {
  std::vector<std::string> only;  // --only NAME...; empty: every backup
  int jobs = 1;                   // backups drilled at once
  bool keep_scratch = false;
  std::string run_as;  // --run-as overrides [plan] run_as
};

struct BackupJob {
  int index = 0;  // position in the plan file, for stable report order
  config::BackupConfig backup;
  std::optional<Millis> rto;  // resolved: backup's, else plan's
  std::optional<Millis> rpo;
  Millis restore_timeout{0};
  int restore_jobs = 1;
};

struct Plan {
  config::PlanSettings settings;
  std::string file;
  std::string digest;  // sha256 hex of the plan bytes that were read (config::Config::digest)
  std::vector<BackupJob> jobs;                  // in plan order
  std::vector<config::CatalogConfig> catalogs;  // [[catalog]] in plan order, --only applied
  std::vector<std::string> only;  // the --only names (the run's scope); empty: every backup
  int parallel = 1;
  bool keep_scratch = false;
  std::string run_as;
  // The failover/failback drill over the service graph; empty when the plan
  // has no [[service]], or when --only narrowed the run to named backups.
  config::FailoverSettings failover;
  std::vector<config::ServiceConfig> services;   // in plan order
  std::vector<std::vector<std::size_t>> levels;  // indices into services, dependencies first
};

// The services grouped by dependency level (verifier/core/service_graph.hpp).
// Precondition: config::load accepted them (known names, no cycle).
std::vector<std::vector<std::size_t>> service_levels(
    const std::vector<config::ServiceConfig>& services);

// `cores` is the default for restore_jobs. Errc::invalid_input when --only
// names a backup or catalog the plan does not have (the message lists the names).
Result<Plan> build(const config::Config& config, const Options& options, int cores);

}  // namespace dp::plan
