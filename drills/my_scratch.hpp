#pragma once
// A throw-away MySQL / MariaDB server: mariadb-install-db (or a prepared
// physical backup) in a private temp directory, mariadbd with
// skip-networking and its socket inside that directory, tuned for speed
// over durability (my_server_args()). Run as an unprivileged user when we
// are root. Destroying the object kills the server (nothing in it is worth
// a clean shutdown) and deletes the directory, on every exit path, unless
// keep() was called.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "drills/pg_scratch.hpp"
#include "verifier/core/child_process.hpp"
#include "verifier/core/temp_dir.hpp"
#include "verifier/engine/engine.hpp"

namespace dp::drills {

struct MyBinaries {
  std::filesystem::path server;      // mariadbd or mysqld
  std::filesystem::path install_db;  // mariadb-install-db or mysql_install_db
  std::filesystem::path client;      // mariadb or mysql
  std::filesystem::path backup;      // mariadb-backup; empty when not installed
  std::string version;               // "10.11.19-MariaDB-0+deb12u1"
};

// In `configured` (plan mysql_bindir; the server may also be in its
// ../sbin) if set, else PATH, /usr/sbin and /usr/bin. Errc::not_found with
// an install hint naming the missing program.
Result<MyBinaries> find_my_binaries(const std::string& configured);

// The server options after --no-defaults, --datadir, --socket and
// --pid-file: no TCP, and durability traded for speed (bench/ parses this
// list so the bare script it is timed against uses the same settings).
const std::vector<std::string>& my_server_args();

class MyScratch {
 public:
  static constexpr const char* k_user = "root";

  // Creates the private directory (owned by the server user when root).
  static Result<MyScratch> create(const MyBinaries& bin, const ScratchOptions& options);

  MyScratch(MyScratch&&) = default;
  MyScratch& operator=(MyScratch&&) = default;
  ~MyScratch();

  // mariadb-install-db into data_dir(). Errors carry its output's tail.
  Result<void> initialize();
  // Starts the server on data_dir() and waits until root can log in. Errors
  // carry the tail of the server log. skip_grant_tables for a prepared
  // physical backup: its mysql.user is the source's (root may have a
  // password), and the server is reachable only through the socket in our
  // private directory, with read-only check sessions.
  Result<void> launch(bool skip_grant_tables = false);

  const std::filesystem::path& dir() const { return m_dir.path(); }
  std::filesystem::path data_dir() const { return dir() / "data"; }
  std::filesystem::path socket() const { return dir() / "mysql.sock"; }
  std::filesystem::path log_file() const { return dir() / "server.log"; }
  const MyBinaries& binaries() const { return m_bin; }
  const ScratchOptions& options() const { return m_options; }
  engine::ConnectOptions connect_options(const std::string& database) const;
  // "mariadb -S SOCK -u root DB" and how to stop it, for --keep-scratch.
  std::string connect_hint(const std::string& database) const;
  void stop();
  void keep();

 private:
  MyScratch(TempDir dir, MyBinaries bin, ScratchOptions options)
      : m_dir(std::move(dir)), m_bin(std::move(bin)), m_options(std::move(options)) {}
  TempDir m_dir;  // declared first: destroyed after the server is stopped
  MyBinaries m_bin;
  ScratchOptions m_options;
  std::optional<ChildProcess> m_server;
  pid_t m_kept_pid = -1;
};

}  // namespace dp::drills
