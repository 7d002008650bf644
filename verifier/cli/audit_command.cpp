// `drillproof audit DIR`: verify DIR/history.jsonl's chain and report missed
// intervals, failed runs and per-backup RTO/RPO trends (docs/history.md).
// Exit 0 clean, 1 something found, 2 usage error (no history file), 3 the
// file exists but cannot be read.
#include <fmt/format.h>

#include <filesystem>

#include "reports/history_audit.hpp"
#include "verifier/cli/cli.hpp"
#include "verifier/cli/commands.hpp"
#include "verifier/core/timestamp.hpp"

namespace dp::cli {
namespace {

namespace fs = std::filesystem;

struct AuditArgs {
  std::string dir;
  std::string expect_every = "24h";
  std::string since = "35d";
  std::string now;
  bool json = false;
};

int usage(const std::string& message) {
  fmt::print(stderr, "drillproof audit: {}\n", message);
  return k_exit_usage;
}

int audit_command(const AuditArgs& args) {
  reports::AuditOptions options;
  auto every = parse_duration(args.expect_every);
  if (!every) return usage("--expect-every: " + every.error().message);
  if (every->count() <= 0) return usage("--expect-every must be longer than 0s");
  auto since = parse_duration(args.since);
  if (!since) return usage("--since: " + since.error().message);
  if (*every > reports::k_max_option_duration)
    return usage(fmt::format("--expect-every {} is longer than 100 years", args.expect_every));
  if (*since > reports::k_max_option_duration)
    return usage(fmt::format("--since {} is longer than 100 years", args.since));
  options.expect_every = *every;
  options.since = *since;
  options.now = std::chrono::system_clock::now();
  if (!args.now.empty()) {
    auto now = parse_timestamp(args.now);
    if (!now) return usage("--now: " + now.error().message);
    options.now = *now;
  }

  fs::path file = fs::path(args.dir) / reports::k_history_file;
  std::error_code ec;
  bool exists = fs::exists(file, ec);
  if (ec) {
    // Not "no such file": it may exist (EACCES on DIR), and an unreadable
    // history is exit 3, not a usage error.
    fmt::print(stderr, "drillproof audit: {}: cannot read: {}\n", file.string(), ec.message());
    return k_exit_untestable;
  }
  if (!exists)
    return usage(
        fmt::format("{}: no such file, so no run history to audit\n"
                    "hint: runs record their history with `drillproof run PLAN "
                    "--history {}` or [plan] history",
                    file.string(), args.dir));
  auto history = reports::read_history(args.dir);
  if (!history) {
    fmt::print(stderr, "drillproof audit: {}\n", history.error().message);
    return k_exit_untestable;
  }
  auto audit = reports::audit_history(*history, options);
  fmt::print("{}", args.json ? reports::render_audit_json(audit, file.string())
                             : reports::render_audit_text(audit, file.string()));
  return audit.clean() ? k_exit_ok : k_exit_findings;
}

}  // namespace

Runner setup_audit(CLI::App& sub) {
  auto args = std::make_shared<AuditArgs>();
  sub.add_option("dir", args->dir, "the history directory (holds history.jsonl)")->required();
  sub.add_option("--expect-every", args->expect_every,
                 "the drill schedule: a gap of more than 1.5 times this between runs is a "
                 "missed interval (default 24h)")
      ->type_name("DURATION");
  sub.add_option("--since", args->since,
                 "audit missed intervals, failed runs and trends over this window (default 35d)")
      ->type_name("DURATION");
  sub.add_flag("--json", args->json, "print the audit as JSON (format drillproof-audit)");
  // Hidden (empty group): for tests, which need a fixed clock.
  sub.add_option("--now", args->now, "for testing: evaluate as if it were TIMESTAMP")
      ->type_name("TIMESTAMP")
      ->group("");
  sub.footer(
      "exit codes: 0 chain intact, no missed interval or failed run in the window; 1 something "
      "found; 2 usage error or no history.jsonl in DIR; 3 history.jsonl cannot be read");
  return [args] { return audit_command(*args); };
}

}  // namespace dp::cli
