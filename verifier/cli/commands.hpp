#pragma once
// The subcommand table: each entry registers its options on a CLI11
// subcommand and returns the function that runs it.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "verifier/config/config.hpp"
#include "verifier/plan/plan.hpp"

namespace dp::cli {

using Runner = std::function<int()>;

struct Command {
  const char* name;
  const char* help;
  Runner (*setup)(CLI::App& sub);
};

Runner setup_run(CLI::App& sub);
Runner setup_validate(CLI::App& sub);
Runner setup_demo(CLI::App& sub);
Runner setup_snapshot(CLI::App& sub);
Runner setup_keygen(CLI::App& sub);
Runner setup_verify(CLI::App& sub);
Runner setup_audit(CLI::App& sub);
Runner setup_status(CLI::App& sub);
Runner setup_manifest(CLI::App& sub);
Runner setup_wal(CLI::App& sub);

struct RunSettings {
  std::string out;  // empty: ./drillproof-report/<UTC timestamp>/
  // Signing key file; empty: $DRILLPROOF_SIGN_KEY; both empty: unsigned.
  std::string sign_key;
  bool require_signature = false;  // an unsigned run is a usage error (exit 2)
  std::string history;             // history dir; empty: the plan's [plan] history
};

// Runs a loaded plan, writes its reports and signed bundle into the report
// directory, and appends the run to the history; returns the exit code.
int run_plan(const plan::Plan& plan, const RunSettings& settings);

// Loads the plan and checks what can be checked without starting anything
// (backup formats recognised). Prints diagnostics to stderr; nullopt means
// exit 2.
std::optional<plan::Plan> load_plan(const std::string& file, const plan::Options& options);

}  // namespace dp::cli
