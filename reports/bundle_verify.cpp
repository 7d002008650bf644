// `drillproof verify`: the same checks an auditor makes with openssl and
// sha256sum, plus the DSSE envelope, reporting every problem rather than the
// first, each naming the file and what does not hold.
#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>

#include "reports/bundle.hpp"
#include "reports/bundle_internal.hpp"
#include "verifier/core/sha256.hpp"
#include "verifier/core/text.hpp"

namespace dp::reports {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr std::size_t k_max_bundle_file = std::size_t{256} << 20;

std::optional<std::string> slurp(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  auto text = read_file_head(file, k_max_bundle_file);
  if (!text) return std::nullopt;
  return std::move(*text);
}

// The value of a string member, or "" when absent or not a string: bundle
// files are untrusted input and must never throw a type error.
std::string string_at(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

bool is_hex64(std::string_view s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// A manifest name must stay inside the bundle: no directories, no "..".
bool safe_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

std::map<std::string, std::string> parse_manifest(std::string_view text, VerifyResult& r) {
  std::map<std::string, std::string> entries;
  std::size_t line_no = 0;
  for (const auto& line : split(text, '\n')) {
    ++line_no;
    if (line.empty()) continue;
    // sha256sum writes "<hex>  <name>" (text mode) or "<hex> *<name>" (binary).
    if (line.size() < 67 || !is_hex64(std::string_view(line).substr(0, 64)) || line[64] != ' ' ||
        (line[65] != ' ' && line[65] != '*')) {
      r.problems.push_back(
          fmt::format("{} line {}: not a sha256sum line", k_manifest_file, line_no));
      continue;
    }
    std::string name = line.substr(66);
    if (!safe_name(name) || name == k_manifest_file || name == k_signature_file) {
      r.problems.push_back(fmt::format("{} line {}: '{}' is not an artifact name of a bundle",
                                       k_manifest_file, line_no, name));
      continue;
    }
    if (!entries.emplace(name, line.substr(0, 64)).second)
      r.problems.push_back(
          fmt::format("{} line {}: {} is listed twice", k_manifest_file, line_no, name));
  }
  return entries;
}

void check_signature(const fs::path& dir, std::string_view manifest, const VerifyKey& key,
                     VerifyResult& r) {
  auto sig = slurp(dir / k_signature_file);
  if (!sig) {
    r.problems.push_back(fmt::format("{}: missing: the bundle is not signed", k_signature_file));
    return;
  }
  if (key.verify(manifest, *sig)) {
    r.verified.push_back(fmt::format("{}: Ed25519 signature over {} verifies with key {}",
                                     k_signature_file, k_manifest_file, key.fingerprint()));
    return;
  }
  r.problems.push_back(
      fmt::format("{}: signature does not verify with key {} ({} or the signature changed after "
                  "signing, or another key signed it)",
                  k_signature_file, key.fingerprint(), k_manifest_file));
}

void check_files(const fs::path& dir, const std::map<std::string, std::string>& entries,
                 VerifyResult& r) {
  std::size_t matched = 0;
  for (const auto& [name, digest] : entries) {
    std::error_code ec;
    if (!fs::is_regular_file(dir / name, ec)) {
      r.problems.push_back(fmt::format("{}: listed in {} but missing", name, k_manifest_file));
      continue;
    }
    auto actual = sha256_file_hex(dir / name);
    if (!actual) {
      r.problems.push_back(fmt::format("{}: {}", name, actual.error().message));
    } else if (*actual != digest) {
      r.problems.push_back(fmt::format("{}: sha256 {} differs from {} ({}): changed after signing",
                                       name, *actual, k_manifest_file, digest));
    } else {
      ++matched;
    }
  }
  for (const char* required : {"report.json", "junit.xml", k_statement_file})
    if (!entries.count(required))
      r.problems.push_back(fmt::format("{}: does not list {}", k_manifest_file, required));

  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name == k_manifest_file || name == k_signature_file || entries.count(name)) continue;
    r.problems.push_back(
        fmt::format("{}: not listed in {}: added after signing", name, k_manifest_file));
  }
  if (matched == entries.size() && !entries.empty())
    r.verified.push_back(
        fmt::format("{}: all {} files match their sha256", k_manifest_file, entries.size()));
}

void check_subjects(const Json& statement, const std::map<std::string, std::string>& entries,
                    VerifyResult& r) {
  const auto where = k_statement_file;
  if (string_at(statement, "_type") != "https://in-toto.io/Statement/v1")
    r.problems.push_back(fmt::format("{}: payload is not an in-toto Statement v1", where));
  if (string_at(statement, "predicateType") != k_predicate_type)
    r.problems.push_back(fmt::format("{}: predicateType is not {}", where, k_predicate_type));
  std::set<std::string> named;
  const auto subjects = statement.find("subject");
  if (subjects == statement.end() || !subjects->is_array()) {
    r.problems.push_back(fmt::format("{}: statement has no subject list", where));
    return;
  }
  for (const auto& s : *subjects) {
    std::string name = string_at(s, "name");
    std::string digest;
    if (s.is_object() && s.contains("digest")) digest = string_at(s["digest"], "sha256");
    named.insert(name);
    auto listed = entries.find(name);
    if (listed == entries.end())
      r.problems.push_back(
          fmt::format("{}: subject {} is not in {}", where, name, k_manifest_file));
    else if (listed->second != digest)
      r.problems.push_back(fmt::format("{}: subject {} has sha256 {}, {} has {}", where, name,
                                       digest, k_manifest_file, listed->second));
  }
  for (const auto& [name, digest] : entries)
    if (name != k_statement_file && !named.count(name))
      r.problems.push_back(fmt::format("{}: {} is not a subject of the statement", where, name));
}

void check_statement(const fs::path& dir, const std::map<std::string, std::string>& entries,
                     const VerifyKey& key, VerifyResult& r) {
  const auto where = k_statement_file;
  auto text = slurp(dir / k_statement_file);
  if (!text) return;  // reported as missing by check_files
  Json envelope = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!envelope.is_object() || !envelope.contains("payload") || !envelope["payload"].is_string()) {
    r.problems.push_back(fmt::format("{}: not a DSSE envelope", where));
    return;
  }
  std::string type = string_at(envelope, "payloadType");
  if (type != k_statement_payload_type)
    r.problems.push_back(
        fmt::format("{}: payloadType is '{}', expected {}", where, type, k_statement_payload_type));
  auto payload = base64_decode(envelope["payload"].get<std::string>());
  if (!payload) {
    r.problems.push_back(fmt::format("{}: payload is not valid base64", where));
    return;
  }
  bool signature_ok = false;
  if (auto sigs = envelope.find("signatures"); sigs != envelope.end() && sigs->is_array())
    for (const auto& s : *sigs) {
      if (!s.is_object() || !s.contains("sig") || !s["sig"].is_string()) continue;
      auto sig = base64_decode(s["sig"].get<std::string>());
      if (sig && key.verify(dsse_pae(type, *payload), *sig)) signature_ok = true;
    }
  if (signature_ok)
    r.verified.push_back(
        fmt::format("{}: DSSE signature verifies with key {}", where, key.fingerprint()));
  else
    r.problems.push_back(
        fmt::format("{}: no DSSE signature verifies with key {}", where, key.fingerprint()));
  Json statement = Json::parse(*payload, nullptr, /*allow_exceptions=*/false);
  if (!statement.is_object()) {
    r.problems.push_back(fmt::format("{}: payload is not JSON", where));
    return;
  }
  std::size_t before = r.problems.size();
  check_subjects(statement, entries, r);
  if (r.problems.size() == before)
    r.verified.push_back(fmt::format("{}: in-toto subjects match {}", where, k_manifest_file));
}

// A report signed by another key fails the signature check already; naming
// both fingerprints tells the auditor why.
void check_key_named_in_report(const fs::path& dir, const VerifyKey& key, VerifyResult& r) {
  auto text = slurp(dir / "report.json");
  if (!text) return;
  Json report = Json::parse(*text, nullptr, false);
  if (!report.is_object() || !report.contains("signature") || !report["signature"].is_object())
    return;
  std::string named = string_at(report["signature"], "key_fingerprint");
  if (!named.empty() && named != key.fingerprint())
    r.problems.push_back(fmt::format("report.json: signed by key {}, but the key given is {}",
                                     named, key.fingerprint()));
}

}  // namespace

VerifyResult verify_bundle(const fs::path& dir, const VerifyKey& key) {
  VerifyResult r;
  auto manifest = slurp(dir / k_manifest_file);
  if (!manifest) {
    r.problems.push_back(fmt::format("{}: missing in {}", k_manifest_file, dir.string()));
    return r;
  }
  check_signature(dir, *manifest, key, r);
  auto entries = parse_manifest(*manifest, r);
  check_files(dir, entries, r);
  check_statement(dir, entries, key, r);
  check_key_named_in_report(dir, key, r);
  return r;
}

}  // namespace dp::reports
