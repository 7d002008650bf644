// A PostgreSQL backend that stops answering (SIGSTOP, as a frozen VM or a
// firewalled host looks to the client) must not hang a health probe or the
// RPO marker writer: both end at their own deadline. Without the bounded
// libpq calls these tests hang until the watchdog below fails them (the
// stopped backend cannot even run its statement_timeout).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <future>
#include <thread>

#include "drills/probe.hpp"
#include "drills/rpo_marker.hpp"
#include "tests/integration/source_pg.hpp"

namespace dp::test {
namespace {

using namespace std::chrono_literals;

// Generous: only catches a hang, asserts no timing.
constexpr auto k_watchdog = 40s;

// Stops one backend; continues it however the test ends.
class StoppedBackend {
 public:
  explicit StoppedBackend(pid_t pid) : m_pid(pid) { ::kill(m_pid, SIGSTOP); }
  ~StoppedBackend() { resume(); }
  void resume() {
    if (m_pid > 0) ::kill(m_pid, SIGCONT);
    m_pid = 0;
  }

 private:
  pid_t m_pid;
};

// The pid of the backend whose query matches `like` (and whose wait matches
// `extra`), polled until one appears; 0 if none did.
pid_t find_backend(const SourcePg& pg, const std::string& like, const std::string& extra = "") {
  for (int i = 0; i < 200; ++i) {
    std::string pid =
        pg.psql(fmt::format("SELECT pid FROM pg_stat_activity WHERE query LIKE '{}' "
                            "AND pid <> pg_backend_pid() {} LIMIT 1",
                            like, extra));
    if (!pid.empty() && pid.find("error") == std::string::npos) return std::stoi(pid);
    std::this_thread::sleep_for(20ms);
  }
  return 0;
}

std::string conninfo(const SourcePg& pg) {
  return fmt::format("host={} port=5432 dbname=postgres user=postgres",
                     pg.scratch().dir().string());
}

TEST(StuckServer, SqlProbeOnAStoppedBackendFailsAtItsTimeout) {
  std::string why;
  auto pg = SourcePg::start(why);
  DP_REQUIRE_OR_SKIP(pg.has_value(), why);
  config::HealthConfig h;
  h.type = config::ProbeKind::sql;
  h.engine = EngineKind::postgres;
  h.connection = conninfo(*pg);
  h.query = "SELECT pg_sleep(60)";
  h.timeout = 3s;
  auto probe = std::async(std::launch::async, [&] { return drills::run_probe(h); });
  pid_t pid = find_backend(*pg, "SELECT pg_sleep(60)%");
  ASSERT_NE(pid, 0) << "the probe's backend never showed up";
  StoppedBackend stopped(pid);
  bool finished = probe.wait_for(k_watchdog) == std::future_status::ready;
  stopped.resume();
  ASSERT_TRUE(finished) << "the probe hung on a stopped backend";
  drills::ProbeOutcome outcome = probe.get();
  EXPECT_FALSE(outcome.passed);
  EXPECT_EQ(outcome.message,
            fmt::format("no answer from {} port 5432 before the deadline (waiting for the result)",
                        pg->scratch().dir().string()));
}

TEST(StuckServer, MarkerWriterStopsWhileAWriteHangsOnAStoppedBackend) {
  std::string why;
  auto pg = SourcePg::start(why);
  DP_REQUIRE_OR_SKIP(pg.has_value(), why);
  config::MarkerConfig config;
  config.engine = EngineKind::postgres;
  config.write = conninfo(*pg);
  config.read = config.write;
  config.interval = 50ms;
  drills::StepContext ctx;
  ctx.origin = drills::SteadyClock::now();
  ctx.drill_deadline = drills::SteadyClock::time_point::max();
  auto writer = drills::MarkerWriter::start(config, ctx);
  ASSERT_TRUE(writer) << writer.error().message;
  ASSERT_TRUE((*writer)->wait_first_ack(10s));
  // Hold the table so the next INSERT waits on the lock, then freeze the
  // backend running it: the write can never finish on its own.
  auto holder = std::async(std::launch::async, [&] {
    return pg->psql("BEGIN; LOCK TABLE drillproof_rpo_markers; SELECT pg_sleep(4); COMMIT;");
  });
  pid_t pid =
      find_backend(*pg, "INSERT INTO drillproof_rpo_markers%", "AND wait_event_type = 'Lock'");
  ASSERT_NE(pid, 0) << "no marker write waited on the lock";
  StoppedBackend stopped(pid);
  auto stop = std::async(std::launch::async, [&] { (*writer)->stop(); });
  bool finished = stop.wait_for(k_watchdog) == std::future_status::ready;
  stopped.resume();
  ASSERT_TRUE(finished) << "stop() hung on a stopped backend";
  reports::MarkerResult m = (*writer)->result();
  EXPECT_GE(m.acknowledged, 1u);
  EXPECT_GE(m.failed_writes, 1u);
  EXPECT_NE(m.message.find("before the deadline (waiting for the result)"), std::string::npos)
      << m.message;
  holder.wait();
}

}  // namespace
}  // namespace dp::test
