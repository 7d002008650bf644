#include "drills/check_runner.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "checks/registry.hpp"
#include "checks/snapshot.hpp"
#include "drills/backup_format.hpp"
#include "verifier/core/signals.hpp"
#include "verifier/core/timestamp.hpp"
#include "verifier/engine/mysql/my_engine.hpp"

namespace dp::drills {
namespace fs = std::filesystem;
using reports::Status;
using Clock = std::chrono::steady_clock;

namespace {

Status status_of(checks::Outcome o) {
  switch (o) {
    case checks::Outcome::passed:
      return Status::passed;
    case checks::Outcome::failed:
      return Status::failed;
    case checks::Outcome::error:
      return Status::error;
  }
  return Status::error;
}

reports::CheckResult blank(const CheckSpec& spec, Status status, std::string message) {
  reports::CheckResult r;
  r.name = spec.name;
  r.type = spec.type;
  r.status = status;
  r.message = std::move(message);
  return r;
}

std::optional<std::chrono::system_clock::time_point> file_time(const fs::path& path) {
  std::error_code ec;
  auto t = fs::last_write_time(path, ec);
  if (ec) return std::nullopt;
  return std::chrono::time_point_cast<std::chrono::system_clock::duration>(
      std::chrono::file_clock::to_sys(t));
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> backup_reference_time(
    const plan::BackupJob& job) {
  const std::string& how = job.backup.reference_time;
  const fs::path& path = job.backup.path;
  if (how == "file") return file_time(path);
  if (how == "dump") {
    auto format = detect_format(job.backup.engine, path);
    if (format) {
      auto origin = read_dump_origin(*format, path);
      if (origin && origin->created) return origin->created;
    }
    return file_time(path);
  }
  auto parsed = parse_timestamp(how);
  if (parsed) return *parsed;
  return std::nullopt;
}

CheckRunOutput run_checks(const plan::BackupJob& job, const CheckRunInput& input) {
  CheckRunOutput out;
  const auto& specs = job.backup.checks;

  std::vector<std::unique_ptr<checks::Check>> built(specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    auto check = checks::make_check(specs[i]);
    if (check) built[i] = std::move(*check);
  }
  if (input.admin) {
    std::vector<std::string> done;
    for (const auto& check : built) {
      if (!check) continue;
      for (const auto& sql : check->prerequisites(input.restored.kind)) {
        if (std::find(done.begin(), done.end(), sql) != done.end()) continue;
        done.push_back(sql);
        // A failed prerequisite shows up as that check's own error when it runs.
        (void)input.admin(sql);
      }
    }
  }

  std::optional<checks::Snapshot> snapshot;
  std::string snapshot_error;
  if (!job.backup.snapshot.empty()) {
    auto read = checks::read_snapshot(job.backup.snapshot);
    if (read)
      snapshot = std::move(*read);
    else
      snapshot_error = read.error().message;
  }

  auto session = engine::connect(input.restored);
  if (!session) {
    std::string why = "could not open a read-only session: " + session.error().message;
    for (const auto& spec : specs) out.results.push_back(blank(spec, Status::skipped, why));
    out.status = Unexpected<Error>(std::move(session).error());
    return out;
  }
  engine::ConnectOptions restored = input.restored;
  checks::Connector connect = [restored] { return engine::connect(restored); };
  checks::Connector connect_source;
  if (!job.backup.source.empty()) {
    engine::ConnectOptions source;
    source.kind = job.backup.engine;
    source.statement_timeout = input.restored.statement_timeout;
    if (job.backup.engine == EngineKind::postgres) {
      source.conninfo = job.backup.source;
    } else if (job.backup.engine == EngineKind::mysql) {
      source = engine::mysql::source_options(job.backup.source);
      source.statement_timeout = input.restored.statement_timeout;
    } else {
      source.database = job.backup.source;
    }
    connect_source = [source] { return engine::connect(source); };
  }

  for (std::size_t i = 0; i < specs.size(); ++i) {
    const CheckSpec& spec = specs[i];
    if (interrupted()) {
      out.results.push_back(blank(spec, Status::skipped, "skipped: run interrupted"));
      continue;
    }
    if (!built[i]) {
      out.results.push_back(blank(spec, Status::error, "unknown check type " + spec.type));
      continue;
    }
    bool wants_snapshot = false;
    for (const auto& kind : checks::registry())
      if (kind.info.type == spec.type) wants_snapshot = kind.info.needs_snapshot;
    if (wants_snapshot && !snapshot) {
      out.results.push_back(
          blank(spec, Status::error, snapshot_error.empty() ? "no snapshot" : snapshot_error));
      continue;
    }
    checks::CheckContext ctx(**session, job.backup.name);
    ctx.snapshot = snapshot ? &*snapshot : nullptr;
    ctx.connect = connect;
    ctx.connect_source = connect_source;
    ctx.rpo = job.rpo;
    ctx.reference_time = input.reference_time;
    ctx.jobs = input.jobs;
    auto t0 = Clock::now();
    checks::CheckOutcome outcome = built[i]->run(ctx);
    reports::CheckResult r = blank(spec, status_of(outcome.outcome), outcome.message);
    r.expected = outcome.expected;
    r.observed = outcome.observed;
    r.findings = std::move(outcome.findings);
    for (auto& o : outcome.objects)
      r.objects.push_back({o.object, status_of(o.outcome), o.message, std::move(o.findings)});
    r.duration = std::chrono::duration_cast<Millis>(Clock::now() - t0);
    if (outcome.achieved_rpo) out.achieved_rpo = outcome.achieved_rpo;
    out.results.push_back(std::move(r));
  }
  return out;
}

}  // namespace dp::drills
