#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "reports/report_writers.hpp"
#include "verifier/cli/cli.hpp"
#include "verifier/cli/commands.hpp"
#include "verifier/core/signals.hpp"
#include "verifier/core/text.hpp"
#include "verifier/run/execute.hpp"

namespace dp::cli {
namespace {

struct RunArgs {
  std::string plan_file;
  std::string out;
  std::vector<std::string> only;
  int jobs = 1;
  bool keep_scratch = false;
  std::string run_as;
};

int run_command(const RunArgs& args) {
  plan::Options options{args.only, args.jobs, args.keep_scratch, args.run_as};
  auto plan = load_plan(args.plan_file, options);
  if (!plan) return k_exit_usage;
  return run_plan(*plan, args.out);
}

}  // namespace

int run_plan(const plan::Plan& plan, const std::string& out_arg) {
  auto started = std::chrono::system_clock::now();
  std::filesystem::path out =
      out_arg.empty() ? std::filesystem::path("drillproof-report") / format_utc_compact(started)
                      : std::filesystem::path(out_arg);

  install_interrupt_handlers();
  bool tty = ::isatty(STDERR_FILENO) == 1;
  run::RunOptions run_options;
  if (tty)
    run_options.progress = [](std::string_view line) {
      fmt::print(stderr, "\033[2m[drillproof]\033[0m {}\n", line);
    };
  reports::RunReport report = run::execute(plan, run_options);

  auto written = reports::write_reports(report, out, reports::HtmlOptions{});
  fmt::print("{}", reports::render_summary(report, ::isatty(STDOUT_FILENO) == 1));
  for (const auto& b : report.backups)
    if (!b.scratch.empty()) fmt::print("scratch instance of '{}' kept:\n  {}\n", b.name, b.scratch);
  if (!written) {
    fmt::print(stderr, "drillproof: cannot write reports: {}\n", written.error().message);
    // A missed check still outranks "could not finish" (exit 1 over 3).
    return reports::exit_code(report) == k_exit_findings ? k_exit_findings : k_exit_untestable;
  }
  fmt::print("reports: {}\n", out.string());
  return reports::exit_code(report);
}

Runner setup_run(CLI::App& sub) {
  auto args = std::make_shared<RunArgs>();
  sub.add_option("plan", args->plan_file, "the plan file (TOML)")->required();
  sub.add_option("--out", args->out,
                 "report directory (default ./drillproof-report/<UTC timestamp>/)");
  sub.add_option("--only", args->only, "drill only the backup NAME (repeatable)")
      ->type_name("NAME")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sub.add_option("--jobs,-j", args->jobs, "backups drilled at the same time (default 1)")
      ->check(CLI::PositiveNumber);
  sub.add_flag("--keep-scratch", args->keep_scratch,
               "leave scratch instances running and print how to connect");
  sub.add_option("--run-as", args->run_as,
                 "when root, run database servers as this user (default: [plan] run_as, "
                 "else postgres)");
  return [args] { return run_command(*args); };
}

}  // namespace dp::cli
