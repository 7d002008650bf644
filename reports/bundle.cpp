// Writes the signed bundle. The order matters: the statement names the
// reports, the manifest names the reports and the statement, and the
// signature covers the manifest, so one signature vouches for every byte.
#include "reports/bundle.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <system_error>

#include "reports/bundle_internal.hpp"
#include "reports/report_writers.hpp"
#include "verifier/core/sha256.hpp"
#include "verifier/core/text.hpp"

namespace dp::reports {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

Json optional_seconds(const std::optional<Millis>& d) {
  return d ? Json(static_cast<double>(d->count()) / 1000.0) : Json(nullptr);
}

Json predicate(const RunReport& report) {
  Json p;
  p["run_id"] = report.run_id;
  p["plan"] = {{"name", report.plan_name},
               {"owner", report.plan_owner},
               {"file", report.plan_file},
               {"digest", report.plan_digest}};
  p["scope"] = report.scope;
  p["verdict"] = status_name(overall_status(report));
  p["exit_code"] = exit_code(report);
  p["interrupted"] = report.interrupted;
  p["started"] = format_utc(report.started);
  p["finished"] = format_utc(report.finished);
  p["tool"] = {{"name", "drillproof"}, {"version", report.tool_version}};
  p["host"] = report.host;
  p["signer"] = {{"key_fingerprint", report.signer.key_fingerprint}};
  p["backups"] = Json::array();
  for (const auto& b : report.backups) {
    Json bj;
    bj["name"] = b.name;
    bj["engine"] = b.engine;
    bj["status"] = status_name(b.status);
    bj["objectives"] = Json::array();
    for (const auto& o : b.objectives)
      bj["objectives"].push_back({{"name", o.name},
                                  {"status", status_name(o.status)},
                                  {"objective_s", optional_seconds(o.objective)},
                                  {"achieved_s", optional_seconds(o.achieved)}});
    long checks_failed = std::count_if(b.checks.begin(), b.checks.end(), [](const CheckResult& c) {
      return c.status != Status::passed;
    });
    bj["checks"] = {{"total", b.checks.size()}, {"not_passed", checks_failed}};
    p["backups"].push_back(std::move(bj));
  }
  return p;
}

}  // namespace

std::string dsse_pae(std::string_view payload_type, std::string_view payload) {
  return fmt::format("DSSEv1 {} {} {} {}", payload_type.size(), payload_type, payload.size(),
                     payload);
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the bytes the '=' padding stands for as zeros.
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::string manifest_text(std::vector<ManifestLine> lines) {
  std::sort(lines.begin(), lines.end(),
            [](const ManifestLine& a, const ManifestLine& b) { return a.name < b.name; });
  std::string out;
  for (const auto& l : lines) out += fmt::format("{}  {}\n", l.sha256, l.name);
  return out;
}

std::string statement_json(const RunReport& report, const std::vector<ManifestLine>& subjects) {
  Json s;
  s["_type"] = "https://in-toto.io/Statement/v1";
  s["subject"] = Json::array();
  for (const auto& l : subjects)
    s["subject"].push_back({{"name", l.name}, {"digest", {{"sha256", l.sha256}}}});
  s["predicateType"] = k_predicate_type;
  s["predicate"] = predicate(report);
  return s.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<BundleInfo> write_bundle(const fs::path& dir, const RunReport& report,
                                const std::vector<std::string>& artifacts, const SigningKey* key) {
  std::vector<ManifestLine> lines;
  for (const auto& name : artifacts) {
    auto digest = sha256_file_hex(dir / name);
    if (!digest) return Unexpected<Error>(std::move(digest).error());
    lines.push_back({*digest, name});
  }
  std::sort(lines.begin(), lines.end(),
            [](const ManifestLine& a, const ManifestLine& b) { return a.name < b.name; });

  std::string payload = statement_json(report, lines);
  Json envelope;
  envelope["payloadType"] = k_statement_payload_type;
  envelope["payload"] = base64_encode(payload);
  envelope["signatures"] = Json::array();
  if (key)
    envelope["signatures"].push_back(
        {{"keyid", key->fingerprint()},
         {"sig", base64_encode(key->sign(dsse_pae(k_statement_payload_type, payload)))}});
  std::string statement = envelope.dump(2) + "\n";
  DP_TRY_VOID(write_atomically(dir / k_statement_file, statement));
  lines.push_back({sha256_hex(statement), k_statement_file});

  std::string manifest = manifest_text(lines);
  DP_TRY_VOID(write_atomically(dir / k_manifest_file, manifest));
  const fs::path sig_path = dir / k_signature_file;
  if (key) {
    DP_TRY_VOID(write_atomically(sig_path, key->sign(manifest)));
  } else {
    // A signature left by an earlier run into the same directory would now
    // vouch for nothing; remove it so the bundle is plainly unsigned.
    std::error_code ec;
    fs::remove(sig_path, ec);
  }

  BundleInfo info;
  info.manifest_digest = "sha256:" + sha256_hex(manifest);
  for (const auto& l : lines) info.files.push_back(l.name);
  std::sort(info.files.begin(), info.files.end());
  return info;
}

}  // namespace dp::reports
