#include "drills/pg_scratch.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <thread>

#include "drills/backup_format.hpp"
#include "verifier/core/signals.hpp"
#include "verifier/core/text.hpp"
#include "verifier/engine/postgres/pg_engine.hpp"

namespace dp::drills {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

Result<std::string> binary_version(const fs::path& bindir) {
  SpawnOptions o;
  o.argv = {(bindir / "postgres").string(), "--version"};
  auto run = run_captured(std::move(o), 30s);
  if (!run) return Unexpected<Error>(std::move(run).error());
  if (!run->status.ok())
    return make_error(
        Errc::process_failed,
        fmt::format("{} --version: {}", (bindir / "postgres").string(), run->status.describe()));
  // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
  std::string out(trim(run->out));
  auto p = out.find(") ");
  return p == std::string::npos ? out : std::string(trim(out.substr(p + 2)));
}

Result<PgBinaries> check_bindir(const fs::path& bindir, const std::string& source) {
  std::error_code ec;
  for (const char* tool : {"initdb", "postgres", "pg_restore", "psql"})
    if (!fs::exists(bindir / tool, ec))
      return make_error(Errc::not_found,
                        fmt::format("{} ({}) has no {}\nhint: apt-get install -y postgresql "
                                    "postgresql-client, or set pg_bindir in [plan]",
                                    bindir.string(), source, tool));
  auto version = binary_version(bindir);
  if (!version) return Unexpected<Error>(std::move(version).error());
  return PgBinaries{bindir, *version, major_version(*version)};
}

}  // namespace

// The server user must be able to traverse every folder above its scratch
// dir; a private TMPDIR (mode 0700, owned by root) is the usual culprit, and
// initdb's own message for it is obscure.
Result<void> check_reachable(const fs::path& dir, const Credentials& user) {
  for (fs::path p = dir.parent_path(); !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) break;
    bool can = st.st_uid == user.uid   ? (st.st_mode & S_IXUSR)
               : st.st_gid == user.gid ? (st.st_mode & S_IXGRP)
                                       : (st.st_mode & S_IXOTH);
    if (!can)
      return make_error(Errc::invalid_input,
                        fmt::format("the server user '{}' cannot reach {}: {} is mode {:o}\n"
                                    "hint: set TMPDIR to a directory it can traverse, e.g. /tmp",
                                    user.name, dir.string(), p.string(), st.st_mode & 07777));
    if (p == p.root_path()) break;
  }
  return {};
}

Result<PgBinaries> find_pg_binaries(const std::string& configured) {
  if (!configured.empty()) return check_bindir(configured, "pg_bindir in the plan");
  if (auto pg_config = find_program("pg_config")) {
    SpawnOptions o;
    o.argv = {pg_config->string(), "--bindir"};
    auto run = run_captured(std::move(o), 30s);
    std::error_code ec;
    if (run && run->status.ok()) {
      fs::path dir(std::string(trim(run->out)));
      if (fs::exists(dir / "initdb", ec)) return check_bindir(dir, "pg_config --bindir");
    }
  }
  // Newest major first: /usr/lib/postgresql/<major>/bin.
  std::vector<std::pair<int, fs::path>> found;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/usr/lib/postgresql", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    int major = major_version(it->path().filename().string());
    if (major > 0 && fs::exists(it->path() / "bin" / "initdb", ec))
      found.emplace_back(major, it->path() / "bin");
  }
  if (found.empty())
    return make_error(Errc::not_found,
                      "no PostgreSQL server binaries found (no pg_config, nothing in "
                      "/usr/lib/postgresql/*/bin)\nhint: apt-get install -y postgresql, or set "
                      "pg_bindir in [plan]");
  std::sort(found.begin(), found.end());
  return check_bindir(found.back().second, "newest /usr/lib/postgresql/*/bin");
}

Result<PgScratch> PgScratch::create(const PgBinaries& bin, const ScratchOptions& options) {
  auto dir = TempDir::create("drillproof-pg-");
  if (!dir) return Unexpected<Error>(std::move(dir).error());
  PgScratch scratch(std::move(*dir), bin);
  const fs::path root = scratch.dir();
  // The socket path must fit in sun_path (108 bytes).
  if ((root / ".s.PGSQL.5432").string().size() > 100)
    return make_error(Errc::invalid_input,
                      fmt::format("temporary directory path {} is too long for a unix socket\n"
                                  "hint: set TMPDIR to a shorter directory",
                                  root.string()));
  if (options.run_as) {
    if (auto reachable = check_reachable(root, *options.run_as); !reachable)
      return Unexpected<Error>(std::move(reachable).error());
    auto owned = scratch.m_dir.chown_to(*options.run_as);
    if (!owned) return Unexpected<Error>(std::move(owned).error());
  }
  scratch.m_options = options;
  return scratch;
}

Result<PgScratch> PgScratch::start(const PgBinaries& bin, const ScratchOptions& options,
                                   std::vector<std::string> server_args) {
  auto created = create(bin, options);
  if (!created) return Unexpected<Error>(std::move(created).error());
  PgScratch scratch = std::move(*created);
  scratch.m_server_args = std::move(server_args);
  const fs::path root = scratch.dir();
  SpawnOptions init;
  init.argv = {(bin.bindir / "initdb").string(),
               "-D",
               (root / "data").string(),
               "-U",
               k_superuser,
               "-A",
               "trust",
               "-E",
               "UTF8",
               "--locale=C",
               "--no-sync",
               "--no-instructions"};
  if (bin.major < 14) init.argv.pop_back();  // --no-instructions is new in 14
  init.run_as = options.run_as;
  init.cwd = root;
  init.env = {{"LC_ALL", "C"}, {"TZ", "UTC"}};
  auto initdb = run_captured(std::move(init), 5min);
  if (!initdb) return Unexpected<Error>(std::move(initdb).error().context("initdb"));
  if (!initdb->status.ok())
    return make_error(Errc::process_failed,
                      fmt::format("initdb failed ({}):\n{}", initdb->status.describe(),
                                  tail_lines(initdb->err + initdb->out, 20)));

  if (auto up = scratch.launch(); !up) return Unexpected<Error>(std::move(up).error());
  return scratch;
}

Result<void> PgScratch::launch(std::vector<std::string> extra, std::optional<Deadline> until) {
  m_extra = std::move(extra);
  SpawnOptions server;
  server.argv = {(m_bin.bindir / "postgres").string(),
                 "-D",
                 (dir() / "data").string(),
                 "-k",
                 dir().string(),
                 "-p",
                 std::to_string(k_port),
                 "-c",
                 "listen_addresses=",
                 "-c",
                 "fsync=off",
                 "-c",
                 "synchronous_commit=off",
                 "-c",
                 "full_page_writes=off",
                 "-c",
                 "wal_level=minimal",
                 "-c",
                 "max_wal_senders=0",
                 "-c",
                 "max_wal_size=4GB",
                 "-c",
                 "checkpoint_timeout=1h",
                 "-c",
                 "autovacuum=off",
                 "-c",
                 "shared_buffers=256MB",
                 "-c",
                 "maintenance_work_mem=256MB",
                 "-c",
                 "logging_collector=off",
                 "-c",
                 "log_min_messages=warning",
                 "-c",
                 "unix_socket_permissions=0777"};
  server.argv.insert(server.argv.end(), m_server_args.begin(), m_server_args.end());
  server.argv.insert(server.argv.end(), m_extra.begin(), m_extra.end());
  server.run_as = m_options.run_as;
  server.cwd = dir();
  server.env = {{"LC_ALL", "C"}, {"TZ", "UTC"}};
  server.err = Redirect::to_file(log_file());
  server.out = Redirect::to_file(dir() / "server.stdout");
  // SIGQUIT is immediate shutdown: nothing here is worth a checkpoint.
  server.stop_signal = SIGQUIT;
  server.stop_grace = 20s;
  server.die_with_parent = !m_options.keep;
  auto child = ChildProcess::spawn(std::move(server));
  if (!child) return Unexpected<Error>(std::move(child).error().context("start postgres"));
  m_server.emplace(std::move(*child));

  auto conn = connect_options("postgres");
  conn.connect_timeout = 2s;
  Deadline deadline = until ? *until : deadline_in(m_options.start_timeout);
  auto step = 5ms;
  while (true) {
    if (auto status = m_server->poll())
      return make_error(Errc::process_failed,
                        fmt::format("postgres exited during start-up ({}):\n{}", status->describe(),
                                    tail_lines(read_file_tail(log_file(), 8192), 20)));
    if (engine::postgres::ping(conn) == engine::postgres::Ping::ok) break;
    if (interrupted())
      return make_error(
          Errc::interrupted,
          fmt::format("interrupted by signal {} while postgres was starting", interrupt_signal()));
    if (std::chrono::steady_clock::now() >= deadline)
      return make_error(
          Errc::timeout,
          fmt::format("postgres did not accept connections within {}:\n{}",
                      until ? "restore_timeout" : format_duration(m_options.start_timeout),
                      tail_lines(read_file_tail(log_file(), 8192), 20)));
    std::this_thread::sleep_for(step);
    if (step < 50ms) step *= 2;
  }
  return {};
}

Result<void> PgScratch::restart(const std::function<void()>& while_stopped) {
  m_server.reset();  // immediate shutdown, reaped
  if (while_stopped) while_stopped();
  return launch(m_extra);
}

PgScratch::~PgScratch() {
  if (m_kept_pid > 0 || !m_server) return;
  stop();
}

void PgScratch::stop() {
  m_server.reset();
  TempDir gone = std::move(m_dir);
  (void)gone;
}

void PgScratch::keep() {
  m_dir.keep();
  if (m_server) m_kept_pid = m_server->release();
}

engine::ConnectOptions PgScratch::connect_options(const std::string& database) const {
  engine::ConnectOptions o;
  o.kind = EngineKind::postgres;
  o.socket_dir = dir().string();
  o.port = k_port;
  o.user = k_superuser;
  o.database = database;
  return o;
}

std::string PgScratch::connect_hint(const std::string& database) const {
  return fmt::format("{} -h {} -p {} -U {} -d {}\n  stop it with: kill -INT {} && rm -rf {}",
                     (m_bin.bindir / "psql").string(), dir().string(), k_port, k_superuser,
                     database, m_kept_pid, dir().string());
}

}  // namespace dp::drills
