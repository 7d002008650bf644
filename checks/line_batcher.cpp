#include "checks/line_batcher.hpp"

#include <utility>

namespace dp::checks {

LineBatcher::LineBatcher(std::function<void(std::string_view)> process, std::size_t batch_bytes)
    : m_process(std::move(process)), m_batch_bytes(batch_bytes) {
  m_fill.reserve(batch_bytes + 4096);
  m_work.reserve(batch_bytes + 4096);
  m_worker = std::thread([this] { loop(); });
}

LineBatcher::~LineBatcher() { stop(); }

void LineBatcher::hand_off() {
  std::unique_lock lock(m_lock);
  m_changed.wait(lock, [this] { return !m_busy; });
  m_fill.swap(m_work);
  m_fill.clear();
  m_busy = true;
  m_changed.notify_all();
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
    std::exception_ptr error;
    if (!m_error) {
      try {
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
    m_busy = false;
    m_changed.notify_all();
  }
}

}  // namespace dp::checks
