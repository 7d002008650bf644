#include "drills/restore_drill.hpp"

#include <fmt/format.h>

#include "checks/registry.hpp"
#include "drills/restore.hpp"
#include "verifier/core/signals.hpp"
#include "verifier/core/temp_dir.hpp"

namespace dp::drills {
namespace fs = std::filesystem;
using reports::Status;
using Clock = std::chrono::steady_clock;

namespace {

Millis since(Clock::time_point t) { return std::chrono::duration_cast<Millis>(Clock::now() - t); }

// Errors become `error` (could not test), except nothing here is a `failed`:
// a restore that breaks means the drill could not test the backup.
Status status_of(const Error&) { return Status::error; }

class Drill {
 public:
  Drill(const plan::BackupJob& job, const DrillEnv& env) : m_job(job), m_env(env) {
    m_result.name = job.backup.name;
    m_result.engine = std::string(engine_kind_name(job.backup.engine));
    m_result.path = job.backup.path.string();
    m_result.started = std::chrono::system_clock::now();
    m_start = Clock::now();
  }

  reports::BackupResult run() {
    bool provisioned = provision();
    if (!provisioned) skip("restore", "skipped: no scratch instance to restore into");
    bool restored = provisioned && restore();
    objectives(restored);
    checks(restored);
    teardown();
    m_result.duration = since(m_start);
    m_result.status = Status::passed;
    for (const auto& p : m_result.phases)
      m_result.status = reports::worst(m_result.status, p.status);
    for (const auto& o : m_result.objectives)
      m_result.status = reports::worst(m_result.status, o.status);
    for (const auto& c : m_result.checks)
      m_result.status = reports::worst(m_result.status, c.status);
    return std::move(m_result);
  }

 private:
  void say(std::string_view what) {
    if (m_env.progress) m_env.progress(fmt::format("{}: {}", m_job.backup.name, what));
  }

  reports::PhaseResult& begin(const char* name) {
    m_phase_start = Clock::now();
    m_result.phases.push_back({name, Status::passed, since(m_start), Millis{0}, "", ""});
    return m_result.phases.back();
  }
  bool end(reports::PhaseResult& phase, Result<void> result, std::string stderr_tail = "") {
    phase.duration = since(m_phase_start);
    phase.stderr_tail = std::move(stderr_tail);
    if (!result) {
      phase.status = status_of(result.error());
      phase.message = result.error().message;
      say(fmt::format("{} failed: {}", phase.name,
                      phase.message.substr(0, phase.message.find('\n'))));
      return false;
    }
    return true;
  }
  void skip(const char* name, const std::string& why) {
    m_result.phases.push_back({name, Status::skipped, since(m_start), Millis{0}, why, ""});
  }

  bool provision() {
    auto& phase = begin("provision");
    say("provisioning scratch instance");
    if (m_job.backup.engine == EngineKind::postgres) {
      const auto& bin = *m_env.pg_binaries;
      if (!bin) return end(phase, Unexpected<Error>(bin.error()));
      ScratchOptions opts{m_env.run_as, m_env.start_timeout, m_env.keep_scratch};
      auto scratch = PgScratch::start(*bin, opts);
      if (!scratch) return end(phase, Unexpected<Error>(std::move(scratch).error()));
      m_pg.emplace(std::move(*scratch));
      m_result.server_version = "PostgreSQL " + bin->version;
    } else {
      auto dir = TempDir::create("drillproof-sqlite-");
      if (!dir) return end(phase, Unexpected<Error>(std::move(dir).error()));
      m_dir.emplace(std::move(*dir));
      m_result.server_version = "SQLite (library)";
    }
    return end(phase, {});
  }

  bool restore() {
    auto& phase = begin("restore");
    auto format = detect_format(m_job.backup.engine, m_job.backup.path);
    if (!format) return end(phase, Unexpected<Error>(std::move(format).error()));
    m_result.format = format_name(*format);
    say(fmt::format("restoring {} ({})", m_job.backup.path.string(), m_result.format));
    RestoreRun run;
    if (m_pg) {
      run = restore_postgres(*m_pg, m_job, *format, deadline_in(m_job.restore_timeout));
      if (!run.result && run.result.error().code == Errc::timeout)
        run.result = make_error(Errc::timeout,
                                fmt::format("restore did not finish within restore_timeout {}",
                                            format_duration(m_job.restore_timeout)));
    } else {
      run = restore_sqlite(m_job, *format, m_dir->path() / "restored.db");
    }
    if (run.result && interrupted())
      run.result = make_error(Errc::interrupted,
                              fmt::format("interrupted by signal {}", interrupt_signal()));
    m_restored_at = since(m_start);
    return end(phase, std::move(run.result), std::move(run.stderr_tail));
  }

  void objectives(bool restored) {
    reports::ObjectiveResult rto;
    rto.name = "rto";
    rto.objective = m_job.rto;
    if (!restored) {
      rto.status = Status::skipped;
      rto.message = "not measured: the backup was not restored";
    } else {
      rto.achieved = m_restored_at;
      if (!m_job.rto) {
        rto.message = fmt::format("restored in {} (no rto objective set)",
                                  format_seconds(m_restored_at) + "s");
      } else if (m_restored_at > *m_job.rto) {
        rto.status = Status::failed;
        rto.message = fmt::format("restored in {}s, objective {}: missed by {}s",
                                  format_seconds(m_restored_at), format_duration(*m_job.rto),
                                  format_seconds(m_restored_at - *m_job.rto));
      } else {
        rto.message = fmt::format("restored in {}s, objective {}", format_seconds(m_restored_at),
                                  format_duration(*m_job.rto));
      }
    }
    m_result.objectives.push_back(std::move(rto));
  }

  void checks(bool restored) {
    auto& phase = begin("checks");
    const auto& specs = m_job.backup.checks;
    auto skip_all = [&](const std::string& why) {
      for (const auto& spec : specs)
        m_result.checks.push_back(
            {spec.name, spec.type, Status::skipped, "", "", why, Millis{0}, {}});
    };
    if (!restored) {
      phase.status = Status::skipped;
      phase.message = "skipped: the backup was not restored";
      skip_all(phase.message);
      return;
    }
    if (specs.empty()) return (void)end(phase, {});
    say(fmt::format("running {} checks", specs.size()));
    engine::ConnectOptions conn;
    if (m_pg) {
      conn = m_pg->connect_options(m_job.backup.database);
    } else {
      conn.kind = EngineKind::sqlite;
      conn.database = (m_dir->path() / "restored.db").string();
    }
    conn.statement_timeout = m_env.check_timeout;
    auto session = engine::connect(conn);
    if (!session) {
      std::string why = "could not open a read-only session: " + session.error().message;
      skip_all(why);
      return (void)end(phase, Unexpected<Error>(std::move(session).error()));
    }
    for (const auto& spec : specs) {
      reports::CheckResult result{spec.name, spec.type, Status::passed, "", "", "", Millis{0}, {}};
      if (interrupted()) {
        result.status = Status::skipped;
        result.message = "skipped: run interrupted";
        m_result.checks.push_back(std::move(result));
        continue;
      }
      auto check = checks::make_check(spec);
      auto t0 = Clock::now();
      if (!check) {
        result.status = Status::error;
        result.message = check.error().message;
      } else {
        auto outcome = (*check)->run({**session, m_job.backup.name});
        result.expected = outcome.expected;
        result.observed = outcome.observed;
        result.message = outcome.message;
        result.findings = std::move(outcome.findings);
        result.status = outcome.outcome == checks::Outcome::passed   ? Status::passed
                        : outcome.outcome == checks::Outcome::failed ? Status::failed
                                                                     : Status::error;
      }
      result.duration = since(t0);
      m_result.checks.push_back(std::move(result));
    }
    phase.duration = since(m_phase_start);
    if (interrupted()) {
      phase.status = Status::error;
      phase.message = fmt::format("interrupted by signal {}", interrupt_signal());
    }
  }

  void teardown() {
    auto& phase = begin("teardown");
    if (m_env.keep_scratch) {
      if (m_pg) {
        m_pg->keep();
        m_result.scratch = m_pg->connect_hint(m_job.backup.database);
      } else if (m_dir) {
        m_dir->keep();
        m_result.scratch = fmt::format("sqlite3 {}", (m_dir->path() / "restored.db").string());
      }
      phase.message = "kept: " + m_result.scratch;
    } else {
      say("tearing down");
    }
    if (m_pg) m_pg->stop();
    m_pg.reset();
    m_dir.reset();
    phase.duration = since(m_phase_start);
  }

  const plan::BackupJob& m_job;
  const DrillEnv& m_env;
  reports::BackupResult m_result;
  Clock::time_point m_start, m_phase_start;
  Millis m_restored_at{0};
  std::optional<PgScratch> m_pg;
  std::optional<TempDir> m_dir;
};

}  // namespace

reports::BackupResult run_restore_drill(const plan::BackupJob& job, const DrillEnv& env) {
  return Drill(job, env).run();
}

}  // namespace dp::drills
