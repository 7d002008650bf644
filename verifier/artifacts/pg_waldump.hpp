#pragma once
// Finding and running PostgreSQL's pg_waldump, the WAL record decoder that
// pg_verifybackup runs over a base backup's WAL (and wal_archive.cpp over an
// archive's last segment). Never through a shell.
#include <filesystem>
#include <string>
#include <vector>

#include "verifier/core/child_process.hpp"
#include "verifier/core/result.hpp"

namespace dp::artifacts {

// pg_waldump for WAL of PostgreSQL major `major` (0: any): the bindir of that
// major (/usr/lib/postgresql/<major>/bin), else PATH, else the newest
// /usr/lib/postgresql/*/bin. Errc::not_found with an install hint.
Result<std::filesystem::path> find_pg_waldump(int major);

// The major version in DIR/PG_VERSION ("15"), 0 if it cannot be read.
int pg_data_major(const std::filesystem::path& data_dir);

// Runs `pg_waldump args...` to completion (stdout and stderr captured, each
// capped). A non-zero exit is not an error here; failing to start
// (Errc::not_found), the deadline (Errc::timeout) and an interrupt are.
Result<CapturedRun> run_pg_waldump(const std::filesystem::path& pg_waldump,
                                   std::vector<std::string> args, Deadline deadline);

}  // namespace dp::artifacts
