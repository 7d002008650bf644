#pragma once
// A RunReport covering every status, shared by the renderer tests:
//   orders  passed  (provision, restore, checks, teardown; rto met; 3 checks)
//   users   failed  (rto met; row_count misses with a finding; 1 check passes)
// make_mixed_report() adds an errored and a skipped backup with hostile text.
#include <chrono>
#include <optional>
#include <string>

#include "reports/run_report.hpp"

namespace dp::reports::testing {

using namespace std::chrono_literals;

inline std::chrono::system_clock::time_point at(std::chrono::seconds since_midnight) {
  using namespace std::chrono;
  return sys_days{2026y / 11 / 21} + since_midnight;
}

inline PhaseResult phase(std::string name, Status status, Millis started, Millis duration,
                         std::string message = {}, std::string stderr_tail = {}) {
  PhaseResult p;
  p.name = std::move(name);
  p.status = status;
  p.started = started;
  p.duration = duration;
  p.message = std::move(message);
  p.stderr_tail = std::move(stderr_tail);
  return p;
}

inline CheckResult check(std::string name, std::string type, Status status, std::string expected,
                         std::string observed, Millis duration = 5ms) {
  CheckResult c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.status = status;
  c.expected = std::move(expected);
  c.observed = std::move(observed);
  c.duration = duration;
  return c;
}

inline ObjectiveResult rto(Status status, Millis objective, std::optional<Millis> achieved,
                           std::string message) {
  ObjectiveResult o;
  o.name = "rto";
  o.status = status;
  o.objective = objective;
  o.achieved = achieved;
  o.message = std::move(message);
  return o;
}

inline BackupResult orders_backup() {
  BackupResult b;
  b.name = "orders";
  b.engine = "postgres";
  b.path = "/backups/orders.dump";
  b.format = "pg_dump custom";
  b.server_version = "15.5";
  b.status = Status::passed;
  b.started = at(3h + 0min + 1s);
  b.duration = 6543ms;
  b.phases = {phase("provision", Status::passed, 0ms, 1200ms),
              phase("restore", Status::passed, 1200ms, 4210ms, {}, "pg_restore: done\n"),
              phase("checks", Status::passed, 5410ms, 900ms),
              phase("teardown", Status::passed, 6310ms, 233ms)};
  b.objectives = {rto(Status::passed, 15min, 4210ms, "restored in 4.210s, objective 15m")};
  b.checks = {check("orders_rows", "row_count", Status::passed, ">= 1", "1200"),
              check("no_orphans", "query", Status::passed, "0", "0"),
              check("schema", "schema", Status::passed, "", "")};
  return b;
}

inline BackupResult users_backup() {
  BackupResult b;
  b.name = "users";
  b.engine = "sqlite";
  b.path = "/backups/users.db";
  b.format = "sqlite database";
  b.server_version = "3.40.1";
  b.status = Status::failed;
  b.started = at(3h + 0min + 8s);
  b.duration = 500ms;
  b.phases = {phase("provision", Status::passed, 0ms, 20ms),
              phase("restore", Status::passed, 20ms, 101ms),
              phase("checks", Status::failed, 121ms, 300ms),
              phase("teardown", Status::passed, 421ms, 10ms)};
  b.objectives = {rto(Status::passed, 30min, 101ms, "restored in 0.101s, objective 30m")};
  CheckResult rows = check("row_count", "row_count", Status::failed, "= 100", "99");
  rows.message = "main.users: 99 rows, expected = 100";
  rows.findings = {Finding{"row_count", "main.users", Severity::error,
                           "expected = 100, observed 99", "SELECT count(*) FROM main.users -> 99"}};
  b.checks = {std::move(rows), check("integrity", "integrity", Status::passed, "ok", "ok")};
  return b;
}

// The two-backup run of docs/report.md: one passed, one failed.
inline RunReport make_report() {
  RunReport r;
  r.plan_name = "shop nightly";
  r.plan_owner = "dba-team";
  r.plan_file = "/etc/drillproof/shop.toml";
  r.tool_version = "0.1.0";
  r.host = "drill-01";
  r.started = at(3h);
  r.finished = r.started + 12345ms;
  r.backups = {orders_backup(), users_backup()};
  return r;
}

inline constexpr const char* k_hostile = "<script>&\"'\x01";

// make_report() plus a backup that could not be tested (restore error, with
// hostile text everywhere) and one skipped backup.
inline RunReport make_mixed_report() {
  RunReport r = make_report();
  BackupResult bad;
  bad.name = std::string("billing ") + k_hostile;
  bad.engine = "postgres";
  bad.path = std::string("/backups/") + k_hostile + ".dump";
  bad.format = "pg_dump custom";
  bad.server_version = "16.1";
  bad.status = Status::error;
  bad.started = at(3h + 0min + 9s);
  bad.duration = 2000ms;
  bad.phases = {phase("provision", Status::passed, 0ms, 900ms),
                phase("restore", Status::error, 900ms, 1000ms,
                      std::string("pg_restore exited with status 1 ") + k_hostile + "\nsecond line",
                      "pg_restore: error: could not read \xC3\x28 input file <eof> & \x1b[31m\n"),
                phase("checks", Status::skipped, 1900ms, 0ms, "restore failed"),
                phase("teardown", Status::passed, 1900ms, 100ms)};
  bad.objectives = {rto(Status::skipped, 15min, std::nullopt, "not measured: restore failed")};
  CheckResult hostile_check = check(k_hostile, "query", Status::skipped, "0", "");
  hostile_check.message = "restore failed";
  bad.checks = {std::move(hostile_check)};
  bad.scratch = "psql -h /tmp/dp-scratch-1 -p 5432 billing";

  BackupResult skipped;
  skipped.name = "archive";
  skipped.engine = "sqlite";
  skipped.path = "/backups/archive.db";
  skipped.format = "sqlite database";
  skipped.status = Status::skipped;
  skipped.started = at(3h + 0min + 11s);
  skipped.phases = {phase("provision", Status::skipped, 0ms, 0ms, "run interrupted")};

  r.backups.push_back(std::move(bad));
  r.backups.push_back(std::move(skipped));
  return r;
}

}  // namespace dp::reports::testing
