#pragma once
// Hands streamed lines to one worker thread in batches, so the thread that
// reads the database connection goes straight back to the socket instead of
// waiting for each row's processing: the server can keep writing while
// earlier rows are matched. Lines (no '\n' inside: the canonical row
// encoding escapes it) reach `process` in order, on the worker. Two buffers
// of about `batch_bytes` each bound the memory. add() and finish() are for
// one producer thread; the destructor finishes if finish() was not called.
// If `process` throws, the worker keeps draining batches without processing
// them (the producer is never blocked) and finish() rethrows the exception
// on the producer's thread; the destructor never throws.
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace dp::checks {

class LineBatcher {
 public:
  LineBatcher(std::function<void(std::string_view line)> process,
              std::size_t batch_bytes = std::size_t{1} << 20);
  LineBatcher(const LineBatcher&) = delete;
  LineBatcher& operator=(const LineBatcher&) = delete;
  ~LineBatcher();

  void add(std::string_view line) {
    m_fill.append(line);
    m_fill.push_back('\n');
    if (m_fill.size() >= m_batch_bytes) hand_off();
  }
  // Processes what is left and stops the worker; every line added has been
  // processed when it returns. Rethrows what `process` threw, once.
  void finish();

 private:
  void stop();
  void hand_off();
  void loop();

  std::function<void(std::string_view)> m_process;
  std::size_t m_batch_bytes;
  std::string m_fill;  // producer's
  std::string m_work;  // worker's while m_busy
  bool m_busy = false;
  bool m_stop = false;
  std::exception_ptr m_error;  // written by the worker before it clears m_busy
  std::mutex m_lock;
  std::condition_variable m_changed;
  std::thread m_worker;
};

}  // namespace dp::checks
