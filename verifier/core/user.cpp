#include "verifier/core/user.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <unistd.h>

#include <vector>

namespace dp {

bool running_as_root() { return ::geteuid() == 0; }

Result<Credentials> lookup_user(const std::string& name) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  int rc = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
  if (rc != 0 || found == nullptr)
    return make_error(Errc::not_found, fmt::format("user '{}' does not exist", name));
  return Credentials{name, pw.pw_uid, pw.pw_gid};
}

Result<std::optional<Credentials>> server_user(const std::string& requested) {
  if (!running_as_root()) return std::optional<Credentials>{};
  std::string name = requested.empty() ? "postgres" : requested;
  auto creds = lookup_user(name);
  if (!creds) {
    return make_error(
        Errc::invalid_input,
        fmt::format("running as root and the server user '{}' does not exist; database servers "
                    "refuse to run as root\nhint: create an unprivileged user (useradd --system "
                    "drillproof) and pass --run-as drillproof or set run_as in [plan]",
                    name));
  }
  if (creds->uid == 0)
    return make_error(Errc::invalid_input,
                      fmt::format("server user '{}' is root; name an unprivileged user", name));
  return std::optional<Credentials>{*creds};
}

}  // namespace dp
