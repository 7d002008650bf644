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

// Runs a loaded plan and writes its reports into `out` (empty: the default
// ./drillproof-report/<UTC timestamp>/); returns the exit code.
int run_plan(const plan::Plan& plan, const std::string& out);

// Loads the plan and checks what can be checked without starting anything
// (backup formats recognised). Prints diagnostics to stderr; nullopt means
// exit 2.
std::optional<plan::Plan> load_plan(const std::string& file, const plan::Options& options);

}  // namespace dp::cli
