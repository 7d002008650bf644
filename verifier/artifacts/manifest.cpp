#include "verifier/artifacts/manifest.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "verifier/artifacts/hash_pipeline.hpp"
#include "verifier/artifacts/manifest_format.hpp"
#include "verifier/core/fd.hpp"

namespace fs = std::filesystem;

namespace dp::artifacts {
namespace {

// The path of `file` relative to `root` if it lies inside it, so a manifest
// kept in the tree it describes is not listed in itself.
std::vector<std::string> excluded(const fs::path& root, std::vector<fs::path> files) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::path base = fs::weakly_canonical(root, ec);
  if (ec) return out;
  for (const auto& f : files) {
    fs::path full = fs::weakly_canonical(fs::absolute(f, ec), ec);
    if (ec) continue;
    fs::path rel = full.lexically_relative(base);
    if (!rel.empty() && *rel.begin() != ".." && rel != ".") out.push_back(rel.generic_string());
  }
  return out;
}

Result<void> check_root(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    return make_error(Errc::invalid_input, fmt::format("{}: not a directory", root.string()));
  return {};
}

// Buffered writer for the temporary manifest; errors are sticky and
// reported once at the end.
class ManifestWriter {
 public:
  explicit ManifestWriter(Fd fd, Algorithm algorithm) : m_fd(std::move(fd)), m_self(algorithm) {}
  void line(const std::string& text, bool digested = true) {
    if (digested) m_self.update(text);
    m_buffer += text;
    if (m_buffer.size() >= (1u << 20)) flush();
  }
  std::string self_digest() { return m_self.finish_hex(); }
  Result<void> close() {
    flush();
    if (m_errno == 0 && ::fsync(m_fd.get()) != 0) m_errno = errno;
    if (m_errno != 0) return make_error(Errc::io, std::strerror(m_errno));
    return {};
  }

 private:
  void flush() {
    std::size_t done = 0;
    while (m_errno == 0 && done < m_buffer.size()) {
      ssize_t n = ::write(m_fd.get(), m_buffer.data() + done, m_buffer.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        m_errno = errno;
      else
        done += static_cast<std::size_t>(n);
    }
    m_buffer.clear();
  }
  Fd m_fd;
  Hasher m_self;
  std::string m_buffer;
  int m_errno = 0;
};

std::string size_message(const std::string& path, std::uint64_t actual, std::uint64_t expected) {
  return fmt::format("{}: {} bytes, manifest says {}", path, actual, expected);
}

}  // namespace

const char* finding_kind_name(FindingKind kind) {
  switch (kind) {
    case FindingKind::missing:
      return "missing";
    case FindingKind::extra:
      return "extra";
    case FindingKind::changed:
      return "changed";
    case FindingKind::resized:
      return "resized";
    case FindingKind::unreadable:
      return "unreadable";
    case FindingKind::manifest_digest:
      return "manifest_digest";
    case FindingKind::wal:
      return "wal";
  }
  return "changed";
}

Result<CreateSummary> create_manifest(const fs::path& root, const fs::path& out,
                                      const CreateOptions& options) {
  DP_TRY_VOID(check_root(root));
  fs::path tmp = out;
  tmp += fmt::format(".tmp.{}", ::getpid());
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid())
    return make_error(Errc::io,
                      fmt::format("{}: cannot create: {}", tmp.string(), std::strerror(errno)));
  ManifestWriter writer(std::move(fd), options.algorithm);
  writer.line(header_line(options.algorithm));
  CreateSummary summary;
  std::optional<Error> failure;  // the first unreadable file; the rest still drain
  Result<void> walked;
  {
    HashPipeline pipeline(root, options.algorithm,
                          options.threads ? options.threads : default_threads(),
                          [&](HashDone&& done) {
                            if (!done.digest) {
                              if (!failure) failure = std::move(done.digest).error();
                              return;
                            }
                            ManifestEntry entry{std::move(done.job.entry.rel), done.job.entry.type,
                                                done.digest->size, std::move(done.digest->hex)};
                            writer.line(entry_line(entry));
                            ++summary.files;
                            summary.bytes += entry.size;
                            if (options.progress) options.progress(summary.files, summary.bytes);
                          });
    walked = walk_tree(root, excluded(root, {out, tmp}), [&](TreeEntry&& e) {
      pipeline.submit(HashJob{std::move(e), {}});
    });
  }
  if (walked && !failure) {
    summary.self_digest = writer.self_digest();
    writer.line(self_digest_line(summary.self_digest), false);
  }
  auto closed = writer.close();
  std::error_code ec;
  if (!walked || failure || !closed) {
    fs::remove(tmp, ec);
    if (!walked) return Unexpected<Error>(std::move(walked).error());
    if (failure) return Unexpected<Error>(std::move(*failure));
    return Unexpected<Error>(std::move(closed).error().context(tmp.string()));
  }
  fs::rename(tmp, out, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return make_error(Errc::io,
                      fmt::format("{}: cannot rename into place: {}", out.string(), ec.message()));
  }
  // The rename is durable only once the directory is synced.
  fs::path parent = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  Fd dir(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.valid()) (void)::fsync(dir.get());
  return summary;
}

namespace {

// An extra entry's size for its message: rare, so looked up here rather than
// stat'ing every entry during the walk. 0 if it vanished meanwhile.
std::uint64_t entry_size(const fs::path& root, const TreeEntry& e) {
  if (e.size_known) return e.size;
  std::error_code ec;
  if (e.type == EntryType::symlink) {
    auto target = fs::read_symlink(root / e.rel, ec);
    return ec ? 0 : target.native().size();
  }
  auto size = fs::file_size(root / e.rel, ec);
  return ec ? 0 : size;
}

const char* type_name(EntryType type) {
  return type == EntryType::symlink ? "a symlink" : "a file";
}

// Reads the whole manifest once before any file is hashed: a manifest that
// does not parse is a usage error (exit 2), found in milliseconds, and the
// self-digest verdict is known up front.
Result<std::optional<ManifestFinding>> check_manifest(const fs::path& manifest) {
  auto reader = ManifestReader::open(manifest);
  if (!reader) return Unexpected<Error>(std::move(reader).error());
  for (;;) {
    auto entry = reader->next();
    if (!entry) return Unexpected<Error>(std::move(entry).error());
    if (!*entry) break;
  }
  if (reader->recorded_digest().empty())
    return std::optional<ManifestFinding>(ManifestFinding{
        FindingKind::manifest_digest, manifest.string(),
        fmt::format("{}: no self-digest line: the manifest was truncated", manifest.string())});
  if (reader->recorded_digest() != reader->computed_digest())
    return std::optional<ManifestFinding>(ManifestFinding{
        FindingKind::manifest_digest, manifest.string(),
        fmt::format("{}: content digests to {}, its self-digest line says {}: the manifest was "
                    "edited or is stale",
                    manifest.string(), reader->computed_digest(), reader->recorded_digest())});
  return std::optional<ManifestFinding>();
}

// The merge of the manifest (in order) with the tree walk (same order).
class Merger {
 public:
  Merger(fs::path root, ManifestReader reader, VerifyReport& report)
      : m_root(std::move(root)), m_reader(std::move(reader)), m_report(report) {}

  // Reads the first entry; Errc::invalid_input if the manifest changed since it was checked.
  Result<void> start() {
    if (advance()) return {};
    return Unexpected<Error>(std::move(*m_failure));
  }

  void visit(TreeEntry&& e, HashPipeline& pipeline) {
    while (m_ok && m_cursor && path_less(m_cursor->path, e.rel)) {
      add(FindingKind::missing, m_cursor->path,
          fmt::format("{}: in the manifest, not in the tree", m_cursor->path));
      m_ok = m_ok && advance();
    }
    if (!m_ok || !m_cursor || m_cursor->path != e.rel) {
      add(FindingKind::extra, e.rel,
          fmt::format("{}: not in the manifest ({} bytes)", e.rel, entry_size(m_root, e)));
      return;
    }
    if (m_cursor->type != e.type)
      add(FindingKind::changed, e.rel,
          fmt::format("{}: is {}, manifest says {}", e.rel, type_name(e.type),
                      type_name(m_cursor->type)));
    else if (e.size_known && m_cursor->size != e.size)
      add(FindingKind::resized, e.rel, size_message(e.rel, e.size, m_cursor->size));
    else
      pipeline.submit(HashJob{std::move(e), std::move(m_cursor)});
    m_ok = m_ok && advance();
  }

  void hashed(HashDone&& done) {
    const std::string& rel = done.job.entry.rel;
    const ManifestEntry& expected = *done.job.expected;
    if (!done.digest)
      add(FindingKind::unreadable, rel, done.digest.error().message);
    else if (done.job.entry.type == EntryType::symlink && done.digest->hex != expected.digest)
      // A retargeted link is a change whatever the new target's length.
      add(FindingKind::changed, rel, fmt::format("{}: symlink points elsewhere", rel));
    else if (done.digest->size != expected.size)  // the walk does not stat: found by reading
      add(FindingKind::resized, rel, size_message(rel, done.digest->size, expected.size));
    else if (done.digest->hex != expected.digest)
      add(FindingKind::changed, rel,
          fmt::format("{}: {} {}, manifest says {}", rel, algorithm_name(m_reader.algorithm()),
                      done.digest->hex, expected.digest));
    else {
      ++m_report.files_checked;
      m_report.bytes_checked += expected.size;
    }
  }

  Result<void> finish() {
    while (m_ok && m_cursor) {
      add(FindingKind::missing, m_cursor->path,
          fmt::format("{}: in the manifest, not in the tree", m_cursor->path));
      m_ok = m_ok && advance();
    }
    if (m_failure) return Unexpected<Error>(std::move(*m_failure));
    return {};
  }

 private:
  // False (and the error kept) if the manifest changed since it was checked.
  bool advance() {
    auto next = m_reader.next();
    if (!next) {
      m_failure = std::move(next).error();
      m_cursor.reset();
      return false;
    }
    m_cursor = std::move(*next);
    return true;
  }
  void add(FindingKind kind, const std::string& path, std::string message) {
    m_report.findings.push_back(ManifestFinding{kind, path, std::move(message)});
  }

  fs::path m_root;
  ManifestReader m_reader;
  VerifyReport& m_report;
  std::optional<ManifestEntry> m_cursor;
  std::optional<Error> m_failure;
  bool m_ok = true;
};

}  // namespace

Result<VerifyReport> verify_manifest(const fs::path& root, const fs::path& manifest,
                                     const VerifyOptions& options) {
  DP_TRY_VOID(check_root(root));
  auto self = check_manifest(manifest);
  if (!self) return Unexpected<Error>(std::move(self).error());
  auto reader = ManifestReader::open(manifest);
  if (!reader) return Unexpected<Error>(std::move(reader).error());
  VerifyReport report;
  report.algorithm = reader->algorithm();
  report.algorithm_label = algorithm_name(report.algorithm);
  Merger merger(root, std::move(*reader), report);
  DP_TRY_VOID(merger.start());
  Result<void> walked;
  {
    HashPipeline pipeline(
        root, report.algorithm, options.threads ? options.threads : default_threads(),
        [&, files = std::uint64_t{0}, bytes = std::uint64_t{0}](HashDone&& done) mutable {
          ++files;
          if (done.digest) bytes += done.digest->size;
          merger.hashed(std::move(done));
          if (options.progress) options.progress(files, bytes);
        });
    walked = walk_tree(root, excluded(root, {manifest}),
                       [&](TreeEntry&& e) { merger.visit(std::move(e), pipeline); });
  }
  if (!walked) return Unexpected<Error>(std::move(walked).error());
  DP_TRY_VOID(merger.finish());
  if (*self) report.findings.push_back(std::move(**self));
  std::stable_sort(
      report.findings.begin(), report.findings.end(),
      [](const ManifestFinding& a, const ManifestFinding& b) { return path_less(a.path, b.path); });
  return report;
}

}  // namespace dp::artifacts
