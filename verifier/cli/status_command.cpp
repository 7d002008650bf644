// `drillproof status DIR --max-age 26h`: a Nagios/Icinga plugin over the run
// history, and optionally a node_exporter textfile (docs/history.md).
//
// Exit codes follow the Nagios plugin API, not the tool's usual ones: 0 OK,
// 1 WARNING, 2 CRITICAL, 3 UNKNOWN. A usage error is UNKNOWN (3), as the
// plugin guidelines ask, not 2: a monitoring system would read 2 as
// "backups are broken". So every option is parsed here rather than by
// CLI11, whose errors exit 2 before this command runs: extras are allowed,
// every option takes 0 or 1 value, and a repeated option takes the last
// value (TakeLast) instead of failing "At Most 1 required". The only CLI11
// exit left is --help/-h, which prints the help and exits 0.
#include <fmt/format.h>

#include <filesystem>

#include "reports/history_audit.hpp"
#include "reports/report_writers.hpp"
#include "verifier/cli/cli.hpp"
#include "verifier/cli/commands.hpp"
#include "verifier/core/timestamp.hpp"

namespace dp::cli {
namespace {

namespace fs = std::filesystem;

struct StatusArgs {
  std::string dir;
  std::string max_age;
  std::string prometheus;
  std::string now;
  CLI::App* sub = nullptr;
};

int finish(const reports::NagiosStatus& status) {
  fmt::print("{}\n", status.line);
  return static_cast<int>(status.state);
}

int unknown(const std::string& why) { return finish(reports::nagios_unknown(why)); }

// write_atomically writes a unique temporary file in FILE's directory
// (FILE.tmp.XXXXXX, which the textfile collector, reading only *.prom,
// never scrapes), fsyncs it and renames it over FILE: concurrent writers
// never rename each other's half-written file, and none is left behind.
std::optional<std::string> write_prometheus(const fs::path& file, const reports::History& history) {
  auto written = reports::write_atomically(file, reports::prometheus_metrics(history));
  if (written) return std::nullopt;
  return written.error().message;
}

int status_command(const StatusArgs& args) {
  auto extras = args.sub->remaining();
  if (!extras.empty()) return unknown(fmt::format("unexpected argument '{}'", extras.front()));
  if (args.dir.empty()) return unknown("usage: drillproof status DIR --max-age DURATION");
  if (args.max_age.empty()) return unknown("--max-age is required (e.g. --max-age 26h)");
  if (args.sub->count("--prometheus") > 0 && args.prometheus.empty())
    return unknown("--prometheus needs a FILE");
  if (args.sub->count("--now") > 0 && args.now.empty()) return unknown("--now needs a TIMESTAMP");
  auto max_age = parse_duration(args.max_age);
  if (!max_age) return unknown("--max-age: " + max_age.error().message);
  if (max_age->count() <= 0) return unknown("--max-age must be longer than 0s");
  if (*max_age > reports::k_max_option_duration)
    return unknown(fmt::format("--max-age {} is longer than 100 years", args.max_age));
  reports::StatusOptions options;
  options.max_age = *max_age;
  options.now = std::chrono::system_clock::now();
  if (!args.now.empty()) {
    auto now = parse_timestamp(args.now);
    if (!now) return unknown("--now: " + now.error().message);
    options.now = *now;
  }

  fs::path file = fs::path(args.dir) / reports::k_history_file;
  std::error_code ec;
  bool exists = fs::exists(file, ec);
  if (ec) return unknown(fmt::format("{}: cannot read: {}", file.string(), ec.message()));
  if (!exists) return unknown(fmt::format("no history: {} does not exist", file.string()));
  auto history = reports::read_history(args.dir);
  if (!history) return unknown(history.error().message);
  auto status = reports::nagios_status(*history, options);
  if (!args.prometheus.empty()) {
    if (auto failed = write_prometheus(args.prometheus, *history)) {
      fmt::print(stderr, "drillproof status: --prometheus: {}\n", *failed);
      // Stale metrics would hide the problem from Prometheus: say so here.
      auto bar = status.line.find(" | ");
      status.line.insert(bar == std::string::npos ? status.line.size() : bar,
                         "; cannot write the --prometheus file");
      if (status.state == reports::NagiosState::ok) {
        status.state = reports::NagiosState::warning;
        status.line.replace(0, std::string("DRILLPROOF OK").size(), "DRILLPROOF WARNING");
      }
    }
  }
  return finish(status);
}

}  // namespace

Runner setup_status(CLI::App& sub) {
  auto args = std::make_shared<StatusArgs>();
  args->sub = &sub;
  // Unknown arguments and missing values reach status_command, which
  // answers UNKNOWN (3) instead of CLI11's exit 2.
  sub.allow_extras();
  sub.add_option("dir", args->dir, "the history directory (holds history.jsonl)");
  sub.add_option("--max-age", args->max_age,
                 "required: WARNING when the last run started longer ago than this, CRITICAL "
                 "at twice it (e.g. 26h for nightly runs)")
      ->type_name("DURATION")
      ->expected(0, 1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  sub.add_option(
         "--prometheus", args->prometheus,
         "also write node_exporter textfile metrics to FILE (atomically, via a unique temporary "
         "file)")
      ->type_name("FILE")
      ->expected(0, 1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  // Hidden (empty group): for tests, which need a fixed clock.
  sub.add_option("--now", args->now, "for testing: evaluate as if it were TIMESTAMP")
      ->type_name("TIMESTAMP")
      ->expected(0, 1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->group("");
  sub.footer(
      "exit codes (Nagios plugin API): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (no history, "
      "unreadable file, or a usage error)");
  return [args] { return status_command(*args); };
}

}  // namespace dp::cli
