#pragma once
// The database client libraries (libpq, libmariadb, libsqlite3) are opened
// with dlopen on the first call into them, not by the loader at start-up:
// libpq alone brings in some twenty libraries (Kerberos, LDAP, GnuTLS...),
// and binding them cost every drillproof start about 5 ms of CPU, commands
// that never open a database (manifest, verify, audit, status) included.
//
// Each adapter folder has a *_lazy.cpp defining, with the client header's
// own declarations, every library function the adapter calls; each body
// forwards to the real function, looked up once. A call to a function not
// listed there fails to link ("undefined reference"): add one line for it.
// Configure with -DDP_LAZY_DB_LIBS=OFF to link the libraries as before.
//
// A library that is not installed must not end the process: every adapter
// entry point, and each drill before it starts a scratch server, calls
// ensure_loaded() and turns a failure into that backup's `error`, so other
// backups in the run still run and everything is cleaned up.
//
// For tests only: DP_TEST_LIBPQ_SONAME, DP_TEST_MARIADB_SONAME and
// DP_TEST_SQLITE_SONAME, when set, replace the soname dlopen is given, so a
// test can make a library unloadable without uninstalling it.
#include <mutex>
#include <string>

#include "verifier/core/result.hpp"

namespace dp::engine::lazy {

// One client library, by soname. Thread-safe; never closed.
class Library {
 public:
  // `description` names it for people ("PostgreSQL client library"),
  // `package` is the Debian package that provides it, `test_env` the
  // variable that overrides the soname in tests.
  Library(const char* soname, const char* description, const char* package, const char* test_env)
      : m_soname(soname), m_description(description), m_package(package), m_test_env(test_env) {}

  // Loads the library once (later calls return the first outcome).
  // Errc::unsupported: "cannot load libpq.so.5 (PostgreSQL client library):
  // <dlerror>; hint: apt-get install libpq5".
  Result<void> ensure_loaded();

  // The address of `name`. Callers have checked ensure_loaded(); if the
  // library still cannot be loaded or lacks the symbol (a broken install:
  // the headers we built against promise it), prints why on stderr and ends
  // the process with exit code 3.
  void* symbol(const char* name);

 private:
  void load();

  const char* m_soname;
  const char* m_description;
  const char* m_package;
  const char* m_test_env;
  std::once_flag m_once;
  void* m_handle = nullptr;  // written once under m_once
  std::string m_error;       // idem: why the load failed
};

Library& libpq();
Library& libmariadb();
Library& libsqlite3();

}  // namespace dp::engine::lazy

// The real `fn`, resolved on first use: DP_LAZY(libpq, PQexec)(conn, sql).
#define DP_LAZY(lib, fn)                                                          \
  ([]() {                                                                         \
    static const auto real =                                                      \
        reinterpret_cast<decltype(&::fn)>(::dp::engine::lazy::lib().symbol(#fn)); \
    return real;                                                                  \
  }())
