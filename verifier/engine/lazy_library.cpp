#include "verifier/engine/lazy_library.hpp"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

namespace dp::engine::lazy {
namespace {

[[noreturn]] void fail(const char* soname, const char* what) {
  std::fprintf(stderr, "drillproof: cannot load %s: %s\n", soname, what ? what : "unknown error");
  std::fflush(nullptr);
  std::_Exit(3);  // cli::k_exit_untestable; this layer cannot include cli
}

}  // namespace

void* Library::symbol(const char* name) {
  void* handle = m_handle.load(std::memory_order_acquire);
  if (!handle) {
    // Two threads may both get here: dlopen of a loaded library returns the
    // same handle (reference counted), so either store is right.
    handle = ::dlopen(m_soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle) fail(m_soname, ::dlerror());
    m_handle.store(handle, std::memory_order_release);
  }
  void* address = ::dlsym(handle, name);
  if (!address) fail(m_soname, ::dlerror());
  return address;
}

Library& libpq() {
  static Library library(DP_LIBPQ_SONAME);
  return library;
}
Library& libmariadb() {
  static Library library(DP_MARIADB_SONAME);
  return library;
}
Library& libsqlite3() {
  static Library library(DP_SQLITE3_SONAME);
  return library;
}

}  // namespace dp::engine::lazy
