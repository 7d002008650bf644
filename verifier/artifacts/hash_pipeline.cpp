#include "verifier/artifacts/hash_pipeline.hpp"

#include <fcntl.h>

namespace dp::artifacts {

unsigned default_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

HashPipeline::HashPipeline(std::filesystem::path root, Algorithm algorithm, unsigned threads,
                           std::function<void(HashDone&&)> sink)
    : m_root(std::move(root)),
      // Invalid if the root cannot be opened: files are then opened by full
      // path, and the walk reports the root itself.
      m_root_fd(::open(m_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)),
      m_algorithm(algorithm),
      m_sink(std::move(sink)),
      m_window(4 * std::size_t{threads == 0 ? 1 : threads}) {
  for (unsigned i = 0; i < (threads == 0 ? 1 : threads); ++i)
    m_threads.emplace_back([this] { work(); });
}

HashPipeline::~HashPipeline() {
  finish();
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_work_ready.notify_all();
  for (auto& t : m_threads) t.join();
}

void HashPipeline::work() {
  // One buffer per worker, reused for every file it reads.
  std::vector<unsigned char> buffer(k_buffer_size);
  std::unique_lock lock(m_mutex);
  for (;;) {
    m_work_ready.wait(lock,
                      [&] { return m_stopping || m_next_take < m_front_seq + m_slots.size(); });
    if (m_next_take >= m_front_seq + m_slots.size()) return;  // stopping, nothing queued
    std::uint64_t seq = m_next_take++;
    // deque references stay valid across push_back, and this slot cannot be
    // popped before it is done, so it is safe to use unlocked.
    Slot& slot = m_slots[static_cast<std::size_t>(seq - m_front_seq)];
    lock.unlock();
    slot.digests.reserve(slot.jobs.size());
    for (const auto& job : slot.jobs) {
      std::filesystem::path path = m_root / job.entry.rel;
      std::optional<std::uint64_t> expected;
      if (job.expected) expected = job.expected->size;
      slot.digests.push_back(job.entry.type == EntryType::symlink
                                 ? hash_symlink(path, m_algorithm)
                                 : hash_file(path, m_algorithm, buffer, expected, m_root_fd.get(),
                                             m_root_fd.valid() ? job.entry.rel.c_str() : nullptr));
    }
    lock.lock();
    slot.done = true;
    if (seq == m_front_seq) m_result_ready.notify_one();
  }
}

void HashPipeline::deliver_ready(std::unique_lock<std::mutex>& lock, bool wait_for_one) {
  if (wait_for_one) m_result_ready.wait(lock, [&] { return m_slots.front().done; });
  while (!m_slots.empty() && m_slots.front().done) {
    Slot slot = std::move(m_slots.front());
    m_slots.pop_front();
    ++m_front_seq;
    // The sink may be slow (writing the manifest): workers keep hashing meanwhile.
    lock.unlock();
    for (std::size_t i = 0; i < slot.jobs.size(); ++i)
      m_sink(HashDone{std::move(slot.jobs[i]), std::move(slot.digests[i])});
    lock.lock();
  }
}

void HashPipeline::submit(HashJob job) {
  std::uint64_t size = job.expected ? job.expected->size : job.entry.size;
  m_pending.push_back(std::move(job));
  m_pending_bytes += size;
  if (m_pending.size() >= k_batch_files || m_pending_bytes >= k_batch_bytes) dispatch();
}

void HashPipeline::dispatch() {
  if (m_pending.empty()) return;
  std::unique_lock lock(m_mutex);
  deliver_ready(lock, false);
  while (m_slots.size() >= m_window) deliver_ready(lock, true);
  m_slots.push_back(Slot{std::move(m_pending), {}, false});
  lock.unlock();
  m_work_ready.notify_one();
  m_pending.clear();
  m_pending_bytes = 0;
}

void HashPipeline::finish() {
  dispatch();
  std::unique_lock lock(m_mutex);
  while (!m_slots.empty()) deliver_ready(lock, true);
}

}  // namespace dp::artifacts
