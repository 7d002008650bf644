#include "verifier/core/temp_dir.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <vector>

namespace dp {

std::filesystem::path temp_root() {
  const char* env = std::getenv("TMPDIR");
  return (env && *env) ? std::filesystem::path(env) : std::filesystem::path("/tmp");
}

Result<TempDir> TempDir::create(const std::string& prefix) {
  std::string templ = (temp_root() / (prefix + "XXXXXX")).string();
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr)
    return make_error(Errc::io, fmt::format("cannot create a temporary directory {}: {}", templ,
                                            std::strerror(errno)));
  return TempDir(std::filesystem::path(buf.data()));
}

TempDir::TempDir(TempDir&& o) noexcept : m_path(std::move(o.m_path)), m_keep(o.m_keep) {
  o.m_path.clear();
}

TempDir& TempDir::operator=(TempDir&& o) noexcept {
  if (this != &o) {
    remove();
    m_path = std::move(o.m_path);
    m_keep = o.m_keep;
    o.m_path.clear();
  }
  return *this;
}

TempDir::~TempDir() { remove(); }

void TempDir::remove() {
  if (m_path.empty() || m_keep) return;
  std::error_code ec;
  std::filesystem::remove_all(m_path, ec);
  m_path.clear();
}

Result<void> TempDir::chown_to(const Credentials& user) const {
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(m_path, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (::lchown(it->path().c_str(), user.uid, user.gid) != 0)
      return make_error(Errc::io,
                        fmt::format("chown {}: {}", it->path().string(), std::strerror(errno)));
  }
  if (::chown(m_path.c_str(), user.uid, user.gid) != 0)
    return make_error(Errc::io, fmt::format("chown {} to {}: {}", m_path.string(), user.name,
                                            std::strerror(errno)));
  return {};
}

}  // namespace dp
