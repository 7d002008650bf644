#include "verifier/engine/lazy_library.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

namespace dp::engine::lazy {
namespace {

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "drillproof: %s\n", why.c_str());
  std::fflush(nullptr);
  std::_Exit(3);  // cli::k_exit_untestable; this layer cannot include cli
}

}  // namespace

void Library::load() {
  const char* soname = m_soname;
  if (const char* over = std::getenv(m_test_env); over && *over) soname = over;
  void* handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = ::dlerror();
    m_error = fmt::format("cannot load {} ({}): {}; hint: apt-get install {}", soname,
                          m_description, why ? why : "unknown error", m_package);
    return;
  }
  m_handle = handle;
}

Result<void> Library::ensure_loaded() {
  std::call_once(m_once, [this] { load(); });
  if (!m_handle) return make_error(Errc::unsupported, m_error);
  return {};
}

void* Library::symbol(const char* name) {
  if (auto ok = ensure_loaded(); !ok) fail(ok.error().message);
  ::dlerror();
  void* address = ::dlsym(m_handle, name);
  if (!address) {
    const char* why = ::dlerror();
    fail(fmt::format("{} ({}) has no symbol {}: {}; the installation is broken", m_soname,
                     m_description, name, why ? why : "unknown error"));
  }
  return address;
}

Library& libpq() {
  static Library library(DP_LIBPQ_SONAME, "PostgreSQL client library", "libpq5",
                         "DP_TEST_LIBPQ_SONAME");
  return library;
}
Library& libmariadb() {
  static Library library(DP_MARIADB_SONAME, "MariaDB client library", "libmariadb3",
                         "DP_TEST_MARIADB_SONAME");
  return library;
}
Library& libsqlite3() {
  static Library library(DP_SQLITE3_SONAME, "SQLite library", "libsqlite3-0",
                         "DP_TEST_SQLITE_SONAME");
  return library;
}

}  // namespace dp::engine::lazy
