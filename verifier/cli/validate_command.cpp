#include <fmt/format.h>

#include "checks/registry.hpp"
#include "drills/backup_format.hpp"
#include "drills/pg_scratch.hpp"
#include "verifier/cli/cli.hpp"
#include "verifier/cli/commands.hpp"
#include "verifier/cli/failover_text.hpp"

namespace dp::cli {
namespace {

struct ValidateArgs {
  std::string plan_file;
  std::vector<std::string> only;
};

std::string objective(const std::optional<Millis>& d) { return d ? format_duration(*d) : "-"; }

// Catalogs are checked before the drills, without a server.
void print_catalogs(const plan::Plan& plan) {
  if (plan.catalogs.empty()) return;
  fmt::print("{} catalog{}, checked first\n", plan.catalogs.size(),
             plan.catalogs.size() == 1 ? "" : "s");
  for (const auto& c : plan.catalogs) {
    fmt::print("  -  {}  [catalog]  {}/{}\n", c.name, c.path.string(), c.pattern);
    fmt::print("       time     {}, {}\n",
               c.time_from_mtime ? std::string("modification time")
                                 : fmt::format("from name \"{}\"", c.name_time),
               c.timezone);
    for (const auto& r : c.require) fmt::print("       require  {}\n", r.text);
    if (c.max_age) fmt::print("       max_age  {}\n", format_duration(*c.max_age));
    if (!c.offsite.empty()) fmt::print("       offsite  {}\n", c.offsite.string());
  }
}

int validate_command(const ValidateArgs& args) {
  auto plan = load_plan(args.plan_file, plan::Options{args.only, 1, false, ""});
  if (!plan) return k_exit_usage;
  if (plan->jobs.empty() && !plan->services.empty())
    fmt::print("plan \"{}\" ({}): no backups\n", plan->settings.name, plan->file);
  else
    fmt::print("plan \"{}\" ({}): {} backup{}, drilled in this order\n", plan->settings.name,
               plan->file, plan->jobs.size(), plan->jobs.size() == 1 ? "" : "s");
  int step = 0;
  for (const auto& job : plan->jobs) {
    const auto& b = job.backup;
    auto format = drills::detect_format(b.engine, b.path);
    std::string format_text = format ? drills::format_name(*format) : "unrecognised";
    fmt::print("{:>3}. {}  [{}, {}]  rto {}  rpo {}\n", ++step, b.name, engine_kind_name(b.engine),
               format_text, objective(job.rto), objective(job.rpo));
    fmt::print("       restore  {}\n", b.path.string());
    if (b.engine == EngineKind::postgres) {
      std::string tool = format && drills::is_pg_basebackup(*format)
                             ? "its own data directory (copied, WAL replayed)"
                         : format && (*format == drills::BackupFormat::pg_plain ||
                                      *format == drills::BackupFormat::pg_plain_gz)
                             ? "psql -v ON_ERROR_STOP=1"
                         : format && *format == drills::BackupFormat::pg_tar
                             ? "pg_restore"
                             : fmt::format("pg_restore -j {}", job.restore_jobs);
      fmt::print("       into     scratch PostgreSQL, database \"{}\", with {}, within {}\n",
                 b.database, tool, format_duration(job.restore_timeout));
    } else {
      fmt::print("       into     scratch SQLite file ({})\n",
                 format && *format == drills::BackupFormat::sqlite_db ? "copied" : "loaded");
    }
    for (const auto& c : b.checks) fmt::print("       check    {} ({})\n", c.name, c.type);
  }
  print_catalogs(*plan);
  if (std::any_of(plan->jobs.begin(), plan->jobs.end(),
                  [](const auto& j) { return j.backup.engine == EngineKind::postgres; })) {
    auto bin = drills::find_pg_binaries(plan->settings.pg_bindir);
    if (bin)
      fmt::print("PostgreSQL server: {} ({})\n", bin->version, bin->bindir.string());
    else
      fmt::print("warning: {}\n", bin.error().message);
  }
  fmt::print("{}", describe_failover(*plan));
  fmt::print("plan is valid; nothing was started\n");
  return k_exit_ok;
}

}  // namespace

Runner setup_validate(CLI::App& sub) {
  auto args = std::make_shared<ValidateArgs>();
  sub.add_option("plan", args->plan_file, "the plan file (TOML)")->required();
  sub.add_option("--only", args->only, "consider only the backup or catalog NAME (repeatable)")
      ->type_name("NAME");
  return [args] { return validate_command(*args); };
}

}  // namespace dp::cli
