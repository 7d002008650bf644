// drillproof wal check ARCHIVE [--from SEGMENT | --backup DIR] [--json]:
// WAL archive continuity without restoring (docs/wal.md).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "verifier/artifacts/pg_waldump.hpp"
#include "verifier/artifacts/wal_archive.hpp"
#include "verifier/cli/cli.hpp"
#include "verifier/cli/commands.hpp"
#include "verifier/core/text.hpp"
#include "verifier/core/timestamp.hpp"

namespace dp::cli {
namespace {

struct WalArgs {
  std::string archive;
  std::string from;
  std::string backup;
  bool json = false;
  bool no_read = false;  // --no-parse-wal: no pg_waldump, no latest time
};

std::string plural(std::uint64_t n, const char* word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

std::string gap_text(const artifacts::WalGap& g) {
  return g.count == 1 ? fmt::format("{} missing (timeline {})", g.first_missing, g.timeline)
                      : fmt::format("{} .. {}: {} missing (timeline {})", g.first_missing,
                                    g.last_missing, plural(g.count, "segment"), g.timeline);
}

std::string time_text(const std::optional<TimePoint>& t) {
  return t ? format_timestamp(*t) : std::string("unknown");
}

void print_text(const WalArgs& args, const std::string& start,
                const artifacts::WalArchiveReport& r) {
  std::string tls;
  for (auto t : r.timelines) tls += (tls.empty() ? "" : " -> ") + std::to_string(t);
  fmt::print("WAL archive {} ({} MiB segments), from {}\n", args.archive, r.segment_size >> 20,
             start.empty() ? "its oldest segment" : start);
  fmt::print("timelines followed: {}\n", tls);
  if (r.first_segment.empty())
    fmt::print("contiguous: none (the start segment is missing)\n");
  else
    fmt::print("contiguous: {} .. {}\n", r.first_segment, r.last_segment);
  for (const auto& g : r.gaps) fmt::print("gap: {}\n", gap_text(g));
  for (const auto& p : r.problems) fmt::print("problem: {}\n", p);
  for (const auto& n : r.notes) fmt::print("note: {}\n", n);
  fmt::print("PITR window: {} .. {}\n", time_text(r.earliest), time_text(r.latest));
  if (r.contiguous())
    fmt::print("CONTIGUOUS\n");
  else
    fmt::print("NOT CONTIGUOUS: {}, {}; first missing: {}\n", plural(r.gaps.size(), "gap"),
               plural(r.problems.size(), "problem"),
               r.first_missing().empty() ? "none" : r.first_missing());
}

void print_json(const WalArgs& args, const std::string& start,
                const artifacts::WalArchiveReport& r) {
  nlohmann::json gaps = nlohmann::json::array();
  for (const auto& g : r.gaps)
    gaps.push_back({{"timeline", g.timeline},
                    {"first_missing", g.first_missing},
                    {"last_missing", g.last_missing},
                    {"count", g.count}});
  auto when = [](const std::optional<TimePoint>& t) {
    return t ? nlohmann::json(format_timestamp(*t)) : nlohmann::json(nullptr);
  };
  nlohmann::json out = {{"format", "drillproof-wal-check"},
                        {"version", 1},
                        {"archive", args.archive},
                        {"start_segment", start},
                        {"segment_size", r.segment_size},
                        {"timelines", r.timelines},
                        {"first_segment", r.first_segment},
                        {"last_segment", r.last_segment},
                        {"contiguous", r.contiguous()},
                        {"first_missing", r.first_missing()},
                        {"gaps", std::move(gaps)},
                        {"problems", r.problems},
                        {"notes", r.notes},
                        {"earliest", when(r.earliest)},
                        {"latest", when(r.latest)}};
  fmt::print("{}\n", out.dump(2));
}

int usage(const std::string& message) {
  fmt::print(stderr, "drillproof wal check: {}\n", message);
  return k_exit_usage;
}

int check_command(const WalArgs& args) {
  artifacts::WalArchiveQuery q;
  int major = 0;
  if (!args.backup.empty()) {
    auto start = artifacts::backup_label_start_segment(args.backup);
    if (!start) return usage(start.error().message);
    q.start_segment = *start;
    major = artifacts::pg_data_major(args.backup);
  } else {
    q.start_segment = args.from;
  }
  std::string waldump_note;
  if (!args.no_read) {
    auto found = artifacts::find_pg_waldump(major);
    if (found)
      q.pg_waldump = *found;
    else
      waldump_note = "latest time not read: " +
                     found.error().message.substr(0, found.error().message.find('\n'));
  }
  auto report = artifacts::scan_wal_archive(args.archive, q);
  if (!report) {
    if (report.error().code == Errc::invalid_input || report.error().code == Errc::not_found)
      return usage(report.error().message);
    fmt::print(stderr, "drillproof wal check: {}\n", report.error().message);
    return k_exit_untestable;
  }
  if (!waldump_note.empty()) report->notes.push_back(waldump_note);
  if (args.json)
    print_json(args, q.start_segment, *report);
  else
    print_text(args, q.start_segment, *report);
  return report->contiguous() ? k_exit_ok : k_exit_findings;
}

}  // namespace

Runner setup_wal(CLI::App& sub) {
  sub.require_subcommand(1);
  auto args = std::make_shared<WalArgs>();
  CLI::App* check = sub.add_subcommand(
      "check",
      "check that a WAL archive is contiguous from a base backup's start to its newest segment, "
      "following timeline history files, and report the PITR window; restores nothing");
  check->add_option("archive", args->archive, "the archive directory (archive_command's target)")
      ->required();
  auto* from = check->add_option("--from", args->from,
                                 "the first segment needed, e.g. 000000010000000000000002 "
                                 "(default: the oldest in the archive)");
  from->type_name("SEGMENT");
  auto* backup = check->add_option("--backup", args->backup,
                                   "a pg_basebackup directory: start at its backup_label's "
                                   "START WAL segment");
  backup->type_name("DIR");
  from->excludes(backup);
  check->add_flag("--no-parse-wal", args->no_read,
                  "do not run pg_waldump (the latest reachable time is then unknown)");
  check->add_flag("--json", args->json, "print the result as JSON on stdout");
  sub.footer(
      "exit codes: 0 contiguous; 1 gaps or damaged segments, each named; 2 usage error (no such "
      "directory, bad segment name, no backup_label); 3 the archive could not be read");
  return [args] { return check_command(*args); };
}

}  // namespace dp::cli
