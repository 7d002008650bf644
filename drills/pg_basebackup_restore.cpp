// Restoring a pg_basebackup backup: copy or extract it into a private data
// directory, make that directory safe to start (no pid file, no standby
// settings reaching out to the source, our own configuration files), start
// postgres on it and let crash recovery replay the WAL the backup carries.
//
// Point-in-time recovery (issue 8, drills/pg_pitr.hpp): after
// prepare_recovery() removed the source's signals, prepare_pitr() writes
// recovery.signal and adds restore_command and the target to the server's
// arguments; finish_pitr() waits for the promotion and reads where it landed.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/stat.h>

#include <algorithm>

#include "drills/file_tree.hpp"
#include "drills/pg_basebackup.hpp"
#include "drills/pg_pitr.hpp"
#include "drills/restore.hpp"
#include "verifier/core/signals.hpp"
#include "verifier/core/text.hpp"
#include "verifier/engine/postgres/pg_engine.hpp"

namespace dp::drills {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_tail_lines = 30;

Result<void> check_major(const fs::path& data_dir, const fs::path& backup, const PgBinaries& bin) {
  auto major = data_dir_major(data_dir);
  if (!major) return Unexpected<Error>(std::move(major).error());
  if (*major == bin.major) return {};
  return make_error(Errc::unsupported,
                    fmt::format("{} is a base backup of PostgreSQL {}, but the scratch server is "
                                "PostgreSQL {} ({}): a base backup starts only on the same major "
                                "version\nhint: install postgresql-{} and set pg_bindir in [plan] "
                                "to its bin directory",
                                backup.string(), *major, bin.version, bin.bindir.string(), *major));
}

Result<void> untar(const fs::path& archive, const fs::path& into, const fs::path& log,
                   Deadline deadline) {
  SpawnOptions tar;
  // GNU tar reads gzip by itself; --no-same-owner and --no-same-permissions:
  // the copy is handed to the server user afterwards and gets no setuid or
  // world-writable bits from the archive. It strips leading '/', refuses '..'
  // members and defers symlinks pointing outside until the end, so no member
  // of the same archive is written through one; check_extracted() then
  // refuses whatever is not a regular file or a directory.
  tar.argv = {"tar",    "--extract",      "--no-same-owner", "--no-same-permissions",
              "--file", archive.string(), "--directory",     into.string()};
  tar.out = Redirect::null();
  tar.err = Redirect::to_file(log);
  auto child = ChildProcess::spawn(std::move(tar));
  if (!child) return Unexpected<Error>(std::move(child).error().context("tar"));
  auto status = child->wait(deadline);
  if (!status) return Unexpected<Error>(std::move(status).error());
  if (!status->ok())
    return make_error(Errc::process_failed,
                      fmt::format("tar --extract --file {} failed ({}): {}", archive.string(),
                                  status->describe(), tail_lines(read_file_tail(log, 4096), 3)));
  return {};
}

const char* type_name(fs::file_type type) {
  switch (type) {
    case fs::file_type::symlink:
      return "a symbolic link";
    case fs::file_type::block:
      return "a block device";
    case fs::file_type::character:
      return "a character device";
    case fs::file_type::fifo:
      return "a FIFO";
    case fs::file_type::socket:
      return "a socket";
    default:
      return "not a regular file or directory";
  }
}

// What tar extracted, before anything reads or hashes it: only regular files
// and directories. A symlink would make the manifest phase hash (and the
// server write) files outside the copy -- pg_wal -> /etc would even send the
// next archive's members there -- and a device node or FIFO is never part
// of a data directory.
Result<void> check_extracted(const fs::path& root, const fs::path& data, const fs::path& archive) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (interrupted())
      return make_error(Errc::interrupted,
                        fmt::format("interrupted while checking {}", archive.string()));
    auto st = it->symlink_status(ec);
    if (ec) break;
    if (st.type() == fs::file_type::regular || st.type() == fs::file_type::directory) continue;
    const fs::path rel = it->path().lexically_relative(data);
    if (st.type() == fs::file_type::symlink && rel.parent_path() == "pg_tblspc")
      return make_error(Errc::unsupported,
                        fmt::format("{}: has tablespace {}; base backups with tablespaces are not "
                                    "restored yet",
                                    archive.string(), rel.filename().string()));
    std::string what = type_name(st.type());
    if (st.type() == fs::file_type::symlink)
      what += fmt::format(" to {}", fs::read_symlink(it->path(), ec).string());
    return make_error(Errc::invalid_input,
                      fmt::format("{}: member {} is {}; drillproof restores only regular files "
                                  "and directories from a base backup",
                                  archive.string(), escape_control(rel.string()), what));
  }
  if (ec) return make_error(Errc::io, fmt::format("walk {}: {}", root.string(), ec.message()));
  return {};
}

// A symlink under pg_tblspc points at a tablespace outside the copy:
// starting on it would write into the original (or into whatever that path
// is on this host).
Result<void> refuse_tablespace_links(const fs::path& data, const fs::path& backup) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(data / "pg_tblspc", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec))
    return make_error(Errc::unsupported,
                      fmt::format("{}: has tablespace {}; base backups with tablespaces are not "
                                  "restored yet",
                                  backup.string(), it->path().filename().string()));
  return {};
}

// Crash recovery from backup_label replays pg_wal from the segment it
// names; without it (pg_basebackup -X none) the WAL must come from an
// archive.
Result<void> check_wal(const fs::path& data, const fs::path& backup) {
  auto text = read_file_head(data / "backup_label", 65536);
  if (!text) return Unexpected<Error>(std::move(text).error().context("backup_label"));
  BackupLabel label = parse_backup_label(*text);
  if (label.start_wal_file.empty())
    return make_error(
        Errc::invalid_input,
        fmt::format("{}: backup_label names no START WAL LOCATION file", backup.string()));
  std::error_code ec;
  if (fs::is_regular_file(data / "pg_wal" / label.start_wal_file, ec)) return {};
  return make_error(
      Errc::invalid_input,
      fmt::format("{}: the backup holds no WAL: pg_wal/{} is missing, the segment its "
                  "backup_label starts from; a base backup made with pg_basebackup -X none "
                  "needs a WAL archive to be restored, and drillproof does not restore from "
                  "one yet\nhint: take base backups with -X stream (the default) or -X fetch",
                  backup.string(), label.start_wal_file));
}

// Without wal_archive the drill is crash recovery to the end of the
// backup's own WAL (with one, prepare_pitr() writes recovery.signal after
// this), and a standby.signal (pg_basebackup -R) would make the
// scratch server a standby that streams from the source: both signals go.
Result<void> prepare_recovery(const fs::path& data) {
  std::error_code ec;
  for (const char* name :
       {"postmaster.pid", "postmaster.opts", "standby.signal", "recovery.signal"}) {
    fs::remove(data / name, ec);
    if (ec)
      return make_error(Errc::io,
                        fmt::format("remove {}: {}", (data / name).string(), ec.message()));
  }
  fs::permissions(data, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) return make_error(Errc::io, fmt::format("chmod {}: {}", data.string(), ec.message()));
  return {};
}

// Our own postgresql.conf, pg_hba.conf and pg_ident.conf beside the data
// directory: the backup's are the source host's (memory sizes, paths,
// certificates, archive_command, peer authentication) and are not read.
// postgresql.auto.conf is read, so the settings that reach outside are
// overridden on the command line, which wins over it.
Result<std::vector<std::string>> config_args(const PgScratch& scratch) {
  const fs::path dir = scratch.dir();
  struct File {
    const char* name;
    const char* setting;
    const char* text;
  };
  const File files[] = {
      {"postgresql.conf", "config_file", "# drillproof: the backup's own file is not read\n"},
      {"pg_hba.conf", "hba_file", "local all all trust\n"},
      {"pg_ident.conf", "ident_file", ""}};
  std::vector<std::string> args;
  for (const auto& f : files) {
    if (auto ok = write_file(dir / f.name, f.text); !ok) return Unexpected<Error>(ok.error());
    if (scratch.options().run_as)
      if (auto owned = chown_tree(dir / f.name, *scratch.options().run_as); !owned)
        return Unexpected<Error>(owned.error());
    args.push_back("-c");
    args.push_back(fmt::format("{}={}", f.setting, (dir / f.name).string()));
  }
  for (const char* setting :
       {"archive_mode=off", "primary_conninfo=", "primary_slot_name=", "ssl=off"}) {
    args.push_back("-c");
    args.push_back(setting);
  }
  return args;
}

// A base backup brings the source's databases: the one the checks use must
// be among them (the default "restored" rarely is).
Result<void> check_database(const PgScratch& scratch, const std::string& database) {
  auto session = engine::postgres::connect(scratch.connect_options("template1"));
  if (!session) return Unexpected<Error>(std::move(session).error().context("restored cluster"));
  auto rows = (*session)->query(
      "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1");
  if (!rows) return Unexpected<Error>(std::move(rows).error().context("restored cluster"));
  std::vector<std::string> names;
  for (const auto& row : rows->rows)
    if (!row.empty() && row[0]) names.push_back(*row[0]);
  if (std::find(names.begin(), names.end(), database) != names.end()) return {};
  return make_error(Errc::invalid_input,
                    fmt::format("the restored cluster has no database \"{}\"; it has: {}\nhint: "
                                "set database in the [[backup]] to the one the checks should use",
                                database, fmt::join(names, ", ")));
}

}  // namespace

Result<void> stage_basebackup(const BaseBackupLayout& layout, const fs::path& data,
                              const fs::path& log, Deadline deadline) {
  if (layout.format == BackupFormat::pg_basebackup_plain) {
    auto source = real_backup_dir(layout.root);
    if (!source) return Unexpected<Error>(std::move(source).error());
    return copy_tree(*source, data, deadline);
  }
  std::error_code ec;
  fs::create_directory(data, ec);
  if (ec) return make_error(Errc::io, fmt::format("create {}: {}", data.string(), ec.message()));
  if (auto ok = untar(layout.base_tar, data, log, deadline); !ok) return ok;
  if (auto ok = check_extracted(data, data, layout.base_tar); !ok) return ok;
  if (layout.wal_tar.empty()) return {};
  // pg_wal.tar goes into pg_wal: it must be a directory of the copy (or
  // absent), never something base.tar made that leads elsewhere.
  const fs::path wal = data / "pg_wal";
  auto st = fs::symlink_status(wal, ec);
  if (ec && st.type() != fs::file_type::not_found)
    return make_error(Errc::io, fmt::format("{}: {}", wal.string(), ec.message()));
  if (st.type() != fs::file_type::not_found && st.type() != fs::file_type::directory)
    return make_error(Errc::invalid_input,
                      fmt::format("{}: pg_wal is not a directory; refusing to extract {} into it",
                                  layout.base_tar.string(), layout.wal_tar.string()));
  fs::create_directory(wal, ec);
  if (ec) return make_error(Errc::io, fmt::format("create {}: {}", wal.string(), ec.message()));
  if (auto ok = untar(layout.wal_tar, wal, log, deadline); !ok) return ok;
  return check_extracted(wal, data, layout.wal_tar);
}

RestoreRun restore_pg_basebackup(PgScratch& scratch, const plan::BackupJob& job,
                                 const BaseBackupLayout& layout, const fs::path& staged,
                                 Deadline deadline) {
  const fs::path& backup = job.backup.path;
  const fs::path data = scratch.data_dir();
  // Fail before copying anything when the versions cannot match.
  if (layout.format == BackupFormat::pg_basebackup_plain)
    if (auto ok = check_major(layout.root, backup, scratch.binaries()); !ok) return {ok, ""};
  std::error_code ec;
  if (!staged.empty()) fs::rename(staged, data, ec);
  if (staged.empty() || ec) {
    fs::remove_all(data, ec);
    auto ok = stage_basebackup(layout, data, scratch.dir() / "tar.log", deadline);
    if (!ok) return {ok, ""};
  }
  if (auto ok = check_private_copy(scratch.dir(), data); !ok) return {ok, ""};
  if (auto ok = check_major(data, backup, scratch.binaries()); !ok) return {ok, ""};
  if (auto ok = refuse_tablespace_links(data, backup); !ok) return {ok, ""};
  if (!job.backup.pitr)  // with an archive, the WAL comes from there
    if (auto ok = check_wal(data, backup); !ok) return {ok, ""};
  if (auto ok = prepare_recovery(data); !ok) return {ok, ""};
  if (scratch.options().run_as)
    if (auto owned = chown_tree(data, *scratch.options().run_as); !owned) return {owned, ""};
  auto args = config_args(scratch);
  if (!args) return {Unexpected<Error>(std::move(args).error()), ""};
  const auto& pitr = job.backup.pitr;
  if (pitr) {
    auto extra = prepare_pitr(*pitr, data, scratch.options().run_as);
    if (!extra) {
      RestoreRun refused{Unexpected<Error>(extra.error()), ""};
      refused.pitr = reports::PitrResult{};
      refused.pitr->target = describe_target(*pitr);
      refused.pitr->target_time = pitr->target_time;
      refused.pitr->status = extra.error().code == Errc::invalid_input ? reports::Status::failed
                                                                       : reports::Status::error;
      refused.pitr->message = extra.error().message;
      return refused;
    }
    if (scratch.options().run_as)
      if (auto owned = chown_tree(data / "recovery.signal", *scratch.options().run_as); !owned)
        return {owned, ""};
    args->insert(args->end(), extra->begin(), extra->end());
  }
  // The restore ends when the server accepts connections (and, with a
  // wal_archive, has left recovery): WAL replay is part of it, so it is
  // bounded by restore_timeout, not start_timeout.
  RestoreRun run;
  auto up = scratch.launch(std::move(*args), deadline);
  if (pitr) {
    bool promoted = false;
    run.pitr = finish_pitr(scratch, *pitr, job.backup.database, up, deadline, promoted);
    // A recovery that stopped (or never started) is the restore's outcome;
    // one that promoted short of the archive's end still left a server the
    // checks can read, and the PitrResult carries the shortfall.
    if (!promoted) {
      run.result = make_error(
          run.pitr->status == reports::Status::failed ? Errc::invalid_input : Errc::process_failed,
          run.pitr->message);
      run.stderr_tail = tail_lines(read_file_tail(scratch.log_file(), 16384), k_tail_lines);
      return run;
    }
  }
  if (!up) {
    run.result = Unexpected<Error>(std::move(up).error());
    run.stderr_tail = tail_lines(read_file_tail(scratch.log_file(), 16384), k_tail_lines);
    return run;
  }
  run.result = check_database(scratch, job.backup.database);
  return run;
}

}  // namespace dp::drills
