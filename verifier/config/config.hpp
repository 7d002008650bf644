#pragma once
// TOML plan file -> typed Config (CONVENTIONS §5). No toml++ type leaves this
// folder. load() validates in the same pass and reports every problem at once
// as file:line:col diagnostics, sorted by position; nothing is started.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "verifier/core/check_spec.hpp"
#include "verifier/core/duration.hpp"
#include "verifier/core/engine_kind.hpp"
#include "verifier/core/result.hpp"

namespace dp::config {

struct Diagnostic {
  SourcePos pos;
  std::string message;
  // "plan.toml:12:3: message" (line/column omitted when unknown).
  std::string format() const;
};
using Diagnostics = std::vector<Diagnostic>;

struct Objectives {
  std::optional<Millis> rto;
  std::optional<Millis> rpo;
};

struct PlanSettings {
  std::string name;
  std::string owner;
  Objectives objectives;  // defaults for every backup
  std::string pg_bindir;  // empty: pg_config --bindir, else newest /usr/lib/postgresql/*/bin
  // Folder with mariadbd/mysqld, mariadb-install-db, mariadb, mariadb-backup;
  // empty: PATH, then /usr/sbin and /usr/bin.
  std::string mysql_bindir;
  std::string run_as;            // server user when run as root; empty: "postgres", "mysql"
  Millis start_timeout{60'000};  // scratch server readiness deadline
  Millis restore_timeout{3'600'000};
  Millis check_timeout{300'000};  // per check statement
  // Run history directory (history.jsonl); --history overrides; empty: none.
  std::filesystem::path history;
  Millis expect_every{24 * 3'600'000};  // the drill's schedule, for the run calendar
  SourcePos pos;
};

// Point-in-time recovery of one backup: its base (a pg_basebackup, or a
// MySQL/MariaDB dump or mariadb-backup) plus archived logs replayed up to a
// target. Set when the [[backup]] has `wal_archive` or `binlog_archive`.
// At most one of target_time, target_lsn, target_name, target_position is
// set; none of them (or target = "latest") replays everything archived.
struct PitrConfig {
  std::filesystem::path wal_archive;     // postgres: archived WAL segments (only read)
  std::filesystem::path binlog_archive;  // mysql: binary log files (only read)
  std::optional<std::chrono::system_clock::time_point> target_time;
  std::string target_lsn;        // postgres, "0/3000060"
  std::string target_name;       // postgres, a pg_create_restore_point() name
  std::string target_position;   // mysql, "<binlog file>:<position>"
  bool target_inclusive = true;  // stop after (true) or before the target
  // pitr_targets: restore N more times, each to a random time inside the
  // archive's window; 0: only the target above.
  int sample_targets = 0;
  std::optional<std::uint64_t> seed;  // pitr_seed; none: drawn, and recorded in the report
  // SQL returning one timestamp: the newest committed change present after
  // recovery (a marker table's max(written_at)); empty: not measured.
  std::string recovery_point_query;
  SourcePos pos;  // the [[backup]] table
};

struct BackupConfig {
  std::string name;
  EngineKind engine = EngineKind::postgres;
  std::filesystem::path path;  // absolute; relative paths resolve against the plan's folder
  std::string database;        // database restored into (postgres, mysql); default "restored"
  Objectives objectives;       // as written; plan::build applies plan defaults
  std::optional<Millis> restore_timeout;
  std::optional<int> restore_jobs;  // pg_restore -j; default: number of cores
  std::vector<std::string> roles;   // roles created before restoring (dumps that name owners)
  std::filesystem::path snapshot;   // expected state (drillproof snapshot); empty: none
  // A drillproof manifest (docs/manifest.md) of the backup: of `path` when it
  // is a directory, else of the directory holding it. Verified before the
  // restore; empty: none.
  std::filesystem::path manifest;
  // The live source for narrowing fingerprint differences: a libpq
  // connection string (postgres), "socket=... database=... [user=...]"
  // (mysql) or a database file (sqlite); empty: none.
  std::string source;
  // What moment the backup represents, for freshness: "dump" (the archive's
  // own header time), "file" (modification time) or a UTC timestamp.
  std::string reference_time = "dump";
  std::vector<CheckSpec> checks;
  SourcePos pos;
  // postgres: what `path` must be, "dump" (pg_dump output) or "basebackup"
  // (pg_basebackup); empty: recognised from the content alone.
  std::string format;
  // postgres base backups: verify their own backup_manifest before the
  // restore (when they have one and `manifest` names no other).
  bool verify_manifest = true;
  // Point-in-time recovery (docs/plan.md "Point-in-time recovery"); none:
  // the backup is restored as it is.
  std::optional<PitrConfig> pitr;
  // postgres base backups: the manifest verification also decodes the WAL
  // records of backup_manifest's WAL-Ranges with pg_waldump (as
  // pg_verifybackup does; false: like its -n).
  bool parse_wal = true;
};

// A retention rule of a [[catalog]] (docs/plan.md): "daily 35d" asks for a
// backup in each of the last 35 calendar days.
enum class CatalogPeriod { hour, day, week, month, year };
struct CatalogRequirement {
  CatalogPeriod period = CatalogPeriod::day;
  int count = 1;     // periods in the window
  std::string text;  // as written: "daily 35d"; the report's check name
};

// A directory of dated backups, checked for retention coverage without
// restoring anything.
struct CatalogConfig {
  std::string name;
  std::filesystem::path path;    // absolute; relative paths resolve against the plan's folder
  std::string pattern;           // glob over paths relative to `path` ("shop-*.dump", "*/*/*")
  bool time_from_mtime = false;  // time_from = "mtime"; default "name"
  std::string name_time;         // NameTimeFormat text; set when time_from = "name"
  std::string timezone = "UTC";  // TimeZone text: names and calendar days are read in it
  std::vector<CatalogRequirement> require;
  std::optional<Millis> max_age;  // the newest backup must be younger
  std::filesystem::path offsite;  // copy compared by manifest; empty: none
  SourcePos pos;
};

// A [[blob_store]]: blobs kept outside the database (docs/plan.md), which
// blob_refs checks name.
struct BlobStoreConfig {
  std::string name;
  std::string kind = "dir";        // the only kind so far: one file per key
  std::filesystem::path path;      // absolute; relative paths resolve against the plan's folder
  std::filesystem::path manifest;  // a drillproof manifest of `path`; empty: walk `path`
  bool check_files = true;         // false: the manifest alone is trusted (needs one)
  SourcePos pos;
};

// A command a failover step runs (docs/plan.md "Services"). Written as an
// argv array, or as a table { command, env, cwd, shell }; with shell = true
// `command` is one string and argv is {"/bin/sh", "-c", command}.
struct ActionConfig {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;
  std::filesystem::path cwd;  // empty: drillproof's; relative resolves against the plan's folder
  bool shell = false;
  SourcePos pos;
};

enum class ProbeKind { tcp, http, sql, cmd };
const char* probe_kind_name(ProbeKind k);

// How a service shows it is up: `success_threshold` consecutive passes of a
// probe run every `interval`, each given `timeout`.
struct HealthConfig {
  ProbeKind type = ProbeKind::cmd;
  std::string host;  // tcp, http
  int port = 0;      // tcp, http
  std::string url;   // http, as written
  std::string path;  // http request target ("/health")
  int expect_status = 200;
  EngineKind engine = EngineKind::postgres;  // sql
  std::string connection;                    // sql: libpq string, mysql "socket=...", sqlite file
  std::string query = "SELECT 1";            // sql
  std::optional<std::string> expect;         // sql: first column of the first row
  std::vector<std::string> command;          // cmd: argv, exit 0 passes
  Millis interval{1000};
  Millis timeout{1000};
  int success_threshold = 1;
  SourcePos pos;
};

// RPO marker writer: (seq, written_at) rows written to `write` until the
// disaster, read back from `read` after failover.
struct MarkerConfig {
  EngineKind engine = EngineKind::postgres;  // postgres or mysql
  std::string write;
  std::string read;  // default: write
  std::string table = "drillproof_rpo_markers";
  Millis interval{200};
  SourcePos pos;
  // How long markers are written before the disaster (at least one must be
  // acknowledged, waiting up to 10 s for it).
  Millis warmup{2000};
};

struct ServiceConfig {
  std::string name;
  std::vector<std::string> depends_on;
  std::optional<ActionConfig> disaster;
  ActionConfig failover;
  std::optional<ActionConfig> failback;  // required when the failback phase runs
  std::optional<ActionConfig> drain;
  Millis timeout{300'000};  // per step: action plus reaching the health threshold
  std::optional<Millis> rto;
  std::optional<Millis> rpo;
  HealthConfig health;
  std::optional<MarkerConfig> marker;
  SourcePos pos;
};

// [failover]: settings of the whole failover/failback drill.
struct FailoverSettings {
  std::optional<Millis> deadline;  // aborts the drill; none: only step timeouts
  bool failback = true;            // phases include "failback"
  SourcePos pos;
};

struct Config {
  std::filesystem::path file;
  // sha256 hex of the bytes that were parsed (load() only): the report's
  // plan digest, so it cannot describe a file edited after it was read.
  std::string digest;
  PlanSettings plan;
  std::vector<BackupConfig> backups;
  std::vector<CatalogConfig> catalogs;  // [[catalog]]
  std::vector<BlobStoreConfig> blob_stores;
  FailoverSettings failover;
  std::vector<ServiceConfig> services;  // in file order; the dependency graph is acyclic
};

// Reads and validates `file`. `kinds` is the check registry's catalogue: a
// check whose type is not in it, or whose keys break its rules, is a
// diagnostic. Returns every diagnostic found, sorted by line and column.
Result<Config, Diagnostics> load(const std::filesystem::path& file,
                                 std::span<const CheckKindInfo> kinds);

// The same, from text already in memory (`file` is used for messages and to
// resolve relative paths).
Result<Config, Diagnostics> parse(std::string_view text, const std::filesystem::path& file,
                                  std::span<const CheckKindInfo> kinds);

}  // namespace dp::config
