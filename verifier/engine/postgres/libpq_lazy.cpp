// libpq, loaded on first use (lazy_library.hpp): one forwarding definition
// per function the adapter calls, declared by libpq-fe.h itself.
#include <libpq-fe.h>

#include "verifier/engine/lazy_library.hpp"

#define DP_PQ(fn) DP_LAZY(libpq, fn)

void PQclear(PGresult* res) { DP_PQ(PQclear)(res); }
PGconn* PQconnectdbParams(const char* const* keywords, const char* const* values,
                          int expand_dbname) {
  return DP_PQ(PQconnectdbParams)(keywords, values, expand_dbname);
}
char* PQerrorMessage(const PGconn* conn) { return DP_PQ(PQerrorMessage)(conn); }
PGresult* PQexec(PGconn* conn, const char* query) { return DP_PQ(PQexec)(conn, query); }
PGresult* PQexecParams(PGconn* conn, const char* command, int nParams, const Oid* paramTypes,
                       const char* const* paramValues, const int* paramLengths,
                       const int* paramFormats, int resultFormat) {
  return DP_PQ(PQexecParams)(conn, command, nParams, paramTypes, paramValues, paramLengths,
                             paramFormats, resultFormat);
}
void PQfinish(PGconn* conn) { DP_PQ(PQfinish)(conn); }
char* PQfname(const PGresult* res, int field_num) { return DP_PQ(PQfname)(res, field_num); }
void PQfreemem(void* ptr) { DP_PQ(PQfreemem)(ptr); }
int PQgetCopyData(PGconn* conn, char** buffer, int async) {
  return DP_PQ(PQgetCopyData)(conn, buffer, async);
}
PGresult* PQgetResult(PGconn* conn) { return DP_PQ(PQgetResult)(conn); }
int PQgetisnull(const PGresult* res, int tup_num, int field_num) {
  return DP_PQ(PQgetisnull)(res, tup_num, field_num);
}
int PQgetlength(const PGresult* res, int tup_num, int field_num) {
  return DP_PQ(PQgetlength)(res, tup_num, field_num);
}
char* PQgetvalue(const PGresult* res, int tup_num, int field_num) {
  return DP_PQ(PQgetvalue)(res, tup_num, field_num);
}
int PQnfields(const PGresult* res) { return DP_PQ(PQnfields)(res); }
int PQntuples(const PGresult* res) { return DP_PQ(PQntuples)(res); }
const char* PQparameterStatus(const PGconn* conn, const char* paramName) {
  return DP_PQ(PQparameterStatus)(conn, paramName);
}
PGPing PQpingParams(const char* const* keywords, const char* const* values, int expand_dbname) {
  return DP_PQ(PQpingParams)(keywords, values, expand_dbname);
}
char* PQresultErrorField(const PGresult* res, int fieldcode) {
  return DP_PQ(PQresultErrorField)(res, fieldcode);
}
char* PQresultErrorMessage(const PGresult* res) { return DP_PQ(PQresultErrorMessage)(res); }
ExecStatusType PQresultStatus(const PGresult* res) { return DP_PQ(PQresultStatus)(res); }
ConnStatusType PQstatus(const PGconn* conn) { return DP_PQ(PQstatus)(conn); }
// Not called yet, but the ones an adapter change is most likely to reach for.
int PQserverVersion(const PGconn* conn) { return DP_PQ(PQserverVersion)(conn); }
char* PQescapeLiteral(PGconn* conn, const char* str, size_t len) {
  return DP_PQ(PQescapeLiteral)(conn, str, len);
}
char* PQescapeIdentifier(PGconn* conn, const char* str, size_t len) {
  return DP_PQ(PQescapeIdentifier)(conn, str, len);
}
Oid PQftype(const PGresult* res, int field_num) { return DP_PQ(PQftype)(res, field_num); }
char* PQcmdTuples(PGresult* res) { return DP_PQ(PQcmdTuples)(res); }
int PQfnumber(const PGresult* res, const char* field_name) {
  return DP_PQ(PQfnumber)(res, field_name);
}
PGTransactionStatusType PQtransactionStatus(const PGconn* conn) {
  return DP_PQ(PQtransactionStatus)(conn);
}
int PQlibVersion(void) { return DP_PQ(PQlibVersion)(); }
// Bounded queries (query_bounded: probes and RPO markers).
PGconn* PQconnectStartParams(const char* const* keywords, const char* const* values,
                             int expand_dbname) {
  return DP_PQ(PQconnectStartParams)(keywords, values, expand_dbname);
}
PostgresPollingStatusType PQconnectPoll(PGconn* conn) { return DP_PQ(PQconnectPoll)(conn); }
int PQconsumeInput(PGconn* conn) { return DP_PQ(PQconsumeInput)(conn); }
int PQflush(PGconn* conn) { return DP_PQ(PQflush)(conn); }
char* PQhost(const PGconn* conn) { return DP_PQ(PQhost)(conn); }
char* PQport(const PGconn* conn) { return DP_PQ(PQport)(conn); }
int PQisBusy(PGconn* conn) { return DP_PQ(PQisBusy)(conn); }
int PQsendQuery(PGconn* conn, const char* query) { return DP_PQ(PQsendQuery)(conn, query); }
int PQsendQueryParams(PGconn* conn, const char* command, int nParams, const Oid* paramTypes,
                      const char* const* paramValues, const int* paramLengths,
                      const int* paramFormats, int resultFormat) {
  return DP_PQ(PQsendQueryParams)(conn, command, nParams, paramTypes, paramValues, paramLengths,
                                  paramFormats, resultFormat);
}
int PQsetnonblocking(PGconn* conn, int arg) { return DP_PQ(PQsetnonblocking)(conn, arg); }
int PQsocket(const PGconn* conn) { return DP_PQ(PQsocket)(conn); }
