#pragma once
// A throw-away PostgreSQL server: initdb into a private temp directory,
// listening only on a unix socket inside it (no TCP), tuned for speed over
// durability. Run as an unprivileged user when we are root. Destroying the
// object stops the server (immediate shutdown) and deletes the directory,
// on every exit path, unless keep() was called.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "verifier/core/child_process.hpp"
#include "verifier/core/temp_dir.hpp"
#include "verifier/core/user.hpp"
#include "verifier/engine/engine.hpp"

namespace dp::drills {

struct PgBinaries {
  std::filesystem::path bindir;
  std::string version;  // "15.18"
  int major = 0;
};

// `configured` (plan pg_bindir) if set, else `pg_config --bindir`, else the
// newest /usr/lib/postgresql/*/bin. Errc::not_found with an install hint.
Result<PgBinaries> find_pg_binaries(const std::string& configured);

// Whether `user` can traverse every folder above `dir` (a private TMPDIR is
// the usual culprit). Errc::invalid_input naming the folder, with a hint.
Result<void> check_reachable(const std::filesystem::path& dir, const Credentials& user);

struct ScratchOptions {
  std::optional<Credentials> run_as;  // set when we are root
  Millis start_timeout{60'000};
  bool keep = false;  // server outlives us (--keep-scratch)
};

class PgScratch {
 public:
  static constexpr const char* k_superuser = "postgres";
  static constexpr int k_port = 5432;

  // initdb, start, wait until it accepts connections. Errors carry the tail
  // of initdb's output or the server log.
  // `server_args` follow the defaults ("-c", "name=value"; a later -c
  // wins), e.g. wal_level=replica for a test source pg_basebackup reads.
  static Result<PgScratch> start(const PgBinaries& bin, const ScratchOptions& options,
                                 std::vector<std::string> server_args = {});
  // Only the private directory (owned by the server user when root), for a
  // data directory that comes from elsewhere (a base backup): fill
  // data_dir(), then launch().
  static Result<PgScratch> create(const PgBinaries& bin, const ScratchOptions& options);
  // Starts postgres on data_dir() with the defaults, start()'s server_args and
  // `extra`, and waits until it accepts connections: until `until` when
  // given (a restore that replays WAL), else for options.start_timeout.
  // Errors carry the tail of the server log.
  Result<void> launch(std::vector<std::string> extra = {},
                      std::optional<Deadline> until = std::nullopt);

  PgScratch(PgScratch&&) = default;
  PgScratch& operator=(PgScratch&&) = default;
  ~PgScratch();

  const std::filesystem::path& dir() const { return m_dir.path(); }
  std::filesystem::path data_dir() const { return m_dir.path() / "data"; }
  const ScratchOptions& options() const { return m_options; }
  std::filesystem::path log_file() const { return m_dir.path() / "server.log"; }
  const PgBinaries& binaries() const { return m_bin; }
  engine::ConnectOptions connect_options(const std::string& database) const;
  // "psql -h DIR -U postgres -d DB" and how to stop it, for --keep-scratch.
  std::string connect_hint(const std::string& database) const;
  // Stops the server and removes the directory now (teardown phase timing).
  void stop();
  // Leaves server and directory behind when this object is destroyed.
  void keep();
  // Stops the server, runs `while_stopped` (tests damage data files there),
  // and starts it again on the same data directory.
  Result<void> restart(const std::function<void()>& while_stopped);

 private:
  PgScratch(TempDir dir, PgBinaries bin) : m_dir(std::move(dir)), m_bin(std::move(bin)) {}
  TempDir m_dir;  // declared first: destroyed after the server is stopped
  PgBinaries m_bin;
  ScratchOptions m_options;
  std::vector<std::string> m_server_args;  // start()'s
  std::vector<std::string> m_extra;        // launch()'s `extra`, kept for restart()
  std::optional<ChildProcess> m_server;
  pid_t m_kept_pid = -1;
};

}  // namespace dp::drills
