// libsqlite3, loaded on first use (lazy_library.hpp): one forwarding
// definition per function the adapter calls, declared by sqlite3.h itself.
#include <sqlite3.h>

#include "verifier/engine/lazy_library.hpp"

#define DP_SQ(fn) DP_LAZY(libsqlite3, fn)

int sqlite3_busy_timeout(sqlite3* db, int ms) { return DP_SQ(sqlite3_busy_timeout)(db, ms); }
int sqlite3_close_v2(sqlite3* db) { return DP_SQ(sqlite3_close_v2)(db); }
const void* sqlite3_column_blob(sqlite3_stmt* stmt, int col) {
  return DP_SQ(sqlite3_column_blob)(stmt, col);
}
int sqlite3_column_bytes(sqlite3_stmt* stmt, int col) {
  return DP_SQ(sqlite3_column_bytes)(stmt, col);
}
int sqlite3_column_count(sqlite3_stmt* stmt) { return DP_SQ(sqlite3_column_count)(stmt); }
const char* sqlite3_column_name(sqlite3_stmt* stmt, int n) {
  return DP_SQ(sqlite3_column_name)(stmt, n);
}
const unsigned char* sqlite3_column_text(sqlite3_stmt* stmt, int col) {
  return DP_SQ(sqlite3_column_text)(stmt, col);
}
int sqlite3_column_type(sqlite3_stmt* stmt, int col) {
  return DP_SQ(sqlite3_column_type)(stmt, col);
}
const char* sqlite3_errmsg(sqlite3* db) { return DP_SQ(sqlite3_errmsg)(db); }
int sqlite3_exec(sqlite3* db, const char* sql, int (*callback)(void*, int, char**, char**),
                 void* arg, char** errmsg) {
  return DP_SQ(sqlite3_exec)(db, sql, callback, arg, errmsg);
}
int sqlite3_finalize(sqlite3_stmt* stmt) { return DP_SQ(sqlite3_finalize)(stmt); }
int sqlite3_get_autocommit(sqlite3* db) { return DP_SQ(sqlite3_get_autocommit)(db); }
const char* sqlite3_libversion(void) { return DP_SQ(sqlite3_libversion)(); }
int sqlite3_open_v2(const char* filename, sqlite3** db, int flags, const char* vfs) {
  return DP_SQ(sqlite3_open_v2)(filename, db, flags, vfs);
}
int sqlite3_prepare_v2(sqlite3* db, const char* sql, int bytes, sqlite3_stmt** stmt,
                       const char** tail) {
  return DP_SQ(sqlite3_prepare_v2)(db, sql, bytes, stmt, tail);
}
void sqlite3_progress_handler(sqlite3* db, int ops, int (*handler)(void*), void* arg) {
  DP_SQ(sqlite3_progress_handler)(db, ops, handler, arg);
}
int sqlite3_step(sqlite3_stmt* stmt) { return DP_SQ(sqlite3_step)(stmt); }
