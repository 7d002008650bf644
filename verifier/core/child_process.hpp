#pragma once
// Child processes started from an argv vector (never a shell string).
//
// Each child leads its own process group, gets PR_SET_PDEATHSIG(SIGKILL) so it
// cannot outlive us, and is always reaped: the destructor sends the stop
// signal, waits up to the grace period, then SIGKILLs the whole group. Waits
// poll the interrupt flag (core/signals.hpp) and honour deadlines.
//
// Thread safety: a ChildProcess is used by one thread; spawning from several
// threads at once is safe (descriptors are opened O_CLOEXEC).
#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "verifier/core/duration.hpp"
#include "verifier/core/result.hpp"
#include "verifier/core/user.hpp"

namespace dp {

struct Redirect {
  enum class Kind { inherit, null, read_file, write_file, fd };
  Kind kind = Kind::null;
  std::filesystem::path path;
  int fd = -1;  // borrowed; the caller closes it after spawn

  static Redirect inherit() { return {Kind::inherit, {}, -1}; }
  static Redirect null() { return {Kind::null, {}, -1}; }
  static Redirect from_file(std::filesystem::path p) { return {Kind::read_file, std::move(p), -1}; }
  static Redirect to_file(std::filesystem::path p) { return {Kind::write_file, std::move(p), -1}; }
  static Redirect use_fd(int f) { return {Kind::fd, {}, f}; }
};

struct SpawnOptions {
  std::vector<std::string> argv;                         // argv[0] searched in PATH
  std::vector<std::pair<std::string, std::string>> env;  // added to / replacing ours
  std::filesystem::path cwd;                             // empty: ours
  std::optional<Credentials> run_as;                     // needs root
  // Names removed from the environment the child inherits (before `env` is
  // applied): variables that would redirect a client (MYSQL_HOST, MYSQL_PWD).
  std::vector<std::string> unset_env;
  Redirect in = Redirect::null();
  Redirect out = Redirect::inherit();
  Redirect err = Redirect::inherit();
  int stop_signal = SIGTERM;
  Millis stop_grace = std::chrono::seconds(10);
  // SIGKILL the child when we die. Off only for servers meant to outlive us
  // (--keep-scratch).
  bool die_with_parent = true;
};

struct ExitStatus {
  int code = -1;   // exit code when it exited
  int signal = 0;  // the signal that killed it, or 0
  bool ok() const { return signal == 0 && code == 0; }
  std::string describe() const;  // "exit code 1", "killed by signal 9 (Killed)"
};

using Deadline = std::chrono::steady_clock::time_point;
inline Deadline deadline_in(Millis d) { return std::chrono::steady_clock::now() + d; }

class ChildProcess {
 public:
  // Fails with Errc::not_found when the program does not exist or cannot be
  // executed, Errc::io when a redirect file cannot be opened.
  static Result<ChildProcess> spawn(SpawnOptions options);

  ChildProcess(ChildProcess&& o) noexcept;
  ChildProcess& operator=(ChildProcess&& o) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return m_pid; }
  const std::string& program() const { return m_program; }
  // The exit status once the child has exited (reaps it), else nullopt.
  std::optional<ExitStatus> poll();
  // Waits for exit. Errc::timeout at the deadline, Errc::interrupted on
  // SIGINT/SIGTERM; the child keeps running in both cases (stop() or the
  // destructor ends it).
  Result<ExitStatus> wait(Deadline deadline);
  // Ends the child (stop signal, grace, SIGKILL to its group) and reaps it.
  void stop();
  bool running() const { return m_pid > 0 && !m_status; }
  // Gives the child up: it keeps running and is no longer stopped or reaped
  // by us (--keep-scratch). Returns its pid.
  pid_t release() { return std::exchange(m_pid, -1); }

 private:
  ChildProcess() = default;
  bool reap_if_exited();
  pid_t m_pid = -1;
  std::optional<ExitStatus> m_status;
  int m_stop_signal = SIGTERM;
  Millis m_stop_grace{10000};
  std::string m_program;
};

struct CapturedRun {
  ExitStatus status;
  std::string out;
  std::string err;
};

// Runs a command to completion and captures stdout and stderr (each capped at
// `cap` bytes, keeping the tail). Fails on timeout or interrupt (the child is
// stopped), or when it cannot start; a non-zero exit is not a failure here.
Result<CapturedRun> run_captured(SpawnOptions options, Millis timeout, std::size_t cap = 1 << 20);

// The absolute path of `program` found in PATH, or Errc::not_found.
Result<std::filesystem::path> find_program(const std::string& program);

}  // namespace dp
