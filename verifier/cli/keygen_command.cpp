#include <fmt/format.h>

#include "reports/signing.hpp"
#include "verifier/cli/cli.hpp"
#include "verifier/cli/commands.hpp"

namespace dp::cli {
namespace {

int keygen_command(const std::string& out) {
  auto files = reports::generate_key_pair(out);
  if (!files) {
    fmt::print(stderr, "drillproof keygen: {}\n", files.error().message);
    return files.error().code == Errc::invalid_input ? k_exit_usage : k_exit_untestable;
  }
  fmt::print(
      "private key: {} (mode 0600; keep it on the drill host only)\n"
      "public key:  {} (give this to auditors)\n"
      "fingerprint: sha256:{}\n"
      "sign runs with: drillproof run PLAN --sign-key {}\n",
      files->private_key.string(), files->public_key.string(), files->fingerprint,
      files->private_key.string());
  return k_exit_ok;
}

}  // namespace

Runner setup_keygen(CLI::App& sub) {
  auto out = std::make_shared<std::string>();
  sub.add_option("--out", *out,
                 "directory for drillproof-signing.key and drillproof-signing.pub "
                 "(created 0700 if missing; existing keys are never overwritten)")
      ->type_name("DIR")
      ->required();
  return [out] { return keygen_command(*out); };
}

}  // namespace dp::cli
