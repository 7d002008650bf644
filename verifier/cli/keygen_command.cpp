#include "verifier/cli/cli.hpp"
#include "verifier/cli/commands.hpp"

namespace dp::cli {

Runner setup_keygen(CLI::App&) {
  return [] { return k_exit_usage; };
}

}  // namespace dp::cli
