#pragma once
// pg_basebackup backups: recognising one from its files (plain -Fp: a data
// directory with backup_label; tar -Ft: base.tar[.gz] and pg_wal.tar[.gz])
// and reading its backup_label. Only reads.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "drills/backup_format.hpp"
#include "verifier/core/result.hpp"

namespace dp::drills {

struct BaseBackupLayout {
  BackupFormat format = BackupFormat::pg_basebackup_plain;
  std::filesystem::path root;      // the backup directory
  std::filesystem::path base_tar;  // tar: base.tar or base.tar.gz
  std::filesystem::path wal_tar;   // tar: pg_wal.tar[.gz]; empty (-X fetch puts WAL in base.tar)
  std::filesystem::path manifest;  // root/backup_manifest; empty when the backup has none
};

// nullopt when `dir` is neither kind. Errc::invalid_input for a data
// directory without backup_label (a file-system copy, not a base backup);
// Errc::unsupported for tablespace archives (<oid>.tar) and base.tar
// compressed other than with gzip.
Result<std::optional<BaseBackupLayout>> basebackup_layout(const std::filesystem::path& dir);

struct BackupLabel {
  std::string start_wal_file;  // "000000010000000000000002": the first segment recovery reads
  std::optional<std::chrono::system_clock::time_point> start_time;
  std::string label;
};

// backup_label's "KEY: value" lines. START TIME is read when its zone is
// UTC, GMT or numeric; otherwise it stays empty.
BackupLabel parse_backup_label(std::string_view text);

// Plain: root/backup_label; tar: base.tar's first member, where
// pg_basebackup puts it (nullopt when it is not there).
Result<std::optional<BackupLabel>> read_backup_label(const BaseBackupLayout& layout);

// For reference_time = "dump": created = backup_label's START TIME;
// server_version = PG_VERSION (plain only: in a tar it is not at a known
// place).
Result<DumpOrigin> basebackup_origin(const std::filesystem::path& dir);

// The major version in a data directory's PG_VERSION ("15" -> 15).
Result<int> data_dir_major(const std::filesystem::path& data_dir);

}  // namespace dp::drills
