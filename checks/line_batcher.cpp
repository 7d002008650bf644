#include "checks/line_batcher.hpp"

namespace dp::checks {

LineBatcher::LineBatcher(std::function<void(std::string_view)> process, std::size_t batch_bytes)
    : m_process(std::move(process)), m_batch_bytes(batch_bytes) {
  m_fill.reserve(batch_bytes + 4096);
  m_work.reserve(batch_bytes + 4096);
  m_worker = std::thread([this] { loop(); });
}

LineBatcher::~LineBatcher() { finish(); }

void LineBatcher::hand_off() {
  std::unique_lock lock(m_lock);
  m_changed.wait(lock, [this] { return !m_busy; });
  m_fill.swap(m_work);
  m_fill.clear();
  m_busy = true;
  m_changed.notify_all();
}

void LineBatcher::finish() {
  if (!m_worker.joinable()) return;
  if (!m_fill.empty()) hand_off();
  {
    std::unique_lock lock(m_lock);
    m_changed.wait(lock, [this] { return !m_busy; });
    m_stop = true;
    m_changed.notify_all();
  }
  m_worker.join();
}

void LineBatcher::loop() {
  std::unique_lock lock(m_lock);
  while (true) {
    m_changed.wait(lock, [this] { return m_busy || m_stop; });
    if (!m_busy) return;  // stopped with nothing left
    lock.unlock();
    std::string_view batch = m_work;
    while (!batch.empty()) {
      std::size_t end = batch.find('\n');
      m_process(batch.substr(0, end));
      batch.remove_prefix(end + 1);
    }
    lock.lock();
    m_busy = false;
    m_changed.notify_all();
  }
}

}  // namespace dp::checks
