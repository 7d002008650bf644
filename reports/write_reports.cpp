// The only renderer that touches disk. Each file is written to a unique
// temporary name in the same directory, fsync'd, and renamed over the final
// name, and then the directory is fsync'd: a reader (or a CI job collecting
// junit.xml) never sees a half-written report, even if we are killed, two
// writers never rename each other's half-written file, and a history line
// that names the bundle is never more durable than the bundle itself.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "reports/report_writers.hpp"
#include "verifier/core/fd.hpp"
#include "verifier/core/text.hpp"

namespace dp::reports {
namespace fs = std::filesystem;

namespace {

Unexpected<Error> io_error(std::string_view what, const fs::path& path) {
  return make_error(Errc::io,
                    fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(errno)));
}

Result<void> write_all(int fd, std::string_view content, const fs::path& path) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("write", path);
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd) != 0) return io_error("sync", path);
  return {};
}

// Best effort: some file systems refuse fsync on a directory; the rename is
// then as durable as they allow.
void sync_directory(const fs::path& dir) {
  Fd fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.valid()) (void)::fsync(fd.get());
}

}  // namespace

Result<void> write_atomically(const fs::path& path, std::string_view content) {
  std::string tmp = path.string() + ".tmp.XXXXXX";
  Fd fd(::mkstemp(tmp.data()));
  if (!fd.valid()) return io_error("create a temporary file for", path);
  // mkstemp makes 0600; reports are for reading by others (CI, auditors).
  auto written = ::fchmod(fd.get(), 0644) == 0 ? write_all(fd.get(), content, tmp)
                                               : Result<void>(io_error("chmod", tmp));
  fd.reset();
  std::error_code ec;
  if (!written) {
    fs::remove(tmp, ec);
    return written;
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    return make_error(Errc::io,
                      fmt::format("cannot rename {} to {}: {}", tmp, path.string(), ec.message()));
  }
  sync_directory(path.parent_path());
  return {};
}

Result<std::vector<std::string>> write_reports(const RunReport& report, const fs::path& dir,
                                               const HtmlOptions& html) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return make_error(
        Errc::io, fmt::format("cannot create report directory {}: {}", dir.string(), ec.message()));

  std::vector<std::string> written;
  const std::pair<const char*, std::string> files[] = {
      {"report.json", render_json(report)},
      {"junit.xml", render_junit(report)},
      {"report.html", render_html(report, html)},
  };
  for (const auto& [name, content] : files) {
    fs::path path = dir / name;
    if (auto ok = write_atomically(path, content); !ok)
      return Unexpected<Error>(std::move(ok).error());
    written.emplace_back(name);
  }
  return written;
}

}  // namespace dp::reports
