#pragma once
// The finished result of one run, as every renderer sees it. Plain values:
// run/ and drills/ fill it in, reports/ only render it (CONVENTIONS §6).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reports/failover_result.hpp"
#include "verifier/core/duration.hpp"
#include "verifier/core/finding.hpp"

namespace dp::reports {

// passed: verified; failed: tested and missed (JUnit failure); error: could
// not be tested (JUnit error); skipped: an earlier failure made it impossible.
enum class Status { passed, failed, error, skipped };
const char* status_name(Status s);

inline constexpr int k_report_format_version = 1;

struct PhaseResult {
  std::string name;  // "provision", "restore", "checks", "teardown"
  Status status = Status::passed;
  Millis started{0};  // offset from the backup drill's start
  Millis duration{0};
  std::string message;      // why it failed; empty when passed
  std::string stderr_tail;  // the tool's last lines of stderr, when a tool ran
};

// One table or object of a check reported per object (schema, row_counts,
// fingerprint, integrity, foreign_keys): its own JUnit testcase.
struct ObjectResult {
  std::string name;  // "public.orders"
  Status status = Status::passed;
  std::string message;
  std::vector<Finding> findings;
};

struct CheckResult {
  std::string name;  // stable across runs; the JUnit testcase name
  std::string type;  // "row_count", "query", ...
  Status status = Status::passed;
  std::string expected;  // as the plan put it: "= 275", ">= 1", "0"
  std::string observed;  // what the database said
  std::string message;
  Millis duration{0};
  std::vector<Finding> findings;
  std::vector<ObjectResult> objects;  // empty for single-value checks
};

// Findings listed in one JUnit failure body; the rest are counted.
inline constexpr std::size_t k_findings_per_case = 20;

struct ObjectiveResult {
  std::string name;                // "rto" (later "rpo")
  Status status = Status::passed;  // skipped when not measured (restore failed)
  std::optional<Millis> objective;
  std::optional<Millis> achieved;
  std::string message;  // "restored in 4m12s, objective 15m"
};

// Where one point-in-time recovery landed (docs/report.md "pitr"): the
// target asked for, the point the server reached, and the newest committed
// change found there.
struct PitrResult {
  std::string target;  // "latest", "time 2026-11-21T03:00:00Z", "lsn 0/3000060", ...
  std::optional<std::chrono::system_clock::time_point> target_time;
  bool sampled = false;  // one of the pitr_targets samples
  Status status = Status::passed;
  std::string message;  // why it failed or fell short; empty when passed
  // The end of recovery: postgres pg_last_wal_replay_lsn(), the last replayed
  // commit's time and the timeline; mysql the binlog file:position reached.
  std::string reached_lsn;
  std::optional<std::chrono::system_clock::time_point> reached_time;
  int timeline = 0;
  std::string first_missing;  // the first log segment/file the archive lacks; empty: none
  // recovery_point_query's answer, and target time minus it (the data loss).
  std::optional<std::chrono::system_clock::time_point> recovery_point;
  std::optional<Millis> data_loss;
  Millis duration{0};  // this recovery's restore time
};

struct BackupResult {
  std::string name;
  std::string engine;  // "postgres", "sqlite"
  std::string path;
  std::string format;  // "pg_dump custom", "sqlite database", ...
  std::string server_version;
  Status status = Status::passed;  // the worst of phases, objectives and checks
  std::chrono::system_clock::time_point started{};
  Millis duration{0};
  std::vector<PhaseResult> phases;
  std::vector<ObjectiveResult> objectives;
  std::vector<CheckResult> checks;
  std::string scratch;  // kept scratch instance: how to connect; empty otherwise
  // Point-in-time recoveries: the plan's target first, then the samples;
  // empty when the backup has no archive.
  std::vector<PitrResult> pitr;
  std::optional<std::uint64_t> pitr_seed;  // the seed the samples were drawn with
};

// Who signed the bundle (reports/signing.hpp). The fingerprint is the
// sha256 of the public key's DER SubjectPublicKeyInfo, lowercase hex: what
// `openssl pkey -pubin -outform DER | sha256sum` prints for the .pub file.
struct Signer {
  bool signed_run = false;      // false: unsigned, the reports say so loudly
  std::string key_fingerprint;  // empty when unsigned
};

struct RunReport {
  std::string run_id;  // unique per run: "20261121T020000Z-1a2b3c4d"
  std::string plan_name;
  std::string plan_owner;
  std::string plan_file;
  std::string plan_digest;         // "sha256:<hex>" of the plan file's bytes
  std::vector<std::string> scope;  // --only names; empty: every backup of the plan
  Signer signer;
  std::string tool_version;
  std::string host;
  std::chrono::system_clock::time_point started{};
  std::chrono::system_clock::time_point finished{};
  bool interrupted = false;
  std::vector<BackupResult> backups;
  // The failover/failback drill over the plan's [[service]] graph; none when
  // the plan has no services (reports/failover_result.hpp).
  std::optional<FailoverResult> failover;
};

// The worst status: failed beats error beats skipped beats passed, matching
// the exit code rule "if both 1 and 3 apply, exit 1".
Status overall_status(const RunReport& report);
Status worst(Status a, Status b);
// 0 passed, 1 failed, 3 error or interrupted.
int exit_code(const RunReport& report);

}  // namespace dp::reports
