#pragma once
// The account scratch servers run as. PostgreSQL refuses to run as root, so
// when we are root the server is started under an unprivileged user.
#include <sys/types.h>

#include <optional>
#include <string>

#include "verifier/core/result.hpp"

namespace dp {

struct Credentials {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

bool running_as_root();

// Looks the user up in the password database; Errc::not_found when absent.
Result<Credentials> lookup_user(const std::string& name);

// The credentials to run servers under: none (ourselves) when not root;
// `requested` if given; else "postgres" when it exists. Fails with a hint when
// root and no suitable user exists.
Result<std::optional<Credentials>> server_user(const std::string& requested);

}  // namespace dp
