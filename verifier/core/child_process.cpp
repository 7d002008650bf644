#include "verifier/core/child_process.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "verifier/core/fd.hpp"
#include "verifier/core/signals.hpp"

extern char** environ;

namespace dp {
namespace {

using namespace std::chrono_literals;

ExitStatus decode(int wstatus) {
  ExitStatus s;
  if (WIFEXITED(wstatus)) s.code = WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) s.signal = WTERMSIG(wstatus);
  return s;
}

Result<Fd> open_redirect(const Redirect& r, int std_fd) {
  switch (r.kind) {
    case Redirect::Kind::inherit:
      return Fd();
    case Redirect::Kind::fd:
      return Fd();
    case Redirect::Kind::null: {
      int fd = ::open("/dev/null", (std_fd == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
      if (fd < 0) return make_error(Errc::io, "open /dev/null failed");
      return Fd(fd);
    }
    case Redirect::Kind::read_file: {
      int fd = ::open(r.path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return make_error(Errc::io,
                          fmt::format("cannot read {}: {}", r.path.string(), std::strerror(errno)));
      return Fd(fd);
    }
    case Redirect::Kind::write_file: {
      int fd = ::open(r.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0)
        return make_error(
            Errc::io, fmt::format("cannot write {}: {}", r.path.string(), std::strerror(errno)));
      return Fd(fd);
    }
  }
  return Fd();
}

bool names(std::string_view entry, std::string_view key) {
  return entry.size() > key.size() && entry.substr(0, key.size()) == key &&
         entry[key.size()] == '=';
}

std::vector<std::string> merged_env(const std::vector<std::pair<std::string, std::string>>& add,
                                    const std::vector<std::string>& remove) {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    bool dropped = false;
    for (const auto& [k, v] : add) dropped = dropped || names(entry, k);
    for (const auto& k : remove) dropped = dropped || names(entry, k);
    if (!dropped) out.emplace_back(entry);
  }
  for (const auto& [k, v] : add) out.push_back(k + "=" + v);
  return out;
}

}  // namespace

std::string ExitStatus::describe() const {
  if (signal != 0) return fmt::format("killed by signal {} ({})", signal, ::strsignal(signal));
  return fmt::format("exit code {}", code);
}

Result<std::filesystem::path> find_program(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    if (::access(program.c_str(), X_OK) == 0) return std::filesystem::path(program);
    return make_error(Errc::not_found, fmt::format("{}: not found or not executable", program));
  }
  const char* path_env = std::getenv("PATH");
  std::string_view paths = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  while (!paths.empty()) {
    auto colon = paths.find(':');
    std::string dir(paths.substr(0, colon));
    paths = colon == std::string_view::npos ? std::string_view{} : paths.substr(colon + 1);
    if (dir.empty()) continue;
    std::filesystem::path candidate = std::filesystem::path(dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return make_error(Errc::not_found, fmt::format("{}: command not found in PATH", program));
}

Result<ChildProcess> ChildProcess::spawn(SpawnOptions o) {
  if (o.argv.empty()) return make_error(Errc::internal, "spawn: empty argv");
  auto exe = find_program(o.argv[0]);
  if (!exe) return Unexpected<Error>(std::move(exe).error());

  Fd fds[3];
  const Redirect* redirects[3] = {&o.in, &o.out, &o.err};
  for (int i = 0; i < 3; ++i) {
    auto fd = open_redirect(*redirects[i], i);
    if (!fd) return Unexpected<Error>(std::move(fd).error());
    fds[i] = std::move(*fd);
  }
  int child_fd[3];
  for (int i = 0; i < 3; ++i) {
    const Redirect& r = *redirects[i];
    child_fd[i] = r.kind == Redirect::Kind::inherit ? i
                  : r.kind == Redirect::Kind::fd    ? r.fd
                                                    : fds[i].get();
  }

  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls are allowed.
  std::vector<std::string> env = merged_env(o.env, o.unset_env);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = o.argv;
  std::vector<char*> argvp;
  for (auto& a : args) argvp.push_back(a.data());
  argvp.push_back(nullptr);
  std::string exe_path = exe->string();
  std::string cwd = o.cwd.string();

  int errpipe[2];
  if (::pipe2(errpipe, O_CLOEXEC) != 0)
    return make_error(Errc::io, fmt::format("pipe: {}", std::strerror(errno)));
  Fd err_read(errpipe[0]), err_write(errpipe[1]);
  pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) return make_error(Errc::io, fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    ::setpgid(0, 0);
    if (o.die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
    }
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int s : {SIGINT, SIGTERM, SIGPIPE, SIGQUIT, SIGHUP}) ::sigaction(s, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int err = 0;
    for (int i = 0; i < 3 && err == 0; ++i)
      if (child_fd[i] != i && ::dup2(child_fd[i], i) < 0) err = errno;
    if (err == 0 && !cwd.empty() && ::chdir(cwd.c_str()) != 0) err = errno;
    if (err == 0 && o.run_as) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(o.run_as->gid) != 0 ||
          ::setuid(o.run_as->uid) != 0)
        err = errno;
    }
    if (err == 0) {
      ::execve(exe_path.c_str(), argvp.data(), envp.data());
      err = errno;
    }
    ssize_t ignored = ::write(err_write.get(), &err, sizeof err);
    (void)ignored;
    ::_exit(127);
  }
  err_write.reset();
  ChildProcess child;
  child.m_pid = pid;
  child.m_stop_signal = o.stop_signal;
  child.m_stop_grace = o.stop_grace;
  child.m_program = o.argv[0];

  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(err_read.get(), &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    child.stop();
    return make_error(Errc::not_found,
                      fmt::format("cannot run {}: {}", exe_path, std::strerror(child_errno)));
  }
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept
    : m_pid(std::exchange(o.m_pid, -1)),
      m_status(std::move(o.m_status)),
      m_stop_signal(o.m_stop_signal),
      m_stop_grace(o.m_stop_grace),
      m_program(std::move(o.m_program)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& o) noexcept {
  if (this != &o) {
    stop();
    m_pid = std::exchange(o.m_pid, -1);
    m_status = std::move(o.m_status);
    m_stop_signal = o.m_stop_signal;
    m_stop_grace = o.m_stop_grace;
    m_program = std::move(o.m_program);
  }
  return *this;
}

ChildProcess::~ChildProcess() { stop(); }

bool ChildProcess::reap_if_exited() {
  if (m_pid <= 0 || m_status) return true;
  // Look without reaping first: while the leader is an unreaped zombie its
  // pid cannot be reused, so SIGKILL to its group reaches only our strays.
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(m_pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    if (errno != ECHILD) return false;
    // Already reaped by someone else (SIGCHLD ignored): gone, status
    // unknown, which counts as a failure (code -1).
    m_status = ExitStatus{};
    return true;
  }
  if (info.si_pid == 0) return false;
  ::kill(-m_pid, SIGKILL);
  int wstatus = 0;
  while (::waitpid(m_pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  m_status = decode(wstatus);
  return true;
}

std::optional<ExitStatus> ChildProcess::poll() {
  if (reap_if_exited() && m_status) return m_status;
  return std::nullopt;
}

Result<ExitStatus> ChildProcess::wait(Deadline deadline) {
  auto step = 1ms;
  while (true) {
    if (auto s = poll()) return *s;
    if (interrupted())
      return make_error(Errc::interrupted,
                        fmt::format("{} interrupted by signal {}", m_program, interrupt_signal()));
    if (std::chrono::steady_clock::now() >= deadline)
      return make_error(Errc::timeout, fmt::format("{} did not finish in time", m_program));
    std::this_thread::sleep_for(step);
    if (step < 20ms) step *= 2;
  }
}

void ChildProcess::stop() {
  if (m_pid <= 0 || m_status) return;
  if (reap_if_exited()) return;
  ::kill(m_pid, m_stop_signal);
  auto until = std::chrono::steady_clock::now() + m_stop_grace;
  while (std::chrono::steady_clock::now() < until) {
    if (reap_if_exited()) return;
    std::this_thread::sleep_for(5ms);
  }
  ::kill(-m_pid, SIGKILL);
  ::kill(m_pid, SIGKILL);
  while (!reap_if_exited()) std::this_thread::sleep_for(5ms);
}

Result<CapturedRun> run_captured(SpawnOptions options, Millis timeout, std::size_t cap) {
  int outp[2], errp[2];
  if (::pipe2(outp, O_CLOEXEC) != 0) return make_error(Errc::io, "pipe failed");
  Fd out_r(outp[0]), out_w(outp[1]);
  if (::pipe2(errp, O_CLOEXEC) != 0) return make_error(Errc::io, "pipe failed");
  Fd err_r(errp[0]), err_w(errp[1]);
  options.out = Redirect::use_fd(out_w.get());
  options.err = Redirect::use_fd(err_w.get());
  auto child = ChildProcess::spawn(std::move(options));
  out_w.reset();
  err_w.reset();
  if (!child) return Unexpected<Error>(std::move(child).error());

  CapturedRun run;
  std::string* sinks[2] = {&run.out, &run.err};
  struct pollfd pfd[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
  Deadline deadline = deadline_in(timeout);
  int open_count = 2;
  char buf[65536];
  while (open_count > 0) {
    if (interrupted())
      return make_error(Errc::interrupted, fmt::format("{} interrupted", child->program()));
    if (std::chrono::steady_clock::now() >= deadline)
      return make_error(Errc::timeout, fmt::format("{} did not finish within {}", child->program(),
                                                   format_duration(timeout)));
    int rc = ::poll(pfd, 2, 50);
    if (rc < 0 && errno != EINTR) return make_error(Errc::io, "poll failed");
    for (int i = 0; i < 2; ++i) {
      if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(pfd[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
        if (sinks[i]->size() > cap) sinks[i]->erase(0, sinks[i]->size() - cap);
      } else if (n == 0 || errno != EINTR) {
        pfd[i].fd = -1;
        --open_count;
      }
    }
  }
  auto status = child->wait(deadline);
  if (!status) return Unexpected<Error>(std::move(status).error());
  run.status = *status;
  return run;
}

}  // namespace dp
