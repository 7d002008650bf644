#pragma once
// Hashes files on a small pool of threads and hands the results back in the
// order they were submitted, so a manifest can be written (or merged) while
// the tree is still being walked. Jobs are handed to the workers in batches
// (up to 32 files or 4 MiB) so that a tree of small files does not cost two
// futex wake-ups per file. Memory is bounded by the window: at most 4
// batches per thread in flight, plus one read buffer per thread.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "verifier/artifacts/digest.hpp"
#include "verifier/artifacts/manifest_format.hpp"
#include "verifier/artifacts/tree_walk.hpp"
#include "verifier/core/fd.hpp"

namespace dp::artifacts {

struct HashJob {
  TreeEntry entry;
  std::optional<ManifestEntry> expected;  // verify: what the manifest says
};

struct HashDone {
  HashJob job;
  Result<FileDigest> digest;
};

// Not thread-safe: submit() and finish() are called from one thread, which
// is also the thread that runs `sink`. The destructor drains and joins.
class HashPipeline {
 public:
  HashPipeline(std::filesystem::path root, Algorithm algorithm, unsigned threads,
               std::function<void(HashDone&&)> sink);
  HashPipeline(const HashPipeline&) = delete;
  HashPipeline& operator=(const HashPipeline&) = delete;
  ~HashPipeline();

  // Queues the job; may first deliver finished results to the sink, and
  // blocks while the window is full.
  void submit(HashJob job);
  // Delivers every outstanding result.
  void finish();

  // 128 KiB, not 1 MiB: the block is hashed right after read() copied it,
  // while it is still in the L2 cache; larger blocks were slower to hash.
  static constexpr std::size_t k_buffer_size = 128 << 10;
  static constexpr std::size_t k_batch_files = 32;
  static constexpr std::uint64_t k_batch_bytes = 4 << 20;

 private:
  struct Slot {
    std::vector<HashJob> jobs;
    std::vector<Result<FileDigest>> digests;  // filled by one worker
    bool done = false;
  };
  void work();
  void dispatch();
  void deliver_ready(std::unique_lock<std::mutex>& lock, bool wait_for_one);

  std::filesystem::path m_root;
  // Files are opened relative to it (a shorter path walk per file), with
  // O_NOFOLLOW on the last component. Opened O_PATH | O_DIRECTORY once, at
  // construction, so a root given as a symlink is resolved once for the
  // hashing. Known limits: the tree walk (walk_tree) still goes by m_root's
  // path, so a root symlink retargeted during a run could make the walk and
  // the hashing see different trees; and openat follows a symlink in an
  // intermediate component, so a subdirectory swapped for a link between the
  // walk and the hashing would be read through (a swap before the walk is
  // seen as a link and never followed). Closing both needs an fd-based walk
  // and openat2(RESOLVE_NO_SYMLINKS); backups are not expected to change
  // while verified.
  Fd m_root_fd;
  Algorithm m_algorithm;
  std::function<void(HashDone&&)> m_sink;
  std::size_t m_window;
  std::vector<HashJob> m_pending;  // the batch being filled; submitter only
  std::uint64_t m_pending_bytes = 0;
  std::mutex m_mutex;
  std::condition_variable m_work_ready;
  std::condition_variable m_result_ready;
  std::deque<Slot> m_slots;       // submitted, not yet delivered
  std::uint64_t m_front_seq = 0;  // sequence number of m_slots.front()
  std::uint64_t m_next_take = 0;  // next sequence number a worker takes
  bool m_stopping = false;
  std::vector<std::thread> m_threads;
};

// std::thread::hardware_concurrency(), at least 1.
unsigned default_threads();

}  // namespace dp::artifacts
