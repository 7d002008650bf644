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
#include <atomic>

namespace dp::engine::lazy {

// One client library, by soname. Thread-safe; never closed.
class Library {
 public:
  explicit constexpr Library(const char* soname) : m_soname(soname) {}
  // The address of `name` in the library. If the library cannot be loaded
  // or lacks the symbol, prints why on stderr and ends the process with exit
  // code 3 (could not test): before lazy loading, the program would not
  // have started at all.
  void* symbol(const char* name);

 private:
  const char* m_soname;
  std::atomic<void*> m_handle{nullptr};
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
