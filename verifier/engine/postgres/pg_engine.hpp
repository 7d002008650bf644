#pragma once
// PostgreSQL adapter on libpq. Sessions made by connect() are read-only
// (default_transaction_read_only) with a statement timeout. The admin helpers
// are for drills preparing a scratch instance, never for checks.
#include <chrono>
#include <memory>
#include <string_view>

#include "verifier/engine/engine.hpp"

namespace dp::engine::postgres {

Result<std::unique_ptr<Engine>> connect(const ConnectOptions& options);

enum class Ping { ok, rejecting, no_response, bad_options };
// PQping: whether a server accepts connections at that socket right now.
Ping ping(const ConnectOptions& options);

// Runs SQL in a read-write session (CREATE DATABASE, CREATE ROLE). Errors
// carry the server's message.
Result<void> execute_admin(const ConnectOptions& options, std::string_view sql);

// Runs SQL with every step bounded by `deadline`, for callers that must not
// hang on a stopped or unreachable server (health probes, RPO markers):
// the connection is made with PQconnectStart/PQconnectPoll and the query
// sent with PQsendQuery, each wait a poll() on the socket that ends at the
// deadline. On expiry the connection is closed (PQcancel is not used: it
// blocks on a stopped server) and Errc::timeout returned; the server-side
// statement_timeout from `options` ends the orphaned statement. read_only:
// one statement (extended protocol) in a read-only session; otherwise any
// SQL in a read-write session. Returns the last result's rows.
Result<QueryResult> query_bounded(const ConnectOptions& options, std::string_view sql,
                                  std::chrono::steady_clock::time_point deadline, bool read_only);

// Quotes for SQL: an identifier ("a""b") and a literal ('it''s').
std::string quote_ident(std::string_view ident);
std::string quote_literal(std::string_view text);

}  // namespace dp::engine::postgres
