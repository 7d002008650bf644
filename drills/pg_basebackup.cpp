#include "drills/pg_basebackup.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <charconv>

#include "verifier/core/text.hpp"
#include "verifier/core/timestamp.hpp"

namespace dp::drills {
namespace fs = std::filesystem;

namespace {

bool present(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

// "base.tar" or "base.tar.gz" in `dir`, or an error for other compressions
// (pg_basebackup -Z lz4/zstd/bzip2 writes base.tar.lz4, .zst, ...).
Result<std::optional<fs::path>> find_tar(const fs::path& dir, std::string_view stem) {
  for (const char* ext : {".tar", ".tar.gz"}) {
    fs::path p = dir / (std::string(stem) + ext);
    if (present(p)) return std::optional<fs::path>(p);
  }
  for (const char* ext : {".tar.lz4", ".tar.zst", ".tar.bz2", ".tar.xz"}) {
    fs::path p = dir / (std::string(stem) + ext);
    if (present(p))
      return make_error(Errc::unsupported,
                        fmt::format("{}: only uncompressed and gzip'd (-Z gzip) base backup "
                                    "archives are restored",
                                    p.string()));
  }
  return std::optional<fs::path>();
}

// A tablespace's archive is named after its OID: 16385.tar[.gz].
Result<void> refuse_tablespaces(const fs::path& dir) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    auto dot = name.find(".tar");
    if (dot == 0 || dot == std::string::npos) continue;
    if (name.find_first_not_of("0123456789") == dot)
      return make_error(Errc::unsupported,
                        fmt::format("{}: a tablespace archive; base backups with tablespaces are "
                                    "not restored yet",
                                    it->path().string()));
  }
  if (ec) return make_error(Errc::io, fmt::format("list {}: {}", dir.string(), ec.message()));
  return {};
}

// "2026-11-21 16:50:01 UTC" (the server's log_timezone abbreviation).
std::optional<std::chrono::system_clock::time_point> label_time(std::string_view text) {
  auto space = text.rfind(' ');
  if (space == std::string_view::npos || space < 19) return std::nullopt;
  std::string zone(text.substr(space + 1));
  std::string stamp(text.substr(0, space));
  if (zone == "UTC" || zone == "GMT")
    stamp += "Z";
  else if (!zone.empty() && (zone[0] == '+' || zone[0] == '-'))
    stamp += zone;
  else
    return std::nullopt;
  auto parsed = parse_timestamp(stamp);
  if (!parsed) return std::nullopt;
  return *parsed;
}

// The first member of a tar stream (gzip'd or not), if it is backup_label.
Result<std::optional<std::string>> first_tar_member(const fs::path& tar, std::string_view name) {
  gzFile gz = gzopen(tar.c_str(), "rb");  // reads uncompressed files as they are
  if (!gz) return make_error(Errc::io, fmt::format("cannot read {}", tar.string()));
  std::string header(512, '\0');
  int n = gzread(gz, header.data(), 512);
  std::optional<std::string> out;
  std::string member = header.substr(0, header.find('\0'));
  std::uint64_t size = 0;
  if (n == 512 && member == name) {
    std::string octal = header.substr(124, 12);
    auto first = octal.find_first_of("01234567");
    if (first != std::string::npos)
      std::from_chars(octal.data() + first, octal.data() + octal.size(), size, 8);
  }
  if (size > 0 && size < (1u << 20)) {
    std::string body(size, '\0');
    if (gzread(gz, body.data(), static_cast<unsigned>(size)) == static_cast<int>(size))
      out = std::move(body);
  }
  gzclose(gz);
  if (n < 0) return make_error(Errc::io, fmt::format("cannot read {}", tar.string()));
  return out;
}

}  // namespace

Result<std::optional<BaseBackupLayout>> basebackup_layout(const fs::path& dir) {
  BaseBackupLayout layout;
  layout.root = dir;
  if (present(dir / "backup_manifest")) layout.manifest = dir / "backup_manifest";
  if (present(dir / "PG_VERSION") && present(dir / "global" / "pg_control")) {
    if (!present(dir / "backup_label"))
      return make_error(Errc::invalid_input,
                        fmt::format("{} is a PostgreSQL data directory without backup_label: a "
                                    "copy of a data directory, not a pg_basebackup backup",
                                    dir.string()));
    layout.format = BackupFormat::pg_basebackup_plain;
    return std::optional<BaseBackupLayout>(std::move(layout));
  }
  auto base = find_tar(dir, "base");
  if (!base) return Unexpected<Error>(std::move(base).error());
  if (!*base) return std::optional<BaseBackupLayout>();
  if (auto ok = refuse_tablespaces(dir); !ok) return Unexpected<Error>(std::move(ok).error());
  auto wal = find_tar(dir, "pg_wal");
  if (!wal) return Unexpected<Error>(std::move(wal).error());
  layout.format = BackupFormat::pg_basebackup_tar;
  layout.base_tar = **base;
  if (*wal) layout.wal_tar = **wal;
  return std::optional<BaseBackupLayout>(std::move(layout));
}

BackupLabel parse_backup_label(std::string_view text) {
  BackupLabel out;
  for (const auto& line : split(text, '\n')) {
    auto colon = line.find(": ");
    if (colon == std::string::npos) continue;
    std::string_view key = std::string_view(line).substr(0, colon);
    std::string value(trim(std::string_view(line).substr(colon + 2)));
    if (key == "START WAL LOCATION") {
      // "0/2000028 (file 000000010000000000000002)"
      auto file = value.find("(file ");
      if (file != std::string::npos) {
        auto end = value.find(')', file);
        out.start_wal_file =
            value.substr(file + 6, end == std::string::npos ? end : end - file - 6);
      }
    } else if (key == "START TIME") {
      out.start_time = label_time(value);
    } else if (key == "LABEL") {
      out.label = value;
    }
  }
  return out;
}

Result<std::optional<BackupLabel>> read_backup_label(const BaseBackupLayout& layout) {
  if (layout.format == BackupFormat::pg_basebackup_plain) {
    auto text = read_file_head(layout.root / "backup_label", 65536);
    if (!text) return Unexpected<Error>(std::move(text).error());
    return std::optional<BackupLabel>(parse_backup_label(*text));
  }
  auto member = first_tar_member(layout.base_tar, "backup_label");
  if (!member) return Unexpected<Error>(std::move(member).error());
  if (!*member) return std::optional<BackupLabel>();
  return std::optional<BackupLabel>(parse_backup_label(**member));
}

Result<DumpOrigin> basebackup_origin(const fs::path& dir) {
  DumpOrigin origin;
  auto layout = basebackup_layout(dir);
  if (!layout) return Unexpected<Error>(std::move(layout).error());
  if (!*layout) return origin;
  auto label = read_backup_label(**layout);
  if (!label) return Unexpected<Error>(std::move(label).error());
  origin.made_by_pg_dump = label->has_value();
  if (*label) origin.created = (*label)->start_time;
  if ((*layout)->format == BackupFormat::pg_basebackup_plain) {
    auto version = read_file_head(dir / "PG_VERSION", 64);
    if (version) origin.server_version = std::string(trim(*version));
  }
  return origin;
}

Result<int> data_dir_major(const fs::path& data_dir) {
  auto text = read_file_head(data_dir / "PG_VERSION", 64);
  if (!text) return Unexpected<Error>(std::move(text).error());
  int major = major_version(std::string(trim(*text)));
  if (major == 0)
    return make_error(Errc::invalid_input,
                      fmt::format("{}: not a PostgreSQL version: \"{}\"",
                                  (data_dir / "PG_VERSION").string(), trim(*text)));
  return major;
}

}  // namespace dp::drills
