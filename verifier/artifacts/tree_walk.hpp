#pragma once
// A streamed, deterministic walk of a directory tree: the order manifests
// are written and merged in, so neither side has to be held in memory.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "verifier/core/result.hpp"

namespace dp::artifacts {

enum class EntryType { file, symlink };

struct TreeEntry {
  std::string rel;  // relative to the root, '/'-separated
  EntryType type = EntryType::file;
  // lstat size, known only when the walk had to stat the entry: names read
  // from the directory carry their type, so files are not stat'ed one by one
  // (the hashing worker learns the size from the read itself).
  bool size_known = false;
  std::uint64_t size = 0;
};

// The canonical order: bytewise, with '/' sorting before every other byte,
// which is exactly a depth-first walk visiting each directory's names in
// bytewise order ("a/x" < "a-b").
bool path_less(std::string_view a, std::string_view b);

// Visits regular files and symlinks under `root` in path_less order. Symlinks
// are reported, never followed; directories are descended; other types
// (fifos, sockets, devices) and relative paths in `exclude` are skipped.
// Memory: one sorted listing per directory on the current path.
// Errc::io naming the directory that cannot be listed or stat'ed;
// Errc::interrupted as soon as `*cancel` is true (checked before each entry),
// so a walk of a huge or slow tree can be stopped from another thread.
Result<void> walk_tree(const std::filesystem::path& root, const std::vector<std::string>& exclude,
                       const std::function<void(TreeEntry&&)>& visit,
                       const std::atomic<bool>* cancel = nullptr);

}  // namespace dp::artifacts
