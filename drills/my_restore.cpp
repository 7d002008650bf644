#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "drills/file_tree.hpp"
#include "drills/my_pitr.hpp"
#include "drills/restore.hpp"
#include "verifier/core/fd.hpp"
#include "verifier/core/signals.hpp"
#include "verifier/core/text.hpp"
#include "verifier/engine/mysql/my_engine.hpp"

namespace dp::drills {
namespace fs = std::filesystem;
namespace my = engine::mysql;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t k_tail_lines = 30;

Result<void> check_complete(const plan::BackupJob& job, BackupFormat format) {
  auto origin = read_dump_origin(format, job.backup.path);
  if (!origin) return Unexpected<Error>(std::move(origin).error());
  // A dump cut at a statement boundary still loads without an error: only
  // the missing trailer gives it away. Hand-written SQL has no trailer.
  if (!origin->made_by_pg_dump || origin->complete) return {};
  auto last = last_line(format, job.backup.path);
  if (!last) return Unexpected<Error>(std::move(last).error());
  return make_error(Errc::process_failed,
                    fmt::format("{} is truncated: the dump tool's closing line \"-- Dump "
                                "completed\" is missing; the file ends at line {}: {}",
                                job.backup.path.string(), last->number, last->text));
}

// The client's "ERROR 1064 (42000) at line 123: ..." message, which may run
// over several lines (the statement it quotes can hold newlines); else the
// last line of its output.
std::string client_error(const std::string& tail) {
  auto at = tail.rfind("ERROR ");
  while (at != std::string::npos && at > 0 && tail[at - 1] != '\n')
    at = tail.rfind("ERROR ", at - 1);
  if (at == std::string::npos) return tail.empty() ? std::string() : tail_lines(tail, 1);
  std::string message(trim(tail.substr(at)));
  for (auto& c : message)
    if (c == '\n' || c == '\r') c = ' ';
  if (message.size() > 400) message = message.substr(0, 400) + "...";
  return message;
}

RestoreRun finish(Result<ExitStatus> status, const std::string& tool, const fs::path& log) {
  RestoreRun run{{}, tail_lines(read_file_tail(log, 16384), k_tail_lines)};
  if (!status) {
    run.result = Unexpected<Error>(std::move(status).error());
    return run;
  }
  if (!status->ok()) {
    std::string last = client_error(run.stderr_tail);
    run.result =
        make_error(Errc::process_failed, fmt::format("{} failed ({}){}{}", tool, status->describe(),
                                                     last.empty() ? "" : ": ", last));
  }
  return run;
}

}  // namespace

RestoreRun restore_mysql_dump(const MyScratch& scratch, const plan::BackupJob& job,
                              BackupFormat format, Deadline deadline) {
  const auto started = std::chrono::steady_clock::now();
  if (auto ok = check_complete(job, format); !ok) return {std::move(ok), ""};
  // Point-in-time recovery needs the dump's binlog coordinates: refused
  // before the load rather than after it.
  if (job.backup.pitr && !job.backup.pitr->binlog_archive.empty())
    if (auto start = read_binlog_start(format, job.backup.path); !start) {
      RestoreRun refused{Unexpected<Error>(start.error()), ""};
      refused.pitr = refused_pitr(*job.backup.pitr, start.error());
      return refused;
    }
  const std::string& db = job.backup.database;
  auto created =
      my::execute_admin(scratch.connect_options(""),
                        fmt::format("CREATE DATABASE IF NOT EXISTS {}", my::quote_ident(db)));
  if (!created)
    return {Unexpected<Error>(std::move(created).error().context("create database " + db)), ""};

  const fs::path log = scratch.dir() / "restore.log";
  SpawnOptions client;
  // The client reads MYSQL_HOST, MYSQL_TCP_PORT and MYSQL_PWD even with
  // --no-defaults: set for the source, they would send the dump to another
  // server or a wrong password to ours. Socket only, and they are removed.
  client.argv = {scratch.binaries().client.string(),
                 "--no-defaults",
                 "--protocol=socket",
                 "--host=localhost",
                 "--socket=" + scratch.socket().string(),
                 std::string("--user=") + MyScratch::k_user,
                 "--batch",
                 "--max-allowed-packet=1G",
                 db};
  client.unset_env = {"MYSQL_HOST", "MYSQL_TCP_PORT", "MYSQL_UNIX_PORT", "MYSQL_PWD"};
  client.err = Redirect::to_file(log);
  client.out = Redirect::null();
  const std::string tool = scratch.binaries().client.filename().string();
  if (format == BackupFormat::mysql_dump) {
    client.in = Redirect::from_file(job.backup.path);
    auto child = ChildProcess::spawn(std::move(client));
    if (!child) return {Unexpected<Error>(std::move(child).error()), ""};
    RestoreRun run = finish(child->wait(deadline), tool, log);
    replay_binlog_archive(run, scratch, job, format, started, deadline);
    return run;
  }

  // .sql.gz: gzip -dc FILE | mariadb, so decompression runs on its own core.
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
  client.in = Redirect::use_fd(read_end.get());
  auto child = ChildProcess::spawn(std::move(client));
  read_end.reset();
  if (!child) return {Unexpected<Error>(std::move(child).error()), ""};
  RestoreRun run = finish(child->wait(deadline), tool, log);
  auto gz_status = gz->wait(std::max(deadline, deadline_in(5s)));
  if (run.result && !gz_status) {
    run.result = Unexpected<Error>(std::move(gz_status).error());
    return run;
  }
  if (run.result && !gz_status->ok())
    run.result = make_error(
        Errc::process_failed,
        fmt::format("gzip -dc {} failed ({}): {}", job.backup.path.string(), gz_status->describe(),
                    tail_lines(read_file_tail(scratch.dir() / "gunzip.log", 4096), 1)));
  replay_binlog_archive(run, scratch, job, format, started, deadline);
  return run;
}

RestoreRun restore_mysql_physical(MyScratch& scratch, const plan::BackupJob& job,
                                  Deadline deadline) {
  const auto started = std::chrono::steady_clock::now();
  const MyBinaries& bin = scratch.binaries();
  if (bin.backup.empty())
    return {make_error(Errc::not_found,
                       "mariadb-backup not found, needed to prepare a physical backup\nhint: "
                       "apt-get install -y mariadb-backup, or set mysql_bindir in [plan]"),
            ""};
  // The original is only read: --prepare rewrites files, so it runs on a copy.
  const fs::path data = scratch.data_dir();
  auto source = real_backup_dir(job.backup.path);
  if (!source) return {Unexpected<Error>(std::move(source).error()), ""};
  std::error_code ec;
  // Regular files and directories only: a symlink copied as a symlink would
  // hand the original's files to chown and --prepare (real_backup_dir
  // refused any).
  if (auto copied = copy_tree(*source, data, deadline); !copied) return {std::move(copied), ""};
  if (auto inside = check_private_copy(scratch.dir(), data); !inside)
    return {std::move(inside), ""};
  if (scratch.options().run_as)
    if (auto owned = chown_tree(data, *scratch.options().run_as); !owned)
      return {std::move(owned), ""};

  const fs::path log = scratch.dir() / "prepare.log";
  SpawnOptions prepare;
  prepare.argv = {bin.backup.string(), "--defaults-file=" + (data / "backup-my.cnf").string(),
                  "--prepare", "--target-dir=" + data.string()};
  if (!fs::exists(data / "backup-my.cnf", ec)) prepare.argv[1] = "--no-defaults";
  prepare.run_as = scratch.options().run_as;
  prepare.cwd = scratch.dir();
  prepare.env = {{"TMPDIR", scratch.dir().string()}};
  prepare.out = Redirect::null();
  prepare.err = Redirect::to_file(log);
  auto child = ChildProcess::spawn(std::move(prepare));
  if (!child) return {Unexpected<Error>(std::move(child).error()), ""};
  RestoreRun run =
      finish(child->wait(deadline), bin.backup.filename().string() + " --prepare", log);
  if (!run.result) return run;

  // The restore is done when the server accepts connections on the copy; a
  // damaged data file usually shows here, as a server that will not start.
  auto up = scratch.launch(/*skip_grant_tables=*/true);
  if (!up) {
    run.result = Unexpected<Error>(std::move(up).error());
    run.stderr_tail = tail_lines(read_file_tail(scratch.log_file(), 16384), k_tail_lines);
  }
  replay_binlog_archive(run, scratch, job, BackupFormat::mariadb_backup, started, deadline);
  return run;
}

}  // namespace dp::drills
