// Steps of one level run in their own threads and write only their own
// service's result; the next level reads them after the join, so no result
// is shared while it is being written.
#include "drills/failover_drill.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>

#include "drills/failover_order.hpp"
#include "drills/failover_step.hpp"
#include "drills/rpo_marker.hpp"
#include "verifier/core/temp_dir.hpp"

namespace dp::drills {
namespace {

using reports::ServiceResult;
using reports::Status;
using reports::StepResult;

constexpr Millis k_first_marker_wait{10'000};

struct Drill {
  const plan::Plan& plan;
  StepContext ctx;
  reports::FailoverResult result;
  std::vector<std::unique_ptr<MarkerWriter>> markers;  // by service index; may be null

  const config::ServiceConfig& config(std::size_t i) const { return plan.services[i]; }
  ServiceResult& service(std::size_t i) { return result.services[i]; }
  std::optional<std::size_t> index_of(const std::string& name) const {
    for (std::size_t i = 0; i < plan.services.size(); ++i)
      if (plan.services[i].name == name) return i;
    return std::nullopt;
  }
};

StepResult* find_step(ServiceResult& s, std::string_view phase) {
  for (auto& step : s.steps)
    if (step.phase == phase) return &step;
  return nullptr;
}

// The service whose failure blocks `step`: itself, or what blocked it.
std::string root_of(const ServiceResult& s, const StepResult& step) {
  return step.blocked_by.empty() ? s.name : step.blocked_by;
}

// Runs `indices` in parallel, each producing its own step. An exception in
// one (bad_alloc, a thread that cannot be created) is rethrown after every
// thread has joined: escaping a std::thread would call std::terminate and
// skip the destructors that stop scratch servers and kill action groups.
template <class Fn>
void run_parallel(const std::vector<std::size_t>& indices, Fn&& fn) {
  if (indices.size() == 1) {
    fn(indices.front());
    return;
  }
  std::vector<std::exception_ptr> errors(indices.size());
  std::vector<std::thread> threads;
  threads.reserve(indices.size());
  for (std::size_t n = 0; n < indices.size(); ++n) {
    auto body = [&fn, &errors, n, i = indices[n]] {
      try {
        fn(i);
      } catch (...) {
        errors[n] = std::current_exception();
      }
    };
    try {
      threads.emplace_back(body);
    } catch (const std::system_error&) {
      body();  // no thread to be had: run it here, in turn
    }
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
}

// Failover or failback: forward by level; a step starts only when every
// dependency's step in this phase passed.
void run_forward(Drill& d, const std::string& phase) {
  for (const auto& level : d.plan.levels) {
    std::vector<std::size_t> runnable;
    for (std::size_t i : level) {
      const auto& cfg = d.config(i);
      std::string blocked;
      for (const auto& dep : cfg.depends_on) {
        auto k = d.index_of(dep);
        StepResult* dep_step = k ? find_step(d.service(*k), phase) : nullptr;
        if (dep_step && dep_step->status == Status::passed) continue;
        blocked = dep_step ? root_of(d.service(*k), *dep_step) : dep;
        break;
      }
      if (!blocked.empty())
        d.service(i).steps.push_back(skipped_step(phase, "blocked by " + blocked, blocked));
      else
        runnable.push_back(i);
    }
    std::vector<StepResult> steps(d.plan.services.size());
    run_parallel(runnable, [&](std::size_t i) {
      const auto& cfg = d.config(i);
      const config::ActionConfig& action = phase == "failover" ? cfg.failover : *cfg.failback;
      steps[i] = run_step(cfg.name, phase, action, &cfg.health, cfg.timeout, d.ctx);
    });
    for (std::size_t i : runnable) d.service(i).steps.push_back(std::move(steps[i]));
  }
}

// Drains in reverse level order: a service drains after its dependents.
// Returns the first service whose drain did not pass, or empty.
std::string run_drains(Drill& d) {
  std::string failed;
  for (auto level = d.plan.levels.rbegin(); level != d.plan.levels.rend(); ++level) {
    std::vector<std::size_t> runnable;
    for (std::size_t i : *level) {
      if (!d.config(i).drain) continue;
      if (!failed.empty())
        d.service(i).steps.push_back(skipped_step("drain", "blocked by " + failed, failed));
      else
        runnable.push_back(i);
    }
    std::vector<StepResult> steps(d.plan.services.size());
    run_parallel(runnable, [&](std::size_t i) {
      const auto& cfg = d.config(i);
      steps[i] = run_step(cfg.name, "drain", *cfg.drain, nullptr, cfg.timeout, d.ctx);
    });
    for (std::size_t i : runnable) {
      if (steps[i].status != Status::passed && failed.empty()) failed = d.config(i).name;
      d.service(i).steps.push_back(std::move(steps[i]));
    }
  }
  return failed;
}

void skip_all(Drill& d, const std::string& phase, const std::string& message,
              const std::string& blocked_by = {}) {
  for (std::size_t i = 0; i < d.plan.services.size(); ++i)
    if (!find_step(d.service(i), phase))
      d.service(i).steps.push_back(skipped_step(phase, message, blocked_by));
}

void start_markers(Drill& d) {
  d.markers.resize(d.plan.services.size());
  for (std::size_t i = 0; i < d.plan.services.size(); ++i) {
    if (!d.config(i).marker) continue;
    auto writer = MarkerWriter::start(*d.config(i).marker, d.ctx);
    reports::MarkerResult& m = d.service(i).marker.emplace();
    m.table = d.config(i).marker->table;
    if (!writer) {
      m.status = Status::error;
      m.message = "marker writer could not start: " + writer.error().message;
      continue;
    }
    d.markers[i] = std::move(*writer);
  }
  // All writers run during one warm-up, so that several markers exist
  // before t0: the recovery point is then placed within a run of
  // acknowledged markers, not against a single one.
  const auto start = SteadyClock::now();
  for (std::size_t i = 0; i < d.markers.size(); ++i) {
    if (!d.markers[i]) continue;
    auto& m = *d.service(i).marker;
    const Millis warmup = d.config(i).marker->warmup;
    const auto limit =
        std::min(start + std::max(warmup, k_first_marker_wait), d.ctx.drill_deadline);
    for (;;) {
      const auto now = SteadyClock::now();
      const bool acked = d.markers[i]->result().acknowledged > 0;
      if ((acked && now >= start + warmup) || now >= limit || !abort_reason(d.ctx).empty()) break;
      std::this_thread::sleep_for(Millis(20));
    }
    if (d.markers[i]->result().acknowledged == 0) {
      d.markers[i]->stop();
      m = d.markers[i]->result();
      m.status = Status::error;
      m.message = "no marker was acknowledged before the disaster; " + m.message;
      d.markers[i].reset();
    }
  }
}

// Injects the fault; returns the service whose disaster action failed.
std::string run_disaster(Drill& d) {
  for (std::size_t i = 0; i < d.plan.services.size(); ++i) {
    const auto& cfg = d.config(i);
    if (!cfg.disaster) continue;
    StepResult step = run_step(cfg.name, "disaster", *cfg.disaster, nullptr, cfg.timeout, d.ctx);
    if (!d.result.t0) {
      d.result.t0 = step.action_start.value_or(d.ctx.now());
      d.result.t0_source = "disaster";
    }
    // The fault was not injected as planned: the drill cannot show recovery
    // from it, which is "could not test", not a finding.
    const bool ok = step.status == Status::passed;
    if (!ok && step.status == Status::failed) step.status = Status::error;
    d.service(i).steps.push_back(std::move(step));
    if (!ok) {
      // The rest are not injected, and the report says so rather than
      // leaving their disaster out.
      for (std::size_t k = i + 1; k < d.plan.services.size(); ++k)
        if (d.config(k).disaster)
          d.service(k).steps.push_back(skipped_step(
              "disaster",
              fmt::format("not run: the disaster action of '{}' did not complete", cfg.name),
              cfg.name));
      return cfg.name;
    }
  }
  return {};
}

void finish_markers(Drill& d, bool failback_ran) {
  const std::string aborted = abort_reason(d.ctx);
  for (std::size_t i = 0; i < d.markers.size(); ++i) {
    if (!d.markers[i]) {
      if (!d.config(i).rpo && !d.service(i).marker) continue;
      auto& objective = d.service(i).objectives.emplace_back();
      objective.name = "rpo";
      objective.objective = d.config(i).rpo;
      // Loading rejects an rpo without a marker; a plan built otherwise
      // must still not pass with its objective unjudged.
      objective.status = Status::error;
      objective.message = d.service(i).marker ? "not measured: " + d.service(i).marker->message
                                              : "rpo set but not measured: no [service.marker]";
      continue;
    }
    auto& m = *d.service(i).marker;
    m = d.markers[i]->result();
    m.status = Status::passed;
    auto& objective = d.service(i).objectives.emplace_back();
    objective.name = "rpo";
    objective.objective = d.config(i).rpo;
    // Each service's recovery point depends on its own failover only: an
    // lb that failed to switch says nothing about the database's data.
    const StepResult* failover = find_step(d.service(i), "failover");
    std::string not_measured;
    if (!aborted.empty())
      not_measured = "not measured: " + aborted;
    else if (!failover || failover->status != Status::passed)
      not_measured = "not measured: the service's failover did not complete";
    if (!not_measured.empty()) {
      m.status = Status::skipped;
      objective.status = Status::skipped;
      objective.message = not_measured;
      continue;
    }
    auto rpo = d.markers[i]->read_after_failover(m);
    if (!rpo) {
      m.status = Status::error;
      m.message = rpo.error().message;
      objective.status = Status::error;
      objective.message = "not measured: " + rpo.error().message;
      continue;
    }
    objective.achieved = *rpo;
    const bool missed = objective.objective && *rpo > *objective.objective;
    objective.status = missed ? Status::failed : Status::passed;
    objective.message =
        m.found_seq
            ? fmt::format(
                  "newest marker after failover: seq {} of {} acknowledged (last "
                  "{}); data-loss window {}s",
                  *m.found_seq, m.acknowledged, m.last_acked_seq.value_or(0), format_seconds(*rpo))
            : fmt::format(
                  "no marker of this drill found after failover ({} were "
                  "acknowledged); data-loss window at least {}s",
                  m.acknowledged, format_seconds(*rpo));
    if (objective.objective)
      objective.message += fmt::format(", objective {}", format_duration(*objective.objective));
    if (!failback_ran) continue;
    if (auto back = d.markers[i]->read_after_failback(m); !back) {
      m.status = Status::error;
      m.message = back.error().message;
    } else if (m.after_failback_found && m.found_count &&
               *m.after_failback_found < *m.found_count) {
      m.status = Status::failed;
      m.message = fmt::format(
          "after failback {} marker{} of this drill are on the primary; {} were "
          "there after failover",
          *m.after_failback_found, *m.after_failback_found == 1 ? "" : "s", *m.found_count);
    }
  }
}

void measure_rto(Drill& d) {
  std::optional<Millis> last;
  bool all = true;
  for (std::size_t i = 0; i < d.plan.services.size(); ++i) {
    auto& s = d.service(i);
    reports::ObjectiveResult o;
    o.name = "rto";
    o.objective = d.config(i).rto;
    const StepResult* step = find_step(s, "failover");
    if (step && step->healthy_from && d.result.t0) {
      o.achieved = std::max(Millis(0), *step->healthy_from - *d.result.t0);
      last = std::max(last.value_or(Millis(0)), *o.achieved);
      const bool missed = o.objective && *o.achieved > *o.objective;
      o.status = missed ? Status::failed : Status::passed;
      o.message = fmt::format("healthy {}s after t0 ({}){}", format_seconds(*o.achieved),
                              d.result.t0_source,
                              o.objective ? ", objective " + format_duration(*o.objective) : "");
    } else {
      all = false;
      o.status = Status::skipped;
      o.message = "not measured: the service did not become healthy after failover";
      // It ran and never became healthy: a missed objective, not an
      // unmeasured one. An error (could not test) stays an error.
      if (step && step->status == Status::failed && o.objective) {
        o.status = Status::failed;
        o.message =
            fmt::format("not healthy within {} of the failover; objective {}",
                        format_duration(d.config(i).timeout), format_duration(*o.objective));
      } else if (step && step->status == Status::error) {
        o.status = Status::error;
        o.message = "not measured: " + step->message;
      }
    }
    s.objectives.insert(s.objectives.begin(), std::move(o));
  }
  if (all) d.result.system_rto = last;
}

void settle_statuses(Drill& d) {
  Status drill = Status::passed;
  for (auto& s : d.result.services) {
    Status st = Status::passed;
    bool ran = false;
    for (const auto& step : s.steps) {
      st = reports::worst(st, step.status);
      ran = ran || step.status != Status::skipped;
    }
    for (const auto& o : s.objectives)
      if (o.status != Status::skipped) st = reports::worst(st, o.status);
    if (s.marker && s.marker->status != Status::skipped) st = reports::worst(st, s.marker->status);
    s.status = ran || st != Status::skipped ? st : Status::skipped;
    drill = reports::worst(drill, s.status);
  }
  drill = reports::worst(drill, d.result.order_status);
  if (!d.result.aborted.empty() && drill != Status::failed) drill = Status::error;
  d.result.status = drill;
}

}  // namespace

reports::FailoverResult run_failover_drill(const plan::Plan& plan, const FailoverEnv& env) {
  Drill d{plan, {}, {}, {}};
  d.result.started = std::chrono::system_clock::now();
  d.ctx.origin = SteadyClock::now();
  d.ctx.deadline = plan.failover.deadline;
  d.ctx.drill_deadline = plan.failover.deadline ? d.ctx.origin + *plan.failover.deadline
                                                : SteadyClock::time_point::max();
  d.ctx.progress = env.progress;
  d.result.deadline = plan.failover.deadline;
  auto logs = TempDir::create("drillproof-failover");
  if (logs)
    d.ctx.log_dir = logs->path();
  else
    d.ctx.log_dir_error = logs.error().message;
  for (const auto& level : plan.levels) {
    auto& names = d.result.levels.emplace_back();
    for (std::size_t i : level) names.push_back(plan.services[i].name);
  }
  d.result.services.resize(plan.services.size());
  for (std::size_t l = 0; l < plan.levels.size(); ++l)
    for (std::size_t i : plan.levels[l]) {
      d.service(i).name = plan.services[i].name;
      d.service(i).depends_on = plan.services[i].depends_on;
      d.service(i).level = static_cast<int>(l + 1);
    }

  start_markers(d);
  std::string disaster_failed = run_disaster(d);
  for (auto& m : d.markers)
    if (m) m->stop();
  if (!d.result.t0) {
    d.result.t0 = d.ctx.now();
    d.result.t0_source = "declaration";
  }
  if (!disaster_failed.empty())
    skip_all(d, "failover",
             fmt::format("not run: the disaster action of '{}' did not complete", disaster_failed),
             disaster_failed);
  else
    run_forward(d, "failover");

  bool failover_ok = true;
  for (auto& s : d.result.services) {
    const StepResult* step = find_step(s, "failover");
    failover_ok = failover_ok && step && step->status == Status::passed;
  }
  bool failback_ran = false;
  if (plan.failover.failback) {
    std::string why = abort_reason(d.ctx);
    if (!why.empty()) {
      skip_all(d, "failback", "not run: " + why);
    } else if (!failover_ok) {
      skip_all(d, "failback", "not run: the failover did not complete");
    } else if (std::string drain_failed = run_drains(d); !drain_failed.empty()) {
      skip_all(d, "failback", "blocked by " + drain_failed + " (its drain did not complete)",
               drain_failed);
    } else {
      run_forward(d, "failback");
      failback_ran = true;
    }
  }
  measure_rto(d);
  finish_markers(d, failback_ran);
  d.result.aborted = abort_reason(d.ctx);
  check_order(d.result);
  settle_statuses(d);
  d.result.duration = d.ctx.now();
  return d.result;
}

}  // namespace dp::drills
