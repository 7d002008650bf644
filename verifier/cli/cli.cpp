#include "verifier/cli/cli.hpp"

#include <fmt/format.h>

#include "verifier/cli/commands.hpp"

namespace dp::cli {
namespace {

const Command k_commands[] = {
    {"run", "restore every backup of a plan into scratch instances, check it and report",
     &setup_run},
    {"validate", "check a plan and print what would run, in order; starts nothing",
     &setup_validate},
    {"snapshot", "capture a live database's schema, row counts and content fingerprints",
     &setup_snapshot},
    {"demo", "generate a sample shop database, back it up with the real tools, and drill it",
     &setup_demo},
    {"keygen", "write an Ed25519 key pair for signing report bundles", &setup_keygen},
    {"verify", "check a report bundle's signature, digests and in-toto statement", &setup_verify},
    {"audit", "verify the run history's chain; list missed intervals, failures and trends",
     &setup_audit},
    {"status", "Nagios/Icinga plugin and Prometheus textfile over the run history", &setup_status},
    {"manifest", "create a manifest of a directory tree, or verify a tree against one",
     &setup_manifest},
    {"wal", "check a PostgreSQL WAL archive for gaps and report its PITR window", &setup_wal},
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"drillproof: prove that backups restore, and that what comes back is right"};
  app.set_version_flag("--version", std::string("drillproof ") + DP_VERSION);
  app.require_subcommand(1);
  app.footer(
      "exit codes: 0 all passed, 1 a check or objective failed, 2 usage or plan error, "
      "3 could not test (scratch would not start, restore failed, timed out, interrupted)");
  std::vector<std::pair<CLI::App*, Runner>> runners;
  for (const auto& cmd : k_commands) {
    CLI::App* sub = app.add_subcommand(cmd.name, cmd.help);
    runners.emplace_back(sub, cmd.setup(*sub));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return k_exit_usage;
  }
  for (auto& [sub, runner] : runners)
    if (sub->parsed()) return runner();
  return k_exit_usage;
}

}  // namespace dp::cli
