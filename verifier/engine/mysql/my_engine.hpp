#pragma once
// MySQL / MariaDB adapter on libmysqlclient (MariaDB Connector/C). Sessions
// made by connect() go over a unix socket with connect and read timeouts, are
// read-only (SET SESSION TRANSACTION READ ONLY, and every statement runs in a
// START TRANSACTION READ ONLY that is rolled back) and use normalising
// settings: time_zone '+00:00', utf8mb4, sql_mode NO_BACKSLASH_ESCAPES (so
// standard SQL string quoting is correct), a server-side statement timeout.
// The admin helpers are for drills preparing a scratch server, never for
// checks.
//
// Typed rows: values are the server's text, except binary strings (binary,
// varbinary, blobs: charset 63), which come back as "\x<hex>" as PostgreSQL
// prints bytea, and BIT(n), which comes back as n '0'/'1' digits as
// PostgreSQL prints bit(n). stream_rows() writes these in the canonical
// COPY TEXT encoding (engine.hpp, docs/snapshot.md).
#include <memory>
#include <string_view>

#include "verifier/engine/engine.hpp"

namespace dp::engine::mysql {

// Opens a read-only session. Errc::engine with the client's message.
Result<std::unique_ptr<Engine>> connect(const ConnectOptions& options);

// Whether a server at options.socket accepts a login right now. Errc::engine
// when it answered but refused the login (access denied: waiting will not
// help), Errc::io when nothing answered yet.
Result<void> ping(const ConnectOptions& options);

// Runs one statement in a read-write session (CREATE DATABASE). Errors carry
// the server's message.
Result<void> execute_admin(const ConnectOptions& options, std::string_view sql);

// A source given as "socket=/run/mysqld/mysqld.sock database=shop
// user=drillproof" (plan `source`, snapshot --source); words without '=' and
// unknown keys are ignored. The password, if any, comes from MYSQL_PWD.
ConnectOptions source_options(std::string_view text);

// `a``b` quoting for identifiers.
std::string quote_ident(std::string_view ident);

// Appends one value to a COPY TEXT line: \N for NULL, else the escaped text.
void append_copy_field(std::string& line, const Value& value);

}  // namespace dp::engine::mysql
