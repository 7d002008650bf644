#include "verifier/artifacts/mapped_hash.hpp"

#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#include <algorithm>
#include <mutex>

namespace dp::artifacts {
namespace {

// The window being hashed on this thread, and where to jump if it faults.
struct Guard {
  sigjmp_buf env;
  const unsigned char* begin;
  const unsigned char* end;
};

// Static TLS in the executable: safe to read from a signal handler.
thread_local Guard* t_guard = nullptr;
struct sigaction g_previous {};

void on_sigbus(int signo, siginfo_t* info, void*) {
  Guard* guard = t_guard;
  const auto* addr = static_cast<const unsigned char*>(info->si_addr);
  bool fault = info->si_code > 0;  // raised by the kernel for an access, not sent
  if (guard && fault && addr >= guard->begin && addr < guard->end) siglongjmp(guard->env, 1);
  // Not a fault in a guarded window: put back what was there before. A
  // faulting access runs again on return and meets it with its own siginfo
  // (by default: the process dies); a sent signal is sent again.
  ::sigaction(signo, &g_previous, nullptr);
  if (!fault) ::raise(signo);
}

void install_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = &on_sigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGBUS, &sa, &g_previous);
  });
}

// False if the window faulted. Nothing with a destructor lives between the
// sigsetjmp and the hash call, so jumping back over it is sound.
[[gnu::noinline]] bool guarded_update(Hasher& hasher, const unsigned char* data, std::size_t size) {
  Guard guard;
  guard.begin = data;
  guard.end = data + size;
  if (sigsetjmp(guard.env, 1) != 0) {
    t_guard = nullptr;
    return false;
  }
  t_guard = &guard;
  hasher.update(data, size);
  t_guard = nullptr;
  return true;
}

}  // namespace

MapStatus hash_mapped(int fd, std::uint64_t size, Hasher& hasher) {
  install_handler();
  for (std::uint64_t offset = 0; offset < size; offset += k_map_window) {
    auto length = static_cast<std::size_t>(std::min<std::uint64_t>(k_map_window, size - offset));
    void* map = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(offset));
    if (map == MAP_FAILED) return MapStatus::cannot_map;
    // Advice only: read-ahead for a file that is not cached yet.
    (void)::madvise(map, length, MADV_SEQUENTIAL);
    bool ok = guarded_update(hasher, static_cast<const unsigned char*>(map), length);
    ::munmap(map, length);
    if (!ok) return MapStatus::shrank;
  }
  return MapStatus::hashed;
}

}  // namespace dp::artifacts
