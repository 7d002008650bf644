// [[backup]] tables -> BackupConfig. Checks that need the engine (database,
// roles, directory backups) run only when the engine was understood, so a
// typo in `engine` gives one message rather than one per dependent key.
#include <fmt/format.h>

#include <algorithm>
#include <system_error>

#include "verifier/config/reader.hpp"
#include "verifier/core/text.hpp"
#include "verifier/core/timestamp.hpp"

namespace dp::config::detail {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view k_where = "[[backup]]";
constexpr std::string_view k_keys[] = {
    "name", "engine", "path", "database", "rto", "rpo", "restore_timeout", "restore_jobs", "roles",
    "check", "snapshot", "source", "reference_time", "manifest", "format", "verify_manifest",
    "parse_wal",
    // read_pitr.cpp
    "wal_archive", "binlog_archive", "target", "target_time", "target_lsn", "target_name",
    "target_position", "target_inclusive", "pitr_targets", "pitr_seed", "recovery_point_query"};
constexpr std::int64_t k_max_restore_jobs = 1024;
constexpr std::size_t k_max_database_name = 63;  // PostgreSQL's NAMEDATALEN - 1

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// [A-Za-z0-9_.-]+: backup names become JUnit test names and file names.
bool is_backup_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return is_word_char(c) || c == '.' || c == '-'; });
}

bool is_database_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_word_char);
}

void read_name(Reader& reader, const toml::table& table, SeenNames& seen, BackupConfig& out) {
  auto name = reader.string(table, "name", k_where, Need::required);
  if (!name) return;
  SourcePos at = reader.pos(*table.get("name"));
  out.name = *name;
  if (!is_backup_name(*name)) {
    reader.report(at, fmt::format("backup name '{}' may only contain letters, digits, '_', '.' "
                                  "and '-'",
                                  *name));
    return;
  }
  auto [it, inserted] = seen.emplace(*name, at.line);
  if (!inserted)
    reader.report(at,
                  fmt::format("duplicate backup name '{}' (first at line {})", *name, it->second));
}

std::optional<EngineKind> read_engine(Reader& reader, const toml::table& table) {
  auto text = reader.string(table, "engine", k_where, Need::required);
  if (!text) return std::nullopt;
  SourcePos at = reader.pos(*table.get("engine"));
  auto kind = parse_engine_kind(*text);
  if (!kind) {
    reader.report(at,
                  fmt::format("unknown engine '{}'; expected postgres, sqlite or mysql", *text));
    return std::nullopt;
  }
  return kind;
}

void check_backup_exists(Reader& reader, SourcePos at, const fs::path& path,
                         std::optional<EngineKind> engine) {
  std::error_code ec;
  fs::file_status status = fs::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory) {
    reader.report(std::move(at),
                  fmt::format("cannot access backup file {}: {}", path.string(), ec.message()));
  } else if (!fs::exists(status)) {
    reader.report(std::move(at), fmt::format("backup file not found: {}", path.string()));
  } else if (fs::is_directory(status) && engine == EngineKind::sqlite) {
    reader.report(std::move(at),
                  fmt::format("sqlite backup must be a file, not a directory: {}", path.string()));
  } else if (!fs::is_directory(status) && !fs::is_regular_file(status)) {
    reader.report(std::move(at),
                  fmt::format("backup path is neither a file nor a directory: {}", path.string()));
  }
}

void read_path(Reader& reader, const toml::table& table, const fs::path& base_dir,
               std::optional<EngineKind> engine, BackupConfig& out) {
  auto text = reader.string(table, "path", k_where, Need::required);
  if (!text) return;
  SourcePos at = reader.pos(*table.get("path"));
  if (text->empty()) {
    reader.report(at, "'path' must not be empty");
    return;
  }
  out.path = (base_dir / fs::path(*text)).lexically_normal();
  check_backup_exists(reader, std::move(at), out.path, engine);
}

void read_database(Reader& reader, const toml::table& table, std::optional<EngineKind> engine,
                   BackupConfig& out) {
  out.database = "restored";
  auto name = reader.string(table, "database", k_where, Need::optional);
  if (!name) return;
  if (engine == EngineKind::sqlite) {
    reader.report(reader.key_pos(table, "database"),
                  "'database' applies to postgres and mysql backups only");
    return;
  }
  SourcePos at = reader.pos(*table.get("database"));
  if (!is_database_name(*name))
    reader.report(
        at, fmt::format("database name '{}' may only contain letters, digits and '_'", *name));
  else if (name->size() > k_max_database_name)
    reader.report(at, fmt::format("database name '{}' is longer than {} characters", *name,
                                  k_max_database_name));
  else
    out.database = *name;
}

void read_jobs(Reader& reader, const toml::table& table, BackupConfig& out) {
  auto jobs = reader.integer(table, "restore_jobs", k_where, Need::optional);
  if (!jobs) return;
  SourcePos at = reader.pos(*table.get("restore_jobs"));
  if (*jobs < 1)
    reader.report(at, fmt::format("'restore_jobs' must be at least 1, got {}", *jobs));
  else if (*jobs > k_max_restore_jobs)
    reader.report(
        at, fmt::format("'restore_jobs' must be at most {}, got {}", k_max_restore_jobs, *jobs));
  else
    out.restore_jobs = static_cast<int>(*jobs);
}

void read_roles(Reader& reader, const toml::table& table, std::optional<EngineKind> engine,
                BackupConfig& out) {
  auto roles = reader.string_list(table, "roles", k_where, Need::optional);
  if (!roles) return;
  if (engine == EngineKind::sqlite || engine == EngineKind::mysql) {
    reader.report(reader.key_pos(table, "roles"), "'roles' applies to postgres backups only");
    return;
  }
  const auto& array = *table.get("roles")->as_array();
  for (std::size_t i = 0; i < roles->size(); ++i) {
    const std::string& role = (*roles)[i];
    SourcePos at = reader.pos(*array.get(i));
    if (role.empty())
      reader.report(std::move(at), "role name must not be empty");
    else if (std::find(roles->begin(), roles->begin() + static_cast<std::ptrdiff_t>(i), role) !=
             roles->begin() + static_cast<std::ptrdiff_t>(i))
      reader.report(std::move(at), fmt::format("duplicate role '{}'", role));
    else
      out.roles.push_back(role);
  }
}

void read_checks(Reader& reader, const toml::table& table, std::span<const CheckKindInfo> kinds,
                 BackupConfig& out) {
  const toml::node* node = table.get("check");
  if (!node) return;
  const auto* array = node->as_array();
  if (!array || (!array->empty() && !array->is_array_of_tables())) {
    reader.report(reader.pos(*node),
                  fmt::format("'check' must be an array of tables: write [[backup.check]], got {}",
                              node->is_table() ? "[backup.check]" : type_name(*node)));
    return;
  }
  SeenNames seen;
  for (const auto& element : *array) {
    CheckRead read = read_check(reader, *element.as_table(), kinds);
    if (!read.name.empty()) {
      auto [it, inserted] = seen.emplace(read.name, read.name_pos.line);
      if (!inserted)
        reader.report(read.name_pos,
                      fmt::format("duplicate check name '{}' in backup '{}' (first at line {})",
                                  read.name, out.name, it->second));
    }
    if (read.spec) out.checks.push_back(std::move(*read.spec));
  }
}

void read_snapshot_keys(Reader& reader, const toml::table& table, const fs::path& base_dir,
                        BackupConfig& out) {
  using Kind = Reader::PathKind;
  if (auto p = reader.existing_path(table, "snapshot", k_where, Need::optional, base_dir,
                                    Kind::file, "snapshot file"))
    out.snapshot = *p;
  if (auto p = reader.existing_path(table, "manifest", k_where, Need::optional, base_dir,
                                    Kind::file, "manifest file"))
    out.manifest = *p;
  if (auto text = reader.string(table, "source", k_where, Need::optional)) {
    if (text->empty())
      reader.report(reader.pos(*table.get("source")), "'source' must not be empty");
    if (conninfo_has_password(*text))
      reader.report(reader.pos(*table.get("source")),
                    "'source' must not contain a password: put it in PGPASSWORD or ~/.pgpass");
    out.source = *text;
  }
  if (auto text = reader.string(table, "reference_time", k_where, Need::optional)) {
    out.reference_time = *text;
    if (*text != "dump" && *text != "file" && !parse_timestamp(*text))
      reader.report(reader.pos(*table.get("reference_time")),
                    fmt::format("'reference_time' must be \"dump\", \"file\" or a timestamp "
                                "such as \"2026-11-20T03:00:00Z\", got \"{}\"",
                                *text));
  }
}

// `format` and `verify_manifest` (postgres only). A base backup is a
// directory, so naming one and pointing at a file is caught here; what the
// directory holds is checked when the drill runs.
void read_format_keys(Reader& reader, const toml::table& table, std::optional<EngineKind> engine,
                      BackupConfig& out) {
  auto format = reader.string(table, "format", k_where, Need::optional);
  auto verify = reader.boolean(table, "verify_manifest", k_where, Need::optional);
  if (auto parse_wal = reader.boolean(table, "parse_wal", k_where, Need::optional)) {
    if (engine && engine != EngineKind::postgres)
      reader.report(reader.key_pos(table, "parse_wal"),
                    "'parse_wal' applies to postgres base backups only");
    else
      out.parse_wal = *parse_wal;
  }
  bool postgres = engine == EngineKind::postgres;
  if (format) {
    SourcePos at = reader.pos(*table.get("format"));
    if (engine && !postgres) {
      reader.report(reader.key_pos(table, "format"), "'format' applies to postgres backups only");
    } else if (*format != "dump" && *format != "basebackup") {
      reader.report(
          at, fmt::format("'format' must be \"dump\" or \"basebackup\", got \"{}\"", *format));
    } else {
      out.format = *format;
      std::error_code ec;
      if (*format == "basebackup" && fs::is_regular_file(out.path, ec))
        reader.report(at, fmt::format("format = \"basebackup\" needs a directory written by "
                                      "pg_basebackup -D, but path is a file: {}",
                                      out.path.string()));
    }
  }
  if (!verify) return;
  if (engine && !postgres) {
    reader.report(reader.key_pos(table, "verify_manifest"),
                  "'verify_manifest' applies to postgres base backups only");
    return;
  }
  out.verify_manifest = *verify;
  if (!*verify && !out.manifest.empty())
    reader.report(reader.key_pos(table, "verify_manifest"),
                  "verify_manifest = false contradicts 'manifest': a manifest the plan names is "
                  "always verified");
}

// Kinds that compare against a snapshot need the backup to name one.
void require_snapshot(Reader& reader, std::span<const CheckKindInfo> kinds,
                      const BackupConfig& out) {
  if (!out.snapshot.empty()) return;
  for (const auto& spec : out.checks)
    for (const auto& kind : kinds)
      if (kind.type == spec.type && kind.needs_snapshot)
        reader.report(
            spec.pos,
            fmt::format("check '{}' of type '{}' compares with a snapshot: set snapshot = "
                        "\"FILE\" in this [[backup]] (drillproof snapshot writes one)",
                        spec.name, spec.type));
}

}  // namespace

BackupConfig read_backup(Reader& reader, const toml::table& table, const fs::path& base_dir,
                         std::span<const CheckKindInfo> kinds, SeenNames& seen) {
  BackupConfig out;
  out.pos = reader.pos(table);
  reader.reject_unknown_keys(table, k_where, k_keys);
  read_name(reader, table, seen, out);
  std::optional<EngineKind> engine = read_engine(reader, table);
  if (engine) out.engine = *engine;
  read_path(reader, table, base_dir, engine, out);
  read_database(reader, table, engine, out);
  out.objectives.rto = reader.duration(table, "rto", k_where, Need::optional);
  out.objectives.rpo = reader.duration(table, "rpo", k_where, Need::optional);
  out.restore_timeout = reader.duration(table, "restore_timeout", k_where, Need::optional);
  read_jobs(reader, table, out);
  read_roles(reader, table, engine, out);
  read_snapshot_keys(reader, table, base_dir, out);
  read_format_keys(reader, table, engine, out);
  read_pitr(reader, table, base_dir, engine, out);
  read_checks(reader, table, kinds, out);
  require_snapshot(reader, kinds, out);
  return out;
}

}  // namespace dp::config::detail
