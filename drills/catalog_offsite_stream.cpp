#include "drills/catalog_offsite_stream.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "drills/catalog_drill.hpp"
#include "verifier/core/fd.hpp"

namespace dp::drills {

namespace fs = std::filesystem;
using artifacts::EntryType;
using artifacts::TreeEntry;

OffsiteStream::OffsiteStream(fs::path root, std::string pattern)
    : m_root(std::move(root)), m_pattern(std::move(pattern)), m_thread([this] { produce(); }) {}

OffsiteStream::~OffsiteStream() {
  {
    std::lock_guard lock(m_mutex);
    m_cancel = true;
  }
  m_space.notify_all();
  m_thread.join();
}

const OffsiteEntry* OffsiteStream::next() {
  if (m_pos < m_current.size()) return &m_current[m_pos++];
  std::unique_lock lock(m_mutex);
  m_data.wait(lock, [&] { return !m_queue.empty() || m_done; });
  if (m_queue.empty()) {
    m_current.clear();
    m_reading = 0;
    return nullptr;
  }
  m_current = std::move(m_queue.front());
  m_queue.pop_front();
  m_queued -= m_current.size();
  m_reading = m_current.size();
  lock.unlock();
  m_space.notify_one();
  m_pos = 0;
  return &m_current[m_pos++];
}

std::size_t OffsiteStream::peak_held() const {
  std::lock_guard lock(m_mutex);
  return m_peak;
}

void OffsiteStream::flush() {
  if (m_filling.empty()) return;
  std::unique_lock lock(m_mutex);
  m_peak = std::max(m_peak, m_queued + m_reading + m_filling.size());
  m_space.wait(lock, [&] { return m_cancel || m_queue.size() < k_batches; });
  if (!m_cancel) {
    m_queued += m_filling.size();
    m_queue.push_back(std::move(m_filling));
  }
  lock.unlock();
  m_data.notify_one();
  m_filling.clear();
}

void OffsiteStream::emit(OffsiteEntry&& entry) {
  m_filling.push_back(std::move(entry));
  if (m_filling.size() >= k_batch) flush();
}

void OffsiteStream::produce() {
  Result<void> outcome;
  auto listed = list_matching(m_root, m_pattern);
  if (!listed) {
    outcome = Unexpected<Error>(std::move(listed).error());
  } else {
    // path_less, not list_matching's string order: then the files inside a
    // matching directory "d" ("d/x") come right after "d" and before "d-1",
    // exactly as walk_tree orders them, so the whole stream is sorted.
    std::sort(listed->begin(), listed->end(), [](const ListedEntry& a, const ListedEntry& b) {
      return artifacts::path_less(a.rel, b.rel);
    });
    // Sizes come from lstat relative to the root, one short path walk per
    // entry; the walk itself does not stat (d_type gives the type).
    Fd root_fd(::open(m_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    auto sized = [&](std::string rel, EntryType type) -> std::optional<OffsiteEntry> {
      OffsiteEntry out{std::move(rel), type, 0, ""};
      struct stat st {};
      int rc = root_fd.valid() ? ::fstatat(root_fd.get(), out.rel.c_str(), &st, AT_SYMLINK_NOFOLLOW)
                               : ::lstat((m_root / out.rel).c_str(), &st);
      if (rc != 0 && errno == ENOENT) return std::nullopt;  // gone since it was listed
      if (rc != 0)
        out.unreadable =
            fmt::format("{}: cannot stat: {}", (m_root / out.rel).string(), std::strerror(errno));
      else
        out.size = static_cast<std::uint64_t>(st.st_size);
      return out;
    };
    using Kind = ListedEntry::Kind;
    for (auto& e : *listed) {
      if (m_cancel) break;
      if (e.kind == Kind::directory) {
        const std::string prefix = e.rel + "/";
        // walk_tree reports links inside and never follows them.
        outcome = artifacts::walk_tree(
            m_root / e.rel, {},
            [&](TreeEntry&& t) {
              if (m_cancel) return;
              std::string rel = prefix + t.rel;
              if (t.size_known) {
                emit(OffsiteEntry{std::move(rel), t.type, t.size, ""});
              } else if (auto s = sized(std::move(rel), t.type)) {
                emit(std::move(*s));
              }
            },
            &m_cancel);  // stops the walk itself, not only what it keeps
        if (!outcome) break;
      } else if (e.kind == Kind::file) {
        emit(OffsiteEntry{std::move(e.rel), EntryType::file, e.size, ""});
      } else if (e.kind == Kind::symlink) {
        if (auto s = sized(std::move(e.rel), EntryType::symlink)) emit(std::move(*s));
      }
    }
  }
  flush();
  {
    std::lock_guard lock(m_mutex);
    if (!outcome) m_error = std::move(outcome).error();
    m_done = true;
  }
  m_data.notify_all();
}

}  // namespace dp::drills
