#include "verifier/run/execute.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "drills/catalog_drill.hpp"
#include "drills/failover_drill.hpp"
#include "drills/restore_drill.hpp"
#include "verifier/core/signals.hpp"
#include "verifier/core/text.hpp"

namespace dp::run {
namespace {

std::vector<reports::BackupResult> run_catalogs(const plan::Plan& plan, const RunOptions& options) {
  std::vector<reports::BackupResult> out;
  for (const auto& catalog : plan.catalogs) {
    if (interrupted()) {
      reports::BackupResult r;
      r.name = catalog.name;
      r.engine = "catalog";
      r.path = catalog.path.string();
      r.status = reports::Status::skipped;
      r.started = std::chrono::system_clock::now();
      r.phases.push_back({"scan", reports::Status::skipped, Millis{0}, Millis{0},
                          "not started: the run was interrupted", ""});
      out.push_back(std::move(r));
      continue;
    }
    if (options.progress) options.progress(fmt::format("{}: checking catalog", catalog.name));
    out.push_back(drills::run_catalog_drill(catalog, std::chrono::system_clock::now(),
                                            plan.settings.check_timeout));
  }
  return out;
}

// An interrupt before the failover drill: no disaster is injected, and the
// report still names every service, as it does unstarted backups.
reports::FailoverResult not_started_failover(const plan::Plan& plan) {
  reports::FailoverResult f;
  f.status = reports::Status::skipped;
  f.started = std::chrono::system_clock::now();
  for (const auto& level : plan.levels) {
    auto& names = f.levels.emplace_back();
    for (std::size_t i : level) names.push_back(plan.services[i].name);
  }
  f.order_status = reports::Status::skipped;
  f.order_message = "not checked: the run was interrupted before the failover drill";
  f.aborted = "the run was interrupted";
  f.services.resize(plan.services.size());  // in plan order
  for (std::size_t l = 0; l < plan.levels.size(); ++l)
    for (std::size_t i : plan.levels[l]) {
      auto& s = f.services[i];
      s.name = plan.services[i].name;
      s.depends_on = plan.services[i].depends_on;
      s.level = static_cast<int>(l + 1);
      s.status = reports::Status::skipped;
      reports::StepResult step;
      step.phase = "failover";
      step.status = reports::Status::skipped;
      step.message = "not started: the run was interrupted";
      s.steps.push_back(std::move(step));
    }
  return f;
}

}  // namespace

reports::RunReport execute(const plan::Plan& plan, const RunOptions& options) {
  reports::RunReport report;
  report.plan_name = plan.settings.name;
  report.plan_owner = plan.settings.owner;
  report.plan_file = plan.file;
  report.tool_version = DP_VERSION;
  report.host = host_name();
  report.started = std::chrono::system_clock::now();

  std::mutex progress_lock;
  drills::DrillEnv env;
  env.start_timeout = plan.settings.start_timeout;
  env.check_timeout = plan.settings.check_timeout;
  env.keep_scratch = plan.keep_scratch;
  if (options.progress)
    env.progress = [&](std::string_view line) {
      std::lock_guard lock(progress_lock);
      options.progress(line);
    };

  bool needs_pg = std::any_of(plan.jobs.begin(), plan.jobs.end(), [](const auto& j) {
    return j.backup.engine == EngineKind::postgres;
  });
  Result<drills::PgBinaries> pg_binaries =
      make_error(Errc::not_found, "no postgres backup in this plan");
  if (needs_pg) {
    pg_binaries = drills::find_pg_binaries(plan.settings.pg_bindir);
    auto user = server_user(plan.run_as);
    if (user) {
      env.run_as = *user;
    } else {
      pg_binaries = Unexpected<Error>(std::move(user).error());
    }
  }
  env.pg_binaries = &pg_binaries;

  bool needs_my = std::any_of(plan.jobs.begin(), plan.jobs.end(),
                              [](const auto& j) { return j.backup.engine == EngineKind::mysql; });
  Result<drills::MyBinaries> my_binaries =
      make_error(Errc::not_found, "no mysql backup in this plan");
  if (needs_my) {
    my_binaries = drills::find_my_binaries(plan.settings.mysql_bindir);
    auto user = server_user(plan.run_as.empty() ? "mysql" : plan.run_as);
    if (user)
      env.my_run_as = *user;
    else
      my_binaries = Unexpected<Error>(std::move(user).error());
  }
  env.my_binaries = &my_binaries;

  // Catalogs take seconds and need no server: they run first, so a stale or
  // gappy catalog is reported even when a restore drill later hangs.
  std::vector<reports::BackupResult> catalogs = run_catalogs(plan, options);

  std::vector<reports::BackupResult> results(plan.jobs.size());
  std::vector<unsigned char> started(plan.jobs.size(),
                                     0);  // not vector<bool>: written by several threads
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    while (!interrupted()) {
      std::size_t i = next.fetch_add(1);
      if (i >= plan.jobs.size()) return;
      started[i] = 1;
      results[i] = drills::run_restore_drill(plan.jobs[i], env);
    }
  };
  std::size_t threads =
      std::min<std::size_t>(static_cast<std::size_t>(std::max(1, plan.parallel)), plan.jobs.size());
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
  }

  for (std::size_t i = 0; i < plan.jobs.size(); ++i) {
    if (started[i]) continue;
    auto& r = results[i];
    const auto& b = plan.jobs[i].backup;
    r.name = b.name;
    r.engine = std::string(engine_kind_name(b.engine));
    r.path = b.path.string();
    r.status = reports::Status::skipped;
    r.started = std::chrono::system_clock::now();
    r.phases.push_back({"provision", reports::Status::skipped, Millis{0}, Millis{0},
                        "not started: the run was interrupted", ""});
  }
  report.backups = std::move(results);
  for (auto& c : catalogs) report.backups.push_back(std::move(c));
  if (!plan.services.empty() && !interrupted()) {
    drills::FailoverEnv failover_env;
    failover_env.progress = env.progress;
    report.failover = drills::run_failover_drill(plan, failover_env);
  } else if (!plan.services.empty()) {
    report.failover = not_started_failover(plan);
  }
  report.interrupted = interrupted();
  report.finished = std::chrono::system_clock::now();
  return report;
}

}  // namespace dp::run
