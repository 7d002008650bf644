// The drillproof executable: cli::main and the last-resort handler only.
#include <cstdio>
#include <exception>

#include "verifier/cli/cli.hpp"

int main(int argc, char** argv) {
  try {
    return dp::cli::main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "drillproof: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "drillproof: internal error: unknown exception\n");
  }
  return dp::cli::k_exit_untestable;
}
