#pragma once
// The RPO marker writer of one service ([service.marker]). A background
// thread inserts (seq, written_at) rows into `write` every interval, each
// in its own connection and transaction, and records which were
// acknowledged (committed) and when. After failover, read_after_failover()
// finds the newest marker on `read`: the data-loss window is the time from
// that marker's acknowledgement to the last acknowledged one.
//
// Thread safety: start/stop and the readers are called from the drill's
// thread; the writer thread only touches the state behind m_lock.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "drills/failover_step.hpp"
#include "reports/run_report.hpp"
#include "verifier/config/config.hpp"

namespace dp::drills {

class MarkerWriter {
 public:
  // Creates the table if missing, finds the next free seq and starts
  // writing. Errc::engine when `write` cannot be reached or refuses.
  static Result<std::unique_ptr<MarkerWriter>> start(const config::MarkerConfig& config,
                                                     const StepContext& ctx);
  ~MarkerWriter();  // stops and joins
  MarkerWriter(const MarkerWriter&) = delete;
  MarkerWriter& operator=(const MarkerWriter&) = delete;

  // Blocks until one marker is acknowledged or `wait` passes; true if one was.
  bool wait_first_ack(Millis wait);
  void stop();
  // What was written so far (call after stop()).
  reports::MarkerResult result() const;
  // Fills found_* from `read` and returns the achieved RPO, or an error
  // message (the marker is then `error` and the RPO not measured).
  Result<Millis> read_after_failover(reports::MarkerResult& out) const;
  // Fills after_failback_* from `write`.
  Result<void> read_after_failback(reports::MarkerResult& out) const;

 private:
  MarkerWriter(config::MarkerConfig config, const StepContext& ctx, std::int64_t first_seq);
  void run();

  config::MarkerConfig m_config;
  const StepContext& m_ctx;
  std::int64_t m_first_seq;
  mutable std::mutex m_lock;
  std::condition_variable m_wake;
  bool m_stop = false;
  std::int64_t m_next_seq;
  std::vector<std::pair<std::int64_t, Millis>> m_acked;  // seq, acknowledged at
  std::size_t m_failed = 0;
  std::string m_last_error;
  std::thread m_thread;
};

}  // namespace dp::drills
