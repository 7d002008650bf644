#include "checks/line_batcher.hpp"

#include <algorithm>
#include <utility>

namespace dp::checks {

LineBatcher::LineBatcher(std::function<void(std::string_view)> process, std::size_t batch_bytes,
                         std::size_t max_queued_bytes)
    : m_process(std::move(process)),
      m_batch_bytes(batch_bytes),
      m_max_queued(std::max(max_queued_bytes, batch_bytes)) {
  m_fill.reserve(batch_bytes + 4096);
  m_worker = std::thread([this] { loop(); });
}

LineBatcher::LineBatcher(WholeBatches, std::function<void(std::string_view)> process,
                         std::size_t batch_bytes, std::size_t max_queued_bytes)
    : LineBatcher(std::move(process), batch_bytes, max_queued_bytes) {
  // Set before the worker sees any batch: hand_off() publishes under the lock.
  std::lock_guard lock(m_lock);
  m_whole_batches = true;
}

LineBatcher::~LineBatcher() { stop(); }

void LineBatcher::hand_off() {
  std::unique_lock lock(m_lock);
  // An empty queue always takes the batch, whatever its size.
  m_changed.wait(
      lock, [this] { return m_queue.empty() || m_queued_bytes + m_fill.size() <= m_max_queued; });
  m_queued_bytes += m_fill.size();
  m_peak_queued = std::max(m_peak_queued, m_queued_bytes);
  m_queue.push_back(std::move(m_fill));
  if (!m_spare.empty()) {
    m_fill = std::move(m_spare.back());
    m_spare.pop_back();
  } else {
    m_fill = std::string();
    m_fill.reserve(m_batch_bytes + 4096);
  }
  m_fill.clear();
  m_changed.notify_all();
}

std::size_t LineBatcher::peak_queued_bytes() const {
  std::lock_guard lock(m_lock);
  return m_peak_queued;
}

void LineBatcher::finish() {
  stop();
  if (m_error) std::rethrow_exception(std::exchange(m_error, nullptr));
}

void LineBatcher::stop() {
  if (!m_worker.joinable()) return;
  if (!m_fill.empty()) hand_off();
  {
    std::unique_lock lock(m_lock);
    m_changed.wait(lock, [this] { return m_queue.empty(); });
    m_stop = true;
    m_changed.notify_all();
  }
  m_worker.join();
}

void LineBatcher::loop() {
  std::unique_lock lock(m_lock);
  while (true) {
    m_changed.wait(lock, [this] { return !m_queue.empty() || m_stop; });
    if (m_queue.empty()) return;  // stopped with nothing left
    bool skip = static_cast<bool>(m_error);
    // deque references stay valid while the producer pushes at the back.
    std::string_view batch = m_queue.front();
    lock.unlock();
    std::exception_ptr error;
    if (!skip) {
      try {
        if (m_whole_batches) {
          m_process(batch);
          batch = {};
        }
        while (!batch.empty()) {
          std::size_t end = batch.find('\n');
          m_process(batch.substr(0, end));
          batch.remove_prefix(end + 1);
        }
      } catch (...) {
        error = std::current_exception();
      }
    }
    lock.lock();
    if (error) m_error = error;
    m_queued_bytes -= m_queue.front().size();
    // Up to two batches are kept for reuse; a burst that filled a large
    // queue gives the rest of its memory back.
    if (m_spare.size() < 2) m_spare.push_back(std::move(m_queue.front()));
    m_queue.pop_front();
    m_changed.notify_all();
  }
}

}  // namespace dp::checks
