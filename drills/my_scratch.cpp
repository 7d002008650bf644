#include "drills/my_scratch.hpp"

#include <fmt/format.h>

#include <thread>

#include "verifier/core/signals.hpp"
#include "verifier/core/text.hpp"
#include "verifier/engine/mysql/my_engine.hpp"

namespace dp::drills {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr const char* k_install_hint =
    "hint: apt-get install -y mariadb-server mariadb-backup, or set mysql_bindir in [plan]";

// The first of `names` found in `dirs` (configured) or PATH then `dirs`.
std::optional<fs::path> locate(const std::vector<std::string>& names,
                               const std::vector<fs::path>& dirs, bool use_path) {
  std::error_code ec;
  for (const auto& name : names) {
    if (use_path)
      if (auto found = find_program(name)) return *found;
    for (const auto& dir : dirs)
      if (fs::exists(dir / name, ec)) return dir / name;
  }
  return std::nullopt;
}

// "mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64"
Result<std::string> server_version(const fs::path& server) {
  SpawnOptions o;
  o.argv = {server.string(), "--no-defaults", "--version"};
  auto run = run_captured(std::move(o), 30s);
  if (!run) return Unexpected<Error>(std::move(run).error());
  if (!run->status.ok())
    return make_error(Errc::process_failed,
                      fmt::format("{} --version: {}", server.string(), run->status.describe()));
  std::string out(trim(run->out));
  auto p = out.find("Ver ");
  if (p == std::string::npos) return out;
  out = out.substr(p + 4);
  return out.substr(0, out.find(' '));
}

}  // namespace

Result<MyBinaries> find_my_binaries(const std::string& configured) {
  std::vector<fs::path> dirs;
  const bool use_path = configured.empty();
  if (use_path) {
    dirs = {"/usr/sbin", "/usr/bin", "/usr/local/mysql/bin"};
  } else {
    dirs = {fs::path(configured), fs::path(configured).parent_path() / "sbin"};
  }
  const std::string where =
      use_path ? "PATH, /usr/sbin or /usr/bin" : configured + " (mysql_bindir in the plan)";
  MyBinaries bin;
  struct Want {
    fs::path* slot;
    std::vector<std::string> names;
  };
  for (const Want& want : {Want{&bin.server, {"mariadbd", "mysqld"}},
                           Want{&bin.install_db, {"mariadb-install-db", "mysql_install_db"}},
                           Want{&bin.client, {"mariadb", "mysql"}}}) {
    auto found = locate(want.names, dirs, use_path);
    if (!found)
      return make_error(Errc::not_found,
                        fmt::format("no {} found in {}\n{}", want.names[0], where, k_install_hint));
    *want.slot = *found;
  }
  if (auto backup = locate({"mariadb-backup", "mariabackup"}, dirs, use_path)) bin.backup = *backup;
  auto version = server_version(bin.server);
  if (!version) return Unexpected<Error>(std::move(version).error());
  bin.version = *version;
  return bin;
}

const std::vector<std::string>& my_server_args() {
  static const std::vector<std::string> k_args = {
      "--skip-networking",
      "--skip-name-resolve",
      "--skip-log-bin",
      "--innodb-flush-log-at-trx-commit=0",
      "--innodb-doublewrite=0",
      "--innodb-flush-method=nosync",
      "--innodb-buffer-pool-size=1G",
      "--innodb-log-file-size=512M",
      "--max-allowed-packet=1G",
      "--character-set-server=utf8mb4",
      "--collation-server=utf8mb4_general_ci",
      "--skip-performance-schema",
      "--loose-skip-feedback",
  };
  return k_args;
}

Result<MyScratch> MyScratch::create(const MyBinaries& bin, const ScratchOptions& options) {
  auto dir = TempDir::create("drillproof-my-");
  if (!dir) return Unexpected<Error>(std::move(dir).error());
  MyScratch scratch(std::move(*dir), bin, options);
  // The socket path must fit in sun_path (108 bytes).
  if (scratch.socket().string().size() > 100)
    return make_error(Errc::invalid_input,
                      fmt::format("temporary directory path {} is too long for a unix socket\n"
                                  "hint: set TMPDIR to a shorter directory",
                                  scratch.dir().string()));
  if (options.run_as) {
    if (auto reachable = check_reachable(scratch.dir(), *options.run_as); !reachable)
      return Unexpected<Error>(std::move(reachable).error());
    auto owned = scratch.m_dir.chown_to(*options.run_as);
    if (!owned) return Unexpected<Error>(std::move(owned).error());
  }
  return scratch;
}

Result<void> MyScratch::initialize() {
  SpawnOptions init;
  // --no-defaults must come first; the server's own user owns the files
  // because the tool runs as that user.
  init.argv = {m_bin.install_db.string(),
               "--no-defaults",
               "--datadir=" + data_dir().string(),
               "--auth-root-authentication-method=normal",
               "--skip-test-db",
               "--skip-name-resolve"};
  init.run_as = m_options.run_as;
  init.cwd = dir();
  // TMPDIR may be a folder the server user cannot write (a test's, a CI
  // runner's): its own scratch directory is the one place it can.
  init.env = {{"LC_ALL", "C"}, {"TZ", "UTC"}, {"TMPDIR", dir().string()}};
  auto run = run_captured(std::move(init), 5min);
  if (!run) return Unexpected<Error>(std::move(run).error().context("mariadb-install-db"));
  if (!run->status.ok())
    return make_error(Errc::process_failed,
                      fmt::format("{} failed ({}):\n{}", m_bin.install_db.filename().string(),
                                  run->status.describe(), tail_lines(run->err + run->out, 20)));
  return {};
}

Result<void> MyScratch::launch(bool skip_grant_tables) {
  SpawnOptions server;
  server.argv = {m_bin.server.string(),
                 "--no-defaults",
                 "--datadir=" + data_dir().string(),
                 "--socket=" + socket().string(),
                 "--pid-file=" + (dir() / "mysql.pid").string(),
                 "--log-error=" + log_file().string(),
                 "--tmpdir=" + dir().string()};
  for (const auto& a : my_server_args()) server.argv.push_back(a);
  if (skip_grant_tables) server.argv.push_back("--skip-grant-tables");
  server.run_as = m_options.run_as;
  server.cwd = dir();
  server.env = {{"LC_ALL", "C"}, {"TZ", "UTC"}, {"TMPDIR", dir().string()}};
  server.out = Redirect::to_file(dir() / "server.stdout");
  server.err = Redirect::to_file(dir() / "server.stderr");
  // A scratch server holds nothing worth a clean shutdown (which would flush
  // the buffer pool): SIGKILL ends it at once.
  server.stop_signal = SIGKILL;
  server.stop_grace = 10s;
  server.die_with_parent = !m_options.keep;
  auto child = ChildProcess::spawn(std::move(server));
  if (!child) return Unexpected<Error>(std::move(child).error().context("start mariadbd"));
  m_server.emplace(std::move(*child));

  auto conn = connect_options("");
  conn.connect_timeout = 2s;
  Deadline deadline = deadline_in(m_options.start_timeout);
  auto step = 5ms;
  auto log_tail = [&] {
    std::string log = read_file_tail(log_file(), 8192);
    if (log.empty()) log = read_file_tail(dir() / "server.stderr", 8192);
    return tail_lines(log, 20);
  };
  while (true) {
    if (auto status = m_server->poll())
      return make_error(Errc::process_failed, fmt::format("{} exited during start-up ({}):\n{}",
                                                          m_bin.server.filename().string(),
                                                          status->describe(), log_tail()));
    std::error_code ec;
    if (fs::exists(socket(), ec)) {
      // Up means a login works: checks need one, and a refused login stays refused.
      auto answered = engine::mysql::ping(conn);
      if (answered) break;
      if (answered.error().code == Errc::engine)
        return make_error(Errc::engine, fmt::format("{} started but refused the login as {}: {}",
                                                    m_bin.server.filename().string(), k_user,
                                                    answered.error().message));
    }
    if (interrupted())
      return make_error(Errc::interrupted,
                        fmt::format("interrupted by signal {} while {} was starting",
                                    interrupt_signal(), m_bin.server.filename().string()));
    if (std::chrono::steady_clock::now() >= deadline)
      return make_error(Errc::timeout,
                        fmt::format("{} did not accept connections within {}:\n{}",
                                    m_bin.server.filename().string(),
                                    format_duration(m_options.start_timeout), log_tail()));
    std::this_thread::sleep_for(step);
    if (step < 50ms) step *= 2;
  }
  return {};
}

MyScratch::~MyScratch() {
  if (m_kept_pid > 0) return;
  stop();
}

void MyScratch::stop() {
  m_server.reset();
  TempDir gone = std::move(m_dir);
  (void)gone;
}

void MyScratch::keep() {
  m_dir.keep();
  if (m_server) m_kept_pid = m_server->release();
}

engine::ConnectOptions MyScratch::connect_options(const std::string& database) const {
  engine::ConnectOptions o;
  o.kind = EngineKind::mysql;
  o.socket = socket().string();
  o.user = k_user;
  o.database = database;
  // Root has no password here (or grants are off): never send the
  // MYSQL_PWD meant for the source.
  o.password_from_env = false;
  return o;
}

std::string MyScratch::connect_hint(const std::string& database) const {
  return fmt::format("{} -S {} -u {} {}\n  stop it with: kill {} && rm -rf {}",
                     m_bin.client.string(), socket().string(), k_user, database, m_kept_pid,
                     dir().string());
}

}  // namespace dp::drills
