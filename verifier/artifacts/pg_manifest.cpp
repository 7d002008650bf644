#include "verifier/artifacts/pg_manifest.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <set>
#include <thread>
#include <unordered_map>

#include "verifier/artifacts/pg_file_hasher.hpp"
#include "verifier/artifacts/pg_manifest_parse.hpp"
#include "verifier/artifacts/pg_wal.hpp"
#include "verifier/artifacts/tree_walk.hpp"
#include "verifier/core/fd.hpp"
#include "verifier/core/signals.hpp"
#include "verifier/core/text.hpp"

namespace fs = std::filesystem;

namespace dp::artifacts {
namespace {

// pg_verifybackup's default ignore list: the manifest itself, WAL (checked
// separately), and files pg_basebackup -R writes or changes.
constexpr std::array<std::string_view, 5> k_ignored = {
    "backup_manifest", "pg_wal", "postgresql.auto.conf", "recovery.signal", "standby.signal"};

// should_ignore_relpath: the path itself or a parent directory of it.
bool ignored(std::string_view rel) {
  for (auto v : k_ignored)
    if (rel.size() >= v.size() && rel.compare(0, v.size(), v) == 0 &&
        (rel.size() == v.size() || rel[v.size()] == '/'))
      return true;
  return false;
}

struct DiskFile {
  std::string rel;
  std::uint64_t size = 0;
};

// The directory as pg_verifybackup sees it: stat() (symlinks followed, so
// pg_tblspc/<oid> leads into the tablespace), directories descended,
// anything else that is not a regular file reported.
class Walker {
 public:
  Walker(fs::path root, std::vector<ManifestFinding>& findings)
      : m_root(std::move(root)), m_findings(findings) {}

  std::vector<DiskFile> files;

  Result<void> walk(const std::string& rel_dir) {
    fs::path dir = rel_dir.empty() ? m_root : m_root / rel_dir;
    std::error_code ec;
    if (rel_dir.empty()) {
      struct stat st {};
      if (::stat(dir.c_str(), &st) == 0) m_seen.insert({st.st_dev, st.st_ino});
    }
    fs::directory_iterator it(dir, ec);
    if (ec) {
      if (rel_dir.empty())
        return make_error(Errc::io, fmt::format("{}: cannot list: {}", dir.string(), ec.message()));
      m_findings.push_back(
          {FindingKind::unreadable, rel_dir,
           fmt::format("{}: cannot list directory: {}", escape_control(rel_dir), ec.message())});
      return {};
    }
    std::vector<std::string> names;
    for (fs::directory_iterator end; it != end; it.increment(ec)) {
      if (ec) break;
      names.push_back(it->path().filename().string());
    }
    if (ec) {
      std::string shown = rel_dir.empty() ? std::string(".") : escape_control(rel_dir);
      m_findings.push_back({FindingKind::unreadable, rel_dir.empty() ? "." : rel_dir,
                            fmt::format("{}: cannot list directory: {}", shown, ec.message())});
    }
    for (auto& name : names) {
      if (interrupted())
        return make_error(Errc::interrupted,
                          fmt::format("interrupted while walking {}", m_root.string()));
      std::string rel = rel_dir.empty() ? name : rel_dir + "/" + name;
      if (ignored(rel)) continue;
      struct stat st {};
      if (::stat((m_root / rel).c_str(), &st) != 0) {
        m_findings.push_back(
            {FindingKind::unreadable, rel,
             fmt::format("{}: cannot stat: {}", escape_control(rel), std::strerror(errno))});
        continue;
      }
      if (S_ISDIR(st.st_mode)) {
        // Each directory once: symlinks back up the tree (a -> ., b -> .)
        // would otherwise be walked 2^depth times.
        if (!m_seen.insert({st.st_dev, st.st_ino}).second) {
          m_findings.push_back({FindingKind::unreadable, rel,
                                fmt::format("{}: directory already walked by another path (a "
                                            "symbolic link loop?)",
                                            escape_control(rel))});
          continue;
        }
        DP_TRY_VOID(walk(rel));
      } else if (S_ISREG(st.st_mode)) {
        files.push_back({std::move(rel), static_cast<std::uint64_t>(st.st_size)});
      } else {
        m_non_regular.push_back(std::move(rel));
      }
    }
    return {};
  }

  const std::vector<std::string>& non_regular() const { return m_non_regular; }

 private:
  fs::path m_root;
  std::vector<ManifestFinding>& m_findings;
  std::vector<std::string> m_non_regular;
  std::set<std::pair<dev_t, ino_t>> m_seen;
};

std::string algorithm_label(const PgManifest& manifest) {
  std::set<PgChecksumType> types;
  for (const auto& f : manifest.files) types.insert(f.type);
  if (types.empty()) return "NONE";
  std::string out;
  for (auto t : types) {
    if (!out.empty()) out += ", ";
    out += pg_checksum_type_name(t);
  }
  return out;
}

// The first field of pg_control in every version: the system identifier.
std::optional<std::uint64_t> control_system_identifier(const fs::path& file) {
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  std::uint64_t id = 0;
  if (!fd.valid() || ::pread(fd.get(), &id, sizeof id, 0) != static_cast<ssize_t>(sizeof id))
    return std::nullopt;
  return id;
}

}  // namespace

Result<bool> is_pg_backup_manifest(const fs::path& manifest) {
  Fd fd(::open(manifest.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    int err = errno;
    return make_error(err == ENOENT ? Errc::not_found : Errc::io,
                      fmt::format("{}: cannot open: {}", manifest.string(), std::strerror(err)));
  }
  std::string head(4096, '\0');
  ssize_t n;
  do n = ::read(fd.get(), head.data(), head.size());
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return make_error(Errc::io,
                      fmt::format("{}: cannot read: {}", manifest.string(), std::strerror(errno)));
  head.resize(static_cast<std::size_t>(n));
  std::size_t i = head.find_first_not_of(" \t\r\n");
  if (i == std::string::npos || head[i] != '{') return false;
  i = head.find_first_not_of(" \t\r\n", i + 1);
  return i != std::string::npos &&
         head.compare(i, 36, "\"PostgreSQL-Backup-Manifest-Version\"") == 0;
}

Result<VerifyReport> verify_pg_manifest(const fs::path& root, const fs::path& manifest_file,
                                        const VerifyOptions& options,
                                        const PgWalParseOptions& wal) {
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    return make_error(Errc::invalid_input, fmt::format("{}: not a directory", root.string()));
  // A tar-format base backup's manifest lists the files inside base.tar.
  for (const char* tar : {"base.tar", "base.tar.gz", "base.tar.lz4", "base.tar.zst"})
    if (fs::exists(root / tar, ec) && !fs::exists(root / "PG_VERSION", ec))
      return make_error(
          Errc::invalid_input,
          fmt::format("{}: a tar-format base backup ({}); its backup_manifest describes the "
                      "files inside the archives, and only a plain-format directory is verified "
                      "here\nhint: `drillproof run` verifies a tar base backup on an extracted "
                      "copy; or extract {} (and pg_wal.tar into pg_wal/) to a directory and "
                      "verify that",
                      root.string(), tar, tar));
  auto manifest = read_pg_manifest(manifest_file);
  if (!manifest) return Unexpected<Error>(std::move(manifest).error());

  VerifyReport report;
  report.format = ManifestFormat::pg_backup;
  report.algorithm_label = algorithm_label(*manifest);
  auto& findings = report.findings;
  auto add = [&](FindingKind kind, const std::string& path, std::string message) {
    findings.push_back(ManifestFinding{kind, path, std::move(message)});
  };

  Walker walker(root, findings);
  DP_TRY_VOID(walker.walk(""));

  std::unordered_map<std::string_view, std::size_t> index;
  index.reserve(manifest->files.size());
  for (std::size_t i = 0; i < manifest->files.size(); ++i)
    index.emplace(manifest->files[i].path, i);
  std::vector<bool> matched(manifest->files.size(), false);

  for (const auto& rel : walker.non_regular()) {
    auto it = index.find(rel);
    if (it != index.end()) matched[it->second] = true;
    add(it == index.end() ? FindingKind::extra : FindingKind::changed, rel,
        fmt::format("{}: not a regular file or directory", escape_control(rel)));
  }
  std::vector<PgHashTask> tasks;
  std::vector<std::size_t> task_file;  // manifest index of each task
  for (const auto& disk : walker.files) {
    auto it = index.find(disk.rel);
    if (it == index.end()) {
      add(FindingKind::extra, disk.rel,
          fmt::format("{}: not in the manifest ({} bytes)", escape_control(disk.rel), disk.size));
      continue;
    }
    const auto& m = manifest->files[it->second];
    matched[it->second] = true;
    if (disk.size != m.size) {
      add(FindingKind::resized, disk.rel,
          fmt::format("{}: {} bytes, manifest says {}", escape_control(disk.rel), disk.size,
                      m.size));
      continue;
    }
    if (manifest->version >= 2 && manifest->system_identifier && disk.rel == "global/pg_control") {
      auto id = control_system_identifier(root / disk.rel);
      if (id && *id != *manifest->system_identifier)
        add(FindingKind::changed, disk.rel,
            fmt::format("{}: system identifier {}, manifest says {}", escape_control(disk.rel), *id,
                        *manifest->system_identifier));
    }
    if (m.type == PgChecksumType::none) {
      ++report.files_checked;  // size is all the manifest records
      report.bytes_checked += m.size;
      continue;
    }
    tasks.push_back(PgHashTask{root / disk.rel, m.size, m.type});
    task_file.push_back(it->second);
  }
  for (std::size_t i = 0; i < matched.size(); ++i)
    if (!matched[i] && !ignored(manifest->files[i].path))
      add(FindingKind::missing, manifest->files[i].path,
          fmt::format("{}: in the manifest, not in the tree",
                      escape_control(manifest->files[i].path)));

  // pg_waldump reads pg_wal/ while we hash the rest: the files do not
  // overlap, and pg_verifybackup's serial order costs the sum of both.
  std::vector<ManifestFinding> parsed;
  std::jthread waldump([&] { parsed = parse_pg_wal(root, manifest->wal_ranges, wal); });
  auto hashed = hash_pg_files(tasks, options.threads, options.progress);
  waldump.join();
  if (interrupted())
    return make_error(Errc::interrupted,
                      fmt::format("interrupted while verifying {}", root.string()));
  for (std::size_t k = 0; k < tasks.size(); ++k) {
    const auto& m = manifest->files[task_file[k]];
    auto& r = hashed[k];
    if (r.error)
      add(FindingKind::unreadable, m.path, r.error->message);
    else if (r.bytes_read != m.size)  // changed between the stat and the read
      add(FindingKind::resized, m.path,
          fmt::format("{}: {} bytes, manifest says {}", escape_control(m.path), r.bytes_read,
                      m.size));
    else if (r.checksum != m.checksum)
      add(FindingKind::changed, m.path,
          fmt::format("{}: {} {}, manifest says {}", escape_control(m.path),
                      pg_checksum_type_name(m.type), bytes_to_hex(r.checksum),
                      bytes_to_hex(m.checksum)));
    else {
      ++report.files_checked;
      report.bytes_checked += m.size;
    }
  }

  for (auto& f : check_pg_wal(root, manifest->wal_ranges)) findings.push_back(std::move(f));
  for (auto& f : parsed) findings.push_back(std::move(f));

  std::string name = manifest_file.string();
  if (manifest->recorded_checksum.empty())
    add(FindingKind::manifest_digest, name,
        fmt::format("{}: no Manifest-Checksum: the manifest was edited or truncated", name));
  else if (!manifest->checksum_matches())
    add(FindingKind::manifest_digest, name,
        fmt::format("{}: content digests to SHA-256 {}, its Manifest-Checksum says {}: the "
                    "manifest was edited or is stale",
                    name, manifest->computed_checksum, manifest->recorded_checksum));

  std::stable_sort(
      findings.begin(), findings.end(),
      [](const ManifestFinding& a, const ManifestFinding& b) { return path_less(a.path, b.path); });
  return report;
}

}  // namespace dp::artifacts
