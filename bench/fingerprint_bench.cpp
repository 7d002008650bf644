// dp_fingerprint_bench: times content fingerprints against a running
// PostgreSQL, for bench/fingerprint_vs_copy.sh.
//
//   dp_fingerprint_bench SOCKET_DIR DATABASE snapshot OUT.json [--segment-rows N]
//   dp_fingerprint_bench SOCKET_DIR DATABASE verify SNAPSHOT.json [--jobs N] [--table T]
//
// snapshot: take_snapshot (schema, count(*), fingerprints) written to OUT.json.
// verify: verify_table for every fingerprinted table (or only T) on N
// sessions. Timing and segment counts go to stderr. Exit 0 when everything
// matched, 1 on differences, 2 on usage errors, 3 on failures.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "checks/fingerprint.hpp"
#include "checks/snapshot.hpp"

namespace {

using Clock = std::chrono::steady_clock;

int usage() {
  std::fputs(
      "usage: dp_fingerprint_bench SOCKET_DIR DATABASE snapshot OUT.json [--segment-rows N]\n"
      "       dp_fingerprint_bench SOCKET_DIR DATABASE verify SNAPSHOT.json [--jobs N] "
      "[--table T]\n",
      stderr);
  return 2;
}

bool parse_number(std::string_view text, std::uint64_t& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && out > 0;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int snapshot(dp::engine::Engine& db, const std::string& out, std::uint64_t segment_rows) {
  dp::checks::SnapshotOptions options;
  options.segment_rows = segment_rows;
  options.source_label = "dp_fingerprint_bench";
  auto start = Clock::now();
  auto snap = dp::checks::take_snapshot(db, options);
  if (!snap) {
    std::fprintf(stderr, "snapshot: %s\n", snap.error().message.c_str());
    return 3;
  }
  std::size_t segments = 0;
  for (const auto& t : snap->tables) segments += t.fingerprint.segments.size();
  std::ofstream(out, std::ios::binary | std::ios::trunc) << dp::checks::snapshot_to_json(*snap);
  std::fprintf(stderr, "snapshot: %zu tables, %zu segments in %.3f s\n", snap->tables.size(),
               segments, seconds_since(start));
  return 0;
}

int verify(dp::engine::Engine& db, const dp::checks::Connector& connect, const std::string& file,
           int jobs, const std::string& only) {
  auto snap = dp::checks::read_snapshot(file);
  if (!snap) {
    std::fprintf(stderr, "%s\n", snap.error().message.c_str());
    return 3;
  }
  auto start = Clock::now();
  int rc = 0;
  for (const auto& t : snap->tables) {
    if (t.fingerprint.mode.empty()) continue;
    if (!only.empty() && t.schema.name.qualified() != only) continue;
    auto v = dp::checks::verify_table(db, connect, jobs, t.schema, t.fingerprint, {}, 0);
    if (!v) {
      std::fprintf(stderr, "verify: %s\n", v.error().message.c_str());
      return 3;
    }
    std::fprintf(stderr, "%s: %zu segments, %zu differ, %llu rows outside\n",
                 t.schema.name.qualified().c_str(), t.fingerprint.segments.size(),
                 v->differing.size(), static_cast<unsigned long long>(v->rows_outside));
    if (!v->differing.empty() || v->rows_outside) rc = 1;
  }
  std::fprintf(stderr, "verify: %.3f s on %d jobs\n", seconds_since(start), jobs);
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() < 4) return usage();
  dp::engine::ConnectOptions options;
  options.kind = dp::EngineKind::postgres;
  options.socket_dir = args[0];
  options.user = "postgres";
  options.database = args[1];
  const std::string& mode = args[2];
  const std::string& file = args[3];
  std::uint64_t segment_rows = 100'000;
  std::uint64_t jobs = 2;
  std::string table;
  for (std::size_t i = 4; i < args.size(); i += 2) {
    if (i + 1 >= args.size()) return usage();
    if (args[i] == "--segment-rows" && parse_number(args[i + 1], segment_rows)) continue;
    if (args[i] == "--jobs" && parse_number(args[i + 1], jobs) && jobs < 1000) continue;
    if (args[i] == "--table") {
      table = args[i + 1];
      continue;
    }
    return usage();
  }
  auto db = dp::engine::connect(options);
  if (!db) {
    std::fprintf(stderr, "connect: %s\n", db.error().message.c_str());
    return 3;
  }
  if (mode == "snapshot") return snapshot(**db, file, segment_rows);
  if (mode != "verify") return usage();
  dp::checks::Connector connect = [options]() { return dp::engine::connect(options); };
  return verify(**db, connect, file, static_cast<int>(jobs), table);
}
