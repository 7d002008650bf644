#include "verifier/core/text.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>

namespace dp {

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    auto pos = s.find(sep, start);
    out.emplace_back(s.substr(start, pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    out.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

std::string tail_lines(std::string_view text, std::size_t max_lines, std::size_t max_bytes) {
  if (max_lines == 0) return {};
  text = trim(text);
  std::size_t pos = text.size();
  std::size_t lines = 0;
  while (pos > 0) {
    auto nl = text.rfind('\n', pos - 1);
    ++lines;
    if (nl == std::string_view::npos) {
      pos = 0;
      break;
    }
    if (lines == max_lines) {
      pos = nl + 1;
      break;
    }
    pos = nl;
  }
  std::string_view tail = text.substr(pos);
  if (tail.size() > max_bytes) tail = tail.substr(tail.size() - max_bytes);
  return std::string(tail);
}

std::string read_file_tail(const std::filesystem::path& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(0, std::ios::end);
  auto end = in.tellg();
  if (end < 0) return {};  // not a regular file (directory, pipe)
  auto size = static_cast<std::size_t>(end);
  std::size_t start = size > max_bytes ? size - max_bytes : 0;
  in.seekg(static_cast<std::streamoff>(start));
  std::string out(size - start, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<std::size_t>(in.gcount()));  // the file may have shrunk
  return out;
}

Result<std::string> read_file_head(const std::filesystem::path& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::io, fmt::format("cannot read {}", path.string()));
  // Grow as we read: max_bytes is a cap, often far above the file's size.
  std::string out;
  char chunk[64 * 1024];
  while (out.size() < max_bytes && in) {
    std::size_t want = std::min(sizeof chunk, max_bytes - out.size());
    in.read(chunk, static_cast<std::streamsize>(want));
    out.append(chunk, static_cast<std::size_t>(in.gcount()));
  }
  return out;
}

Result<void> write_file(const std::filesystem::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out)
    return make_error(Errc::io,
                      fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) return make_error(Errc::io, fmt::format("write to {} failed", path.string()));
  return {};
}

static std::string format_with(std::chrono::system_clock::time_point t, const char* pattern) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, pattern, &tm);
  return buf;
}

std::string format_utc(std::chrono::system_clock::time_point t) {
  return format_with(t, "%Y-%m-%dT%H:%M:%SZ");
}

std::string format_utc_compact(std::chrono::system_clock::time_point t) {
  return format_with(t, "%Y%m%dT%H%M%SZ");
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

}  // namespace dp

namespace dp {

bool conninfo_has_password(std::string_view conninfo) {
  std::string lower(conninfo);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::size_t pos = lower.find("password"); pos != std::string::npos;
       pos = lower.find("password", pos + 1)) {
    std::size_t after = pos + 8;
    while (after < lower.size() && lower[after] == ' ') ++after;
    bool starts_key =
        pos == 0 || lower[pos - 1] == ' ' || lower[pos - 1] == '?' || lower[pos - 1] == '&';
    if (starts_key && after < lower.size() && lower[after] == '=') return true;
  }
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (lower.rfind(scheme, 0) != 0) continue;
    std::string_view rest = std::string_view(lower).substr(scheme.size());
    std::size_t at = rest.find('@');
    std::size_t slash = rest.find('/');
    if (at != std::string_view::npos && (slash == std::string_view::npos || at < slash) &&
        rest.substr(0, at).find(':') != std::string_view::npos)
      return true;
  }
  return false;
}

std::string escape_control(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else if (u < 0x20 || u == 0x7f)
      out += fmt::format("\\x{:02x}", u);
    else
      out += c;
  }
  return out;
}

}  // namespace dp
