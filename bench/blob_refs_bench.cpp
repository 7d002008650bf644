// dp_blob_refs_bench: runs the blob_refs check alone against a running
// PostgreSQL, for bench/blob_refs_vs_pipeline.sh (no restore, no report).
//
//   dp_blob_refs_bench SOCKET_DIR DATABASE STORE_DIR MANIFEST QUERY [--check-files]
//
// Builds the store index from MANIFEST (check_files = false unless
// --check-files), streams QUERY, prints the check's `observed` line and
// "dangling N" on stdout, and the elapsed time on stderr. Exit 0 passed,
// 1 findings, 2 usage, 3 the check was in error.
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

#include "checks/blob_refs_check.hpp"

int main(int argc, char** argv) {
  if (argc < 6 || argc > 7 || (argc == 7 && std::string_view(argv[6]) != "--check-files")) {
    std::fputs(
        "usage: dp_blob_refs_bench SOCKET_DIR DATABASE STORE_DIR MANIFEST QUERY "
        "[--check-files]\n",
        stderr);
    return 2;
  }
  dp::engine::ConnectOptions options;
  options.kind = dp::EngineKind::postgres;
  options.socket_dir = argv[1];
  options.database = argv[2];
  options.user = "postgres";
  auto db = dp::engine::connect(options);
  if (!db) {
    std::fprintf(stderr, "connect: %s\n", db.error().message.c_str());
    return 3;
  }
  dp::checks::BlobRefsOptions o;
  o.name = "bench";
  o.store = "bench";
  o.store_path = argv[3];
  o.store_manifest = argv[4];
  o.query = argv[5];
  o.check_files = argc == 7;
  o.orphans = false;  // the shell pipeline (comm -23) lists dangling keys only
  auto start = std::chrono::steady_clock::now();
  dp::checks::CheckOutcome out =
      dp::checks::BlobRefsCheck(o).run(dp::checks::CheckContext{**db, "bench"});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (out.outcome == dp::checks::Outcome::error) {
    std::fprintf(stderr, "%s\n", out.message.c_str());
    return 3;
  }
  std::printf("%s\n", out.observed.c_str());
  // observed reads "... found, N dangling, ...".
  std::string_view text = out.observed;
  if (auto end = text.find(" dangling,"); end != std::string_view::npos) {
    auto begin = text.rfind(' ', end - 1);
    std::string count(text.substr(begin + 1, end - begin - 1));
    std::printf("dangling %s\n", count.c_str());
  }
  std::fprintf(stderr, "blob_refs: %.3f s\n", seconds);
  return out.outcome == dp::checks::Outcome::passed ? 0 : 1;
}
