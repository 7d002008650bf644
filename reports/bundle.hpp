#pragma once
// The signed report bundle: what makes a report directory evidence. Written
// after every other artifact, over exactly the files of the run:
//   MANIFEST.sha256      coreutils `sha256sum` format ("<hex>  <name>\n"),
//                        sorted by name, every artifact including
//                        statement.dsse.json
//   MANIFEST.sha256.sig  raw 64-byte Ed25519 signature over MANIFEST.sha256
//                        (`openssl pkeyutl -verify -rawin` checks it)
//   statement.dsse.json  DSSE envelope (payloadType application/vnd.in-toto+json)
//                        around an in-toto Statement v1: subjects are the
//                        other artifacts with their sha256, the predicate
//                        (type https://drillproof.dev/report/v1) the run summary
// Format in docs/report.md ("Signed bundle").
#include <filesystem>
#include <string>
#include <vector>

#include "reports/run_report.hpp"
#include "reports/signing.hpp"
#include "verifier/core/result.hpp"

namespace dp::reports {

inline constexpr const char* k_manifest_file = "MANIFEST.sha256";
inline constexpr const char* k_signature_file = "MANIFEST.sha256.sig";
inline constexpr const char* k_statement_file = "statement.dsse.json";
inline constexpr const char* k_statement_payload_type = "application/vnd.in-toto+json";
inline constexpr const char* k_predicate_type = "https://drillproof.dev/report/v1";

struct BundleInfo {
  std::string manifest_digest;     // "sha256:<hex>" of MANIFEST.sha256
  std::vector<std::string> files;  // every file the manifest lists
};

// Writes the statement, the manifest and (when `key` is not null) the
// signature into `dir`, which already holds the run's artifacts
// (`artifacts`, names relative to `dir`). Each file is written atomically.
Result<BundleInfo> write_bundle(const std::filesystem::path& dir, const RunReport& report,
                                const std::vector<std::string>& artifacts, const SigningKey* key);

// Everything `drillproof verify` checks. Each problem names the file and
// what does not hold ("junit.xml: sha256 differs from MANIFEST.sha256").
struct VerifyResult {
  std::vector<std::string> problems;
  std::vector<std::string> verified;  // what held, for the report to the user
  bool ok() const { return problems.empty(); }
};

VerifyResult verify_bundle(const std::filesystem::path& dir, const VerifyKey& key);

// DSSE pre-authentication encoding: "DSSEv1 <len> <type> <len> <body>".
std::string dsse_pae(std::string_view payload_type, std::string_view payload);

}  // namespace dp::reports
