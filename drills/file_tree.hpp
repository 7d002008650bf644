#pragma once
// Copying a physical backup (a directory of data files) into a scratch
// directory and handing the copy to the server user. The original is only
// ever read; everything that writes goes through the private copy.
#include <filesystem>

#include "verifier/core/child_process.hpp"
#include "verifier/core/result.hpp"
#include "verifier/core/user.hpp"

namespace dp::drills {

// The directory `path` names, symlinks resolved (/backups/latest ->
// 2026-11-20). Errc::invalid_input for a symlink inside it (copying it would
// link the copy to the original or follow it out of the backup), naming it.
Result<std::filesystem::path> real_backup_dir(const std::filesystem::path& path);

// Copies regular files and directories file by file, so `deadline` and
// SIGTERM stop a large copy between files (Errc::timeout, Errc::interrupted).
Result<void> copy_tree(const std::filesystem::path& from, const std::filesystem::path& to,
                       Deadline deadline);

// lchown of `root` (a file or a directory) and everything below it.
Result<void> chown_tree(const std::filesystem::path& root, const Credentials& user);

// Errc::internal unless `data` is a real directory directly inside
// `scratch_dir`: a guard before anything writes to what should be a copy.
Result<void> check_private_copy(const std::filesystem::path& scratch_dir,
                                const std::filesystem::path& data);

}  // namespace dp::drills
