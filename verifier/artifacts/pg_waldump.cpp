#include "verifier/artifacts/pg_waldump.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>

namespace fs = std::filesystem;

namespace dp::artifacts {
namespace {

// "15" from "15", "15.4" or "9.6"; 0 if it does not start with a number.
int leading_int(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p != s.data() ? v : 0;
}

}  // namespace

int pg_data_major(const fs::path& data_dir) {
  std::ifstream in(data_dir / "PG_VERSION");
  std::string line;
  if (!in || !std::getline(in, line)) return 0;
  return leading_int(line);
}

Result<fs::path> find_pg_waldump(int major) {
  std::error_code ec;
  const fs::path base = "/usr/lib/postgresql";
  // WAL page magic changes with each major, and pg_waldump refuses another
  // major's WAL: the matching bindir comes first.
  if (major > 0) {
    fs::path p = base / std::to_string(major) / "bin" / "pg_waldump";
    if (fs::exists(p, ec)) return p;
  }
  if (auto p = find_program("pg_waldump")) return *p;
  std::vector<std::pair<int, fs::path>> found;
  for (auto it = fs::directory_iterator(base, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    int m = leading_int(it->path().filename().string());
    fs::path p = it->path() / "bin" / "pg_waldump";
    std::error_code ec2;
    if (m > 0 && fs::exists(p, ec2)) found.emplace_back(m, p);
  }
  if (found.empty())
    return make_error(Errc::not_found,
                      "pg_waldump not found (not in PATH, nothing in /usr/lib/postgresql/*/bin)\n"
                      "hint: apt-get install -y postgresql, or skip WAL parsing (--no-parse-wal)");
  std::sort(found.begin(), found.end());
  return found.back().second;
}

Result<CapturedRun> run_pg_waldump(const fs::path& pg_waldump, std::vector<std::string> args,
                                   Deadline deadline) {
  SpawnOptions o;
  o.argv.reserve(args.size() + 1);
  o.argv.push_back(pg_waldump.string());
  for (auto& a : args) o.argv.push_back(std::move(a));
  // Messages in English whatever the caller's locale: findings quote them.
  // TZ=UTC: commit times are printed in UTC, which wal_archive.cpp parses.
  o.env = {{"LC_ALL", "C"}, {"LANG", "C"}, {"TZ", "UTC"}};
  o.unset_env = {"PG_COLOR", "PGCOLOR"};
  o.stop_grace = std::chrono::seconds(2);
  auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) left = Millis(1);
  return run_captured(std::move(o), left, 64 << 10);
}

}  // namespace dp::artifacts
