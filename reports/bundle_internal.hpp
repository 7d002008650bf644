#pragma once
// Pieces shared by writing (bundle.cpp) and verifying (bundle_verify.cpp) a
// bundle; not part of the reports interface.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reports/run_report.hpp"

namespace dp::reports {

struct ManifestLine {
  std::string sha256;  // lowercase hex
  std::string name;    // relative to the bundle directory
};

// Standard base64 with padding, no line breaks (DSSE's encoding).
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

// "<hex>  <name>\n" per line, sorted by name: `sha256sum` output.
std::string manifest_text(std::vector<ManifestLine> lines);

// The in-toto Statement v1 JSON (compact) with `subjects` as its subject.
std::string statement_json(const RunReport& report, const std::vector<ManifestLine>& subjects);

}  // namespace dp::reports
