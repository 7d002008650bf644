#include "drills/file_tree.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include "verifier/core/signals.hpp"

namespace dp::drills {
namespace fs = std::filesystem;

// Hands a copied tree to the server user, so --prepare and the server
// (running as that user) can write it.
Result<void> chown_tree(const fs::path& root, const Credentials& user) {
  std::error_code ec;
  if (::lchown(root.c_str(), user.uid, user.gid) != 0)
    return make_error(Errc::io, fmt::format("chown {}: failed", root.string()));
  if (!fs::is_directory(fs::symlink_status(root, ec))) return {};
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (::lchown(it->path().c_str(), user.uid, user.gid) != 0)
      return make_error(Errc::io, fmt::format("chown {}: failed", it->path().string()));
  if (ec) return make_error(Errc::io, fmt::format("walk {}: {}", root.string(), ec.message()));
  return {};
}

// The directory a physical backup's path names, symlinks resolved
// (/backups/latest -> 2026-11-20). A symlink inside it is refused: copying
// it would either link the scratch copy to the original or follow it out of
// the backup, and mariadb-backup never writes one.
Result<fs::path> real_backup_dir(const fs::path& path) {
  std::error_code ec;
  fs::path real = fs::canonical(path, ec);
  if (ec) return make_error(Errc::io, fmt::format("{}: {}", path.string(), ec.message()));
  if (!fs::is_directory(real, ec))
    return make_error(Errc::invalid_input, fmt::format("{}: not a directory", path.string()));
  for (auto it = fs::recursive_directory_iterator(real, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_symlink(ec))
      return make_error(
          Errc::invalid_input,
          fmt::format("{}: contains a symbolic link, {}; drillproof copies only regular files "
                      "and directories from a physical backup",
                      path.string(), it->path().string()));
  if (ec) return make_error(Errc::io, fmt::format("walk {}: {}", real.string(), ec.message()));
  return real;
}

// Copies file by file, so restore_timeout and SIGTERM stop a copy of a large
// backup between files instead of after the whole tree.
Result<void> copy_tree(const fs::path& from, const fs::path& to, Deadline deadline) {
  std::error_code ec;
  fs::create_directory(to, ec);
  if (ec) return make_error(Errc::io, fmt::format("create {}: {}", to.string(), ec.message()));
  for (auto it = fs::recursive_directory_iterator(from, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (interrupted())
      return make_error(Errc::interrupted,
                        fmt::format("interrupted while copying {}", from.string()));
    if (std::chrono::steady_clock::now() > deadline)
      return make_error(Errc::timeout,
                        fmt::format("restore_timeout passed while copying {}", from.string()));
    const fs::path target = to / it->path().lexically_relative(from);
    if (it->is_directory(ec))
      fs::create_directory(target, ec);
    else if (!ec)
      fs::copy_file(it->path(), target, ec);
    if (ec)
      return make_error(Errc::io, fmt::format("copy {} to {}: {}", it->path().string(),
                                              target.string(), ec.message()));
  }
  if (ec) return make_error(Errc::io, fmt::format("walk {}: {}", from.string(), ec.message()));
  return {};
}

// chown and --prepare write through `data`: it must be the copy, a real
// directory inside the scratch directory, never a link to the original.
Result<void> check_private_copy(const fs::path& scratch_dir, const fs::path& data) {
  std::error_code status_ec, data_ec, dir_ec;
  auto status = fs::symlink_status(data, status_ec);
  fs::path real = fs::canonical(data, data_ec);
  fs::path dir = fs::canonical(scratch_dir, dir_ec);
  if (status_ec || data_ec || dir_ec || status.type() != fs::file_type::directory ||
      real.parent_path() != dir)
    return make_error(Errc::internal,
                      fmt::format("{} is not a private copy inside {}; refusing to modify it",
                                  data.string(), scratch_dir.string()));
  return {};
}

}  // namespace dp::drills
