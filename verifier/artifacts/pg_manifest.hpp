#pragma once
// PostgreSQL's own backup_manifest (pg_basebackup, PostgreSQL 13 and later),
// verified natively with the findings pg_verifybackup reports: the manifest's
// own SHA-256 checksum, every file's size and checksum (CRC32C, SHA224,
// SHA256, SHA384, SHA512 or NONE), files missing from or extra in the
// directory, and the WAL the backup needs (see verify_pg_manifest).
// docs/manifest.md, section "PostgreSQL backup_manifest".
#include <filesystem>

#include "verifier/artifacts/manifest.hpp"
#include "verifier/artifacts/pg_wal.hpp"
#include "verifier/core/result.hpp"

namespace dp::artifacts {

// True if the file starts like a backup_manifest: optional white space, '{'
// and the key "PostgreSQL-Backup-Manifest-Version" (only the first 4 KiB are
// read). False for anything else, drillproof manifests included.
// Errc::not_found / Errc::io naming the file if it cannot be opened or read.
Result<bool> is_pg_backup_manifest(const std::filesystem::path& manifest);

// Verifies the pg_basebackup directory `root` (plain format) against
// `manifest` (normally root/backup_manifest). Every problem is a finding,
// sorted by path:
//   manifest_digest  Manifest-Checksum does not match the bytes before it
//   missing, extra   a file in only one of the manifest and the directory
//   resized          size differs (its checksum is then not computed)
//   changed          checksum differs; global/pg_control's system identifier
//                    differs from a version 2 manifest's System-Identifier
//   unreadable       could not be read
//   wal              a WAL segment that WAL-Ranges needs is not in pg_wal/
//                    (missing, or not of the segment size); and, unless
//                    wal.enabled is false, a range pg_waldump cannot parse
//                    (as pg_verifybackup; see parse_pg_wal), which runs on
//                    one more thread while the files are hashed
// As pg_verifybackup does by default, these paths are never reported missing,
// extra or changed: backup_manifest, pg_wal/, postgresql.auto.conf,
// standby.signal, recovery.signal. Symlinks (pg_tblspc/<oid>) are followed.
// Files are hashed on options.threads threads; one file of 64 MiB or more is
// still read by one thread per block stream (see HashPipeline).
// Errc::invalid_input "<manifest>: ..." naming what is wrong for a manifest
// that does not parse (malformed JSON, unknown version, a missing or unknown
// key, a bad checksum value); checked before any file is read. Errc::io for a
// directory that cannot be listed.
Result<VerifyReport> verify_pg_manifest(const std::filesystem::path& root,
                                        const std::filesystem::path& manifest,
                                        const VerifyOptions& options,
                                        const PgWalParseOptions& wal = {});

}  // namespace dp::artifacts
