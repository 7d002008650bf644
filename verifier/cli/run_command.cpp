#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "reports/bundle.hpp"
#include "reports/history.hpp"
#include "reports/report_writers.hpp"
#include "reports/signing.hpp"
#include "verifier/cli/cli.hpp"
#include "verifier/cli/commands.hpp"
#include "verifier/core/sha256.hpp"
#include "verifier/core/signals.hpp"
#include "verifier/core/text.hpp"
#include "verifier/run/execute.hpp"

namespace dp::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* k_sign_key_env = "DRILLPROOF_SIGN_KEY";

struct RunArgs {
  std::string plan_file;
  RunSettings settings;
  std::vector<std::string> only;
  int jobs = 1;
  bool keep_scratch = false;
  std::string run_as;
};

int run_command(const RunArgs& args) {
  plan::Options options{args.only, args.jobs, args.keep_scratch, args.run_as};
  auto plan = load_plan(args.plan_file, options);
  if (!plan) return k_exit_usage;
  return run_plan(*plan, args.settings);
}

std::string new_run_id(std::chrono::system_clock::time_point started) {
  std::random_device random;
  return fmt::format("{}-{:08x}", format_utc_compact(started), random());
}

// The key is loaded before anything starts: a bad key is a usage error, not
// a drill that ran for an hour and then could not be signed.
Result<std::optional<reports::SigningKey>> resolve_key(const RunSettings& settings) {
  std::string file = settings.sign_key;
  if (file.empty())
    if (const char* env = std::getenv(k_sign_key_env)) file = env;
  if (file.empty()) {
    if (settings.require_signature)
      return make_error(Errc::invalid_input,
                        fmt::format("--require-signature: no signing key; pass --sign-key FILE or "
                                    "set {} (create one with `drillproof keygen --out DIR`)",
                                    k_sign_key_env));
    return std::optional<reports::SigningKey>();
  }
  auto key = reports::SigningKey::load(file);
  if (!key) return Unexpected<Error>(std::move(key).error());
  return std::optional<reports::SigningKey>(std::move(*key));
}

void warn_unsigned() {
  fmt::print(stderr,
             "drillproof: WARNING: this run is UNSIGNED; its reports cannot be verified as "
             "untouched evidence.\n"
             "drillproof: WARNING: create a key with `drillproof keygen --out DIR` and pass "
             "--sign-key DIR/drillproof-signing.key (or set {}).\n",
             k_sign_key_env);
}

}  // namespace

int run_plan(const plan::Plan& plan, const RunSettings& settings) {
  auto key = resolve_key(settings);
  if (!key) {
    fmt::print(stderr, "drillproof: {}\n", key.error().message);
    return k_exit_usage;
  }
  // The digest of the bytes that were parsed; reading the file again could
  // describe an edit made since.
  auto plan_digest =
      plan.digest.empty() ? sha256_file_hex(plan.file) : Result<std::string>(plan.digest);
  if (!plan_digest) {
    fmt::print(stderr, "drillproof: {}\n", plan_digest.error().message);
    return k_exit_usage;
  }
  const fs::path history_dir =
      settings.history.empty() ? plan.settings.history : fs::path(settings.history);
  if (!*key) warn_unsigned();

  auto started = std::chrono::system_clock::now();
  fs::path out = settings.out.empty() ? fs::path("drillproof-report") / format_utc_compact(started)
                                      : fs::path(settings.out);
  std::error_code ec;
  out = fs::absolute(out, ec).lexically_normal();

  install_interrupt_handlers();
  bool tty = ::isatty(STDERR_FILENO) == 1;
  run::RunOptions run_options;
  if (tty)
    run_options.progress = [](std::string_view line) {
      fmt::print(stderr, "\033[2m[drillproof]\033[0m {}\n", line);
    };
  reports::RunReport report = run::execute(plan, run_options);
  report.run_id = new_run_id(report.started);
  report.plan_digest = "sha256:" + *plan_digest;
  report.scope = plan.only;
  if (*key) report.signer = {true, (*key)->fingerprint()};

  std::vector<reports::HistoryEntry> earlier;
  if (!history_dir.empty()) {
    auto history = reports::read_history(history_dir);
    if (history) {
      earlier = std::move(history->entries);
      for (const auto& p : history->problems)
        fmt::print(stderr, "drillproof: warning: {}: {}\n",
                   (history_dir / reports::k_history_file).string(), p.message);
    } else {
      fmt::print(stderr, "drillproof: warning: {}\n", history.error().message);
    }
  }
  reports::HtmlOptions html;
  html.history = earlier;
  html.expect_every = plan.settings.expect_every;

  Result<void> recorded;
  std::string manifest_digest;
  auto written = reports::write_reports(report, out, html);
  if (written) {
    auto bundle = reports::write_bundle(out, report, *written, *key ? &**key : nullptr);
    if (bundle) {
      manifest_digest = bundle->manifest_digest;
      if (!history_dir.empty()) {
        auto appended = reports::append_history(
            history_dir, reports::history_entry(report, manifest_digest, out.string()));
        if (!appended) recorded = Unexpected<Error>(std::move(appended).error());
      }
    } else {
      recorded = Unexpected<Error>(std::move(bundle).error());
    }
  } else {
    recorded = Unexpected<Error>(std::move(written).error());
  }

  fmt::print("{}", reports::render_summary(report, ::isatty(STDOUT_FILENO) == 1));
  for (const auto& b : report.backups)
    if (!b.scratch.empty()) fmt::print("scratch instance of '{}' kept:\n  {}\n", b.name, b.scratch);
  if (!recorded) {
    fmt::print(stderr, "drillproof: cannot record the run: {}\n", recorded.error().message);
    // A missed check still outranks "could not finish" (exit 1 over 3).
    return reports::exit_code(report) == k_exit_findings ? k_exit_findings : k_exit_untestable;
  }
  fmt::print("reports: {}\n", out.string());
  if (*key)
    fmt::print("signed: {} ({}), key sha256:{}\n", reports::k_manifest_file, manifest_digest,
               (*key)->fingerprint());
  else
    warn_unsigned();
  if (!history_dir.empty())
    fmt::print("history: {}\n", (history_dir / reports::k_history_file).string());
  return reports::exit_code(report);
}

Runner setup_run(CLI::App& sub) {
  auto args = std::make_shared<RunArgs>();
  sub.add_option("plan", args->plan_file, "the plan file (TOML)")->required();
  sub.add_option("--out", args->settings.out,
                 "report directory (default ./drillproof-report/<UTC timestamp>/)");
  sub.add_option("--only", args->only, "drill only the backup or catalog NAME (repeatable)")
      ->type_name("NAME")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sub.add_option("--jobs,-j", args->jobs, "backups drilled at the same time (default 1)")
      ->check(CLI::PositiveNumber);
  sub.add_flag("--keep-scratch", args->keep_scratch,
               "leave scratch instances running and print how to connect");
  sub.add_option("--run-as", args->run_as,
                 "when root, run database servers as this user (default: [plan] run_as, "
                 "else postgres)");
  sub.add_option("--sign-key", args->settings.sign_key,
                 "Ed25519 private key (PEM, mode 0600) that signs the report bundle "
                 "(default: $DRILLPROOF_SIGN_KEY)")
      ->type_name("FILE");
  sub.add_flag("--require-signature", args->settings.require_signature,
               "refuse to run unsigned (exit 2) when no signing key is given");
  sub.add_option("--history", args->settings.history,
                 "append this run to DIR/history.jsonl (default: [plan] history)")
      ->type_name("DIR");
  return [args] { return run_command(*args); };
}

}  // namespace dp::cli
