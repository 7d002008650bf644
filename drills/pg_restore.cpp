#include <fcntl.h>
#include <fmt/format.h>

#include <unistd.h>
#include <algorithm>

#include "drills/restore.hpp"
#include "verifier/core/fd.hpp"
#include "verifier/core/text.hpp"
#include "verifier/engine/postgres/pg_engine.hpp"

namespace dp::drills {
namespace fs = std::filesystem;
namespace pg = engine::postgres;

namespace {

constexpr std::size_t k_tail_lines = 30;

Result<void> check_version(const PgScratch& scratch, const plan::BackupJob& job,
                           BackupFormat format) {
  auto origin = read_dump_origin(format, job.backup.path);
  if (!origin) return Unexpected<Error>(std::move(origin).error());
  int server_major = scratch.binaries().major;
  int dump_major =
      std::max(major_version(origin->server_version), major_version(origin->pg_dump_version));
  if (dump_major > server_major)
    return make_error(
        Errc::unsupported,
        fmt::format("{} was dumped from PostgreSQL {} by pg_dump {}, newer than the scratch "
                    "server PostgreSQL {} ({})\nhint: install postgresql-{} and set pg_bindir "
                    "in [plan] to its bin directory",
                    job.backup.path.string(),
                    origin->server_version.empty() ? "?" : origin->server_version,
                    origin->pg_dump_version.empty() ? "?" : origin->pg_dump_version,
                    scratch.binaries().version, scratch.binaries().bindir.string(), dump_major));
  if (format == BackupFormat::pg_plain || format == BackupFormat::pg_plain_gz) {
    if (origin->made_by_pg_dump) {
      auto complete = plain_dump_complete(format, job.backup.path);
      if (!complete) return Unexpected<Error>(std::move(complete).error());
      if (!*complete)
        return make_error(Errc::process_failed,
                          fmt::format("{} is truncated: pg_dump's closing line \"-- PostgreSQL "
                                      "database dump complete\" is missing",
                                      job.backup.path.string()));
    }
  }
  return {};
}

Result<void> prepare_database(const PgScratch& scratch, const plan::BackupJob& job) {
  auto admin = scratch.connect_options("postgres");
  for (const auto& role : job.backup.roles) {
    auto created = pg::execute_admin(admin, "CREATE ROLE " + pg::quote_ident(role));
    if (!created) return Unexpected<Error>(std::move(created).error().context("role " + role));
  }
  auto created =
      pg::execute_admin(admin, fmt::format("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'",
                                           pg::quote_ident(job.backup.database)));
  if (!created)
    return Unexpected<Error>(
        std::move(created).error().context("create database " + job.backup.database));
  return {};
}

std::vector<std::string> client_args(const PgScratch& scratch, const std::string& tool,
                                     const std::string& database) {
  return {(scratch.binaries().bindir / tool).string(),
          "-h",
          scratch.dir().string(),
          "-p",
          std::to_string(PgScratch::k_port),
          "-U",
          PgScratch::k_superuser,
          "-d",
          database};
}

RestoreRun finish(Result<ExitStatus> status, const std::string& tool, const fs::path& log) {
  RestoreRun run{{}, tail_lines(read_file_tail(log, 16384), k_tail_lines)};
  if (!status) {
    run.result = Unexpected<Error>(std::move(status).error());
    return run;
  }
  if (!status->ok()) {
    std::string last = run.stderr_tail.empty() ? std::string() : tail_lines(run.stderr_tail, 1);
    run.result =
        make_error(Errc::process_failed, fmt::format("{} failed ({}){}{}", tool, status->describe(),
                                                     last.empty() ? "" : ": ", last));
  }
  return run;
}

}  // namespace

RestoreRun restore_postgres(const PgScratch& scratch, const plan::BackupJob& job,
                            BackupFormat format, Deadline deadline) {
  if (auto ok = check_version(scratch, job, format); !ok) return {std::move(ok), ""};
  if (auto ok = prepare_database(scratch, job); !ok) return {std::move(ok), ""};
  const fs::path log = scratch.dir() / "restore.log";
  const std::string& db = job.backup.database;
  std::vector<std::pair<std::string, std::string>> env = {{"PGOPTIONS", ""},
                                                          {"PGAPPNAME", "drillproof-restore"}};

  if (format == BackupFormat::pg_custom || format == BackupFormat::pg_directory ||
      format == BackupFormat::pg_tar) {
    SpawnOptions o;
    o.argv = client_args(scratch, "pg_restore", db);
    for (const char* a : {"--no-owner", "--no-privileges", "--exit-on-error"}) o.argv.push_back(a);
    // Tar archives cannot be restored in parallel.
    if (format != BackupFormat::pg_tar && job.restore_jobs > 1)
      o.argv.push_back("--jobs=" + std::to_string(job.restore_jobs));
    o.argv.push_back(job.backup.path.string());
    o.env = env;
    o.err = Redirect::to_file(log);
    o.out = Redirect::null();
    auto child = ChildProcess::spawn(std::move(o));
    if (!child) return {Unexpected<Error>(std::move(child).error()), ""};
    return finish(child->wait(deadline), "pg_restore", log);
  }

  SpawnOptions psql;
  psql.argv = client_args(scratch, "psql", db);
  for (const char* a : {"-X", "-q", "-v", "ON_ERROR_STOP=1"}) psql.argv.push_back(a);
  psql.env = env;
  psql.err = Redirect::to_file(log);
  psql.out = Redirect::null();
  if (format == BackupFormat::pg_plain) {
    psql.argv.push_back("-f");
    psql.argv.push_back(job.backup.path.string());
    auto child = ChildProcess::spawn(std::move(psql));
    if (!child) return {Unexpected<Error>(std::move(child).error()), ""};
    return finish(child->wait(deadline), "psql", log);
  }

  // .sql.gz: gzip -dc FILE | psql, so decompression runs on its own core.
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {make_error(Errc::io, "pipe failed"), ""};
  Fd read_end(fds[0]), write_end(fds[1]);
  SpawnOptions gunzip;
  gunzip.argv = {"gzip", "-dc", job.backup.path.string()};
  gunzip.out = Redirect::use_fd(write_end.get());
  gunzip.err = Redirect::to_file(scratch.dir() / "gunzip.log");
  auto gz = ChildProcess::spawn(std::move(gunzip));
  write_end.reset();
  if (!gz) return {Unexpected<Error>(std::move(gz).error()), ""};
  psql.in = Redirect::use_fd(read_end.get());
  auto child = ChildProcess::spawn(std::move(psql));
  read_end.reset();
  if (!child) return {Unexpected<Error>(std::move(child).error()), ""};
  RestoreRun run = finish(child->wait(deadline), "psql", log);
  // psql has seen the end of its input: give gzip a moment to report.
  auto gz_status = gz->wait(std::max(deadline, deadline_in(std::chrono::seconds(5))));
  if (run.result && !gz_status) {
    run.result = Unexpected<Error>(std::move(gz_status).error());
    return run;
  }
  if (run.result && !gz_status->ok())
    run.result = make_error(
        Errc::process_failed,
        fmt::format("gzip -dc {} failed ({}): {}", job.backup.path.string(), gz_status->describe(),
                    tail_lines(read_file_tail(scratch.dir() / "gunzip.log", 4096), 1)));
  return run;
}

}  // namespace dp::drills
