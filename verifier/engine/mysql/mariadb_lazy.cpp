// libmariadb, loaded on first use (lazy_library.hpp): one forwarding
// definition per function the adapter calls, declared by mysql.h itself.
#include <mysql.h>

#include "verifier/engine/lazy_library.hpp"

#define DP_MY(fn) DP_LAZY(libmariadb, fn)

void STDCALL mysql_close(MYSQL* sock) { DP_MY(mysql_close)(sock); }
unsigned int STDCALL mysql_errno(MYSQL* mysql) { return DP_MY(mysql_errno)(mysql); }
const char* STDCALL mysql_error(MYSQL* mysql) { return DP_MY(mysql_error)(mysql); }
MYSQL_FIELD* STDCALL mysql_fetch_fields(MYSQL_RES* res) { return DP_MY(mysql_fetch_fields)(res); }
unsigned long* STDCALL mysql_fetch_lengths(MYSQL_RES* result) {
  return DP_MY(mysql_fetch_lengths)(result);
}
MYSQL_ROW STDCALL mysql_fetch_row(MYSQL_RES* result) { return DP_MY(mysql_fetch_row)(result); }
unsigned int STDCALL mysql_field_count(MYSQL* mysql) { return DP_MY(mysql_field_count)(mysql); }
void STDCALL mysql_free_result(MYSQL_RES* result) { DP_MY(mysql_free_result)(result); }
char* STDCALL mysql_get_server_info(MYSQL* mysql) { return DP_MY(mysql_get_server_info)(mysql); }
MYSQL* STDCALL mysql_init(MYSQL* mysql) { return DP_MY(mysql_init)(mysql); }
int STDCALL mysql_next_result(MYSQL* mysql) { return DP_MY(mysql_next_result)(mysql); }
unsigned int STDCALL mysql_num_fields(MYSQL_RES* res) { return DP_MY(mysql_num_fields)(res); }
MYSQL* STDCALL mysql_real_connect(MYSQL* mysql, const char* host, const char* user,
                                  const char* passwd, const char* db, unsigned int port,
                                  const char* unix_socket, unsigned long clientflag) {
  return DP_MY(mysql_real_connect)(mysql, host, user, passwd, db, port, unix_socket, clientflag);
}
int STDCALL mysql_real_query(MYSQL* mysql, const char* q, unsigned long length) {
  return DP_MY(mysql_real_query)(mysql, q, length);
}
void STDCALL mysql_server_end(void) { DP_MY(mysql_server_end)(); }
int STDCALL mysql_server_init(int argc, char** argv, char** groups) {
  return DP_MY(mysql_server_init)(argc, argv, groups);
}
const char* STDCALL mysql_sqlstate(MYSQL* mysql) { return DP_MY(mysql_sqlstate)(mysql); }
MYSQL_RES* STDCALL mysql_store_result(MYSQL* mysql) { return DP_MY(mysql_store_result)(mysql); }
MYSQL_RES* STDCALL mysql_use_result(MYSQL* mysql) { return DP_MY(mysql_use_result)(mysql); }
int STDCALL mysql_options(MYSQL* mysql, enum mysql_option option, const void* arg) {
  return DP_MY(mysql_options)(mysql, option, arg);
}

// No mysql_optionsv forwarder: a variadic function cannot pass its own
// arguments on, and libmariadb's mysql_options calls mysql_optionsv, so a
// forwarder exported from here could recurse. The adapter uses
// mysql_options (one argument per option) only.
