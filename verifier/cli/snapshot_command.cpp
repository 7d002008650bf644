// `drillproof snapshot`: capture the expected state of a live source database
// (schema, row counts, content fingerprints) for the snapshot-based checks.
#include <fmt/format.h>

#include <filesystem>
#include <regex>

#include "checks/snapshot.hpp"
#include "verifier/cli/cli.hpp"
#include "verifier/cli/commands.hpp"
#include "verifier/core/signals.hpp"
#include "verifier/core/text.hpp"
#include "verifier/engine/mysql/my_engine.hpp"

namespace dp::cli {
namespace {

struct SnapshotArgs {
  std::string engine = "postgres";
  std::string source;
  std::string out;
  std::uint64_t segment_rows = 100'000;
  bool no_fingerprints = false;
};

// A connection string may carry password=...: never write it anywhere.
std::string redact(const std::string& conninfo) {
  static const std::regex k_password(R"((password\s*=\s*)('[^']*'|\S+))", std::regex::icase);
  return std::regex_replace(conninfo, k_password, "$1***");
}

int snapshot_command(const SnapshotArgs& args) {
  auto kind = parse_engine_kind(args.engine);
  if (!kind) {
    fmt::print(stderr,
               "drillproof snapshot: --engine must be postgres, sqlite or mysql, got '{}'\n",
               args.engine);
    return k_exit_usage;
  }
  engine::ConnectOptions conn;
  conn.kind = *kind;
  if (*kind == EngineKind::postgres) {
    if (conninfo_has_password(args.source)) {
      fmt::print(stderr,
                 "drillproof snapshot: --source must not contain a password\n"
                 "hint: put it in PGPASSWORD or ~/.pgpass, where libpq finds it\n");
      return k_exit_usage;
    }
    conn.conninfo = args.source;
  } else if (*kind == EngineKind::mysql) {
    conn = engine::mysql::source_options(args.source);  // "socket=... database=..."
  } else {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(args.source, ec)) {
      fmt::print(stderr, "drillproof snapshot: {}: no such database file\n", args.source);
      return k_exit_usage;
    }
    conn.database = args.source;
  }
  conn.statement_timeout = std::chrono::hours(6);
  install_interrupt_handlers();
  auto session = engine::connect(conn);
  if (!session) {
    fmt::print(stderr, "drillproof snapshot: {}\n", session.error().message);
    return k_exit_untestable;
  }
  checks::SnapshotOptions options;
  options.segment_rows = args.segment_rows;
  options.fingerprints = !args.no_fingerprints;
  options.source_label = *kind == EngineKind::postgres ? redact(args.source) : args.source;
  auto snapshot = checks::take_snapshot(**session, options);
  if (!snapshot) {
    fmt::print(stderr, "drillproof snapshot: {}\n", snapshot.error().message);
    return k_exit_untestable;
  }
  std::filesystem::path out(args.out);
  std::filesystem::path tmp = out;
  tmp += ".tmp";
  auto written = write_file(tmp, checks::snapshot_to_json(*snapshot));
  std::error_code ec;
  if (written) std::filesystem::rename(tmp, out, ec);
  if (!written || ec) {
    fmt::print(stderr, "drillproof snapshot: cannot write {}: {}\n", out.string(),
               written ? ec.message() : written.error().message);
    return k_exit_untestable;
  }
  std::uint64_t rows = 0, segments = 0;
  for (const auto& t : snapshot->tables) {
    rows += t.row_count;
    segments += t.fingerprint.segments.size();
  }
  fmt::print("snapshot of {} tables ({} rows, {} fingerprint segments) written to {}\n",
             snapshot->tables.size(), rows, segments, out.string());
  return k_exit_ok;
}

}  // namespace

Runner setup_snapshot(CLI::App& sub) {
  auto args = std::make_shared<SnapshotArgs>();
  sub.add_option("--engine", args->engine, "postgres (default), sqlite or mysql");
  sub.add_option("--source", args->source,
                 "postgres: a libpq connection string (password only from PGPASSWORD or "
                 "~/.pgpass); sqlite: the database file (opened read-only); mysql: \"socket=PATH "
                 "database=NAME [user=NAME]\" (password only from MYSQL_PWD)")
      ->required();
  sub.add_option("--out", args->out, "the snapshot file to write (JSON)")->required();
  sub.add_option("--segment-rows", args->segment_rows, "keys per fingerprint segment")
      ->check(CLI::PositiveNumber);
  sub.add_flag("--no-fingerprints", args->no_fingerprints,
               "schema and row counts only (fingerprint checks then have nothing to compare)");
  return [args] { return snapshot_command(*args); };
}

}  // namespace dp::cli
