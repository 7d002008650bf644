#include "verifier/artifacts/manifest_format.hpp"

#include <fmt/format.h>

#include <charconv>
#include <string_view>

namespace dp::artifacts {
namespace {

constexpr std::string_view k_header_prefix = "# drillproof manifest v1 ";
constexpr std::string_view k_self_prefix = "# self-digest ";

std::string escape(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::optional<std::string> unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i == text.size()) return std::nullopt;
    if (text[i] == '\\')
      out += '\\';
    else if (text[i] == 'n')
      out += '\n';
    else
      return std::nullopt;
  }
  return out;
}

bool is_hex(std::string_view s, std::size_t length) {
  if (s.size() != length) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::size_t hex_length(Algorithm algorithm) { return algorithm == Algorithm::sha256 ? 64 : 32; }

// Splits off the next space-terminated field.
std::optional<std::string_view> field(std::string_view& rest) {
  auto space = rest.find(' ');
  if (space == std::string_view::npos || space == 0) return std::nullopt;
  std::string_view out = rest.substr(0, space);
  rest.remove_prefix(space + 1);
  return out;
}

}  // namespace

std::string header_line(Algorithm algorithm) {
  return fmt::format("{}{}\n", k_header_prefix, algorithm_name(algorithm));
}

std::string entry_line(const ManifestEntry& entry) {
  return fmt::format("{} {} {} {}\n", entry.type == EntryType::symlink ? 'l' : 'f', entry.digest,
                     entry.size, escape(entry.path));
}

std::string self_digest_line(const std::string& hex) {
  return fmt::format("{}{}\n", k_self_prefix, hex);
}

ManifestReader::ManifestReader(std::filesystem::path file, std::ifstream in, Algorithm algorithm)
    : m_file(std::move(file)), m_in(std::move(in)), m_algorithm(algorithm), m_hasher(algorithm) {}

Result<ManifestReader> ManifestReader::open(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return make_error(Errc::not_found, fmt::format("{}: cannot read manifest", file.string()));
  std::string header;
  std::getline(in, header);
  std::string_view h = header;
  std::optional<Algorithm> algorithm;
  if (h.starts_with(k_header_prefix)) algorithm = parse_algorithm(h.substr(k_header_prefix.size()));
  if (!in || !algorithm)
    return make_error(Errc::invalid_input,
                      fmt::format("{}:1: not a drillproof manifest v1 header", file.string()));
  ManifestReader reader(file, std::move(in), *algorithm);
  reader.m_hasher.update(header);
  reader.m_hasher.update("\n");
  return reader;
}

Unexpected<Error> ManifestReader::bad_line(const std::string& why) const {
  return make_error(Errc::invalid_input, fmt::format("{}:{}: {}", m_file.string(), m_line_no, why));
}

Result<std::optional<ManifestEntry>> ManifestReader::finish(const std::string& line) {
  m_done = true;
  m_computed = m_hasher.finish_hex();
  if (!line.empty()) m_recorded = line.substr(k_self_prefix.size());
  std::string extra;
  if (!line.empty() && std::getline(m_in, extra))
    return bad_line("text after the self-digest line");
  return std::optional<ManifestEntry>{};
}

Result<std::optional<ManifestEntry>> ManifestReader::next() {
  if (m_done) return std::optional<ManifestEntry>{};
  std::string line;
  ++m_line_no;
  if (!std::getline(m_in, line)) return finish("");
  if (line.starts_with(k_self_prefix)) {
    if (!is_hex(std::string_view(line).substr(k_self_prefix.size()), hex_length(m_algorithm)))
      return bad_line("malformed self-digest line");
    return finish(line);
  }
  m_hasher.update(line);
  m_hasher.update("\n");
  std::string_view rest = line;
  auto type = field(rest);
  auto digest = field(rest);
  auto size_text = field(rest);
  if (!type || !digest || !size_text || rest.empty() || (*type != "f" && *type != "l"))
    return bad_line("expected \"f|l <digest> <size> <path>\"");
  if (!is_hex(*digest, hex_length(m_algorithm)))
    return bad_line(fmt::format("digest is not {} hex", algorithm_name(m_algorithm)));
  ManifestEntry entry;
  entry.type = *type == "l" ? EntryType::symlink : EntryType::file;
  entry.digest = std::string(*digest);
  auto [end, ec] =
      std::from_chars(size_text->data(), size_text->data() + size_text->size(), entry.size);
  if (ec != std::errc() || end != size_text->data() + size_text->size())
    return bad_line("size is not a number");
  auto path = unescape(rest);
  if (!path || path->starts_with('/') || path->find("/../") != std::string::npos ||
      path->starts_with("../") || *path == "..")
    return bad_line("path is not a clean relative path");
  entry.path = std::move(*path);
  if (m_has_previous && !path_less(m_previous, entry.path))
    return bad_line(fmt::format("{}: out of order or duplicate", entry.path));
  m_previous = entry.path;
  m_has_previous = true;
  return std::optional<ManifestEntry>(std::move(entry));
}

}  // namespace dp::artifacts
