#include "verifier/artifacts/pg_manifest_parse.hpp"

#include <fmt/format.h>
#include <strings.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_set>

#include "verifier/core/sha256.hpp"

namespace dp::artifacts {
namespace {

using json = nlohmann::json;

// PostgreSQL's parser is a state machine over JSON events; this is the same
// machine, driven by nlohmann's SAX interface so the manifest is never held
// as a DOM.
enum class State {
  toplevel_start,
  toplevel_field,
  version_value,
  system_identifier_value,
  files_start,
  files_next,
  file_field,
  file_value,
  wal_ranges_start,
  wal_ranges_next,
  wal_range_field,
  wal_range_value,
  manifest_checksum_value,
  toplevel_end,
  eof,
};

enum class FileField { path, encoded_path, size, last_modified, algorithm, checksum };
enum class WalField { timeline, start_lsn, end_lsn };

// A decimal integer and nothing else (strtoul's *ep check in PostgreSQL).
template <class T>
std::optional<T> parse_integer(const std::string& token) {
  T value{};
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || end != token.data() + token.size() || token.empty()) return std::nullopt;
  return value;
}

// "%X/%X" as PostgreSQL's parse_xlogrecptr reads it.
std::optional<std::uint64_t> parse_lsn(const std::string& token) {
  auto slash = token.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == token.size()) return std::nullopt;
  std::uint32_t hi = 0;
  std::uint32_t lo = 0;
  const char* b = token.data();
  auto r1 = std::from_chars(b, b + slash, hi, 16);
  auto r2 = std::from_chars(b + slash + 1, b + token.size(), lo, 16);
  if (r1.ec != std::errc() || r1.ptr != b + slash || r2.ec != std::errc() ||
      r2.ptr != b + token.size())
    return std::nullopt;
  return (std::uint64_t{hi} << 32) | lo;
}

class Handler : public nlohmann::json_sax<json> {
 public:
  explicit Handler(PgManifest& out) : m_out(out) {}

  std::string failure;  // set when the handler stops the parse

  bool null() override { return scalar("null"); }
  bool boolean(bool v) override { return scalar(v ? "true" : "false"); }
  bool number_integer(number_integer_t v) override { return scalar(std::to_string(v)); }
  bool number_unsigned(number_unsigned_t v) override { return scalar(std::to_string(v)); }
  bool number_float(number_float_t, const string_t& text) override { return scalar(text); }
  bool string(string_t& v) override { return scalar(std::move(v)); }
  bool binary(binary_t&) override { return fail("unexpected scalar"); }

  bool start_object(std::size_t) override {
    switch (m_state) {
      case State::toplevel_start:
        m_state = State::toplevel_field;
        return true;
      case State::files_next:
        m_state = State::file_field;
        m_file = {};
        return true;
      case State::wal_ranges_next:
        m_state = State::wal_range_field;
        m_wal = {};
        return true;
      default:
        return fail("unexpected object start");
    }
  }
  bool end_object() override {
    switch (m_state) {
      case State::toplevel_end:
        m_state = State::eof;
        return true;
      case State::file_field:
        m_state = State::files_next;
        return finish_file();
      case State::wal_range_field:
        m_state = State::wal_ranges_next;
        return finish_wal_range();
      default:
        return fail("unexpected object end");
    }
  }
  bool start_array(std::size_t) override {
    if (m_state == State::files_start)
      m_state = State::files_next;
    else if (m_state == State::wal_ranges_start)
      m_state = State::wal_ranges_next;
    else
      return fail("unexpected array start");
    return true;
  }
  bool end_array() override {
    if (m_state != State::files_next && m_state != State::wal_ranges_next)
      return fail("unexpected array end");
    m_state = State::toplevel_field;
    return true;
  }
  bool key(string_t& name) override {
    switch (m_state) {
      case State::toplevel_field:
        return toplevel_key(name);
      case State::file_field:
        return file_key(name);
      case State::wal_range_field:
        if (name == "Timeline")
          m_wal_field = WalField::timeline;
        else if (name == "Start-LSN")
          m_wal_field = WalField::start_lsn;
        else if (name == "End-LSN")
          m_wal_field = WalField::end_lsn;
        else
          return fail(
              fmt::format("WAL-Ranges[{}]: unexpected WAL range field \"{}\"", m_wal_index, name));
        m_state = State::wal_range_value;
        return true;
      default:
        return fail("unexpected object field");
    }
  }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    // "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
    std::string what = ex.what();
    auto bracket = what.find("] ");
    failure = bracket == std::string::npos ? what : what.substr(bracket + 2);
    return false;
  }

  bool ended() const { return m_state == State::eof; }

 private:
  struct FileTokens {
    std::optional<std::string> path, encoded_path, size, algorithm, checksum;
  };
  struct WalTokens {
    std::optional<std::string> timeline, start_lsn, end_lsn;
  };

  bool fail(std::string why) {
    if (failure.empty()) failure = std::move(why);
    return false;
  }
  std::string file_where() const {
    if (m_file.path) return fmt::format("Files[{}] (\"{}\")", m_out.files.size(), *m_file.path);
    return fmt::format("Files[{}]", m_out.files.size());
  }

  bool toplevel_key(const std::string& name) {
    if (!m_saw_version) {
      if (name != "PostgreSQL-Backup-Manifest-Version")
        return fail(fmt::format(
            "expected version indicator \"PostgreSQL-Backup-Manifest-Version\" as the first key, "
            "found \"{}\"",
            name));
      m_saw_version = true;
      m_state = State::version_value;
    } else if (name == "System-Identifier") {
      m_state = State::system_identifier_value;
    } else if (name == "Files") {
      m_state = State::files_start;
    } else if (name == "WAL-Ranges") {
      m_state = State::wal_ranges_start;
    } else if (name == "Manifest-Checksum") {
      m_state = State::manifest_checksum_value;
    } else {
      return fail(fmt::format("unrecognized top-level field \"{}\"", name));
    }
    return true;
  }

  bool file_key(const std::string& name) {
    if (name == "Path")
      m_file_field = FileField::path;
    else if (name == "Encoded-Path")
      m_file_field = FileField::encoded_path;
    else if (name == "Size")
      m_file_field = FileField::size;
    else if (name == "Last-Modified")
      m_file_field = FileField::last_modified;
    else if (name == "Checksum-Algorithm")
      m_file_field = FileField::algorithm;
    else if (name == "Checksum")
      m_file_field = FileField::checksum;
    else
      return fail(fmt::format("{}: unexpected file field \"{}\"", file_where(), name));
    m_state = State::file_value;
    return true;
  }

  bool scalar(std::string token) {
    switch (m_state) {
      case State::version_value: {
        auto v = parse_integer<int>(token);
        if (!v) return fail("manifest version not an integer");
        if (*v != 1 && *v != 2)
          return fail(fmt::format("unexpected manifest version {} (1 and 2 are known)", *v));
        m_out.version = *v;
        m_state = State::toplevel_field;
        return true;
      }
      case State::system_identifier_value: {
        auto v = parse_integer<std::uint64_t>(token);
        if (!v) return fail("manifest system identifier not an integer");
        m_out.system_identifier = *v;
        m_state = State::toplevel_field;
        return true;
      }
      case State::file_value:
        file_token(std::move(token));
        m_state = State::file_field;
        return true;
      case State::wal_range_value:
        (m_wal_field == WalField::timeline    ? m_wal.timeline
         : m_wal_field == WalField::start_lsn ? m_wal.start_lsn
                                              : m_wal.end_lsn) = std::move(token);
        m_state = State::wal_range_field;
        return true;
      case State::manifest_checksum_value:
        // PostgreSQL wants 64 hex digits; "" is not "no checksum".
        if (token.empty()) return fail("invalid manifest checksum: \"\"");
        m_out.recorded_checksum = std::move(token);
        m_state = State::toplevel_end;
        return true;
      default:
        return fail("unexpected scalar");
    }
  }

  void file_token(std::string token) {
    switch (m_file_field) {
      case FileField::path:
        m_file.path = std::move(token);
        break;
      case FileField::encoded_path:
        m_file.encoded_path = std::move(token);
        break;
      case FileField::size:
        m_file.size = std::move(token);
        break;
      case FileField::last_modified:
        break;  // unused, as in PostgreSQL
      case FileField::algorithm:
        m_file.algorithm = std::move(token);
        break;
      case FileField::checksum:
        m_file.checksum = std::move(token);
        break;
    }
  }

  bool finish_file() {
    if (!m_file.path && !m_file.encoded_path) return fail(file_where() + ": missing path name");
    if (m_file.path && m_file.encoded_path)
      return fail(file_where() + ": both path name and encoded path name");
    if (!m_file.size) return fail(file_where() + ": missing size");
    if (!m_file.algorithm && m_file.checksum)
      return fail(file_where() + ": checksum without algorithm");
    PgManifestFile file;
    if (m_file.encoded_path) {
      auto raw = hex_to_bytes(*m_file.encoded_path);
      if (!raw)
        return fail(fmt::format("{}: could not decode file name \"{}\"", file_where(),
                                *m_file.encoded_path));
      file.path.assign(raw->begin(), raw->end());
      m_file.path = file.path;
    } else {
      file.path = *m_file.path;
    }
    auto size = parse_integer<std::uint64_t>(*m_file.size);
    if (!size) return fail(file_where() + ": file size is not an integer");
    file.size = *size;
    if (m_file.algorithm) {
      auto type = parse_pg_checksum_type(*m_file.algorithm);
      if (!type)
        return fail(fmt::format("{}: unrecognized checksum algorithm: \"{}\"", file_where(),
                                *m_file.algorithm));
      file.type = *type;
    }
    if (m_file.checksum && !m_file.checksum->empty()) {
      auto bytes = hex_to_bytes(*m_file.checksum);
      if (!bytes)
        return fail(fmt::format("{}: invalid checksum for file \"{}\": \"{}\"", file_where(),
                                file.path, *m_file.checksum));
      file.checksum = std::move(*bytes);
    }
    m_out.files.push_back(std::move(file));
    return true;
  }

  bool finish_wal_range() {
    std::string where = fmt::format("WAL-Ranges[{}]", m_wal_index++);
    if (!m_wal.timeline) return fail(where + ": missing timeline");
    if (!m_wal.start_lsn) return fail(where + ": missing start LSN");
    if (!m_wal.end_lsn) return fail(where + ": missing end LSN");
    PgWalRange range;
    auto tli = parse_integer<std::uint32_t>(*m_wal.timeline);
    if (!tli) return fail(where + ": timeline is not an integer");
    auto start = parse_lsn(*m_wal.start_lsn);
    if (!start)
      return fail(fmt::format("{}: could not parse start LSN \"{}\"", where, *m_wal.start_lsn));
    auto end = parse_lsn(*m_wal.end_lsn);
    if (!end) return fail(fmt::format("{}: could not parse end LSN \"{}\"", where, *m_wal.end_lsn));
    m_out.wal_ranges.push_back(PgWalRange{*tli, *start, *end});
    return true;
  }

  PgManifest& m_out;
  State m_state = State::toplevel_start;
  bool m_saw_version = false;
  FileField m_file_field = FileField::path;
  WalField m_wal_field = WalField::timeline;
  FileTokens m_file;
  WalTokens m_wal;
  std::size_t m_wal_index = 0;
};

// The part of the manifest its checksum covers, as verify_manifest_checksum
// in PostgreSQL finds it: everything up to and including the newline before
// the last line. nullopt (with the reason) if the file is not laid out so.
Result<std::string_view> checksummed_part(std::string_view text) {
  std::size_t newlines = 0;
  std::size_t ultimate = 0;
  std::size_t penultimate = 0;
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') {
      ++newlines;
      penultimate = ultimate;
      ultimate = i;
    }
  if (newlines < 2) return make_error(Errc::invalid_input, "expected at least 2 lines");
  if (ultimate != text.size() - 1)
    return make_error(Errc::invalid_input, "last line not newline-terminated");
  return text.substr(0, penultimate + 1);
}

}  // namespace

bool PgManifest::checksum_matches() const {
  return recorded_checksum.size() == computed_checksum.size() &&
         ::strncasecmp(recorded_checksum.data(), computed_checksum.data(),
                       computed_checksum.size()) == 0;
}

Result<PgManifest> parse_pg_manifest(std::string_view text, const std::string& name) {
  auto bad = [&](const std::string& why) {
    return make_error(Errc::invalid_input,
                      fmt::format("{}: could not parse backup manifest: {}", name, why));
  };
  PgManifest out;
  Handler handler(out);
  bool parsed = false;
  try {
    parsed = json::sax_parse(text.begin(), text.end(), &handler);
  } catch (const json::exception& e) {  // nlohmann is the one library here that throws
    return bad(e.what());
  }
  if (!parsed) return bad(handler.failure.empty() ? "not JSON" : handler.failure);
  if (!handler.ended()) return bad("manifest ended unexpectedly");
  auto part = checksummed_part(text);
  if (!part) return bad(part.error().message);
  if (!out.recorded_checksum.empty() &&
      (out.recorded_checksum.size() != 64 || !hex_to_bytes(out.recorded_checksum)))
    return bad(fmt::format("invalid manifest checksum: \"{}\"", out.recorded_checksum));
  out.computed_checksum = sha256_hex(*part);
  std::unordered_set<std::string_view> seen;
  seen.reserve(out.files.size());
  for (const auto& f : out.files)
    if (!seen.insert(f.path).second)
      return make_error(
          Errc::invalid_input,
          fmt::format("{}: duplicate path name in backup manifest: \"{}\"", name, f.path));
  return out;
}

Result<PgManifest> read_pg_manifest(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    int err = errno;
    return make_error(err == ENOENT ? Errc::not_found : Errc::io,
                      fmt::format("{}: cannot open: {}", file.string(), std::strerror(err)));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return make_error(Errc::io, fmt::format("{}: cannot read", file.string()));
  return parse_pg_manifest(buffer.str(), file.string());
}

std::string format_lsn(std::uint64_t lsn) {
  return fmt::format("{:X}/{:X}", static_cast<std::uint32_t>(lsn >> 32),
                     static_cast<std::uint32_t>(lsn));
}

}  // namespace dp::artifacts
