#pragma once
// Hands streamed lines to one worker thread in batches, so the thread that
// reads the database connection goes straight back to the socket instead of
// waiting for each row's processing: the server can keep writing while
// earlier rows are matched. Lines (no '\n' inside: the canonical row
// encoding escapes it) reach `process` in order, on the worker.
//
// Memory is bounded: the batch being filled (about `batch_bytes`) plus the
// batches handed off and not yet processed, at most `max_queued_bytes` of
// them (at least one batch); add() blocks while the queue is full. A queue
// larger than one batch lets the producer run ahead while `process` is slow
// or blocked for a while (blob_refs: the first row waits for the store's
// index, which loads while the COPY has already started).
//
// add() and finish() are for one producer thread; the destructor finishes
// if finish() was not called. If `process` throws, the worker keeps draining
// batches without processing them (the producer is never blocked) and
// finish() rethrows the exception on the producer's thread; the destructor
// never throws.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace dp::checks {

class LineBatcher {
 public:
  LineBatcher(std::function<void(std::string_view line)> process,
              std::size_t batch_bytes = std::size_t{1} << 20, std::size_t max_queued_bytes = 0);
  // `process` gets whole batches instead: lines each ended by '\n', in order.
  struct WholeBatches {};
  LineBatcher(WholeBatches, std::function<void(std::string_view lines)> process,
              std::size_t batch_bytes = std::size_t{1} << 20, std::size_t max_queued_bytes = 0);
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

  // The most bytes ever queued (handed off, not yet processed), for tests.
  std::size_t peak_queued_bytes() const;

 private:
  void stop();
  void hand_off();
  void loop();

  std::function<void(std::string_view)> m_process;
  bool m_whole_batches = false;
  std::size_t m_batch_bytes;
  std::size_t m_max_queued;
  std::string m_fill;                // producer's
  std::deque<std::string> m_queue;   // handed off; front() is the worker's while it runs
  std::vector<std::string> m_spare;  // processed batches kept for reuse (at most 2)
  std::size_t m_queued_bytes = 0;
  std::size_t m_peak_queued = 0;
  bool m_stop = false;
  std::exception_ptr m_error;  // written by the worker under the lock
  mutable std::mutex m_lock;
  std::condition_variable m_changed;
  std::thread m_worker;
};

}  // namespace dp::checks
