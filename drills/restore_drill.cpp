#include "drills/restore_drill.hpp"

#include <fmt/format.h>

#include "drills/check_runner.hpp"
#include "drills/my_pitr.hpp"
#include "drills/pg_pitr.hpp"
#include "drills/restore.hpp"
#include "verifier/artifacts/manifest.hpp"
#include "verifier/artifacts/pg_manifest.hpp"
#include "verifier/core/signals.hpp"
#include "verifier/core/temp_dir.hpp"
#include "verifier/core/timestamp.hpp"
#include "verifier/engine/mysql/my_engine.hpp"
#include "verifier/engine/postgres/pg_engine.hpp"

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
    detect();
    // A backup whose files do not match its manifest is not worth minutes of
    // restoring: fail fast, before a scratch instance is even started.
    bool intact = manifest();
    bool provisioned = intact && provision();
    if (!intact)
      skip("restore", m_result.phases.back().status == Status::error
                          ? "skipped: the backup's manifest could not be verified"
                          : "skipped: the manifest phase failed; the backup is not restored");
    else if (!provisioned)
      skip("restore", "skipped: no scratch instance to restore into");
    bool restored = provisioned && restore();
    objectives(restored);
    checks(restored);
    teardown();
    if (restored) samples();
    m_result.duration = since(m_start);
    m_result.status = Status::passed;
    for (const auto& p : m_result.phases)
      m_result.status = reports::worst(m_result.status, p.status);
    for (const auto& o : m_result.objectives)
      m_result.status = reports::worst(m_result.status, o.status);
    for (const auto& c : m_result.checks)
      m_result.status = reports::worst(m_result.status, c.status);
    for (const auto& p : m_result.pitr) m_result.status = reports::worst(m_result.status, p.status);
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

  // The format, once: the plan's `format` (if any) must match the content.
  // An error here surfaces in the restore phase.
  void detect() {
    m_format = detect_format(m_job.backup.engine, m_job.backup.path, m_job.backup.format);
    if (!m_format || !is_pg_basebackup(*m_format)) return;
    auto layout = basebackup_layout(m_job.backup.path);
    if (!layout)
      m_format = Unexpected<Error>(std::move(layout).error());
    else if (*layout)
      m_layout = std::move(**layout);
  }
  bool basebackup() const { return m_format && is_pg_basebackup(*m_format) && m_layout; }

  // Which manifest to verify: the plan's (a drillproof manifest or a
  // PostgreSQL backup_manifest), else a base backup's own backup_manifest.
  Result<std::pair<fs::path, bool>> pick_manifest() const {
    const auto& backup = m_job.backup;
    if (!backup.manifest.empty()) {
      auto pg = artifacts::is_pg_backup_manifest(backup.manifest);
      if (!pg) return Unexpected<Error>(std::move(pg).error());
      return std::pair{backup.manifest, *pg};
    }
    if (basebackup() && backup.verify_manifest && !m_layout->manifest.empty())
      return std::pair{m_layout->manifest, true};
    return std::pair{fs::path(), false};
  }

  // A tar base backup is extracted to be verified; the restore then moves
  // the verified copy into the scratch instance instead of extracting again.
  Result<fs::path> manifest_root(bool pg) {
    const auto& path = m_job.backup.path;
    std::error_code ec;
    if (!pg || !basebackup() || m_layout->format != BackupFormat::pg_basebackup_tar)
      return fs::is_directory(path, ec) ? path : path.parent_path();
    auto dir = TempDir::create("drillproof-pgbb-");
    if (!dir) return Unexpected<Error>(std::move(dir).error());
    m_staged.emplace(std::move(*dir));
    say(fmt::format("extracting {} to verify its backup_manifest", m_layout->base_tar.string()));
    fs::path data = m_staged->path() / "data";
    auto staged = stage_basebackup(*m_layout, data, m_staged->path() / "tar.log",
                                   deadline_in(m_job.restore_timeout));
    if (!staged) return Unexpected<Error>(std::move(staged).error());
    return data;
  }

  // A base backup's manifest is part of the backup: one that cannot be
  // parsed (truncated, edited) is damage, a failed phase, not an error.
  bool fail(reports::PhaseResult& phase, const fs::path& manifest, const std::string& finding,
            const char* kind) {
    phase.duration = since(m_phase_start);
    phase.status = Status::failed;
    phase.message = fmt::format("1 finding against {}\n{}: {}", manifest.string(), kind, finding);
    say(fmt::format("manifest failed: {}", finding.substr(0, finding.find('\n'))));
    return false;
  }

  bool manifest() {
    auto picked = pick_manifest();
    if (picked && picked->first.empty()) {
      if (!basebackup() || !m_job.backup.verify_manifest) return true;
      // verify_manifest is on, yet there is nothing to verify: say so.
      auto& phase = begin("manifest");
      phase.duration = since(m_phase_start);
      phase.status = Status::failed;
      phase.message =
          "base backup has no backup_manifest (made with --no-manifest, or it was removed); set "
          "verify_manifest = false to drill it unverified";
      say("manifest failed: base backup has no backup_manifest");
      return false;
    }
    auto& phase = begin("manifest");
    if (!picked) return end(phase, Unexpected<Error>(std::move(picked).error()));
    const auto& [manifest, pg] = *picked;
    say("verifying the manifest");
    auto root = manifest_root(pg);
    if (!root) return end(phase, Unexpected<Error>(std::move(root).error()));
    artifacts::PgWalParseOptions wal;
    wal.enabled = m_job.backup.parse_wal;
    auto report = pg ? artifacts::verify_pg_manifest(*root, manifest, {}, wal)
                     : artifacts::verify_manifest(*root, manifest, {});
    if (!report && pg && report.error().code == Errc::invalid_input)
      return fail(phase, manifest, report.error().message, "manifest_digest");
    if (!report) return end(phase, Unexpected<Error>(std::move(report).error()));
    phase.duration = since(m_phase_start);
    if (report->ok()) {
      phase.message =
          fmt::format("{} files, {} bytes match {}{}", report->files_checked, report->bytes_checked,
                      manifest.string(), m_staged ? " (checked on the extracted copy)" : "");
      return true;
    }
    constexpr std::size_t k_shown = 20;  // the report names the first ones; the count says the rest
    phase.status = Status::failed;
    phase.message = fmt::format("{} finding{} against {}", report->findings.size(),
                                report->findings.size() == 1 ? "" : "s", manifest.string());
    for (std::size_t i = 0; i < report->findings.size() && i < k_shown; ++i)
      phase.message +=
          fmt::format("\n{}: {}", artifacts::finding_kind_name(report->findings[i].kind),
                      report->findings[i].message);
    if (report->findings.size() > k_shown)
      phase.message += fmt::format("\n... and {} more", report->findings.size() - k_shown);
    say(fmt::format("manifest failed: {}", phase.message.substr(0, phase.message.find('\n'))));
    return false;
  }

  bool provision() {
    auto& phase = begin("provision");
    say("provisioning scratch instance");
    // A missing client library is this backup's `error`, found before any
    // server is started or file copied (the library is loaded on first use).
    if (auto ok = engine::client_library_ready(m_job.backup.engine); !ok)
      return end(phase, std::move(ok));
    if (m_job.backup.engine == EngineKind::postgres) {
      const auto& bin = *m_env.pg_binaries;
      if (!bin) return end(phase, Unexpected<Error>(bin.error()));
      ScratchOptions opts{m_env.run_as, m_env.start_timeout, m_env.keep_scratch};
      // A base backup brings its own data directory: the server starts on
      // it in the restore step.
      auto scratch = basebackup() ? PgScratch::create(*bin, opts) : PgScratch::start(*bin, opts);
      if (!scratch) return end(phase, Unexpected<Error>(std::move(scratch).error()));
      m_pg.emplace(std::move(*scratch));
      m_result.server_version = "PostgreSQL " + bin->version;
    } else if (m_job.backup.engine == EngineKind::mysql) {
      if (auto ok = provision_mysql(); !ok) return end(phase, std::move(ok));
    } else {
      auto dir = TempDir::create("drillproof-sqlite-");
      if (!dir) return end(phase, Unexpected<Error>(std::move(dir).error()));
      m_dir.emplace(std::move(*dir));
      m_result.server_version = "SQLite (library)";
    }
    return end(phase, {});
  }

  // A dump is loaded into a freshly initialised server; a physical backup
  // brings its own data directory, so its server starts in the restore step.
  Result<void> provision_mysql() {
    if (!m_env.my_binaries) return make_error(Errc::internal, "mysql binaries not resolved");
    const auto& bin = *m_env.my_binaries;
    if (!bin) return Unexpected<Error>(bin.error());
    ScratchOptions opts{m_env.my_run_as, m_env.start_timeout, m_env.keep_scratch};
    auto scratch = MyScratch::create(*bin, opts);
    if (!scratch) return Unexpected<Error>(std::move(scratch).error());
    m_my.emplace(std::move(*scratch));
    m_result.server_version =
        (bin->version.find("MariaDB") != std::string::npos ? "MariaDB " : "MySQL ") + bin->version;
    std::error_code ec;
    if (fs::is_directory(m_job.backup.path, ec)) return {};
    if (auto ok = m_my->initialize(); !ok) return ok;
    return m_my->launch();
  }

  bool restore() {
    auto& phase = begin("restore");
    auto& format = m_format;
    if (!format) return end(phase, Unexpected<Error>(format.error()));
    m_result.format = format_name(*format);
    say(fmt::format("restoring {} ({})", m_job.backup.path.string(), m_result.format));
    RestoreRun run;
    if (m_pg && basebackup()) {
      fs::path staged = m_staged ? m_staged->path() / "data" : fs::path();
      run = restore_pg_basebackup(*m_pg, m_job, *m_layout, staged,
                                  deadline_in(m_job.restore_timeout));
      m_staged.reset();
      if (!run.result && run.result.error().code == Errc::timeout)
        run.result = make_error(Errc::timeout,
                                fmt::format("restore did not finish within restore_timeout {}",
                                            format_duration(m_job.restore_timeout)));
    } else if (m_pg) {
      run = restore_postgres(*m_pg, m_job, *format, deadline_in(m_job.restore_timeout));
      if (!run.result && run.result.error().code == Errc::timeout)
        run.result = make_error(Errc::timeout,
                                fmt::format("restore did not finish within restore_timeout {}",
                                            format_duration(m_job.restore_timeout)));
    } else if (m_my) {
      Deadline deadline = deadline_in(m_job.restore_timeout);
      run = *format == BackupFormat::mariadb_backup
                ? restore_mysql_physical(*m_my, m_job, deadline)
                : restore_mysql_dump(*m_my, m_job, *format, deadline);
      // The step that ran out of time (copy, --prepare, load) stays in the message.
      if (!run.result && run.result.error().code == Errc::timeout &&
          std::chrono::steady_clock::now() >= deadline)
        run.result = make_error(
            Errc::timeout,
            fmt::format("restore did not finish within restore_timeout {}: {}",
                        format_duration(m_job.restore_timeout), run.result.error().message));
    } else {
      run = restore_sqlite(m_job, *format, m_dir->path() / "restored.db");
    }
    if (run.result && interrupted())
      run.result = make_error(Errc::interrupted,
                              fmt::format("interrupted by signal {}", interrupt_signal()));
    m_restored_at = since(m_start);
    if (run.pitr) {
      run.pitr->duration = m_restored_at;
      m_result.pitr.push_back(*run.pitr);
    }
    bool ok = end(phase, std::move(run.result), std::move(run.stderr_tail));
    // Recovery that fell short of its target is a finding about the backup
    // and its archive (exit 1), not a drill that could not test.
    if (!ok && run.pitr && run.pitr->status == Status::failed) phase.status = Status::failed;
    return ok;
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
    pitr_rpo_objective();
  }

  // Point-in-time recovery measures the recovery point itself: the target
  // (or the last replayed commit, for "latest") minus the newest committed
  // change recovery_point_query found.
  void pitr_rpo_objective() {
    if (m_result.pitr.empty() || !m_result.pitr.front().data_loss) return;
    const auto& p = m_result.pitr.front();
    reports::ObjectiveResult rpo;
    rpo.name = "rpo";
    rpo.objective = m_job.rpo;
    rpo.achieved = p.data_loss;
    std::string what = fmt::format(
        "newest committed change {} is {} before the {}", format_timestamp(*p.recovery_point),
        format_duration(*p.data_loss), p.target_time ? "recovery target" : "last replayed commit");
    if (m_job.rpo && *p.data_loss > *m_job.rpo) {
      rpo.status = Status::failed;
      rpo.message = fmt::format("{}, objective {}: missed by {}", what, format_duration(*m_job.rpo),
                                format_duration(*p.data_loss - *m_job.rpo));
    } else {
      rpo.message = what + (m_job.rpo ? ", objective " + format_duration(*m_job.rpo) : "");
    }
    m_result.objectives.push_back(std::move(rpo));
  }

  void checks(bool restored) {
    auto& phase = begin("checks");
    const auto& specs = m_job.backup.checks;
    if (!restored) {
      phase.status = Status::skipped;
      phase.message = "skipped: the backup was not restored";
      for (const auto& spec : specs) {
        reports::CheckResult r;
        r.name = spec.name;
        r.type = spec.type;
        r.status = Status::skipped;
        r.message = phase.message;
        m_result.checks.push_back(std::move(r));
      }
      return;
    }
    if (specs.empty()) return (void)end(phase, {});
    say(fmt::format("running {} checks", specs.size()));
    CheckRunInput input;
    if (m_pg) {
      input.restored = m_pg->connect_options(m_job.backup.database);
      auto admin = m_pg->connect_options(m_job.backup.database);
      input.admin = [admin](const std::string& sql) {
        return engine::postgres::execute_admin(admin, sql);
      };
    } else if (m_my) {
      input.restored = m_my->connect_options(m_job.backup.database);
      auto admin = m_my->connect_options(m_job.backup.database);
      input.admin = [admin](const std::string& sql) {
        return engine::mysql::execute_admin(admin, sql);
      };
    } else {
      input.restored.kind = EngineKind::sqlite;
      input.restored.database = (m_dir->path() / "restored.db").string();
    }
    input.restored.statement_timeout = m_env.check_timeout;
    input.reference_time = backup_reference_time(m_job);
    input.jobs = m_job.restore_jobs;
    CheckRunOutput run = run_checks(m_job, input);
    m_result.checks = std::move(run.results);
    if (m_job.rpo || run.achieved_rpo) rpo_objective(run.achieved_rpo);
    if (!run.status) return (void)end(phase, std::move(run.status));
    phase.duration = since(m_phase_start);
    if (interrupted()) {
      phase.status = Status::error;
      phase.message = fmt::format("interrupted by signal {}", interrupt_signal());
    }
  }

  // The achieved recovery point comes from a freshness check; without one
  // the objective is reported as not measured only when a check could have.
  void rpo_objective(const std::optional<Millis>& achieved) {
    if (!achieved) return;
    for (const auto& o : m_result.objectives)
      if (o.name == "rpo") return;  // measured by point-in-time recovery
    reports::ObjectiveResult rpo;
    rpo.name = "rpo";
    rpo.objective = m_job.rpo;
    rpo.achieved = achieved;
    if (m_job.rpo && *achieved > *m_job.rpo) {
      rpo.status = Status::failed;
      rpo.message = fmt::format(
          "newest data is {} older than the backup's reference time, "
          "objective {}: missed by {}",
          format_duration(*achieved), format_duration(*m_job.rpo),
          format_duration(*achieved - *m_job.rpo));
    } else {
      rpo.message = fmt::format("newest data is {} older than the backup's reference time{}",
                                format_duration(*achieved),
                                m_job.rpo ? ", objective " + format_duration(*m_job.rpo) : "");
    }
    m_result.objectives.push_back(std::move(rpo));
  }

  // pitr_targets: N more recoveries, each into its own scratch instance, to
  // a random time in the archive's window; each must reach its target and,
  // with an rpo, lose no more than it.
  void samples() {
    const auto& pitr = m_job.backup.pitr;
    if (pitr && pitr->sample_targets > 0 && !pitr->binlog_archive.empty() && m_format &&
        m_env.my_binaries && *m_env.my_binaries) {
      m_result.pitr_seed = draw_pitr_seed(*pitr);
      auto sampled = run_my_pitr_samples(
          m_job, *m_format, **m_env.my_binaries, {m_env.my_run_as, m_env.start_timeout, false},
          *m_result.pitr_seed, [this](const std::string& what) { say(what); });
      for (auto& r : sampled) m_result.pitr.push_back(std::move(r));
      return;
    }
    if (!pitr || pitr->sample_targets <= 0 || pitr->wal_archive.empty() || !basebackup() ||
        !m_env.pg_binaries || !*m_env.pg_binaries)
      return;
    const PgBinaries& bin = **m_env.pg_binaries;
    std::uint64_t seed = draw_pitr_seed(*pitr);
    m_result.pitr_seed = seed;
    auto sampled =
        run_pitr_samples(m_job, *m_layout, bin, {m_env.run_as, m_env.start_timeout, false}, seed,
                         [this](const std::string& what) { say(what); });
    for (auto& r : sampled) m_result.pitr.push_back(std::move(r));
  }

  void teardown() {
    auto& phase = begin("teardown");
    if (m_env.keep_scratch) {
      if (m_pg) {
        m_pg->keep();
        m_result.scratch = m_pg->connect_hint(m_job.backup.database);
      } else if (m_my) {
        m_my->keep();
        m_result.scratch = m_my->connect_hint(m_job.backup.database);
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
    if (m_my) m_my->stop();
    m_my.reset();
    m_dir.reset();
    m_staged.reset();
    phase.duration = since(m_phase_start);
  }

  const plan::BackupJob& m_job;
  const DrillEnv& m_env;
  reports::BackupResult m_result;
  Clock::time_point m_start, m_phase_start;
  Millis m_restored_at{0};
  std::optional<PgScratch> m_pg;
  std::optional<MyScratch> m_my;
  std::optional<TempDir> m_dir;
  Result<BackupFormat> m_format = make_error(Errc::internal, "format not detected");
  std::optional<BaseBackupLayout> m_layout;  // set for pg_basebackup backups
  std::optional<TempDir> m_staged;           // a tar base backup extracted by the manifest phase
};

}  // namespace

reports::BackupResult run_restore_drill(const plan::BackupJob& job, const DrillEnv& env) {
  return Drill(job, env).run();
}

}  // namespace dp::drills
