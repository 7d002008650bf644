#pragma once
// One side of the offsite comparison as a stream: the catalog pattern's
// entries, and every file inside matching directories, in path_less order
// with their lstat sizes. A thread walks the tree ahead of the reader into a
// bounded queue, so the two copies are merged by path while neither is held
// in memory, and sizes are known before any file is read.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "verifier/artifacts/tree_walk.hpp"
#include "verifier/core/result.hpp"

namespace dp::drills {

struct OffsiteEntry {
  std::string rel;  // relative to the root, '/'-separated
  artifacts::EntryType type = artifacts::EntryType::file;
  std::uint64_t size = 0;  // lstat: bytes, or a symlink's target length
  std::string unreadable;  // non-empty: lstat failed; the reason, naming the path
};

// Not thread-safe: one reader calls next(). Symlinks are reported, never
// followed; fifos, sockets and devices are skipped (as the manifest does);
// an entry that vanishes between the listing and its lstat is left out.
class OffsiteStream {
 public:
  static constexpr std::size_t k_batch = 256;  // entries handed over at once
  static constexpr std::size_t k_batches = 4;  // batches queued at most
  // Most entries one stream holds at a time: the queue, the batch being
  // filled and the one being read.
  static constexpr std::size_t k_max_held = (k_batches + 2) * k_batch;

  OffsiteStream(std::filesystem::path root, std::string pattern);
  OffsiteStream(const OffsiteStream&) = delete;
  OffsiteStream& operator=(const OffsiteStream&) = delete;
  // Stops the walk (it lists on but keeps nothing) and joins.
  ~OffsiteStream();

  // The next entry, valid until the next call; nullptr at the end, and then
  // error() says whether the listing or the walk failed (Errc::io).
  const OffsiteEntry* next();
  const std::optional<Error>& error() const { return m_error; }
  // Most entries held at once so far (queued, being filled, being read).
  std::size_t peak_held() const;

 private:
  void produce();
  void emit(OffsiteEntry&& entry);
  void flush();

  std::filesystem::path m_root;
  std::string m_pattern;
  // Reader side only.
  std::vector<OffsiteEntry> m_current;
  std::size_t m_pos = 0;
  // Walker side only.
  std::vector<OffsiteEntry> m_filling;
  // Shared, under m_mutex.
  mutable std::mutex m_mutex;
  std::condition_variable m_data;
  std::condition_variable m_space;
  std::deque<std::vector<OffsiteEntry>> m_queue;
  std::size_t m_queued = 0;   // entries in m_queue
  std::size_t m_reading = 0;  // m_current.size(), for the peak
  std::size_t m_peak = 0;
  std::optional<Error> m_error;  // read by the reader only once m_done
  bool m_done = false;
  std::atomic<bool> m_cancel = false;  // also read by the walk callback unlocked
  std::thread m_thread;                // last: started once the members above exist
};

}  // namespace dp::drills
