#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "verifier/artifacts/manifest.hpp"
#include "verifier/artifacts/pg_manifest.hpp"
#include "verifier/cli/cli.hpp"
#include "verifier/cli/commands.hpp"

namespace dp::cli {
namespace {

struct ManifestArgs {
  std::string path;
  std::string manifest;  // create: --out; verify: the second positional
  std::string algorithm = "xxh3-128";
  unsigned threads = 0;
  bool json = false;
  bool no_parse_wal = false;  // verify of a backup_manifest: skip pg_waldump
};

// One self-rewriting status line on stderr, only when stderr is a terminal,
// redrawn at most ten times a second; erased when the object goes away so
// the report on stdout is not interleaved with it.
class ProgressLine {
 public:
  ProgressLine() : m_enabled(::isatty(STDERR_FILENO) == 1) {}
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ~ProgressLine() {
    if (m_drawn) fmt::print(stderr, "\r\033[K");
  }
  artifacts::Progress callback() {
    if (!m_enabled) return {};
    return [this](std::uint64_t files, std::uint64_t bytes) {
      auto now = std::chrono::steady_clock::now();
      if (m_drawn && now - m_last < std::chrono::milliseconds(100)) return;
      m_last = now;
      m_drawn = true;
      fmt::print(stderr, "\r\033[K{} files, {:.1f} MiB", files,
                 static_cast<double>(bytes) / (1024.0 * 1024.0));
    };
  }

 private:
  bool m_enabled;
  bool m_drawn = false;
  std::chrono::steady_clock::time_point m_last;
};

// Bad paths and unreadable manifests are usage errors (exit 2); a file that
// cannot be read while creating is "could not finish" (exit 3).
int failure_exit(const Error& error, const char* verb) {
  fmt::print(stderr, "drillproof manifest {}: {}\n", verb, error.message);
  return error.code == Errc::invalid_input || error.code == Errc::not_found ? k_exit_usage
                                                                            : k_exit_untestable;
}

int create_command(const ManifestArgs& args) {
  auto algorithm = artifacts::parse_algorithm(args.algorithm);
  if (!algorithm) {
    fmt::print(stderr, "drillproof manifest create: unknown algorithm {}\n", args.algorithm);
    return k_exit_usage;
  }
  std::optional<ProgressLine> progress(std::in_place);
  auto summary = artifacts::create_manifest(args.path, args.manifest,
                                            {*algorithm, args.threads, progress->callback()});
  progress.reset();
  if (!summary) return failure_exit(summary.error(), "create");
  if (args.json) {
    nlohmann::json out = {{"format", "drillproof-manifest-create"},
                          {"version", 1},
                          {"path", args.path},
                          {"manifest", args.manifest},
                          {"algorithm", artifacts::algorithm_name(*algorithm)},
                          {"files", summary->files},
                          {"bytes", summary->bytes},
                          {"self_digest", summary->self_digest}};
    fmt::print("{}\n", out.dump(2));
  } else {
    fmt::print("wrote {}: {} files, {} bytes, {}, self-digest {}\n", args.manifest, summary->files,
               summary->bytes, artifacts::algorithm_name(*algorithm), summary->self_digest);
  }
  return k_exit_ok;
}

void print_json(const ManifestArgs& args, const artifacts::VerifyReport& report) {
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : report.findings)
    findings.push_back(
        {{"kind", artifacts::finding_kind_name(f.kind)}, {"path", f.path}, {"message", f.message}});
  nlohmann::json out = {
      {"format", "drillproof-manifest-verify"},
      {"version", 1},
      {"path", args.path},
      {"manifest", args.manifest},
      {"manifest_format",
       report.format == artifacts::ManifestFormat::pg_backup ? "backup_manifest" : "drillproof"},
      {"algorithm", report.algorithm_label},
      {"ok", report.ok()},
      {"files_checked", report.files_checked},
      {"bytes_checked", report.bytes_checked},
      {"findings", std::move(findings)}};
  fmt::print("{}\n", out.dump(2));
}

int verify_command(const ManifestArgs& args) {
  // PostgreSQL's backup_manifest is recognised by its first key.
  // A manifest that cannot be opened is reported by verify_manifest.
  auto sniffed = artifacts::is_pg_backup_manifest(args.manifest);
  bool is_pg = sniffed && *sniffed;
  std::optional<ProgressLine> progress(std::in_place);
  artifacts::VerifyOptions options{args.threads, progress->callback()};
  artifacts::PgWalParseOptions wal;
  wal.enabled = !args.no_parse_wal;
  auto report = is_pg ? artifacts::verify_pg_manifest(args.path, args.manifest, options, wal)
                      : artifacts::verify_manifest(args.path, args.manifest, options);
  progress.reset();
  if (!report) return failure_exit(report.error(), "verify");
  if (args.json) {
    print_json(args, *report);
  } else {
    for (const auto& f : report->findings)
      fmt::print("{:<16} {}\n", artifacts::finding_kind_name(f.kind), f.message);
    if (report->ok())
      fmt::print("verified: {} matches {} ({} files, {} bytes, {})\n", args.path, args.manifest,
                 report->files_checked, report->bytes_checked, report->algorithm_label);
    else
      fmt::print("NOT VERIFIED: {} finding{} in {} against {}\n", report->findings.size(),
                 report->findings.size() == 1 ? "" : "s", args.path, args.manifest);
  }
  return report->ok() ? k_exit_ok : k_exit_findings;
}

}  // namespace

Runner setup_manifest(CLI::App& sub) {
  sub.require_subcommand(1);
  auto create_args = std::make_shared<ManifestArgs>();
  auto verify_args = std::make_shared<ManifestArgs>();
  CLI::App* create = sub.add_subcommand("create", "write the manifest of a directory tree");
  create->add_option("path", create_args->path, "the directory to describe")->required();
  create->add_option("--out", create_args->manifest, "the manifest file to write")
      ->type_name("FILE")
      ->required();
  create->add_option("--algorithm", create_args->algorithm, "file digest: xxh3-128 or sha256")
      ->check(CLI::IsMember({"xxh3-128", "sha256"}))
      ->capture_default_str();
  CLI::App* verify = sub.add_subcommand(
      "verify",
      "compare a directory tree with its manifest (drillproof's, or PostgreSQL's backup_manifest "
      "of a pg_basebackup directory)");
  verify->add_option("path", verify_args->path, "the directory to check")->required();
  verify
      ->add_option("manifest", verify_args->manifest,
                   "the manifest file: drillproof's, or a pg_basebackup's DIR/backup_manifest")
      ->required();
  verify->add_flag("--no-parse-wal", verify_args->no_parse_wal,
                   "backup_manifest: do not parse the WAL records with pg_waldump (like "
                   "pg_verifybackup -n); segments are still checked by file");
  for (auto [app, args] :
       {std::pair{create, create_args.get()}, std::pair{verify, verify_args.get()}}) {
    app->add_option("--threads", args->threads, "hashing threads (default: one per core)")
        ->check(CLI::Range(1u, 256u));
    app->add_flag("--json", args->json, "print the result as JSON on stdout");
  }
  sub.footer(
      "exit codes: 0 every file matches; 1 findings (missing, extra, changed, resized, "
      "unreadable files, an edited manifest, missing or unparsable WAL of a pg_basebackup), each "
      "named; 2 usage "
      "error (no such directory, "
      "unreadable or malformed manifest); 3 a file could not be read while creating");
  return [create, create_args, verify_args] {
    return create->parsed() ? create_command(*create_args) : verify_command(*verify_args);
  };
}

}  // namespace dp::cli
