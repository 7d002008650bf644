#include "verifier/artifacts/tree_walk.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>

namespace dp::artifacts {
namespace {

struct DirClose {
  void operator()(DIR* d) const { ::closedir(d); }
};

unsigned rank(char c) { return c == '/' ? 0u : static_cast<unsigned char>(c) + 1u; }

// The directory is read with readdir rather than
// std::filesystem::directory_iterator: d_type spares a stat per entry, no
// path objects are rebuilt per call, and errno is kept for the message.
Result<void> walk_dir(int parent_fd, const std::string& name, const std::string& rel,
                      const std::vector<std::string>& exclude,
                      const std::function<void(TreeEntry&&)>& visit,
                      const std::atomic<bool>* cancel) {
  // The root may itself be a symlink to a directory (the user named it);
  // below it, links are entries, never descended.
  int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (rel.empty() ? 0 : O_NOFOLLOW);
  int fd = ::openat(parent_fd, name.c_str(), flags);
  std::string shown = rel.empty() ? name : rel;
  if (fd < 0)
    return make_error(Errc::io,
                      fmt::format("{}: cannot open directory: {}", shown, std::strerror(errno)));
  std::unique_ptr<DIR, DirClose> dir(::fdopendir(fd));
  if (!dir) {
    ::close(fd);
    return make_error(Errc::io, fmt::format("{}: cannot list: {}", shown, std::strerror(errno)));
  }
  std::vector<std::pair<std::string, unsigned char>> names;  // name, d_type
  errno = 0;
  while (dirent* d = ::readdir(dir.get())) {
    if (std::strcmp(d->d_name, ".") != 0 && std::strcmp(d->d_name, "..") != 0)
      names.emplace_back(d->d_name, d->d_type);
    errno = 0;
  }
  if (errno != 0)
    return make_error(Errc::io, fmt::format("{}: cannot list: {}", shown, std::strerror(errno)));
  std::sort(names.begin(), names.end());
  for (const auto& [child, d_type] : names) {
    if (cancel && cancel->load(std::memory_order_relaxed))
      return make_error(Errc::interrupted, fmt::format("{}: walk cancelled", shown));
    std::string child_rel = rel.empty() ? child : rel + "/" + child;
    if (std::find(exclude.begin(), exclude.end(), child_rel) != exclude.end()) continue;
    TreeEntry entry{std::move(child_rel), EntryType::file, false, 0};
    unsigned char type = d_type;
    if (type == DT_UNKNOWN) {  // some file systems do not fill d_type
      struct stat st {};
      if (::fstatat(::dirfd(dir.get()), child.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        return make_error(Errc::io,
                          fmt::format("{}: cannot stat: {}", entry.rel, std::strerror(errno)));
      type = S_ISDIR(st.st_mode)   ? DT_DIR
             : S_ISREG(st.st_mode) ? DT_REG
             : S_ISLNK(st.st_mode) ? DT_LNK
                                   : DT_UNKNOWN;
      entry.size_known = true;
      entry.size = static_cast<std::uint64_t>(st.st_size);
    }
    if (type == DT_DIR) {
      DP_TRY_VOID(walk_dir(::dirfd(dir.get()), child, entry.rel, exclude, visit, cancel));
    } else if (type == DT_REG || type == DT_LNK) {
      entry.type = type == DT_LNK ? EntryType::symlink : EntryType::file;
      visit(std::move(entry));
    }
  }
  return {};
}

}  // namespace

bool path_less(std::string_view a, std::string_view b) {
  std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return rank(a[i]) < rank(b[i]);
  return a.size() < b.size();
}

Result<void> walk_tree(const std::filesystem::path& root, const std::vector<std::string>& exclude,
                       const std::function<void(TreeEntry&&)>& visit,
                       const std::atomic<bool>* cancel) {
  auto result = walk_dir(AT_FDCWD, root.string(), "", exclude, visit, cancel);
  if (!result) return Unexpected<Error>(std::move(result).error().context(root.string()));
  return {};
}

}  // namespace dp::artifacts
