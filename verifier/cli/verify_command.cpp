#include <fmt/format.h>

#include <filesystem>

#include "reports/bundle.hpp"
#include "reports/signing.hpp"
#include "verifier/cli/cli.hpp"
#include "verifier/cli/commands.hpp"

namespace dp::cli {
namespace {

struct VerifyArgs {
  std::string dir;
  std::string pubkey;
};

int verify_command(const VerifyArgs& args) {
  std::error_code ec;
  if (!std::filesystem::is_directory(args.dir, ec)) {
    fmt::print(stderr, "drillproof verify: {} is not a report directory\n", args.dir);
    return k_exit_usage;
  }
  auto key = reports::VerifyKey::load(args.pubkey);
  if (!key) {
    fmt::print(stderr, "drillproof verify: {}\n", key.error().message);
    return k_exit_usage;
  }
  auto result = reports::verify_bundle(args.dir, *key);
  for (const auto& line : result.verified) fmt::print("ok       {}\n", line);
  for (const auto& line : result.problems) fmt::print("FAILED   {}\n", line);
  if (result.ok()) {
    fmt::print("verified: {} is intact and signed by key sha256:{}\n", args.dir,
               key->fingerprint());
    return k_exit_ok;
  }
  fmt::print("NOT VERIFIED: {} problem{} in {}\n", result.problems.size(),
             result.problems.size() == 1 ? "" : "s", args.dir);
  return k_exit_findings;
}

}  // namespace

Runner setup_verify(CLI::App& sub) {
  auto args = std::make_shared<VerifyArgs>();
  sub.add_option("dir", args->dir, "a report directory written by `drillproof run`")->required();
  sub.add_option("--pubkey", args->pubkey, "the signer's public key (PEM), from keygen")
      ->type_name("FILE")
      ->required();
  sub.footer(
      "exit codes: 0 signature, digests and statement all hold; 1 something does not (each "
      "named); 2 usage error (no such directory, unreadable key)");
  return [args] { return verify_command(*args); };
}

}  // namespace dp::cli
