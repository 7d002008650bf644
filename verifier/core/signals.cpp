#include "verifier/core/signals.hpp"

#include <atomic>
#include <csignal>

namespace dp {
namespace {

std::atomic<int> g_signal{0};

extern "C" void on_interrupt(int signo) { g_signal.store(signo); }

}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking calls should return EINTR
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  sigemptyset(&ign.sa_mask);
  sigaction(SIGPIPE, &ign, nullptr);
  // An ignored SIGCHLD (inherited from a supervisor) makes the kernel reap
  // our children itself, and waitid could never see them exit.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(SIGCHLD, &dfl, nullptr);
}

bool interrupted() { return g_signal.load() != 0; }
int interrupt_signal() { return g_signal.load(); }
void request_interrupt(int signo) { g_signal.store(signo); }
void clear_interrupt() { g_signal.store(0); }

}  // namespace dp
