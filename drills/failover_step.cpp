// Actions write stdout and stderr to a file rather than a pipe: an action
// that starts a daemon which keeps the descriptors open must not look like
// it never finished. The file's tail becomes the step's output.
#include "drills/failover_step.hpp"

#include <fcntl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "drills/probe.hpp"
#include "verifier/core/fd.hpp"
#include "verifier/core/signals.hpp"
#include "verifier/core/text.hpp"

namespace dp::drills {
namespace {

constexpr std::size_t k_output_tail_bytes = 2048;
constexpr Millis k_stop_grace{2000};

std::string file_tail(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() > k_output_tail_bytes) {
    text.erase(0, text.size() - k_output_tail_bytes);
    auto nl = text.find('\n');
    if (nl != std::string::npos) text.erase(0, nl + 1);
  }
  return std::string(trim(text));
}

// Keeps the first and last k_probe_samples_kept/2 samples.
void record(reports::StepResult& step, reports::ProbeSample sample) {
  constexpr std::size_t k_half = reports::k_probe_samples_kept / 2;
  ++step.probe_count;
  if (sample.passed) ++step.probe_passes;
  if (step.probes.size() >= reports::k_probe_samples_kept)
    step.probes.erase(step.probes.begin() + static_cast<std::ptrdiff_t>(k_half));
  step.probes.push_back(std::move(sample));
}

void say(const StepContext& ctx, const std::string& line) {
  if (ctx.progress) ctx.progress(line);
}

// Ends the step because the drill is aborting: an error, not a finding.
reports::StepResult& aborted(reports::StepResult& step, const std::string& why) {
  step.status = reports::Status::error;
  step.message = "aborted: " + why;
  return step;
}

void wait_healthy(reports::StepResult& step, const config::HealthConfig& health,
                  Deadline step_deadline, Millis timeout, const StepContext& ctx) {
  int in_a_row = 0;
  std::string last = "no probe ran";
  while (true) {
    if (auto why = abort_reason(ctx); !why.empty()) {
      aborted(step, why);
      return;
    }
    const auto begin = SteadyClock::now();
    if (begin >= step_deadline) break;
    config::HealthConfig probe = health;
    probe.timeout = std::max(
        Millis(1),
        std::min(health.timeout, std::chrono::duration_cast<Millis>(step_deadline - begin)));
    ProbeOutcome outcome = run_probe(probe);
    const Millis at = ctx.now();
    last = outcome.message;
    in_a_row = outcome.passed ? in_a_row + 1 : 0;
    record(step, {at, outcome.passed, std::move(outcome.message)});
    if (in_a_row >= health.success_threshold) {
      step.healthy_from = at;
      step.status = reports::Status::passed;
      return;
    }
    const auto next = std::min(begin + health.interval, step_deadline);
    while (SteadyClock::now() < next && !interrupted())
      std::this_thread::sleep_for(std::min<SteadyClock::duration>(next - SteadyClock::now(),
                                                                  std::chrono::milliseconds(50)));
  }
  if (auto why = abort_reason(ctx); !why.empty()) {
    aborted(step, why);
    return;
  }
  step.status = reports::Status::failed;
  step.message = fmt::format(
      "health probe did not pass {} time{} in a row within the step timeout of {} ({} probe{}, "
      "{} passed; last: {})",
      health.success_threshold, health.success_threshold == 1 ? "" : "s", format_duration(timeout),
      step.probe_count, step.probe_count == 1 ? "" : "s", step.probe_passes, last);
}

}  // namespace

std::string abort_reason(const StepContext& ctx) {
  if (interrupted()) return fmt::format("interrupted by signal {}", interrupt_signal());
  if (SteadyClock::now() >= ctx.drill_deadline)
    return ctx.deadline
               ? fmt::format("the drill deadline of {} passed", format_duration(*ctx.deadline))
               : "the drill deadline passed";
  return {};
}

reports::StepResult skipped_step(const std::string& phase, std::string message,
                                 std::string blocked_by) {
  reports::StepResult step;
  step.phase = phase;
  step.status = reports::Status::skipped;
  step.message = std::move(message);
  step.blocked_by = std::move(blocked_by);
  return step;
}

namespace {
std::string out_tail(const std::filesystem::path& log, const std::string& no_output) {
  return no_output.empty() ? file_tail(log) : no_output;
}
}  // namespace

reports::StepResult run_step(const std::string& service, const std::string& phase,
                             const config::ActionConfig& action, const config::HealthConfig* health,
                             Millis timeout, const StepContext& ctx) {
  reports::StepResult step;
  step.phase = phase;
  if (auto why = abort_reason(ctx); !why.empty()) return skipped_step(phase, "not run: " + why);
  const Deadline step_deadline = std::min(deadline_in(timeout), ctx.drill_deadline);

  const auto log = ctx.log_dir / fmt::format("{}.{}.log", service, phase);
  Fd out(ctx.log_dir.empty() ? -1
                             : ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  // Without a file the output is discarded; the report says why instead of
  // showing an empty tail.
  const std::string no_output =
      out.valid()
          ? std::string()
          : fmt::format("(output not kept: {})",
                        ctx.log_dir.empty()
                            ? ctx.log_dir_error
                            : fmt::format("open {}: {}", log.string(), std::strerror(errno)));
  SpawnOptions options;
  options.argv = action.argv;
  options.env = action.env;
  options.cwd = action.cwd;
  options.stop_grace = k_stop_grace;
  if (out.valid()) {
    options.out = Redirect::use_fd(out.get());
    options.err = Redirect::use_fd(out.get());
  } else {
    options.out = options.err = Redirect::null();
  }
  say(ctx, fmt::format("{}: {} started", service, phase));
  step.action_start = ctx.now();
  auto child = ChildProcess::spawn(std::move(options));
  out.reset();
  if (!child) {
    step.action_end = ctx.now();
    step.status = reports::Status::error;
    step.message = fmt::format("{} action could not start: {}", phase, child.error().message);
    return step;
  }
  auto status = child->wait(step_deadline);
  if (!status) {
    child->stop();  // SIGTERM, then SIGKILL to its process group
    step.action_end = ctx.now();
    step.output_tail = out_tail(log, no_output);
    if (auto why = abort_reason(ctx); !why.empty()) return aborted(step, why);
    step.status = reports::Status::failed;
    step.message = fmt::format("{} action timed out after {}; it was killed with its process group",
                               phase, format_duration(timeout));
    say(ctx, fmt::format("{}: {} timed out", service, phase));
    return step;
  }
  step.action_end = ctx.now();
  step.output_tail = out_tail(log, no_output);
  if (!status->ok()) {
    step.status = reports::Status::failed;
    step.message = fmt::format("{} action failed: {}", phase, status->describe());
    say(ctx, fmt::format("{}: {} failed ({})", service, phase, status->describe()));
    return step;
  }
  if (!health) {
    step.status = reports::Status::passed;
    return step;
  }
  wait_healthy(step, *health, step_deadline, timeout, ctx);
  say(ctx, fmt::format("{}: {} {}", service, phase,
                       step.status == reports::Status::passed ? "healthy" : "not healthy"));
  return step;
}

}  // namespace dp::drills
