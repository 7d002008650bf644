// The RPO marker writer against a real PostgreSQL (started as the tool
// starts scratch servers): markers are written and acknowledged, all found
// means a zero data-loss window, and markers removed behind the writer's
// back (as an asynchronous standby would lose them) give the window from
// the newest surviving marker to the last acknowledged one.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <thread>

#include "drills/rpo_marker.hpp"
#include "tests/integration/source_my.hpp"
#include "tests/integration/source_pg.hpp"

namespace dp::test {
namespace {

using namespace std::chrono_literals;

TEST(RpoMarker, WritesReadsAndMeasuresTheLossWindow) {
  std::string why;
  auto pg = SourcePg::start(why);
  DP_REQUIRE_OR_SKIP(pg.has_value(), why);
  config::MarkerConfig config;
  config.engine = EngineKind::postgres;
  config.write =
      fmt::format("host={} port=5432 dbname=postgres user=postgres", pg->scratch().dir().string());
  config.read = config.write;
  config.interval = 50ms;
  drills::StepContext ctx;
  ctx.origin = drills::SteadyClock::now();
  ctx.drill_deadline = drills::SteadyClock::time_point::max();

  auto writer = drills::MarkerWriter::start(config, ctx);
  ASSERT_TRUE(writer) << writer.error().message;
  ASSERT_TRUE((*writer)->wait_first_ack(10s));
  std::this_thread::sleep_for(600ms);
  (*writer)->stop();
  reports::MarkerResult m = (*writer)->result();
  ASSERT_GE(m.acknowledged, 3u);
  EXPECT_EQ(m.failed_writes, 0u);
  EXPECT_EQ(m.first_seq, 1);
  EXPECT_EQ(pg->psql("SELECT count(*) FROM drillproof_rpo_markers"),
            std::to_string(m.acknowledged));

  auto rpo = (*writer)->read_after_failover(m);
  ASSERT_TRUE(rpo) << rpo.error().message;
  EXPECT_EQ(*rpo, 0ms);
  EXPECT_EQ(m.found_seq, m.last_acked_seq);
  EXPECT_EQ(m.found_count, m.acknowledged);
  EXPECT_FALSE(m.found_written_at.empty());

  // Negative control: the last markers never reached the "new primary".
  EXPECT_EQ(pg->psql("DELETE FROM drillproof_rpo_markers WHERE seq > 2"), "");
  reports::MarkerResult lost = (*writer)->result();
  rpo = (*writer)->read_after_failover(lost);
  ASSERT_TRUE(rpo) << rpo.error().message;
  EXPECT_EQ(lost.found_seq, 2);
  EXPECT_EQ(lost.found_count, 2u);
  EXPECT_GT(*rpo, 0ms);
  EXPECT_EQ(*rpo, *lost.last_acked_at - *lost.found_at);
  ASSERT_TRUE((*writer)->read_after_failback(lost));
  EXPECT_EQ(lost.after_failback_found, 2u);
  EXPECT_EQ(lost.after_failback_newest_seq, 2);

  // A second drill continues after the markers already in the table.
  auto again = drills::MarkerWriter::start(config, ctx);
  ASSERT_TRUE(again) << again.error().message;
  (*again)->stop();
  EXPECT_EQ((*again)->result().first_seq, 3);
}

// The same on MariaDB: DATETIME(6) markers through a "socket=... database=..."
// connection, as a mysql [service.marker] names it.
TEST(RpoMarker, MariaDbMarkersAreFoundAndCounted) {
  std::string why;
  auto my = SourceMy::start(why);
  DP_REQUIRE_OR_SKIP(my.has_value(), why);
  ASSERT_EQ(my->sql("CREATE DATABASE app"), "");
  config::MarkerConfig config;
  config.engine = EngineKind::mysql;
  config.write = fmt::format("socket={} database=app user=root", my->scratch().socket().string());
  config.read = config.write;
  config.interval = 50ms;
  drills::StepContext ctx;
  ctx.origin = drills::SteadyClock::now();
  ctx.drill_deadline = drills::SteadyClock::time_point::max();
  auto writer = drills::MarkerWriter::start(config, ctx);
  ASSERT_TRUE(writer) << writer.error().message;
  ASSERT_TRUE((*writer)->wait_first_ack(10s));
  std::this_thread::sleep_for(400ms);
  (*writer)->stop();
  reports::MarkerResult m = (*writer)->result();
  ASSERT_GE(m.acknowledged, 2u);
  auto rpo = (*writer)->read_after_failover(m);
  ASSERT_TRUE(rpo) << rpo.error().message;
  EXPECT_EQ(*rpo, 0ms);
  EXPECT_EQ(m.found_seq, m.last_acked_seq);
  EXPECT_EQ(m.found_count, m.acknowledged);
  ASSERT_TRUE((*writer)->read_after_failback(m));
  EXPECT_EQ(m.after_failback_found, m.acknowledged);
}

// A write that committed but was not acknowledged (its connection failed
// after the commit) is in the table: it must be counted the same after
// failover and after failback, or the drill reports markers lost that are
// all there. The "lost acknowledgement" is a CHECK constraint refusing the
// writes after seq 3, dropped before those seqs are put in by hand.
TEST(RpoMarker, UnacknowledgedMarkerCountsTheSameAfterFailoverAndFailback) {
  std::string why;
  auto pg = SourcePg::start(why);
  DP_REQUIRE_OR_SKIP(pg.has_value(), why);
  ASSERT_EQ(pg->psql("CREATE TABLE drillproof_rpo_markers (seq bigint PRIMARY KEY, written_at "
                     "timestamptz NOT NULL, CHECK (seq <= 3))"),
            "");
  config::MarkerConfig config;
  config.engine = EngineKind::postgres;
  config.write =
      fmt::format("host={} port=5432 dbname=postgres user=postgres", pg->scratch().dir().string());
  config.read = config.write;
  config.interval = 20ms;
  drills::StepContext ctx;
  ctx.origin = drills::SteadyClock::now();
  ctx.drill_deadline = drills::SteadyClock::time_point::max();
  auto writer = drills::MarkerWriter::start(config, ctx);
  ASSERT_TRUE(writer) << writer.error().message;
  ASSERT_TRUE((*writer)->wait_first_ack(10s));
  for (int i = 0; i < 200 && (*writer)->result().failed_writes == 0; ++i)
    std::this_thread::sleep_for(20ms);
  (*writer)->stop();
  reports::MarkerResult m = (*writer)->result();
  ASSERT_EQ(m.acknowledged, 3u);
  ASSERT_GE(m.failed_writes, 1u);
  ASSERT_EQ(pg->psql("ALTER TABLE drillproof_rpo_markers DROP CONSTRAINT "
                     "drillproof_rpo_markers_seq_check; INSERT INTO drillproof_rpo_markers VALUES "
                     "(4, now())"),
            "");
  auto rpo = (*writer)->read_after_failover(m);
  ASSERT_TRUE(rpo) << rpo.error().message;
  EXPECT_EQ(*rpo, 0ms);
  ASSERT_TRUE((*writer)->read_after_failback(m));
  EXPECT_EQ(m.found_count, 3u);
  EXPECT_EQ(m.after_failback_found, 3u);
  EXPECT_EQ(m.found_seq, 3);
}

TEST(RpoMarker, UnreachablePrimaryCannotStart) {
  config::MarkerConfig config;
  config.write = "host=/nonexistent/socket/dir port=5432 dbname=postgres user=postgres";
  config.read = config.write;
  drills::StepContext ctx;
  ctx.origin = drills::SteadyClock::now();
  auto writer = drills::MarkerWriter::start(config, ctx);
  ASSERT_FALSE(writer);
  EXPECT_EQ(writer.error().message.rfind("create the marker table: ", 0), 0u)
      << writer.error().message;
}

}  // namespace
}  // namespace dp::test
