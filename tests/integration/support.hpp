#pragma once
// Shared helpers for integration and end-to-end tests: run the built
// drillproof binary, make scratch folders the server user can reach, read
// reports. Servers are started by the same drills::PgScratch the tool uses.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "verifier/core/child_process.hpp"
#include "verifier/core/temp_dir.hpp"

namespace dp::test {

namespace fs = std::filesystem;

inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

// A missing server binary skips the test locally but fails it under CI=true.
#define DP_REQUIRE_OR_SKIP(cond, why)           \
  do {                                          \
    if (!(cond)) {                              \
      if (::dp::test::in_ci()) FAIL() << (why); \
      GTEST_SKIP() << (why);                    \
    }                                           \
  } while (false)

inline fs::path shared_dir() { return DP_SHARED_DIR; }
inline fs::path chinook(const std::string& file) {
  return shared_dir() / "datasets/chinook" / file;
}

// A temp dir that the unprivileged server user can traverse (scratch dirs
// are created inside it when it is used as TMPDIR).
inline TempDir world_dir(const std::string& prefix) {
  auto dir = TempDir::create(prefix);
  if (!dir) {
    std::cerr << "cannot create temp dir: " << dir.error().message << "\n";
    std::abort();
  }
  ::chmod(dir->path().c_str(), 0755);
  return std::move(*dir);
}

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline CliRun run_cli(const std::vector<std::string>& args,
                      std::vector<std::pair<std::string, std::string>> env = {},
                      Millis timeout = std::chrono::minutes(5)) {
  SpawnOptions o;
  o.argv = {DP_BINARY};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env = std::move(env);
  auto run = run_captured(std::move(o), timeout);
  if (!run) return {-1, "", run.error().message};
  return {run->status.signal ? 128 + run->status.signal : run->status.code, run->out, run->err};
}

inline std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

inline nlohmann::json read_json(const fs::path& p) { return nlohmann::json::parse(read_text(p)); }

// xmllint --schema against the JUnit schema Jenkins' xUnit plugin uses.
inline int junit_schema_check(const fs::path& junit) {
  SpawnOptions o;
  o.argv = {"xmllint", "--noout", "--schema", (shared_dir() / "schemas/junit-10.xsd").string(),
            junit.string()};
  auto run = run_captured(std::move(o), std::chrono::seconds(60));
  if (!run) return -1;
  if (!run->status.ok()) std::cerr << run->err;
  return run->status.code;
}

// Entries left in a directory (scratch dirs that were not torn down).
inline std::vector<std::string> leftovers(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename());
  return out;
}

// Processes whose command line mentions `needle` (e.g. a scratch dir).
inline std::vector<int> processes_mentioning(const std::string& needle) {
  std::vector<int> pids;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = read_text(e.path() / "cmdline");
    for (auto& c : cmdline)
      if (c == '\0') c = ' ';
    if (cmdline.find(needle) != std::string::npos && std::stoi(name) != ::getpid())
      pids.push_back(std::stoi(name));
  }
  return pids;
}

}  // namespace dp::test
