#include "verifier/core/child_process.hpp"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "verifier/core/signals.hpp"
#include "verifier/core/temp_dir.hpp"
#include "verifier/core/text.hpp"

namespace dp {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

SpawnOptions cmd(std::vector<std::string> argv) {
  SpawnOptions o;
  o.argv = std::move(argv);
  return o;
}
SpawnOptions shell(const std::string& script) { return cmd({"sh", "-c", script}); }

ChildProcess start(SpawnOptions o) {
  auto c = ChildProcess::spawn(std::move(o));
  if (!c) throw std::runtime_error("spawn: " + c.error().message);
  return std::move(*c);
}

TempDir temp() {
  auto d = TempDir::create("dp-child-test-");
  if (!d) throw std::runtime_error("TempDir: " + d.error().message);
  return std::move(*d);
}

// kill(pid, 0): 0 while the process (or group, for a negative id) exists.
bool gone(pid_t id) { return ::kill(id, 0) == -1 && errno == ESRCH; }

// Polls `done` until it holds or `limit` passes.
template <class F>
bool eventually(F done, Millis limit = 5s) {
  auto until = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// Clears the process-wide interrupt flag however the test ends.
struct InterruptGuard {
  ~InterruptGuard() { clear_interrupt(); }
};

// Processes in process group `pgid` whose command name is `comm` (/proc).
std::vector<pid_t> group_members(pid_t pgid, const std::string& comm) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto open = stat.find('(');
    auto close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::string c = stat.substr(open + 1, close - open - 1);
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    long ppid = 0, pgrp = 0;
    rest >> state >> ppid >> pgrp;
    if (pgrp == pgid && c == comm && state != "Z") out.push_back(std::stoi(name));
  }
  return out;
}

// --- exit status ----------------------------------------------------------

TEST(ChildProcess, TrueExitsZero) {
  ChildProcess c = start(cmd({"/bin/true"}));
  EXPECT_GT(c.pid(), 0);
  EXPECT_EQ(c.program(), "/bin/true");
  auto s = c.wait(deadline_in(10s));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->code, 0);
  EXPECT_EQ(s->signal, 0);
  EXPECT_TRUE(s->ok());
  EXPECT_EQ(s->describe(), "exit code 0");
  EXPECT_FALSE(c.running());
  EXPECT_TRUE(gone(c.pid()));  // reaped
}

TEST(ChildProcess, FalseExitsOne) {
  ChildProcess c = start(cmd({"/bin/false"}));
  auto s = c.wait(deadline_in(10s));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->code, 1);
  EXPECT_FALSE(s->ok());
  EXPECT_EQ(s->describe(), "exit code 1");
}

TEST(ChildProcess, FindsTheProgramInPath) {
  ChildProcess c = start(cmd({"true"}));
  auto s = c.wait(deadline_in(10s));
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->ok());
  auto found = find_program("sh");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_TRUE(found->is_absolute());
  EXPECT_EQ(found->filename(), "sh");
}

TEST(ChildProcess, OtherExitCodesAndSignals) {
  ChildProcess three = start(shell("exit 3"));
  auto s = three.wait(deadline_in(10s));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->code, 3);
  EXPECT_EQ(s->describe(), "exit code 3");

  ChildProcess killed = start(shell("kill -9 $$"));
  auto k = killed.wait(deadline_in(10s));
  ASSERT_TRUE(k);
  EXPECT_EQ(k->signal, SIGKILL);
  EXPECT_FALSE(k->ok());
  EXPECT_EQ(k->describe(), "killed by signal 9 (Killed)");
}

TEST(ChildProcess, PollReportsExitOnce) {
  ChildProcess c = start(cmd({"/bin/true"}));
  std::optional<ExitStatus> s;
  EXPECT_TRUE(eventually([&] { return (s = c.poll()).has_value(); }));
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->ok());
  EXPECT_FALSE(c.running());
  auto again = c.poll();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->code, 0);
}

// --- spawn failures -----------------------------------------------------

TEST(ChildProcess, MissingProgramIsNotFound) {
  auto c = ChildProcess::spawn(cmd({"dp-no-such-program-7f3a"}));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, Errc::not_found);
  EXPECT_EQ(c.error().message, "dp-no-such-program-7f3a: command not found in PATH");

  auto abs = ChildProcess::spawn(cmd({"/nonexistent/dp-prog"}));
  ASSERT_FALSE(abs);
  EXPECT_EQ(abs.error().code, Errc::not_found);
  EXPECT_EQ(abs.error().message, "/nonexistent/dp-prog: not found or not executable");
}

TEST(ChildProcess, ExecFailureIsNotFound) {
  // A directory passes access(X_OK) but execve refuses it: the child
  // reports errno through the close-on-exec pipe.
  TempDir dir = temp();
  auto c = ChildProcess::spawn(cmd({dir.path().string()}));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, Errc::not_found);
  EXPECT_EQ(c.error().message, "cannot run " + dir.path().string() + ": Permission denied");
}

TEST(ChildProcess, MissingWorkingDirectoryFailsTheSpawn) {
  SpawnOptions o = cmd({"/bin/true"});
  o.cwd = "/nonexistent-dp-cwd";
  auto c = ChildProcess::spawn(std::move(o));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, Errc::not_found);
  EXPECT_EQ(c.error().message, "cannot run /bin/true: No such file or directory");
}

TEST(ChildProcess, EmptyArgvIsABug) {
  auto c = ChildProcess::spawn(SpawnOptions{});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, Errc::internal);
}

// --- run_captured -------------------------------------------------------

TEST(RunCaptured, CapturesStdoutAndStderr) {
  auto r = run_captured(shell("echo out; echo err >&2; printf more; exit 4"), 10s);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status.code, 4);
  EXPECT_EQ(r->out, "out\nmore");
  EXPECT_EQ(r->err, "err\n");
}

TEST(RunCaptured, StdinIsDevNull) {
  auto r = run_captured(cmd({"cat"}), 10s);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->status.ok());
  EXPECT_EQ(r->out, "");
}

TEST(RunCaptured, LargeOutputOnBothStreamsDoesNotDeadlock) {
  auto r = run_captured(
      shell("head -c 300000 /dev/zero | tr '\\0' o; head -c 300000 /dev/zero | tr '\\0' e >&2"),
      20s);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->status.ok());
  EXPECT_EQ(r->out, std::string(300'000, 'o'));
  EXPECT_EQ(r->err, std::string(300'000, 'e'));
}

TEST(RunCaptured, CapKeepsTheTail) {
  auto r = run_captured(shell("head -c 100000 /dev/zero | tr '\\0' a; printf END"), 10s, 16);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->out, "aaaaaaaaaaaaaEND");
}

TEST(RunCaptured, EnvironmentAddsAndReplaces) {
  SpawnOptions o = shell("printf '%s|%s' \"$DP_TEST_VAR\" \"$HOME\"");
  o.env = {{"DP_TEST_VAR", "x y"}, {"HOME", "/nowhere"}};
  auto r = run_captured(std::move(o), 10s);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->out, "x y|/nowhere");
}

TEST(RunCaptured, WorkingDirectory) {
  TempDir dir = temp();
  SpawnOptions o = cmd({"pwd", "-P"});
  o.cwd = dir.path();
  auto r = run_captured(std::move(o), 10s);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->out, fs::canonical(dir.path()).string() + "\n");
}

TEST(RunCaptured, MissingProgramIsNotFound) {
  auto r = run_captured(cmd({"dp-no-such-program-7f3a"}), 10s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::not_found);
}

TEST(RunCaptured, TimeoutStopsTheChild) {
  TempDir dir = temp();
  const fs::path pidfile = dir.path() / "pid";
  auto started = Clock::now();
  auto r = run_captured(shell("echo $$ > '" + pidfile.string() + "'; exec sleep 60"), 500ms);
  auto took = Clock::now() - started;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::timeout);
  EXPECT_EQ(r.error().message, "sh did not finish within 500ms");
  EXPECT_LT(took, 5s);
  auto text = read_file_head(pidfile, 64);
  ASSERT_TRUE(text) << text.error().message;
  const pid_t pid = std::stoi(std::string(trim(*text)));
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(gone(pid)) << "child " << pid << " still exists after the timeout";
}

// --- deadlines, interrupts, teardown ------------------------------------

TEST(ChildProcess, WaitTimeoutLeavesTheChildToStop) {
  const pid_t pid = [] {
    ChildProcess c = start(cmd({"sleep", "60"}));
    auto s = c.wait(deadline_in(100ms));
    EXPECT_FALSE(s);
    if (!s) {
      EXPECT_EQ(s.error().code, Errc::timeout);
      EXPECT_EQ(s.error().message, "sleep did not finish in time");
    }
    EXPECT_TRUE(c.running());
    EXPECT_EQ(::kill(c.pid(), 0), 0) << "still running after the timeout";
    return c.pid();
  }();
  EXPECT_TRUE(gone(pid)) << "child " << pid << " survived its ChildProcess";
}

TEST(ChildProcess, StopEndsTheChild) {
  ChildProcess c = start(cmd({"sleep", "60"}));
  const pid_t pid = c.pid();
  auto started = Clock::now();
  c.stop();
  EXPECT_LT(Clock::now() - started, 5s);
  EXPECT_FALSE(c.running());
  EXPECT_TRUE(gone(pid));
  auto s = c.poll();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->signal, SIGTERM);
}

TEST(ChildProcess, StopEscalatesToSigkillAfterTheGrace) {
  TempDir dir = temp();
  const fs::path ready = dir.path() / "ready";
  SpawnOptions o = shell("trap '' TERM; : > '" + ready.string() + "'; exec sleep 60");
  o.stop_grace = 300ms;
  ChildProcess c = start(std::move(o));
  ASSERT_TRUE(eventually([&] { return fs::exists(ready); })) << "the shell never got ready";
  auto started = Clock::now();
  c.stop();
  auto took = Clock::now() - started;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 5s);
  auto s = c.poll();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->signal, SIGKILL);
  EXPECT_TRUE(gone(c.pid()));
}

TEST(ChildProcess, DestructorKillsTheWholeProcessGroup) {
  // The background sleep is orphaned when sh dies. PID 1 in a container may
  // never reap orphans, and a zombie still counts as a group member for
  // kill(-pgid, 0), so this test process adopts orphans (a child subreaper)
  // and reaps the group itself; it reaps only that group (waitpid(-pgid)).
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  struct SubreaperOff {
    ~SubreaperOff() { ::prctl(PR_SET_CHILD_SUBREAPER, 0); }
  } subreaper_off;

  pid_t pgid = -1;
  std::vector<pid_t> sleeps;
  auto started = Clock::now();
  {
    ChildProcess c = start(shell("sleep 60 & sleep 60"));
    pgid = c.pid();
    ASSERT_TRUE(eventually([&] { return group_members(pgid, "sleep").size() == 2; }))
        << "expected two sleeps in process group " << pgid;
    sleeps = group_members(pgid, "sleep");
    EXPECT_EQ(::kill(-pgid, 0), 0);
    started = Clock::now();
  }  // ~ChildProcess
  EXPECT_LT(Clock::now() - started, 5s) << "teardown waited for the grace period";
  bool group_gone = eventually([&] {
    while (::waitpid(-pgid, nullptr, WNOHANG) > 0) {
    }
    return gone(-pgid);
  });
  EXPECT_TRUE(group_gone) << "process group " << pgid << " survived its ChildProcess";
  for (pid_t p : sleeps) EXPECT_TRUE(gone(p)) << "sleep " << p << " survived";
}

TEST(ChildProcess, ReleasedChildOutlivesItsObject) {
  pid_t pid = -1;
  {
    ChildProcess c = start(cmd({"sleep", "60"}));
    pid = c.release();
    EXPECT_EQ(c.pid(), -1);
    EXPECT_FALSE(c.running());
  }
  ASSERT_GT(pid, 0);
  EXPECT_EQ(::kill(pid, 0), 0) << "released child was killed";
  ::kill(pid, SIGKILL);
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
}

TEST(ChildProcess, MoveKeepsOwnership) {
  ChildProcess a = start(cmd({"sleep", "60"}));
  const pid_t pid = a.pid();
  ChildProcess b(std::move(a));
  EXPECT_EQ(b.pid(), pid);
  EXPECT_EQ(a.pid(), -1);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_TRUE(b.running());
  b = start(cmd({"/bin/true"}));  // stops and reaps the sleep
  EXPECT_TRUE(gone(pid));
  auto s = b.wait(deadline_in(10s));
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->ok());
}

TEST(ChildProcess, InterruptEndsTheWait) {
  InterruptGuard guard;
  ChildProcess c = start(cmd({"sleep", "60"}));
  request_interrupt(SIGINT);
  auto started = Clock::now();
  auto s = c.wait(deadline_in(30s));
  EXPECT_LT(Clock::now() - started, 5s);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::interrupted);
  EXPECT_EQ(s.error().message, "sleep interrupted by signal 2");
  EXPECT_TRUE(c.running());  // the caller decides; the destructor ends it
  clear_interrupt();
  EXPECT_FALSE(interrupted());
  auto t = c.wait(deadline_in(50ms));
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, Errc::timeout);
}

TEST(RunCaptured, InterruptStopsTheChild) {
  InterruptGuard guard;
  request_interrupt(SIGTERM);
  EXPECT_EQ(interrupt_signal(), SIGTERM);
  auto r = run_captured(cmd({"sleep", "60"}), 30s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::interrupted);
  EXPECT_EQ(r.error().message, "sleep interrupted");
}

// --- redirects ----------------------------------------------------------

TEST(Redirect, ToFile) {
  TempDir dir = temp();
  const fs::path out = dir.path() / "out.txt";
  const fs::path err = dir.path() / "err.txt";
  ASSERT_TRUE(write_file(out, "old content that must be truncated\n"));
  SpawnOptions o = shell("echo hello; echo oops >&2");
  o.out = Redirect::to_file(out);
  o.err = Redirect::to_file(err);
  ChildProcess c = start(std::move(o));
  auto s = c.wait(deadline_in(10s));
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->ok());
  EXPECT_EQ(read_file_tail(out, 1000), "hello\n");
  EXPECT_EQ(read_file_tail(err, 1000), "oops\n");
  struct stat st {};
  ASSERT_EQ(::stat(err.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // a new log file is private
}

TEST(Redirect, FromFile) {
  TempDir dir = temp();
  const fs::path in = dir.path() / "in.sql";
  const fs::path out = dir.path() / "out.sql";
  const std::string content = "CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n";
  ASSERT_TRUE(write_file(in, content));
  SpawnOptions o = cmd({"cat"});
  o.in = Redirect::from_file(in);
  o.out = Redirect::to_file(out);
  ChildProcess c = start(std::move(o));
  auto s = c.wait(deadline_in(10s));
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->ok());
  EXPECT_EQ(read_file_tail(out, 1000), content);
}

TEST(Redirect, FromAMissingFileIsAnIoError) {
  TempDir dir = temp();
  const fs::path in = dir.path() / "missing.sql";
  SpawnOptions o = cmd({"cat"});
  o.in = Redirect::from_file(in);
  auto c = ChildProcess::spawn(std::move(o));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, Errc::io);
  EXPECT_EQ(c.error().message, "cannot read " + in.string() + ": No such file or directory");
}

TEST(Redirect, ToAMissingFolderIsAnIoError) {
  TempDir dir = temp();
  const fs::path out = dir.path() / "no" / "out.txt";
  SpawnOptions o = cmd({"/bin/true"});
  o.out = Redirect::to_file(out);
  auto c = ChildProcess::spawn(std::move(o));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, Errc::io);
  EXPECT_EQ(c.error().message, "cannot write " + out.string() + ": No such file or directory");
}

// A supervisor that ignores SIGCHLD makes the kernel reap our children: a
// wait must still end (status unknown counts as failure), and
// install_interrupt_handlers restores the default.
TEST(ChildProcessSigchld, IgnoredSigchldDoesNotHang) {
  struct sigaction ign {
  }, old{};
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  ::sigaction(SIGCHLD, &ign, &old);
  {
    SpawnOptions o;
    o.argv = {"/bin/true"};
    auto child = ChildProcess::spawn(std::move(o));
    ASSERT_TRUE(child);
    auto status = child->wait(deadline_in(std::chrono::seconds(10)));
    ASSERT_TRUE(status) << status.error().message;
    EXPECT_FALSE(status->ok());
  }
  install_interrupt_handlers();
  struct sigaction now {};
  ::sigaction(SIGCHLD, nullptr, &now);
  EXPECT_EQ(now.sa_handler, SIG_DFL);
  ::sigaction(SIGCHLD, &old, nullptr);
}

}  // namespace
}  // namespace dp
