#pragma once
// A source PostgreSQL cluster for integration tests, started exactly as the
// tool starts scratch servers (drills::PgScratch), with Chinook loaded by the
// real psql and dumped by the real pg_dump.
#include <optional>

#include "drills/pg_scratch.hpp"
#include "tests/integration/support.hpp"
#include "verifier/core/text.hpp"
#include "verifier/engine/postgres/pg_engine.hpp"

namespace dp::test {

class SourcePg {
 public:
  // Starts the server; nullopt (with `why`) when PostgreSQL is not installed.
  // `server_args` go to postgres after PgScratch's ("-c", "wal_level=replica").
  static std::optional<SourcePg> start(std::string& why,
                                       std::vector<std::string> server_args = {}) {
    auto bin = drills::find_pg_binaries("");
    if (!bin) {
      why = bin.error().message;
      return std::nullopt;
    }
    auto user = server_user("");
    if (!user) {
      why = user.error().message;
      return std::nullopt;
    }
    auto scratch = drills::PgScratch::start(*bin, {*user, std::chrono::seconds(60), false},
                                            std::move(server_args));
    if (!scratch) {
      why = scratch.error().message;
      return std::nullopt;
    }
    return SourcePg(std::move(*scratch));
  }

  const drills::PgScratch& scratch() const { return m_scratch; }

  // Runs a client tool of the server's bindir against this server.
  Result<CapturedRun> client(const std::string& tool, std::vector<std::string> args,
                             const std::string& database = "postgres") const {
    SpawnOptions o;
    o.argv = {(m_scratch.binaries().bindir / tool).string(),
              "-h",
              m_scratch.dir().string(),
              "-p",
              "5432",
              "-U",
              "postgres"};
    if (tool == "psql" || tool == "pg_dump") {
      o.argv.push_back("-d");
      o.argv.push_back(database);
    }
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    return run_captured(std::move(o), std::chrono::minutes(5));
  }

  // psql -f; returns stderr on failure.
  std::string psql_file(const fs::path& file, const std::string& database = "postgres") const {
    auto run = client("psql", {"-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", file.string()}, database);
    if (!run) return run.error().message;
    return run->status.ok() ? "" : run->err;
  }

  std::string psql(const std::string& sql, const std::string& database = "postgres") const {
    auto run = client("psql", {"-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql}, database);
    if (!run) return "error: " + run.error().message;
    return run->status.ok() ? std::string(trim(run->out)) : "error: " + run->err;
  }

  // pg_dump -F<format> -f <out> <database>; returns stderr on failure.
  std::string dump(char format, const fs::path& out, const std::string& database) const {
    auto run = client("pg_dump", {std::string("-F") + format, "-f", out.string()}, database);
    if (!run) return run.error().message;
    return run->status.ok() ? "" : run->err;
  }

 private:
  explicit SourcePg(drills::PgScratch s) : m_scratch(std::move(s)) {}
  drills::PgScratch m_scratch;
};

}  // namespace dp::test
