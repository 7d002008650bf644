// The only renderer that touches disk. Each file is written to "<name>.tmp"
// and renamed over the final name, so a reader (or a CI job collecting
// junit.xml) never sees a half-written report, even if we are killed.
#include <fmt/format.h>

#include <system_error>

#include "reports/report_writers.hpp"
#include "verifier/core/text.hpp"

namespace dp::reports {
namespace fs = std::filesystem;

Result<void> write_atomically(const fs::path& path, std::string_view content) {
  fs::path tmp = path;
  tmp += ".tmp";
  if (auto written = write_file(tmp, content); !written) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    return make_error(Errc::io, std::move(written).error().message);
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    return make_error(Errc::io, fmt::format("cannot rename {} to {}: {}", tmp.string(),
                                            path.string(), ec.message()));
  }
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
